// What a crashed run (kill -9, power loss) leaves behind: partial snapshot folders, the tool's
// staging databases, storage staging folders. The next data operation removes and reports them;
// debris of a process that is still running is left alone.
import fs from 'node:fs'
import path from 'node:path'
import { projectPath, type Config } from '../config.ts'
import { ident, query, withDb } from '../db.ts'
import { isProcessAlive } from '../fs-util.ts'
import { warn } from '../log.ts'
import type { Runtime } from '../runtime/index.ts'
import { backupRoot, SAFETY_DIR, TEMP_DB_PREFIX } from './names.ts'
import { cleanStorageDebris } from './storage.ts'

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
async function databaseDebris(rt: Runtime): Promise<string[]> {
  return withDb(rt.admin, async (db) => {
    const rows = await query<{ name: string }>(db, 'SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ?', [`${TEMP_DB_PREFIX.replace(/_/g, '\\_')}%`])
    const dead = rows.map((r) => r.name).filter((n) => {
      const m = /^_dk_[a-z]+_(\d+)_/.exec(n)
      return m !== null && !isProcessAlive(Number(m[1]))
    })
    for (const n of dead) await db.query(`DROP DATABASE IF EXISTS ${ident(n)}`)
    return dead
  }, { database: null })
}

/** Removes every leftover of a crashed run and says what it removed. */
export async function cleanDebris(cfg: Config, rt: Runtime | null): Promise<string[]> {
  const removed: string[] = []
  for (const p of snapshotDebris(cfg)) { fs.rmSync(p, { recursive: true, force: true }); removed.push(p) }
  removed.push(...cleanStorageDebris(projectPath(cfg, cfg.STORAGE_DIR)))
  if (rt) removed.push(...(await databaseDebris(rt)).map((n) => `database ${n}`))
  for (const r of removed) warn(`removed debris of an interrupted run: ${r}`)
  return removed
}
