// initialize's steps on MariaDB/MySQL: an adapter over the modules that implement them
// (lib/initialize/marker.ts and seed.ts, lib/migrate/, lib/fixtures/, lib/hooks.ts).
import type { Config } from '../../config.ts'
import { databaseExists, ident, query, withDb } from '../../db.ts'
import { loadFixtures } from '../../fixtures/index.ts'
import { runHook } from '../../hooks.ts'
import { readMarker, writeMarker } from '../../initialize/marker.ts'
import { buildInit } from '../../initialize/seed.ts'
import { migrate, migrationState, rollback } from '../../migrate/index.ts'
import type { Runtime } from '../../runtime/types.ts'
import { loadSnapshot } from '../../snapshot/load.ts'
import { ensureDatabase } from '../../stack.ts'
import type { Lifecycle } from '../types.ts'

export function mariadbLifecycle(cfg: Config, rt: Runtime): Lifecycle {
  return {
    countTables: () => withDb(rt.admin, async (db) => {
      const name = rt.admin.database
      if (!(await databaseExists(db, name))) return { exists: false, tables: 0 }
      const [r] = await query<{ n: string }>(db, "SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE <> 'VIEW'", [name])
      return { exists: true, tables: Number(r.n) }
    }, { database: null }),
    migrationState: () => migrationState(cfg, rt),
    migrate: () => migrate(cfg, rt),
    rollback: (steps, opts) => rollback(cfg, rt, steps, opts),
    readMarker: () => readMarker(rt),
    writeMarker: (m) => writeMarker(rt, m),
    async createDatabase() { await ensureDatabase(rt) },
    async emptyDatabase() {
      await withDb(rt.admin, async (db) => {
        await db.query(`DROP DATABASE ${ident(rt.admin.database)}`)
        await db.query(`CREATE DATABASE ${ident(rt.admin.database)}`)
      }, { database: null })
    },
    buildInit: () => buildInit(cfg, rt),
    load: (name) => loadSnapshot(cfg, rt, name),
    async loadFixtures() { const r = await loadFixtures(cfg, rt); return { rows: r.rows, files: r.files } },
    async runHook(key, opts) { const r = await runHook(cfg, rt, key, opts); return r ? { code: r.code ?? 0 } : null },
  }
}
