// Applying and rolling back migrations: check everything first (changed files, sections, down
// sections), then run each migration in its own transaction and record it in schema_migrations.
// MariaDB/MySQL commit DDL at once, so a failed migration can leave its earlier statements behind;
// it is never recorded, and the error names the file, the statement and what stayed.
import path from 'node:path'
import type { Config } from '../config.ts'
import { databaseExists, ident, withDb, type Db } from '../db.ts'
import { engineName } from '../engines/name.ts'
import { UserError, failure } from '../errors.ts'
import { runHook } from '../hooks.ts'
import { step } from '../log.ts'
import type { Runtime } from '../runtime/index.ts'
import { compareVersions, listMigrations, migrationsDir, type MigrationFile } from './files.ts'
import { baselinePresent, baselineTables } from './baseline.ts'
import { commitsImplicitly, parseMigration, type Section } from './parse.ts'
import { ensureTable, fillInUnverified, forgetApplied, readApplied, recordApplied, withMigrationLock, type AppliedRow } from './table.ts'

export interface MigrationState {
  applied: { version: string; name: string; checksum: string | null; appliedAt: string | null }[]
  pending: { version: string; name: string; file: string }[]
  /** File names (`<version>_<name>.sql`) of applied migrations whose file changed since. */
  changed: string[]
  /** Applied migrations with no file here (named as their file would be). */
  missing: string[]
  latestFileVersion: string | null
}

export interface MigrateResult {
  /** File names applied by the built-in runner, in order (empty when MIGRATE_COMMAND ran). */
  applied: string[]
  missing: string[]
  /** True when MIGRATE_COMMAND ran instead of the built-in runner. */
  delegated: boolean
  /** Baselines recorded as applied without running: the database already had their tables (baseline.ts). */
  adopted?: string[]
}

const recordedBase = (r: { version: string; name: string | null }) => (r.name ? `${r.version}_${r.name}.sql` : r.version)

/** What is applied, pending, changed and missing: files against recorded rows (pure). */
export function compareState(files: MigrationFile[], rows: AppliedRow[]): MigrationState {
  const byVersion = new Map(files.map((f) => [f.version, f]))
  const sorted = [...rows].sort((a, b) => compareVersions(a.version, b.version))
  const recorded = new Set(rows.map((r) => r.version))
  return {
    applied: sorted.map((r) => ({ version: r.version, name: r.name ?? byVersion.get(r.version)?.name ?? '', checksum: r.checksum, appliedAt: r.appliedAt })),
    pending: files.filter((f) => !recorded.has(f.version)).map((f) => ({ version: f.version, name: f.name, file: f.file })),
    // a row without a checksum (written by dbmate) is not verified until migrate fills it in
    changed: sorted.filter((r) => { const f = byVersion.get(r.version); return f && r.checksum && r.checksum !== f.checksum })
      .map((r) => byVersion.get(r.version)!.base),
    missing: sorted.filter((r) => !byVersion.has(r.version)).map(recordedBase),
    latestFileVersion: files.length ? files[files.length - 1].version : null,
  }
}

/** The state of the application database; a missing database or table counts as nothing applied. */
export async function migrationState(cfg: Config, rt: Runtime): Promise<MigrationState> {
  const files = listMigrations(migrationsDir(cfg), engineName(cfg))
  const rows = await withDb(rt.admin, (db) => readApplied(db, rt.admin.database), { database: null })
  return compareState(files, rows)
}

/**
 * Versions recorded in `database`'s schema_migrations that have no file here: a snapshot made by
 * newer code than this checkout (data_load warns or refuses).
 */
export async function unknownVersions(cfg: Config, rt: Runtime, database: string): Promise<string[]> {
  const known = new Set(listMigrations(migrationsDir(cfg), engineName(cfg)).map((f) => f.version))
  const rows = await withDb(rt.admin, (db) => readApplied(db, database), { database: null })
  return rows.map((r) => r.version).filter((v) => !known.has(v)).sort(compareVersions)
}

/**
 * Throws when `database` (a staged load) records migrations this checkout has no file for: loading
 * it would put a newer schema under older code. Nothing to check when MIGRATE_COMMAND runs them.
 */
