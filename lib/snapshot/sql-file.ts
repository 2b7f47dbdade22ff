// Plain SQL files, the way seeds 003 and 004 back up and restore: `data_dump --format sql` writes one
// file `mysql db < file` restores; `data_load --file` imports such a file through staging and swap.
import fs from 'node:fs'
import path from 'node:path'
import { Transform, type Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import zlib from 'node:zlib'
import type { Config } from '../config.ts'
import { ident, withDb } from '../db.ts'
import { UserError, onInterrupt } from '../errors.ts'
import { HOST, spawnPipe } from '../run.ts'
import type { Runtime } from '../runtime/index.ts'
import { cleanDebris } from './debris.ts'
import { tempDbName } from './load.ts'
import { backupRoot, checkName } from './names.ts'
import { withBackupUmask } from './private.ts'
import { dropPostData, readSchema } from './schema.ts'
import { swapIn } from './swap.ts'

/** mariadb-dump argv for a complete single-file dump of one database (password in MYSQL_PWD). */
export function sqlDumpArgv(clientArgs: string[], database: string): string[] {
  return ['mariadb-dump', ...clientArgs, '--single-transaction', '--routines', '--events', '--triggers',
    '--hex-blob', '--default-character-set=utf8mb4', '--add-drop-table', '--skip-dump-date', '--max-allowed-packet=256M', database]
}

const DEFINER = /DEFINER\s*=\s*(`[^`]*`|'[^']*'|\w+)@(`[^`]*`|'[^']*'|[\w.%-]+)\s*/g

/**
 * A line filter for SQL dumps: drops DEFINER clauses (a restore must not fail under another user)
 * and, for imports, every statement that would leave the target database (USE, CREATE/DROP DATABASE).
 */
export function sqlLineFilter(opts: { confine: boolean }): Transform {
  let rest = ''
  const fix = (line: string): string | null => {
    if (opts.confine && /^\s*(USE\s|CREATE\s+DATABASE|DROP\s+DATABASE|\/\*!\d+\s+(CREATE|DROP)\s+DATABASE)/i.test(line)) return null
    if (line.startsWith('INSERT INTO')) return line
    return line.includes('DEFINER') ? line.replace(DEFINER, '') : line
  }
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      const text = rest + chunk.toString('latin1') // byte-transparent: binary data passes unchanged
      const lines = text.split('\n')
      rest = lines.pop() ?? ''
      const out = lines.map(fix).filter((l): l is string => l !== null)
      cb(null, out.length ? Buffer.from(out.join('\n') + '\n', 'latin1') : undefined)
    },
    flush(cb) {
      const last = rest ? fix(rest) : null
      cb(null, last ? Buffer.from(last, 'latin1') : undefined)
    },
  })
}

export async function dumpSqlFile(cfg: Config, rt: Runtime, opts: { name: string; gzip: boolean; force: boolean }): Promise<string> {
  // owner-only (or group-readable) from the first byte, as every snapshot
  return withBackupUmask(cfg, () => writeSqlFile(cfg, rt, opts))
}

async function writeSqlFile(cfg: Config, rt: Runtime, opts: { name: string; gzip: boolean; force: boolean }): Promise<string> {
  const name = checkName(opts.name)
  const file = path.join(backupRoot(cfg), `${name}.sql${opts.gzip ? '.gz' : ''}`)
  if (fs.existsSync(file) && !opts.force) {
    throw new UserError(`${file} already exists`, { hint: `to replace it: make data_dump ARGS="--name ${name} --format sql${opts.gzip ? ' --gzip' : ''} --force"` })
  }
  fs.mkdirSync(path.dirname(file), { recursive: true })
  const tmp = `${file}.partial-${process.pid}`
  const off = onInterrupt(() => fs.rmSync(tmp, { force: true }))
  try {
    const dump = spawnPipe(rt.target, sqlDumpArgv(rt.clientArgs(), rt.admin.database), { env: rt.clientEnv() })
    dump.stdin.end()
    const out = fs.createWriteStream(tmp)
    const written = opts.gzip
      ? pipeline(dump.stdout, sqlLineFilter({ confine: false }), zlib.createGzip({ level: 6 }), out)
      : pipeline(dump.stdout, sqlLineFilter({ confine: false }), out)
    await Promise.all([written, dump.done])
    fs.renameSync(tmp, file)
    return file
  } catch (e) {
    fs.rmSync(tmp, { force: true })
    throw e
  } finally {
    off()
  }
}

/** A readable of the file's SQL, decompressing .gz and .zst. */
function sqlSource(file: string): { stream: Readable; done: Promise<void> } {
  if (file.endsWith('.zst')) {
    const z = spawnPipe(HOST, ['zstd', '-dc', file])
    z.stdin.end()
    return { stream: z.stdout, done: z.done }
  }
  const raw = fs.createReadStream(file)
  return { stream: file.endsWith('.gz') ? raw.pipe(zlib.createGunzip()) : raw, done: Promise.resolve() }
}

/** Imports a plain SQL dump into a staging database, then swaps it in like a snapshot load. */
export async function importSqlFile(cfg: Config, rt: Runtime, file: string): Promise<{ tables: number; ms: number }> {
  const t0 = Date.now()
  const abs = path.resolve(cfg.projectDir, file)
  if (!fs.existsSync(abs) || !fs.statSync(abs).isFile()) {
    throw new UserError(`no such SQL file: ${file}`, { hint: 'usage: make data_load ARGS="--file path/to/dump.sql[.gz|.zst]"' })
  }
  await cleanDebris(cfg, rt)
  const stage = tempDbName('stage')
  const drop = async () => { await withDb(rt.admin, (d) => d.query(`DROP DATABASE IF EXISTS ${ident(stage)}`), { database: null }) }
  const off = onInterrupt(drop)
  try {
    return await withDb(rt.admin, async (db) => {
      await db.query(`CREATE DATABASE ${ident(stage)}`)
      const src = sqlSource(abs)
      const client = spawnPipe(rt.target, ['mariadb', ...rt.clientArgs(), '--binary-mode', '--max-allowed-packet=256M', stage], { env: rt.clientEnv() })
      client.stdout.resume()
      await Promise.all([pipeline(src.stream, sqlLineFilter({ confine: true }), client.stdin), client.done, src.done])
      const schema = await readSchema(db, stage)
      await dropPostData(db, stage)
      await swapIn(db, { live: rt.admin.database, stage, oldDb: tempDbName('old'), post: schema, charset: schema.database.charset, collation: schema.database.collation })
      return { tables: schema.tables.length, ms: Date.now() - t0 }
    }, { database: null })
  } finally {
    await drop().catch(() => undefined)
    off()
  }
}
