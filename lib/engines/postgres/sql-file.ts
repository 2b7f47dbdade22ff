// Plain SQL both ways, as seed 004 does it: `data_dump --format sql [--gzip]` writes pg_dump's plain
// file that `psql db < file` restores; `data_load --file x.sql[.gz|.zst]` runs one through psql
// (ON_ERROR_STOP, one transaction) into a side database, then swaps it in; `--file x.dump` (pg_dump -Fc)
// goes through pg_restore's script the same way.
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { Transform, type Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import zlib from 'node:zlib'
import type { Config } from '../../config.ts'
import { UserError, onInterrupt } from '../../errors.ts'
import { HOST, spawnPipe, type Target } from '../../run.ts'
import type { Runtime } from '../../runtime/types.ts'
import { commandSummary, withLock } from '../../safety/lock.ts'
import { tempDbName } from '../../snapshot/load.ts'
import { backupRoot, checkName, TEMP_DB_PREFIX } from '../../snapshot/names.ts'
import { withBackupUmask } from '../../snapshot/private.ts'
import type { SqlDumpRequest, SqlDumpResult } from '../types.ts'
import { dropTempDatabase, qi, ql, withPg } from './db.ts'
import { cleanPgDebris } from './debris.ts'
import { relations } from './inspect.ts'
import { createSide, sideOwner } from './load.ts'
import { swapDatabases } from './swap.ts'
import { plainDumpArgv, psqlArgv, toolsDir, withRole } from './tools.ts'

export function pgDumpSqlFile(cfg: Config, rt: Runtime, req: SqlDumpRequest): Promise<SqlDumpResult> {
  // owner-only (or group-readable) from the first byte, as every snapshot
  return withBackupUmask(cfg, () => writeSqlFile(cfg, rt, req))
}

async function writeSqlFile(cfg: Config, rt: Runtime, req: SqlDumpRequest): Promise<SqlDumpResult> {
  const name = checkName(req.name)
  const file = path.join(backupRoot(cfg), `${name}.sql${req.gzip ? '.gz' : ''}`)
  if (fs.existsSync(file) && !req.force) {
    throw new UserError(`${file} already exists`, { hint: `to replace it: make data_dump ARGS="--name ${name} --format sql${req.gzip ? ' --gzip' : ''} --force"` })
  }
  fs.mkdirSync(path.dirname(file), { recursive: true })
  const tmp = `${file}.partial-${process.pid}`
  const off = onInterrupt(() => fs.rmSync(tmp, { force: true }))
  try {
    const dump = spawnPipe(rt.target, plainDumpArgv(toolsDir(cfg, rt), rt.clientArgs(), rt.admin.database), { env: rt.clientEnv() })
    dump.stdin.end()
    const out = fs.createWriteStream(tmp)
    await Promise.all([req.gzip ? pipeline(dump.stdout, zlib.createGzip({ level: 6 }), out) : pipeline(dump.stdout, out), dump.done])
    fs.renameSync(tmp, file)
    return { file, restoreCommand: req.gzip ? `gunzip -c ${file} | psql <database>` : `psql <database> < ${file}` }
  } catch (e) {
    fs.rmSync(tmp, { force: true })
    throw e
  } finally { off() }
}

/**
 * Drops the lines of a plain dump that would leave the side database (`\connect`, CREATE/DROP
 * DATABASE: a `pg_dump --create` file carries them) or that the confined import role may not run
 * (`ALTER ... OWNER TO`: the objects are given to the database's owner afterwards). Byte-transparent otherwise.
 */
export function confineFilter(): Transform {
  let rest = ''
  const keep = (l: string) => !/^(\\connect\s|\\c\s|(?:CREATE|DROP) DATABASE\s|ALTER [A-Z ]+ .* OWNER TO .*;$)/.test(l)
  return new Transform({
    transform(chunk: Buffer, _e, cb) {
      const lines = (rest + chunk.toString('latin1')).split('\n')
      rest = lines.pop() ?? ''
      const out = lines.filter(keep)
      cb(null, out.length ? Buffer.from(out.join('\n') + '\n', 'latin1') : undefined)
    },
    flush(cb) { cb(null, rest && keep(rest) ? Buffer.from(rest, 'latin1') : undefined) },
  })
}

/** pg_dump's custom format starts with these bytes. */
export function isCustomArchive(file: string): boolean {
  const fd = fs.openSync(file, 'r')
  try { const b = Buffer.alloc(5); fs.readSync(fd, b, 0, 5, 0); return b.toString('latin1') === 'PGDMP' } finally { fs.closeSync(fd) }
}

/** A readable of the file's SQL: .gz and .zst decompressed, a custom-format archive turned into its script by pg_restore. */
function sqlSource(file: string, bin: string, target: Target): { stream: Readable; done: Promise<void> } {
  if (isCustomArchive(file)) {
    // pg_restore reads the archive from stdin, so it also runs inside a container
    const r = spawnPipe(target, [path.join(bin, 'pg_restore'), '--file=-'])
    const fed = pipeline(fs.createReadStream(file), r.stdin as unknown as NodeJS.WritableStream)
    fed.catch(() => undefined)
    return { stream: r.stdout, done: Promise.all([fed, r.done]).then(() => undefined) }
  }
  if (file.endsWith('.zst')) {
    const z = spawnPipe(HOST, ['zstd', '-dc', file])
    z.stdin.end()
    return { stream: z.stdout, done: z.done }
  }
  const raw = fs.createReadStream(file)
  return { stream: file.endsWith('.gz') ? raw.pipe(zlib.createGunzip()) : raw, done: Promise.resolve() }
}

export async function pgImportSqlFile(cfg: Config, rt: Runtime, file: string): Promise<{ tables: number; ms: number }> {
  const t0 = Date.now()
  const abs = path.resolve(cfg.projectDir, file)
  if (!fs.existsSync(abs) || !fs.statSync(abs).isFile()) {
    throw new UserError(`no such SQL file: ${file}`, { hint: 'usage: make data_load ARGS="--file path/to/dump.sql[.gz|.zst]"' })
  }
  return withLock(cfg, commandSummary(), async () => {
    await cleanPgDebris(cfg, rt)
    const live = rt.admin.database
    const side = tempDbName('stage')
    // the file runs as a role of its own that owns the side database and nothing else: no superuser
    // powers (COPY ... TO PROGRAM, ALTER ROLE), no other database
    const role = `${TEMP_DB_PREFIX}import_${process.pid}_${Date.now().toString(36)}`
    const password = crypto.randomBytes(18).toString('base64url')
    const drop = () => withPg(rt.admin, async (c) => {
      await dropTempDatabase(c, side)
      await c.query(`DROP ROLE IF EXISTS ${qi(role)}`)
    }, { database: null })
    const off = onInterrupt(() => drop().catch(() => undefined))
    try {
      const owner = await withPg(rt.admin, async (c) => {
        await c.query(`CREATE ROLE ${qi(role)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION PASSWORD ${ql(password)}`)
        await createSide(c, side, role)
        return sideOwner(c, live, cfg.POSTGRES_USER)
      }, { database: null })
      const src = sqlSource(abs, toolsDir(cfg, rt), rt.target)
      const psql = spawnPipe(rt.target, psqlArgv(toolsDir(cfg, rt), withRole(rt.clientArgs(), role), side, { single: true }), { env: { ...rt.clientEnv(), PGPASSWORD: password } })
      psql.stdout.resume()
      await Promise.all([pipeline(src.stream, confineFilter(), psql.stdin), psql.done, src.done])
      const tables = await withPg(rt.admin, async (c) => {
        const n = (await relations(c)).filter((r) => r.kind === 'r' || r.kind === 'p').length
        const to = owner ? qi(owner) : 'CURRENT_USER'
        await c.query(`REASSIGN OWNED BY ${qi(role)} TO ${to}`)
        await c.query(`DROP OWNED BY ${qi(role)}`)
        return n
      }, { database: side })
      await withPg(rt.admin, async (c) => {
        await c.query(`ALTER DATABASE ${qi(side)} OWNER TO ${owner ? qi(owner) : 'CURRENT_USER'}`)
        await c.query(`DROP ROLE ${qi(role)}`)
        await swapDatabases(c, { live, side, old: tempDbName('old') })
      }, { database: null })
      return { tables, ms: Date.now() - t0 }
    } finally {
      await drop().catch(() => undefined)
      off()
    }
  })
}
