// One table's rows as COPY text: out of the server, counted and hashed on the way, through zstd
// into a file (whose own hash is taken while it is written); and back in, from the file into a
// table, in one transaction with FREEZE (written once, no WAL on wal_level=minimal).
import crypto from 'node:crypto'
import fs from 'node:fs'
import { Transform, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { from as copyFrom, to as copyTo } from 'pg-copy-streams'
import { HOST, spawnPipe } from '../../run.ts'
import { qi, qname, type PgClient } from './db.ts'

export interface CopySpec { schema: string; table: string; columns: string[] }

function columnList(cols: string[]): string {
  return `(${cols.map(qi).join(', ')})`
}

export function copyOutSql(t: CopySpec): string {
  return `COPY ${qname(t.schema, t.table)} ${columnList(t.columns)} TO STDOUT`
}
export function copyInSql(t: CopySpec): string {
  return `COPY ${qname(t.schema, t.table)} ${columnList(t.columns)} FROM STDIN WITH (FREEZE)`
}

/**
 * Counts rows (one newline each: COPY text escapes newlines inside values) and hashes the stream;
 * `hashed = false` only counts (a load's input, whose file hash was checked before anything began).
 */
class Tally extends Transform {
  rows = 0
  bytes = 0
  readonly hash = crypto.createHash('sha256')
  onRows?: (rows: number) => void
  constructor(private readonly hashed = true) { super() }
  _transform(chunk: Buffer, _e: BufferEncoding, cb: (e?: Error | null, d?: Buffer) => void) {
    if (this.hashed) this.hash.update(chunk)
    this.bytes += chunk.length
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) this.rows++
    this.onRows?.(this.rows)
    cb(null, chunk)
  }
}

export interface CopiedOut { rows: number; sha256: string; bytes: number; fileSha256: string }

/** COPY ... TO STDOUT into `file` (zstd), with the stream's rows and sha256 and the file's size and sha256. */
export async function copyOutToFile(c: PgClient, t: CopySpec, file: string, onRows?: (n: number) => void): Promise<CopiedOut> {
  const src = c.query(copyTo(copyOutSql(t)))
  const tally = new Tally()
  tally.onRows = onRows
  const z = spawnPipe(HOST, ['zstd', '-q', '-1', '-T1', '-c'])
  const fileTally = new Tally()
  const out = fs.createWriteStream(file)
  await Promise.all([
    pipeline(src, tally, z.stdin as unknown as Writable),
    pipeline(z.stdout, fileTally, out),
    z.done,
  ])
  return { rows: tally.rows, sha256: tally.hash.digest('hex'), bytes: fileTally.bytes, fileSha256: fileTally.hash.digest('hex') }
}

/** Rows and sha256 of a table's COPY text as it is now (verification after a load). */
export async function copyDigest(c: PgClient, t: CopySpec): Promise<{ rows: number; sha256: string }> {
  const tally = new Tally()
  await pipeline(c.query(copyTo(copyOutSql(t))), tally, new Writable({ write(_c, _e, cb) { cb() } }))
  return { rows: tally.rows, sha256: tally.hash.digest('hex') }
}

/** Loads `file` (zstd COPY text) into an empty table in one transaction (TRUNCATE first, so FREEZE applies). */
export async function copyInFromFile(c: PgClient, t: CopySpec, file: string, onRows?: (n: number) => void): Promise<number> {
  await c.query('BEGIN')
  try {
    await c.query(`TRUNCATE ONLY ${qname(t.schema, t.table)}`)
    const z = spawnPipe(HOST, ['zstd', '-q', '-d', '-c', file])
    z.stdin.end()
    const tally = new Tally(false)
    tally.onRows = onRows
    await Promise.all([pipeline(z.stdout, tally, c.query(copyFrom(copyInSql(t)))), z.done])
    await c.query('COMMIT')
    return tally.rows
  } catch (e) {
    await c.query('ROLLBACK').catch(() => undefined)
    throw e
  }
}
