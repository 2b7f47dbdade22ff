// Plain SQL files, the way seeds 003 and 004 back up and restore: `data_dump --format sql` writes one
// file `mysql db < file` restores; `data_load --file` imports such a file through staging and swap,
// as an account confined to the staging database (import-account.ts).
import fs from 'node:fs'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import zlib from 'node:zlib'
import type { Config } from '../config.ts'
import { ident, withDb } from '../db.ts'
import { UserError, failure, onInterrupt } from '../errors.ts'
import { run, spawnPipe, type Pipe } from '../run.ts'
import type { Runtime } from '../runtime/index.ts'
import { cleanDebris } from './debris.ts'
import { createImportAccount, dropImportAccount, type ImportAccount } from './import-account.ts'
import { tempDbName } from './load.ts'
import { backupRoot, checkName } from './names.ts'
import { withBackupUmask } from './private.ts'
import { dropPostData, readSchema } from './schema.ts'
import { definerFilter, importFilter, sqlSource, type SqlFilePlan } from './sql-import.ts'
import { swapIn } from './swap.ts'

/** mariadb-dump argv for a complete single-file dump of one database (password in MYSQL_PWD). */
export function sqlDumpArgv(clientArgs: string[], database: string): string[] {
  return ['mariadb-dump', ...clientArgs, '--single-transaction', '--routines', '--events', '--triggers',
    '--hex-blob', '--default-character-set=utf8mb4', '--add-drop-table', '--skip-dump-date', '--max-allowed-packet=256M', database]
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
      ? pipeline(dump.stdout, definerFilter(), zlib.createGzip({ level: 6 }), out)
      : pipeline(dump.stdout, definerFilter(), out)
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

/** The import client: the confined account (password in MYSQL_PWD), no local files, no shell escapes. */
export function importClientArgv(clientArgs: string[], user: string, stage: string, sandbox: boolean): string[] {
  return ['mariadb', ...clientArgs.filter((a) => !a.startsWith('--user=')), `--user=${user}`, '--binary-mode', '--local-infile=0',
    ...(sandbox ? ['--sandbox'] : []), '--max-allowed-packet=256M', stage]
}

/** The client's own error (ERROR 1044 (42000) at line 3: ...) as one line: file, line, the server's message. */
export function importError(file: string, e: unknown, user: string): UserError {
  const msg = (e as Error)?.message ?? String(e)
  const m = /ERROR (\d+) \(\w+\)(?: at line (\d+))?: (.*?)(?: \| |$)/.exec(msg)
  const what = m ? `${m[2] ? `line ${m[2]}: ` : ''}${m[3].split(user).join('<import account>')} (error ${m[1]})` : msg
  // access denied (database, table, global privilege, GRANT): the confinement said no
  const refused = m !== null && [1044, 1142, 1143, 1227, 1410, 1419].includes(Number(m[1]))
  return failure(`importing ${file} failed at ${what}; nothing was changed`, refused
    ? 'the import runs as an account confined to its staging database: a statement reaching another database, accounts or the server is refused; remove it from the file and load it again'
    : 'fix the statement at that line of the file and load it again')
}

/**
 * Imports a checked plain SQL dump (checkSqlFile) into a staging database, as an account the
 * server confines to it, then swaps it in like a snapshot load.
 */
export async function importSqlFile(cfg: Config, rt: Runtime, plan: SqlFilePlan): Promise<{ tables: number; ms: number }> {
  const t0 = Date.now()
  await cleanDebris(cfg, rt)
  const stage = tempDbName('stage')
  let account: ImportAccount | null = null
  let client: Pipe | null = null
  const drop = async () => {
    client?.kill()
    await withDb(rt.admin, async (d) => {
      if (account) await dropImportAccount(d, account.user)
      await d.query(`DROP DATABASE IF EXISTS ${ident(stage)}`)
    }, { database: null })
  }
  const off = onInterrupt(drop)
  try {
    return await withDb(rt.admin, async (db) => {
      await db.query(`CREATE DATABASE ${ident(stage)}`)
      account = await createImportAccount(db, stage)
      const src = sqlSource(plan.abs, plan.file)
      client = spawnPipe(rt.target, importClientArgv(rt.clientArgs(), account.user, stage, await clientHasSandbox(rt)), { env: { MYSQL_PWD: account.password } })
      client.stdout.resume()
      const [fed, ran, read] = await Promise.allSettled([pipeline(src.stream, importFilter(plan.database, stage), client.stdin), client.done, src.done])
      // the client's own error first: a write into a client that gave up is only its echo (EPIPE)
      if (ran.status === 'rejected') throw importError(plan.file, ran.reason, account.user)
      if (read.status === 'rejected') throw read.reason
      if (fed.status === 'rejected') throw fed.reason
      // gone before its objects are read: none may keep it as their definer
      await dropImportAccount(db, account.user)
      const schema = await readSchema(db, stage)
      for (const o of [...schema.views, ...schema.routines, ...schema.triggers, ...schema.events]) {
        if (o.definer?.includes(account.user)) delete o.definer
      }
      account = null
      await dropPostData(db, stage)
      await swapIn(db, { live: rt.admin.database, stage, oldDb: tempDbName('old'), post: schema, charset: schema.database.charset, collation: schema.database.collation })
      return { tables: schema.tables.length, ms: Date.now() - t0 }
    }, { database: null })
  } finally {
    await drop().catch(() => undefined)
    off()
  }
}

let sandbox: boolean | undefined
/** --sandbox (no \\! shell, no source/tee files) where the client knows it (MariaDB 10.5.25, 10.6.18, 10.11.8, 11.x). */
async function clientHasSandbox(rt: Runtime): Promise<boolean> {
  sandbox ??= (await run(rt.target, ['mariadb', '--help'], { nothrow: true })).stdout.includes('--sandbox')
  return sandbox
}
