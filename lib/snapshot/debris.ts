// What a crashed run (kill -9, power loss) leaves behind: partial snapshot folders, the tool's
// staging databases, import accounts, storage staging folders. The next data operation removes and reports them;
// debris of a process that is still running is left alone.
import fs from 'node:fs'
import path from 'node:path'
import { projectPath, type Config } from '../config.ts'
import { ident, query, withDb, type Connection, type Db } from '../db.ts'
import { isProcessAlive, removeDir } from '../fs-util.ts'
import { warn } from '../log.ts'
import type { Runtime } from '../runtime/index.ts'
import { importAccountDebris } from './import-account.ts'
import { backupRoot, SAFETY_DIR, TEMP_DB_PREFIX } from './names.ts'
import { cleanStorageDebris } from './storage.ts'
import { recoverSwap } from './swap.ts'
import { recoverGuard } from './trigger-guard.ts'

/** `<name>.partial-<pid>-<time>` and `<name>.old-<pid>-<time>` beside the snapshots. */
function snapshotDebris(cfg: Config): string[] {
  return [backupRoot(cfg), path.join(backupRoot(cfg), SAFETY_DIR)].flatMap((root) => {
    let names: string[]
    try { names = fs.readdirSync(root) } catch { return [] }
    return names.filter((n) => {
      const m = /\.(partial|old|removing)-(\d+)(-\d+)?$/.exec(n)
      return m !== null && !isProcessAlive(Number(m[2]))
    }).map((n) => path.join(root, n))
  })
}

/** `_dk_<kind>_<pid>_<time>` databases whose process is gone. */
async function databaseDebris(db: Db): Promise<string[]> {
  const rows = await query<{ name: string }>(db, 'SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ?', [`${TEMP_DB_PREFIX.replace(/_/g, '\\_')}%`])
  const dead = rows.map((r) => r.name).filter((n) => {
    const m = /^_dk_[a-z]+_(\d+)_/.exec(n)
    return m !== null && !isProcessAlive(Number(m[1]))
  }).sort() // _dk_old_ first: settling a swap may need its staging database
  for (const n of dead) {
    // an old database with a journal: the swap was cut short; the live database is made whole first
    const settled = n.startsWith(`${TEMP_DB_PREFIX}old_`) ? await recoverSwap(db, n)
      // a guard journal: triggers an interrupted load held off are put back as they were
      : n.startsWith(`${TEMP_DB_PREFIX}guard_`) ? await recoverGuard(db, n) : null
    if (settled) warn(`${settled} (database ${n})`)
    await db.query(`DROP DATABASE IF EXISTS ${ident(n)}`)
  }
  return dead
}

/**
 * Stops the tagged statements (ownerTag) whose process `stop` picks, and waits until they end:
 * INTO OUTFILE goes on writing into its snapshot folder after its client is gone or interrupted,
 * so a folder is removed only after them. Returns how many were stopped.
 */
async function stopTagged(db: Db, stop: (pid: number) => boolean): Promise<number> {
  const tagged = async () => (await query<{ id: number; info: string }>(db,
    "SELECT ID AS id, INFO AS info FROM information_schema.PROCESSLIST WHERE INFO LIKE '/* datakeep pid=%' AND ID <> CONNECTION_ID()"))
    .filter((r) => stop(Number(/^\/\* datakeep pid=(\d+)/.exec(r.info)?.[1] ?? 0)))
  const found = await tagged()
  for (const r of found) await db.query(`KILL QUERY ${Number(r.id)}`).catch(() => undefined) // ended meanwhile
  const ids = new Set(found.map((r) => r.id))
  for (let i = 0; i < 200 && (await tagged()).some((r) => ids.has(r.id)); i++) await new Promise((r) => setTimeout(r, 50))
  return found.length
}

/** The statements of dead runs (kill -9, power loss). */
const stopOrphanQueries = (db: Db) => stopTagged(db, (pid) => pid !== process.pid && !isProcessAlive(pid))

/** This process's own, when it is interrupted in the middle of a dump: before its partial folder goes. */
export async function stopOwnStatements(conn: Connection): Promise<void> {
  await withDb(conn, (db) => stopTagged(db, (pid) => pid === process.pid), { database: null })
}

/**
 * A crash between the two renames of a replace (`--force`) leaves the snapshot only as
 * `<name>.old-*`: that is put back rather than removed. Returns the debris still to remove.
 */
function putBackReplaced(debris: string[]): string[] {
  const back = new Set<string>()
  const time = (p: string) => Number(/-(\d+)$/.exec(p)?.[1] ?? 0)
  for (const p of [...debris].sort((a, b) => time(b) - time(a))) { // the newest first
    const m = /^(.*)\.old-\d+-\d+$/.exec(p)
    if (!m || fs.existsSync(m[1]) || !fs.existsSync(path.join(p, 'manifest.json'))) continue
    fs.renameSync(p, m[1])
    warn(`put back snapshot ${m[1]}: an interrupted replace had moved it aside`)
    back.add(p)
  }
  return debris.filter((p) => !back.has(p))
}

/** Removes every leftover of a crashed run and says what it removed. */
export async function cleanDebris(cfg: Config, rt: Runtime | null): Promise<string[]> {
  const files = async () => {
    const out: string[] = []
    for (const p of putBackReplaced(snapshotDebris(cfg))) { removeDir(p); out.push(p) }
    return [...out, ...cleanStorageDebris(projectPath(cfg, cfg.STORAGE_DIR))]
  }
  const removed = rt ? await withDb(rt.admin, async (db) => {
    // the statements first: they may still be writing into the folders
    const stopped = await stopOrphanQueries(db)
    if (stopped) warn(`stopped ${stopped} statement${stopped === 1 ? '' : 's'} an interrupted run left running on the server`)
    // an interrupted swap is settled before the storage debris goes: it may put a staged folder in place
    const databases = (await databaseDebris(db)).map((n) => `database ${n}`)
    return [...await files(), ...databases, ...(await importAccountDebris(db)).map((u) => `import account ${u}`)]
  }, { database: null }) : await files()
  for (const r of removed) warn(`removed debris of an interrupted run: ${r}`)
  return removed
}
