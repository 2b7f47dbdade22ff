// The initialize planner: a pure function from what exists and what was asked to the steps to
// take, each with its reason. Only a provably empty database is filled on its own; a database with
// tables is replaced only when INIT_CLEAN or INIT_LOAD says so.
import { describeMarker, type Marker } from './marker.ts'

export interface InitState {
  database: string
  exists: boolean
  /** Base tables in the database (0 when it does not exist). */
  tables: number
  /** Pending built-in migrations; null when MIGRATE_COMMAND runs them (not inspectable). */
  pendingMigrations: number | null
  marker: Marker | null
  /** The _init snapshot, if any, and the seed hash it was built from. */
  init: { exists: boolean; seedHash: string | null }
  /** The hash of the current migrations + seeders. */
  seedHash: string
  /** Whether the search index exists; null when no REINDEX_COMMAND is configured. */
  indexPresent: boolean | null
  /** Fixture files are present in FIXTURES_DIR. */
  fixtures: boolean
}

export interface InitFlags { clean: boolean; load: string | null; skipSeed: boolean; skipIndex: boolean; loadFixtures: boolean }

export type Action = 'create-database' | 'clean' | 'load' | 'build-init' | 'load-init' | 'migrate' | 'fixtures' | 'reindex'
export interface Step { action: Action; reason: string; snapshot?: string }

export function planInitialize(s: InitState, f: InitFlags): Step[] {
  const steps: Step[] = []
  const db = s.database
  if (!s.exists) steps.push({ action: 'create-database', reason: `database ${db} does not exist` })
  const hasTables = s.exists && s.tables > 0
  if (f.clean) {
    steps.push({ action: 'clean', reason: hasTables
      ? `INIT_CLEAN=true: the ${s.tables} tables of ${db} are replaced (after a safety snapshot)`
      : `INIT_CLEAN=true: ${db} is already empty` })
  }
  const empty = !hasTables || f.clean
  let filled = false
  if (f.load) {
    steps.push({ action: 'load', snapshot: f.load, reason: empty
      ? `INIT_LOAD=${f.load}: load that snapshot`
      : `INIT_LOAD=${f.load}: replaces the ${s.tables} tables of ${db} (verified, atomic; after a safety snapshot)` })
    filled = true
  } else if (empty && !f.clean && s.marker && ['seeded', 'loaded'].includes(s.marker.action) && s.marker.tables === 0 && s.marker.seedHash === s.seedHash) {
    // it was filled, with nothing: an empty seed stays empty (filling again would change nothing)
  } else if (empty) {
    const why = f.clean ? 'after INIT_CLEAN' : `${db} has no tables`
    if (s.init.exists && s.init.seedHash === s.seedHash) {
      steps.push({ action: 'load-init', snapshot: '_init', reason: `${why}; _init matches the current migrations and seed` })
      filled = true
    } else if (!f.skipSeed) {
      steps.push({ action: 'build-init', reason: `${why}; _init is ${s.init.exists ? 'stale (migrations or seed changed)' : 'missing'}: seed a scratch database and store it as _init` })
      steps.push({ action: 'load-init', snapshot: '_init', reason: 'load the new _init' })
      filled = true
    }
  }
  if (filled) {
    steps.push({ action: 'migrate', reason: 'apply migrations newer than the loaded data, if any' })
  } else if (f.clean) {
    steps.push({ action: 'migrate', reason: 'apply every migration to the emptied database' })
  } else if (s.pendingMigrations === null) {
    if (!s.marker || f.clean) steps.push({ action: 'migrate', reason: 'MIGRATE_COMMAND is set and this database has not been initialized by datakeep yet' })
  } else if (s.pendingMigrations > 0) {
    steps.push({ action: 'migrate', reason: `${s.pendingMigrations} pending migration${s.pendingMigrations === 1 ? '' : 's'}` })
  }
  if (f.loadFixtures && s.fixtures) steps.push({ action: 'fixtures', reason: 'LOAD_FIXTURES=true: upsert data/fixtures/*.json' })
  if (!f.skipIndex && s.indexPresent !== null) {
    const changed = steps.some((x) => ['clean', 'load', 'load-init', 'fixtures'].includes(x.action))
    if (!s.indexPresent) steps.push({ action: 'reindex', reason: 'the search index is missing' })
    else if (changed) steps.push({ action: 'reindex', reason: 'the data changed' })
  }
  return steps
}

/** The plan as printed: one line per step with its reason, or the state when there is nothing to do. */
export function describePlan(s: InitState, steps: Step[]): string[] {
  if (steps.length === 0) {
    const what = s.marker ? describeMarker(s.marker) : 'not initialized by datakeep'
    return [`state is good: database ${s.database} has ${s.tables} tables, no pending migrations${s.indexPresent ? ', index present' : ''} (${what}); nothing to do`]
  }
  return steps.map((x, i) => `${i + 1}. ${x.action}${x.snapshot ? ` ${x.snapshot}` : ''}: ${x.reason}`)
}
