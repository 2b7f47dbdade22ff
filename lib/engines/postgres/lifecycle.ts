// initialize's steps on PostgreSQL (lib/initialize/ drives them through the seam): the marker in
// database _datakeep, the application database created, emptied and migrated, seeders (.sql through
// psql, .ts with a `pg` client, or SEED_COMMAND) run in a scratch database that becomes the snapshot
// _init; the *_COMMAND hooks with PostgreSQL's connection in their environment (hooks.ts).
import fs from 'node:fs'
import path from 'node:path'
import { projectPath, type Config } from '../../config.ts'
import { failure, onInterrupt } from '../../errors.ts'
import { info, step } from '../../log.ts'
import type { Marker } from '../../initialize/marker.ts'
import { importSeeder, INIT, seedFiles, seedHash } from '../../initialize/seed.ts'
import type { Runtime } from '../../runtime/types.ts'
import { TEMP_DB_PREFIX } from '../../snapshot/names.ts'
import type { Lifecycle } from '../types.ts'
import { dropTempDatabase, pgDatabaseExists, pgQuery, qi, withPg, type PgClient } from './db.ts'
import { pgDumpSnapshot } from './dump.ts'
import { pgLoadFixtures } from './fixtures-load.ts'
import { relations } from './inspect.ts'
import { pgLoadSnapshot } from './load.ts'
import { runPgHook } from './hooks.ts'
import { pgMigrate, pgMigrationState, pgRollback } from './migrate.ts'
import { psqlArgv, runClient, toolsDir } from './tools.ts'

const MARKER_DB = '_datakeep'

/** The same database seen under another name (a scratch database). */
function forDatabase(rt: Runtime, database: string): Runtime {
  const view = Object.create(rt) as Runtime
  Object.defineProperty(view, 'admin', { value: { ...rt.admin, database }, enumerable: true })
  return view
}