export async function refuseNewerSchema(cfg: Config, rt: Runtime, database: string): Promise<void> {
  if (cfg.MIGRATE_COMMAND) return
  const unknown = await unknownVersions(cfg, rt, database)
  if (unknown.length === 0) return
  throw new UserError(`the data was migrated by newer code: migration${unknown.length === 1 ? '' : 's'} ${unknown.join(', ')} ${unknown.length === 1 ? 'is' : 'are'} applied in it but ${unknown.length === 1 ? 'has' : 'have'} no file in ${cfg.MIGRATIONS_DIR}`, {
    hint: 'to fix: update this checkout to the code that has them (git pull), then load again',
  })
}

/** Applies every pending migration in version order, or runs MIGRATE_COMMAND when it is set. */
export async function migrate(cfg: Config, rt: Runtime): Promise<MigrateResult> {
  if (cfg.MIGRATE_COMMAND) {
    await runHook(cfg, rt, 'MIGRATE_COMMAND')
    return { applied: [], missing: [], delegated: true }
  }
  const files = listMigrations(migrationsDir(cfg), engineName(cfg))
  return inDatabase(rt, async (db, database) => {
    const rows = await readApplied(db, database)
    const state = compareState(files, rows)
    if (state.changed.length) throw changedError(cfg, state.changed)
    const pendingSet = new Set(state.pending.map((p) => p.version))
    // parse every pending file before running any: a malformed one stops the run before it starts
    const plan = files.filter((f) => pendingSet.has(f.version)).map((f) => ({ f, up: parseMigration(f.text, f.base).up }))
    const empty = plan.find((p) => p.up.statements.length === 0)
    if (empty) {
      throw new UserError(`migration ${empty.f.base} has an empty up section`, { hint: `write its statements (or delete ${relative(cfg, empty.f.file)}), then: make migrate` })
    }
    const unverified = files.filter((f) => rows.some((r) => r.version === f.version && r.checksum === null))
    if (plan.length || unverified.length) await ensureTable(db, database)
    for (const f of unverified) await fillInUnverified(db, database, f)
    const applied: string[] = []
    const adopted: string[] = []
    for (const { f, up } of plan) {
      const baseline = baselineTables(f.text)
      if (baseline && await baselinePresent(db, database, baseline)) {
        step(`recording ${f.base} as applied: database ${database} already has its ${baseline.length} tables`)
        await recordApplied(db, database, f)
        adopted.push(f.base)
        continue
      }
      step(`migrating ${f.base}`)
      await runSection(db, f, 'up', up, () => recordApplied(db, database, f))
      applied.push(f.base)
    }
    return { applied, missing: state.missing, delegated: false, ...(adopted.length ? { adopted } : {}) }
  })
}

/**
 * Runs the down sections of the `steps` newest applied migrations, newest first. `beforeRun` (the
 * safety snapshot) runs once every migration in the plan has passed its checks.
 */
export async function rollback(cfg: Config, rt: Runtime, steps: number,
  opts: { beforeRun?: (plan: string[]) => Promise<void> } = {}): Promise<{ rolledBack: string[] }> {
  if (cfg.MIGRATE_COMMAND) {
    throw new UserError('MIGRATE_COMMAND is set, so migrations are not datakeep\'s to roll back', { hint: 'roll back with your framework\'s own command' })
  }
  return inDatabase(rt, async (db, database) => {
    const plan = planRollback(cfg, await readApplied(db, database), steps, database)
    // every check passed: only now the caller's safety snapshot, so a refusal costs nothing
    await opts.beforeRun?.(plan.map((p) => p.f.base))
    const rolledBack: string[] = []
    for (const { f, down } of plan) {
      step(`rolling back ${f.base}`)
      await runSection(db, f, 'down', down, () => forgetApplied(db, database, f.version))
      rolledBack.push(f.base)
    }
    return { rolledBack }
  })
}

/**
 * The `steps` newest applied migrations with their down sections, newest first (every engine); a
 * missing file, a changed one or one without a down section refuses before anything runs.
 */
