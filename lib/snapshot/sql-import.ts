// What a plain SQL file needs before it is imported: checked whole first (readable, fully
// decompressible, about at most one database), then filtered only for what a dump legitimately
// holds: its own database's statements (so its objects land in the staging database) and
// DEFINER clauses. Everything else reaches the server, which confines it (import-account.ts).
import fs from 'node:fs'
import path from 'node:path'
import { Transform, Writable, type Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import zlib from 'node:zlib'
import type { Config } from '../config.ts'
import { UserError, failure } from '../errors.ts'
import { HOST, spawnPipe } from '../run.ts'

const USAGE = 'make data_load ARGS="--file path/to/dump.sql[.gz|.zst]"'
const NAME = String.raw`(\x60(?:[^\x60]|\x60\x60)+\x60|[\w$]+)`

/** A line that is one statement about a database: USE x, or CREATE / DROP of DATABASE or SCHEMA x (as mysqldump and sakila write them). */
export function databaseStatement(line: string): { verb: 'use' | 'create' | 'drop'; name: string } | null {
  if (!/^\s*(\/\*!\d*\s*)?(USE|CREATE|DROP)\b/i.test(line)) return null
  const plain = line.replace(/\/\*M?!\d*/g, ' ').replace(/\*\//g, ' ')
  const m = new RegExp(String.raw`^\s*(?:(USE)\s+${NAME}|(CREATE|DROP)\s+(?:DATABASE|SCHEMA)\s+(?:IF\s+(?:NOT\s+)?EXISTS\s+)?${NAME}(?:\s[^;]*)?)\s*;\s*$`, 'i').exec(plain)
  if (!m) return null
  const raw = m[2] ?? m[4]
  const name = raw.startsWith('`') ? raw.slice(1, -1).replace(/``/g, '`') : raw
  return { verb: (m[1] ?? m[3]).toLowerCase() as 'use' | 'create' | 'drop', name }
}

export interface SqlFilePlan {
  /** as the user gave it, for messages */
  file: string
  abs: string
  /** the one database the file's USE / CREATE DATABASE statements name, or null */
  database: string | null
}

/** A readable of the file's SQL, decompressing .gz and .zst; errors name the file. */
export function sqlSource(abs: string, file: string): { stream: Readable; done: Promise<void> } {
  if (abs.endsWith('.zst')) {
    const z = spawnPipe(HOST, ['zstd', '-dcq', abs])
    z.stdin.end()
    return { stream: z.stdout, done: z.done.catch((e: Error) => { throw damaged(file, e.message) }) }
  }
  const raw = fs.createReadStream(abs)
  if (!abs.endsWith('.gz')) return { stream: raw, done: Promise.resolve() }
  const gunzip = zlib.createGunzip()
  const done = pipeline(raw, gunzip.on('error', () => undefined)).then(() => undefined, (e: Error) => { throw damaged(file, e.message) })
  done.catch(() => undefined)
  return { stream: gunzip, done }
}

function damaged(file: string, why: string): UserError {
  return failure(`${file} cannot be read whole (${why}); nothing was changed`, `check the file (gzip -t / zstd -t), or take the dump again; then: ${USAGE.replace('path/to/dump.sql[.gz|.zst]', file)}`)
}

/** Splits a byte stream into lines (latin1: every byte passes unchanged) and hands each to `fn`. */
function lines(fn: (line: string, n: number) => string | null): Transform {
  let rest = ''
  let n = 0
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      const parts = (rest + chunk.toString('latin1')).split('\n')
      rest = parts.pop() ?? ''
      const out = parts.map((l) => fn(l, ++n) ?? '')
      cb(null, out.length ? Buffer.from(out.join('\n') + '\n', 'latin1') : undefined)
    },
    flush(cb) { cb(null, rest ? Buffer.from(fn(rest, ++n) ?? '', 'latin1') : undefined) },
  })
}

/**
 * Reads the whole file before anything is touched: it exists, is readable, decompresses to the
 * end, and names at most one database of its own. Throws a one-line error naming the file.
 */
export async function checkSqlFile(cfg: Config, file: string): Promise<SqlFilePlan> {
  const abs = path.resolve(cfg.projectDir, file)
  if (!fs.existsSync(abs) || !fs.statSync(abs).isFile()) {
    throw new UserError(`no such SQL file: ${file}; nothing was changed`, { hint: `usage: ${USAGE}` })
  }
  try { fs.accessSync(abs, fs.constants.R_OK) } catch {
    throw new UserError(`cannot read ${file} (permission denied); nothing was changed`, { hint: `make it readable (chmod u+r ${file}), then: ${USAGE.replace('path/to/dump.sql[.gz|.zst]', file)}` })
  }
  const names = new Map<string, number>()
  const src = sqlSource(abs, file)
  const scan = lines((line, n) => {
    const s = databaseStatement(line)
    if (s && s.verb !== 'drop' && !names.has(s.name)) names.set(s.name, n)
    return null
  })
  const sink = new Writable({ write(_c, _e, cb) { cb() } })
  const [piped, read] = await Promise.allSettled([pipeline(src.stream, scan, sink), src.done])
  if (read.status === 'rejected') throw read.reason
  if (piped.status === 'rejected') throw damaged(file, (piped.reason as Error).message)
  if (names.size > 1) {
    const list = [...names].map(([d, n]) => `${d} (line ${n})`).join(', ')
    throw new UserError(`${file} holds more than one database: ${list}; nothing was changed`, {
      hint: 'datakeep imports one database: dump just the one you want (mariadb-dump <database> > dump.sql) and load that',
    })
  }
  return { file, abs, database: names.size ? [...names.keys()][0] : null }
}

const DEFINER = /DEFINER\s*=\s*(`[^`]*`|'[^']*'|\w+)@(`[^`]*`|'[^']*'|[\w.%-]+)\s*/g

/** Only the DEFINER clauses (a restore must not fail under another user): what `--format sql` dumps write. */
export function definerFilter(): Transform {
  return lines((line) => (line.startsWith('INSERT INTO') || !line.includes('DEFINER') ? line : line.replace(DEFINER, '')))
}

/**
 * The import's filter: the file's own database statements become empty lines (line numbers stay
 * the file's, for the client's errors), names qualified with that database point at `stage`,
 * DEFINER clauses (and DEFINER=CURRENT_USER) go. Any other database's name passes unchanged:
 * the server refuses it.
 */
export function importFilter(database: string | null, stage: string): Transform {
  const qualified = database === null ? null
    : new RegExp(String.raw`(?<![\w$\x60.])(?:\x60${escapeRe(database.replace(/`/g, '``'))}\x60|${/^[\w$]+$/.test(database) ? escapeRe(database) : '(?!)'})(\s*\.\s*)(?=[\x60\w$])`, 'g')
  const target = '`' + stage.replace(/`/g, '``') + '`.'
  return lines((line) => {
    const s = databaseStatement(line)
    if (s && s.name === database) return null
    if (line.startsWith('INSERT INTO')) return line
    let out = line.includes('DEFINER') ? line.replace(DEFINER, '').replace(/DEFINER\s*=\s*CURRENT_USER(\(\))?\s*/gi, '') : line
    if (qualified) out = out.replace(qualified, target)
    return out
  })
}

function escapeRe(s: string): string { return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') }