export function pgLifecycle(cfg: Config, rt: Runtime): Lifecycle {
  const database = rt.admin.database
  // the application role owns the database and what is in it (where it exists: on external, the URL's user)
  const owner = async (c: PgClient) => (await pgQuery(c, 'SELECT 1 FROM pg_roles WHERE rolname = $1', [cfg.POSTGRES_USER])).length ? cfg.POSTGRES_USER : null
  const create = async (c: PgClient, name: string) => {
    const o = await owner(c)
    await c.query(`CREATE DATABASE ${qi(name)}${o ? ` OWNER ${qi(o)}` : ''}`)
  }
  const lc: Lifecycle = {
    async countTables() {
      return withPg(rt.admin, async (c) => {
        if (!(await pgDatabaseExists(c, database))) return { exists: false, tables: 0 }
        const n = await withPg(rt.admin, async (d) => (await relations(d)).filter((r) => r.kind === 'r' || r.kind === 'p').length, { database })
        return { exists: true, tables: n }
      }, { database: null })
    },
    migrationState: () => pgMigrationState(cfg, rt),
    migrate: () => pgMigrate(cfg, rt),
    rollback: (steps, opts) => pgRollback(cfg, rt, steps, opts),
    async readMarker() {
      return withPg(rt.admin, async (c) => {
        if (!(await pgDatabaseExists(c, MARKER_DB))) return null
        return withPg(rt.admin, async (m) => {
          if (!(await pgQuery(m, "SELECT 1 FROM pg_tables WHERE schemaname = 'public' AND tablename = 'marker'")).length) return null
          const [r] = await pgQuery<{ db: string; action: Marker['action']; snapshot: string | null; seed_hash: string | null; tables: number; at: string }>(m,
            `SELECT db, action, snapshot, seed_hash, tables, to_char(at, 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS at FROM marker WHERE db = $1`, [database])
          return r ? { database: r.db, action: r.action, snapshot: r.snapshot, seedHash: r.seed_hash, tables: Number(r.tables), at: r.at } : null
        }, { database: MARKER_DB })
      }, { database: null })
    },
    async writeMarker(m) {
      await withPg(rt.admin, async (c) => { if (!(await pgDatabaseExists(c, MARKER_DB))) await c.query(`CREATE DATABASE ${qi(MARKER_DB)}`) }, { database: null })
      await withPg(rt.admin, async (c) => {
        await c.query(`CREATE TABLE IF NOT EXISTS marker (db varchar(64) PRIMARY KEY, action varchar(16) NOT NULL, snapshot varchar(128) NULL,
          seed_hash char(64) NULL, tables integer NOT NULL, at timestamp NOT NULL)`)
        await c.query(`INSERT INTO marker (db, action, snapshot, seed_hash, tables, at) VALUES ($1, $2, $3, $4, $5, now() AT TIME ZONE 'UTC')
          ON CONFLICT (db) DO UPDATE SET action = EXCLUDED.action, snapshot = EXCLUDED.snapshot, seed_hash = EXCLUDED.seed_hash, tables = EXCLUDED.tables, at = EXCLUDED.at`,
        [database, m.action, m.snapshot, m.seedHash, m.tables])
      }, { database: MARKER_DB })
    },
    async createDatabase() { await withPg(rt.admin, (c) => create(c, database), { database: null }) },
    async emptyDatabase() {
      // the caller took the safety snapshot; the database comes back empty with the same owner
      await withPg(rt.admin, async (c) => {
        const [r] = await pgQuery<{ owner: string }>(c, 'SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = $1', [database])
        await c.query(`DROP DATABASE ${qi(database)} WITH (FORCE)`)
        await c.query(`CREATE DATABASE ${qi(database)} OWNER ${qi(r.owner)}`)
      }, { database: null })
    },
    async buildInit() {
      const scratch = `${TEMP_DB_PREFIX}scratch_${process.pid}_${Date.now().toString(36)}`
      const drop = () => withPg(rt.admin, (c) => dropTempDatabase(c, scratch), { database: null })
      const off = onInterrupt(drop)
      try {
        await withPg(rt.admin, (c) => create(c, scratch), { database: null })
        const sr = forDatabase(rt, scratch)
        await pgMigrate(cfg, sr)
        const n = await runSeeders(cfg, sr)
        step(`seeded a scratch database with ${n} seeder${n === 1 ? '' : 's'}; storing it as ${INIT}`)
        await pgDumpSnapshot(cfg, sr, { name: INIT, reservedOk: true, force: true, storageDir: path.join(projectPath(cfg, cfg.SEED_DIR), 'storage'), seedHash: seedHash(cfg) })
      } finally {
        await drop().catch(() => undefined)
        off()
      }
    },
    load: (name) => pgLoadSnapshot(cfg, rt, name),
    async loadFixtures() { const r = await pgLoadFixtures(cfg, rt); return { rows: r.rows, files: r.files } },
    runHook: (key, opts) => runPgHook(cfg, rt, key, opts),
  }
  return lc
}

/**
 * Each seeder against `rt`'s database (the scratch one), acting as its owner: .sql through psql in one
 * transaction, .ts with a `pg` client; or SEED_COMMAND with the connection in its environment.
 */
export async function runSeeders(cfg: Config, rt: Runtime): Promise<number> {
  if (cfg.SEED_COMMAND) { await runPgHook(cfg, rt, 'SEED_COMMAND'); return 1 }
  const files = seedFiles(cfg)
  const database = rt.admin.database
  const ownerOf = (c: PgClient) => pgQuery<{ o: string }>(c, 'SELECT pg_get_userbyid(datdba) AS o FROM pg_database WHERE datname = current_database()').then((r) => r[0].o)
  const owner = await withPg(rt.admin, ownerOf, { database })
  for (const file of files) {
    step(`seed ${path.basename(file)}`)
    if (file.endsWith('.sql')) {
      await runClient(rt, psqlArgv(toolsDir(cfg, rt), rt.clientArgs(), database, { single: true }), { input: `SET ROLE ${qi(owner)};\n${fs.readFileSync(file, 'utf8')}` })
        .catch((e) => { throw failure(`seed ${path.basename(file)} failed: ${(e as Error).message}`) })
      continue
    }
    const seeder = await importSeeder<PgClient>(file)
    if (!seeder) throw failure(`seed ${path.basename(file)} has no default export (export default async ({ db, log }) => { ... })`)
    await withPg(rt.admin, async (c) => {
      await c.query(`SET ROLE ${qi(owner)}`)
      try { await seeder({ db: c, log: info }) } catch (e) { throw failure(`seed ${path.basename(file)} failed: ${(e as Error).message}`) }
    }, { database })
  }
  return files.length
}
