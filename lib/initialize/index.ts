// initialize: inspect what exists, print the plan with a reason per step, then do only that.
// An error while inspecting stops here: it never leads to destroying data.
import type { Config } from '../config.ts'
import { databaseExists, ident, query, withDb } from '../db.ts'
import { UserError, failure } from '../errors.ts'
import { fixturesPresent, loadFixtures } from '../fixtures/index.ts'
import { runHook } from '../hooks.ts'
import { done, info, step } from '../log.ts'
import { migrate, migrationState } from '../migrate/index.ts'
import type { Runtime } from '../runtime/index.ts'
import { afterDestructive, beforeDestructive } from '../safety/destructive.ts'
import { checkSnapshotInput } from '../safety/preflight.ts'
import { cleanDebris } from '../snapshot/debris.ts'
import { loadSnapshot } from '../snapshot/load.ts'
import { requireSnapshot } from '../snapshot/names.ts'
import { ensureDatabase } from '../stack.ts'
import { readMarker, writeMarker, type Marker } from './marker.ts'
import { describePlan, planInitialize, type InitFlags, type InitState, type Step } from './plan.ts'
import { buildInit, INIT, initSnapshot, seedHash } from './seed.ts'

export interface InitOptions { dryRun?: boolean; confirm?: string; noSafety?: boolean }

export function initFlags(cfg: Config): InitFlags {
  return { clean: cfg.INIT_CLEAN, load: cfg.INIT_LOAD || null, skipSeed: cfg.INIT_SKIP_SEED, skipIndex: cfg.INIT_SKIP_INDEX, loadFixtures: cfg.LOAD_FIXTURES }
}

async function countTables(rt: Runtime): Promise<{ exists: boolean; tables: number }> {
  return withDb(rt.admin, async (db) => {
    const name = rt.admin.database
    if (!(await databaseExists(db, name))) return { exists: false, tables: 0 }
    const [r] = await query<{ n: string }>(db, "SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE <> 'VIEW'", [name])
    return { exists: true, tables: Number(r.n) }
  }, { database: null })
}

/** What exists now: server, database, tables, migrations, marker, _init, index, fixtures. */
export async function inspect(cfg: Config, rt: Runtime): Promise<InitState> {
  const server = await rt.state()
  if (!server.running) throw failure(`the database server is not running (${server.detail})`, 'to fix: make up')
  const { exists, tables } = await countTables(rt)
  let pendingMigrations: number | null = null
  if (!cfg.MIGRATE_COMMAND) {
    const m = await migrationState(cfg, rt)
    if (m.changed.length) throw new UserError(`applied migrations were changed since they ran: ${m.changed.join(', ')}`, { hint: 'write a new migration instead of editing an applied one (make migrate_status)' })
    pendingMigrations = m.pending.length
  }
  let indexPresent: boolean | null = null
  if (cfg.REINDEX_COMMAND) {
    indexPresent = cfg.INDEX_CHECK_COMMAND ? (await runHook(cfg, rt, 'INDEX_CHECK_COMMAND', { nothrow: true }))?.code === 0 : false
  }
  return {
    database: rt.admin.database, exists, tables, pendingMigrations,
    marker: exists ? await readMarker(rt) : null,
    init: initSnapshot(cfg), seedHash: seedHash(cfg), indexPresent, fixtures: fixturesPresent(cfg),
  }
}

export async function initialize(cfg: Config, rt: Runtime, opts: InitOptions = {}): Promise<Step[]> {
  const flags = initFlags(cfg)
  if (flags.load) requireSnapshot(cfg, flags.load, 'initialize INIT_LOAD=<name>')
  const state = await inspect(cfg, rt)
  // after a crash `make up` is what people run: it settles what the crashed operation left
  if (!opts.dryRun) await cleanDebris(cfg, rt)
  const steps = planInitialize(state, flags)
  const will = (a: Step['action']) => steps.some((s) => s.action === a)
  for (const line of describePlan(state, steps)) info(line)
  if (opts.dryRun || steps.length === 0) return steps
  // every snapshot the plan loads is checked whole before any safety snapshot or change
  for (const s of steps) {
    const name = s.action === 'load' ? s.snapshot! : s.action === 'load-init' && !will('build-init') ? INIT : null
    if (name) await checkSnapshotInput(cfg, name, s.action === 'load' ? 'initialize INIT_LOAD=<name>' : 'initialize')
  }
  let marker: Omit<Marker, 'database' | 'at' | 'tables'> | null = null
  for (const s of steps) {
    step(`${s.action}${s.snapshot ? ` ${s.snapshot}` : ''}`)
    switch (s.action) {
      case 'create-database':
        await ensureDatabase(rt)
        marker = { action: 'created', snapshot: null, seedHash: null }
        break
      case 'clean':
        if (state.tables === 0) break
        await beforeDestructive(cfg, rt, { name: 'INIT_CLEAN', kind: 'reset', command: 'make initialize INIT_CLEAN=true' }, opts)
        // a load that follows replaces every table atomically; otherwise start from an empty database
        if (!will('load') && !will('load-init')) {
          await withDb(rt.admin, async (db) => {
            await db.query(`DROP DATABASE ${ident(rt.admin.database)}`)
            await db.query(`CREATE DATABASE ${ident(rt.admin.database)}`)
          }, { database: null })
        }
        marker = { action: 'cleaned', snapshot: null, seedHash: null }
        break
      case 'load':
        if (state.tables > 0 && !will('clean')) await beforeDestructive(cfg, rt, { name: 'INIT_LOAD', kind: 'replace', command: `make initialize INIT_LOAD=${s.snapshot}` }, opts)
        await loadSnapshot(cfg, rt, s.snapshot!)
        marker = { action: 'loaded', snapshot: s.snapshot!, seedHash: null }
        break
      case 'build-init':
        await buildInit(cfg, rt)
        break
      case 'load-init':
        await loadSnapshot(cfg, rt, INIT)
        marker = { action: 'seeded', snapshot: INIT, seedHash: state.seedHash }
        break
      case 'migrate': {
        const r = await migrate(cfg, rt)
        if (!marker) marker = { action: 'migrated', snapshot: null, seedHash: null }
        if (r.applied.length) info(`applied ${r.applied.length} migration${r.applied.length === 1 ? '' : 's'}`)
        break
      }
      case 'fixtures': {
        const r = await loadFixtures(cfg, rt)
        info(`loaded ${r.rows} fixture rows from ${r.files} files`)
        break
      }
      case 'reindex':
        await runHook(cfg, rt, 'REINDEX_COMMAND')
        break
    }
  }
  if (marker) {
    const { tables } = await countTables(rt)
    await writeMarker(rt, { ...(state.marker && marker.action === 'migrated' ? state.marker : marker), tables })
  }
  afterDestructive(cfg)
  done(`initialized ${rt.admin.database}: ${steps.map((s) => s.action).join(', ')}`)
  return steps
}
