// What an interrupted PostgreSQL run leaves: side and old databases with the tool's prefix (their
// process gone), held safety snapshots whose folder is gone, a live database left refusing connections by a swap cut short, partial folders
// (snapshots, and a physical load's copy beside the local data directory).
import type { Config } from '../../config.ts'
import { isProcessAlive } from '../../fs-util.ts'
import { warn } from '../../log.ts'
import type { Runtime } from '../../runtime/types.ts'
import { cleanDebris } from '../../snapshot/debris.ts'
import { TEMP_DB_PREFIX } from '../../snapshot/names.ts'
import { settleDataDir } from '../../snapshot/physical-swap.ts'
import { dropTempDatabase, pgQuery, qi, withPg } from './db.ts'
import { PgLocalRuntime } from './local.ts'
import { recoverPhysicalSwap } from './physical.ts'
import { recoverPgSwap } from './swap.ts'
import { dropUnheld } from './held.ts'

/** `_dk_<kind>_<pid>_<time>` names whose process is gone. */
export function deadTempDatabases(names: string[], alive = isProcessAlive): string[] {
  return names.filter((n) => {
    const m = /^_dk_[a-z]+_(\d+)_/.exec(n)
    return m !== null && !alive(Number(m[1]))
  }).sort()
}

export async function cleanPgDebris(cfg: Config, rt: Runtime): Promise<string[]> {
  // a physical load killed after its data directory swapped in: its staged files placed before they count as debris
  const physical = rt instanceof PgLocalRuntime ? recoverPhysicalSwap(rt.paths.dataDir) : null
  if (physical) warn(physical)
  let files: string[] = []
  const dbs = await withPg(rt.admin, async (c) => {
    const live = rt.admin.database
    // a swap killed between the databases and the files is finished first: it places a staged folder
    // that the engine-neutral part (folders and storage staging) would otherwise remove
    const finished = await recoverPgSwap(c, live)
    if (finished) warn(finished)
    files = await cleanDebris(cfg, null)
    // a swap killed between refusing connections and the rename leaves the live database closed
    const closed = await pgQuery(c, 'SELECT 1 FROM pg_database WHERE datname = $1 AND NOT datallowconn', [live])
    if (closed.length && !(await swapRunning(c))) {
      await c.query(`ALTER DATABASE ${qi(live)} WITH ALLOW_CONNECTIONS true`)
      warn(`database ${live} refused connections after an interrupted swap; it accepts them again`)
    }
    const rows = await pgQuery<{ name: string }>(c, 'SELECT datname AS name FROM pg_database WHERE starts_with(datname, $1)', [TEMP_DB_PREFIX])
    const dead = deadTempDatabases(rows.map((r) => r.name))
    for (const n of dead) {
      await c.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [n])
      await dropTempDatabase(c, n)
    }
    // the confined import's roles (sql-file.ts), once their databases are gone
    const roles = deadTempDatabases((await pgQuery<{ name: string }>(c, 'SELECT rolname AS name FROM pg_roles WHERE starts_with(rolname, $1)', [TEMP_DB_PREFIX])).map((r) => r.name))
    for (const r of roles) await c.query(`DROP ROLE IF EXISTS ${qi(r)}`)
    // safety snapshots held in the server whose folder is gone (pruned, deleted, or never written: held.ts)
    const unheld = await dropUnheld(cfg, c)
    return [...dead.map((n) => `database ${n}`), ...roles.map((r) => `role ${r}`), ...unheld.map((n) => `database ${n} (a held safety snapshot no folder names)`)]
  }, { database: null })
  // a physical load's copy beside the data directory (or a failed or half-deleted folder): the live one is in place
  const dirs = rt instanceof PgLocalRuntime ? settleDataDir(rt.paths.dataDir).removed : []
  for (const d of [...dbs, ...dirs]) warn(`removed debris of an interrupted run: ${d}`)
  return [...files, ...dbs, ...dirs]
}

/** Another living datakeep process holds a side database: its swap may be under way. */
async function swapRunning(c: Parameters<typeof pgQuery>[0]): Promise<boolean> {
  const rows = await pgQuery<{ name: string }>(c, 'SELECT datname AS name FROM pg_database WHERE starts_with(datname, $1)', [TEMP_DB_PREFIX])
  return rows.some((r) => { const m = /^_dk_[a-z]+_(\d+)_/.exec(r.name); return m !== null && Number(m[1]) !== process.pid && isProcessAlive(Number(m[1])) })
}