export function planRollback(cfg: Config, applied: AppliedRow[], steps: number, database: string): { f: MigrationFile; down: Section }[] {
  if (!Number.isInteger(steps) || steps < 1) throw new UserError(`--steps must be a whole number of at least 1 (got ${steps})`, { hint: 'usage: make rollback [ARGS="--steps N"]' })
  const byVersion = new Map(listMigrations(migrationsDir(cfg), engineName(cfg)).map((f) => [f.version, f]))
  const rows = [...applied].sort((a, b) => compareVersions(b.version, a.version))
  if (rows.length === 0) throw new UserError(`no migration is applied to database ${database}; nothing to roll back`, { hint: 'see: make migrate_status' })
  if (steps > rows.length) {
    throw new UserError(`only ${rows.length} migration${rows.length === 1 ? ' is' : 's are'} applied; cannot roll back ${steps}`, { hint: `to roll back all: make rollback ARGS="--steps ${rows.length}"` })
  }
  return rows.slice(0, steps).map((r) => {
    const f = byVersion.get(r.version)
    if (!f) throw new UserError(`migration ${recordedBase(r)} cannot be rolled back: its file is missing`, { hint: `to fix: restore it into ${cfg.MIGRATIONS_DIR} (from version control) and run make rollback again` })
    if (r.checksum && r.checksum !== f.checksum) throw changedError(cfg, [f.base])
    const down = parseMigration(f.text, f.base).down
    if (!down || down.statements.length === 0) {
      throw new UserError(`migration ${f.base} has no down section; it cannot be rolled back`, { hint: `to undo it, write a new migration that reverses it: make migration NAME=revert_${f.name}` })
    }
    return { f, down }
  })
}

/** A connection in the application database, under the migration lock. */
async function inDatabase<T>(rt: Runtime, fn: (db: Db, database: string) => Promise<T>): Promise<T> {
  const database = rt.admin.database
  return withDb(rt.admin, async (db) => {
    if (!(await databaseExists(db, database))) throw failure(`database ${database} does not exist`, 'to fix: make initialize')
    await db.query(`USE ${ident(database)}`)
    return withMigrationLock(db, database, () => fn(db, database))
  }, { database: null })
}

/**
 * One section's statements, then `record`, in a transaction unless the section says
 * transaction:false. autocommit=0 rather than START TRANSACTION: after a DDL statement's implicit
 * commit a new transaction begins at once, so what follows the last DDL still rolls back together.
 */
async function runSection(db: Db, f: MigrationFile, which: 'up' | 'down', section: Section, record: () => Promise<void>): Promise<void> {
  if (section.transaction) await db.query('SET autocommit = 0')
  try {
    for (const [i, s] of section.statements.entries()) {
      try { await db.query(s.sql) } catch (e) { throw statementError(f, which, section, i, e as Error) }
    }
    await record()
    if (section.transaction) await db.query('COMMIT')
  } catch (e) {
    if (section.transaction) await db.query('ROLLBACK').catch(() => undefined)
    throw e
  } finally {
    if (section.transaction) await db.query('SET autocommit = 1').catch(() => undefined)
  }
}

/**
 * How many of the statements before the failed one may have stayed: all of them without a
 * transaction; with one, those up to the last that commits on its own (a failing DDL statement
 * commits what came before it, too).
 */
export function statementsKept(section: Section, failedIndex: number): number {
  if (!section.transaction || commitsImplicitly(section.statements[failedIndex].sql)) return failedIndex
  for (let i = failedIndex - 1; i >= 0; i--) if (commitsImplicitly(section.statements[i].sql)) return i + 1
  return 0
}

function statementError(f: MigrationFile, which: 'up' | 'down', section: Section, i: number, e: Error): UserError {
  const s = section.statements[i]
  const kept = statementsKept(section, i)
  const what = `migration ${f.base} failed at statement ${i + 1} (line ${s.line}) of its ${which} section: ${e.message.trim()}`
  const leftovers = kept === 0 ? 'nothing of it was kept'
    : `statement${kept === 1 ? ' 1' : `s 1-${kept}`} of it may have stayed (MariaDB/MySQL commit DDL at once): undo ${kept === 1 ? 'it' : 'them'} by hand or make the file re-runnable`
  return which === 'up'
    ? failure(what, `it is not recorded and ${leftovers}; fix the file, then: make migrate`)
    : failure(what, `it stays recorded as applied and ${leftovers}; fix the database so the down section succeeds, then: make rollback`)
}

/** Applied migrations whose file changed since: refused, with the way out (every engine). */
export function changedError(cfg: Config, names: string[]): UserError {
  const list = names.join(', ')
  const one = names.length === 1
  return new UserError(`migration${one ? '' : 's'} ${list} ${one ? 'was' : 'were'} changed after ${one ? 'it was' : 'they were'} applied (checksum differs)`, {
    hint: `to proceed: put ${one ? 'it' : 'them'} back as applied (git checkout -- ${names.map((n) => path.join(cfg.MIGRATIONS_DIR, n)).join(' ')}) and write the change as a new migration: make migration NAME=<name>`,
  })
}

function relative(cfg: Config, file: string): string {
  return path.relative(cfg.projectDir, file) || file
}
