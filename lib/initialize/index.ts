// initialize: inspect what exists, print the plan with a reason per step, then do only that.
// An error while inspecting stops here: it never leads to destroying data.
import type { Config } from '../config.ts'
import type { Engine } from '../engines/types.ts'
import { UserError, failure } from '../errors.ts'
import { fixturesPresent } from '../fixtures/index.ts'
import { count, done, info, step } from '../log.ts'
import { afterDestructive } from '../safety/destructive.ts'
import { requireSnapshot } from '../snapshot/names.ts'
import type { Marker } from './marker.ts'
import { describePlan, planInitialize, type InitFlags, type InitState, type Step } from './plan.ts'
import { INIT, initSnapshot, seedHash } from './seed.ts'

export interface InitOptions { dryRun?: boolean; confirm?: string; noSafety?: boolean }

export function initFlags(cfg: Config): InitFlags {
  return { clean: cfg.INIT_CLEAN, load: cfg.INIT_LOAD || null, skipSeed: cfg.INIT_SKIP_SEED, skipIndex: cfg.INIT_SKIP_INDEX, loadFixtures: cfg.LOAD_FIXTURES }
}

/** What exists now: server, database, tables, migrations, marker, _init, index, fixtures. */
export async function inspect(cfg: Config, engine: Engine): Promise<InitState> {
  const rt = engine.runtime
  const lc = engine.lifecycle()
  const server = await rt.state()
  if (!server.running) throw failure(`the database server is not running (${server.detail})`, 'to fix: make up')
  const { exists, tables } = await lc.countTables()
  let pendingMigrations: number | null = null
  if (!cfg.MIGRATE_COMMAND) {
    const m = await lc.migrationState()
    if (m.changed.length) throw new UserError(`applied migrations were changed since they ran: ${m.changed.join(', ')}`, { hint: 'write a new migration instead of editing an applied one (make migrate_status)' })
    pendingMigrations = m.pending.length
  }
  let indexPresent: boolean | null = null
  if (cfg.REINDEX_COMMAND) {
    indexPresent = cfg.INDEX_CHECK_COMMAND ? (await lc.runHook('INDEX_CHECK_COMMAND', { nothrow: true }))?.code === 0 : false
  }
  return {
    database: rt.admin.database, exists, tables, pendingMigrations,
    marker: exists ? await lc.readMarker() : null,
    init: initSnapshot(cfg), seedHash: seedHash(cfg), indexPresent, fixtures: fixturesPresent(cfg),
  }
}

export async function initialize(cfg: Config, engine: Engine, opts: InitOptions = {}): Promise<Step[]> {
  const rt = engine.runtime
  const lc = engine.lifecycle()
  const protect = (op: { name: string; kind: 'reset' | 'replace'; command: string }) => engine.protect({ op, confirm: opts.confirm, noSafety: opts.noSafety })
  const flags = initFlags(cfg)
  if (flags.load) requireSnapshot(cfg, flags.load, 'initialize INIT_LOAD=<name>')
  // after a crash `make up` is what people run: it settles what the crashed operation left, before
  // inspecting (a swap cut short can leave the live database unreadable until then: PostgreSQL's refusing connections)
  if (!opts.dryRun) {
    const server = await rt.state()
    if (!server.running) throw failure(`the database server is not running (${server.detail})`, 'to fix: make up')
    await engine.cleanDebris()
  }
  const state = await inspect(cfg, engine)
  const steps = planInitialize(state, flags)
  const will = (a: Step['action']) => steps.some((s) => s.action === a)
  for (const line of describePlan(state, steps)) info(line)
  if (opts.dryRun || steps.length === 0) return steps
  // every snapshot the plan loads is checked whole before any safety snapshot or change
  for (const s of steps) {
    const name = s.action === 'load' ? s.snapshot! : s.action === 'load-init' && !will('build-init') ? INIT : null
    if (name) await engine.checkSnapshot(name, s.action === 'load' ? 'initialize INIT_LOAD=<name>' : 'initialize')
  }
  let marker: Omit<Marker, 'database' | 'at' | 'tables'> | null = null
  for (const s of steps) {
    step(`${s.action}${s.snapshot ? ` ${s.snapshot}` : ''}`)
    switch (s.action) {
      case 'create-database':
        await lc.createDatabase()
        marker = { action: 'created', snapshot: null, seedHash: null }
        break
      case 'clean':
        if (state.tables === 0) break
        await protect({ name: 'INIT_CLEAN', kind: 'reset', command: 'make initialize INIT_CLEAN=true' })
        // a load that follows replaces every table atomically; otherwise start from an empty database
        if (!will('load') && !will('load-init')) await lc.emptyDatabase()
        marker = { action: 'cleaned', snapshot: null, seedHash: null }
        break
      case 'load':
        if (state.tables > 0 && !will('clean')) await protect({ name: 'INIT_LOAD', kind: 'replace', command: `make initialize INIT_LOAD=${s.snapshot}` })
        await lc.load(s.snapshot!)
        marker = { action: 'loaded', snapshot: s.snapshot!, seedHash: null }
        break
      case 'build-init':
        await lc.buildInit()
        break
      case 'load-init':
        await lc.load(INIT)
        marker = { action: 'seeded', snapshot: INIT, seedHash: state.seedHash }
        break
      case 'migrate': {
        const r = await lc.migrate()
        if (!marker) marker = { action: 'migrated', snapshot: null, seedHash: null }
        if (r.applied.length) info(`applied ${r.applied.length} migration${r.applied.length === 1 ? '' : 's'}`)
        break
      }
      case 'fixtures': {
        const r = await lc.loadFixtures()
        info(`loaded ${count(r.rows, 'fixture row')} from ${count(r.files, 'file')}`)
        break
      }
      case 'reindex':
        await lc.runHook('REINDEX_COMMAND')
        break
    }
  }
  if (marker) {
    const { tables } = await lc.countTables()
    await lc.writeMarker({ ...(state.marker && marker.action === 'migrated' ? state.marker : marker), tables })
  }
  afterDestructive(cfg)
  done(`initialized ${rt.admin.database}: ${steps.map((s) => s.action).join(', ')}`)
  return steps
}
