// The built-in migrations on PostgreSQL: the same files, checks and schema_migrations table as on
// MariaDB (lib/migrate/), but each section and its record run in ONE transaction that PostgreSQL
// rolls back whole, DDL included: a failing migration (or rollback) leaves nothing of itself behind. A baseline
// (make schema_migration ARGS="--format sql") on a database that has its tables is recorded, not run.
import type { Config } from '../../config.ts'
import { engineName } from '../name.ts'
import { UserError, failure } from '../../errors.ts'
import { step } from '../../log.ts'
import { listMigrations, migrationsDir, type MigrationFile } from '../../migrate/files.ts'
import { baselineTables } from '../../migrate/baseline.ts'
import { parseMigration, type Section } from '../../migrate/parse.ts'
import { changedError, compareState, planRollback, type MigrateResult, type MigrationState } from '../../migrate/runner.ts'
import type { AppliedRow } from '../../migrate/table.ts'
import type { Runtime } from '../../runtime/types.ts'
import { pgDatabaseExists, pgQuery, qi, withPg, type PgClient } from './db.ts'
import { runPgHook } from './hooks.ts'

const TABLE = 'schema_migrations'

async function readApplied(c: PgClient): Promise<AppliedRow[]> {
  const cols = new Set((await pgQuery<{ c: string }>(c,
    "SELECT column_name AS c FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1", [TABLE])).map((r) => r.c))
  if (cols.size === 0) return []
  const pick = (n: string) => (cols.has(n) ? qi(n) : 'NULL')
  const rows = await pgQuery<{ version: string; name: string | null; checksum: string | null; at: string | null }>(c,
    `SELECT version::text AS version, ${pick('name')} AS name, ${pick('checksum')} AS checksum,
       to_char(${pick('applied_at')}, 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS at FROM ${qi(TABLE)}`)
  return rows.map((r) => ({ version: r.version, name: r.name, checksum: r.checksum, appliedAt: r.at }))
}

async function ensureTable(c: PgClient): Promise<void> {
  await c.query(`CREATE TABLE IF NOT EXISTS ${qi(TABLE)} (version varchar(128) NOT NULL PRIMARY KEY)`)
  for (const col of ['name varchar(255) NULL', 'checksum char(64) NULL', 'applied_at timestamp(6) NULL']) {
    await c.query(`ALTER TABLE ${qi(TABLE)} ADD COLUMN IF NOT EXISTS ${col}`)
  }
}

/** Objects a migration creates belong to the database's owner (the application role), not to the admin. */
async function actAsOwner(c: PgClient): Promise<void> {
  const [r] = await pgQuery<{ owner: string; me: string }>(c,
    'SELECT pg_get_userbyid(datdba) AS owner, current_user AS me FROM pg_database WHERE datname = current_database()')
  if (r.owner !== r.me) await c.query(`SET ROLE ${qi(r.owner)}`)
}

async function inDatabase<T>(rt: Runtime, database: string, fn: (c: PgClient) => Promise<T>): Promise<T> {
  const exists = await withPg(rt.admin, (c) => pgDatabaseExists(c, database), { database: null })
  if (!exists) throw failure(`database ${database} does not exist`, 'to fix: make initialize')
  return withPg(rt.admin, async (c) => {
    // one run at a time per database; the lock is the session's, so a crashed run frees it
    const [got] = await pgQuery<{ ok: boolean }>(c, "SELECT pg_try_advisory_lock(hashtext('datakeep.migrate')) AS ok")
    if (!got.ok) throw failure(`another migration run holds the lock on database ${database}`, 'wait for it to finish, then run make migrate again')
    await actAsOwner(c)
    return fn(c)
  }, { database })
}

export async function pgMigrationState(cfg: Config, rt: Runtime, database = rt.admin.database): Promise<MigrationState> {
  const files = listMigrations(migrationsDir(cfg), engineName(cfg))
  const exists = await withPg(rt.admin, (c) => pgDatabaseExists(c, database), { database: null })
  return compareState(files, exists ? await withPg(rt.admin, readApplied, { database }) : [])
}

/** Applies every pending migration, each in one transaction with its schema_migrations row; or runs MIGRATE_COMMAND when it is set. */
export async function pgMigrate(cfg: Config, rt: Runtime): Promise<MigrateResult> {
  if (cfg.MIGRATE_COMMAND) {
    await runPgHook(cfg, rt, 'MIGRATE_COMMAND')
    return { applied: [], missing: [], delegated: true }
  }
  const files = listMigrations(migrationsDir(cfg), engineName(cfg))
  return inDatabase(rt, rt.admin.database, async (c) => {
    const rows = await readApplied(c)
    const state = compareState(files, rows)
    if (state.changed.length) throw changedError(cfg, state.changed)
    const pending = new Set(state.pending.map((p) => p.version))
    const plan = files.filter((f) => pending.has(f.version)).map((f) => ({ f, up: parseMigration(f.text, f.base).up }))
    const empty = plan.find((p) => p.up.statements.length === 0)
    if (empty) throw new UserError(`migration ${empty.f.base} has an empty up section`, { hint: 'write its statements (or delete the file), then: make migrate' })
    if (plan.length || rows.some((r) => r.checksum === null)) await ensureTable(c)
    for (const f of files) {
      await c.query(`UPDATE ${qi(TABLE)} SET name = $1, checksum = $2 WHERE version = $3 AND checksum IS NULL`, [f.name, f.checksum, f.version])
    }
    const applied: string[] = []
    const adopted: string[] = []
    const record = (f: MigrationFile) => () => c.query(`INSERT INTO ${qi(TABLE)} (version, name, checksum, applied_at) VALUES ($1, $2, $3, now() AT TIME ZONE 'UTC')`,
      [f.version, f.name, f.checksum]).then(() => undefined)
    for (const { f, up } of plan) {
      const baseline = baselineTables(f.text)
      if (baseline && await pgBaselinePresent(c, baseline)) {
        step(`recording ${f.base} as applied: database ${rt.admin.database} already has its ${baseline.length} tables`)
        await record(f)()
        adopted.push(f.base)
        continue
      }
      step(`migrating ${f.base}`)
      await runSection(c, f, 'up', up, record(f))
      applied.push(f.base)
    }
    return { applied, missing: state.missing, delegated: false, ...(adopted.length ? { adopted } : {}) }
  })
}

/**
 * make rollback: the down sections of the `steps` newest applied migrations, newest first, each with
 * the removal of its record in one transaction (a failing one leaves the schema as it was). `beforeRun`
 * (the safety snapshot) runs once every migration of the plan passed its checks.
 */
export async function pgRollback(cfg: Config, rt: Runtime, steps: number, opts: { beforeRun?: (plan: string[]) => Promise<void> } = {}): Promise<{ rolledBack: string[] }> {
  if (cfg.MIGRATE_COMMAND) {
    throw new UserError('MIGRATE_COMMAND is set, so migrations are not datakeep\'s to roll back', { hint: 'roll back with your framework\'s own command' })
  }
  const database = rt.admin.database
  const planned = await inDatabase(rt, database, async (c) => planRollback(cfg, await readApplied(c), steps, database))
  // every check passed: only now the caller's safety snapshot, with no session of ours on the database (a
  // copy of it needs none: held.ts); the run then checks the plan again under the migration lock
  await opts.beforeRun?.(planned.map((p) => p.f.base))
  return inDatabase(rt, database, async (c) => {
    const plan = planRollback(cfg, await readApplied(c), steps, database)
    if (plan.map((p) => p.f.base).join() !== planned.map((p) => p.f.base).join()) {
      throw failure('the applied migrations changed while the safety snapshot was taken (another migration run?)', 'nothing was rolled back; run make rollback again')
    }
    const rolledBack: string[] = []
    for (const { f, down } of plan) {
      step(`rolling back ${f.base}`)
      await runSection(c, f, 'down', down, () => c.query(`DELETE FROM ${qi(TABLE)} WHERE version = $1`, [f.version]).then(() => undefined))
      rolledBack.push(f.base)
    }
    return { rolledBack }
  })
}

/** True when the database has every table a baseline names (`schema.table`, as its header writes them). */
async function pgBaselinePresent(c: PgClient, tables: string[]): Promise<boolean> {
  const rows = await pgQuery<{ n: string }>(c, `SELECT n.nspname || '.' || c.relname AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p')`)
  const have = new Set(rows.map((r) => r.n))
  return tables.every((t) => have.has(t))
}

async function runSection(c: PgClient, f: MigrationFile, which: 'up' | 'down', section: Section, record: () => Promise<void>): Promise<void> {
  if (section.transaction) await c.query('BEGIN')
  try {
    for (const [i, s] of section.statements.entries()) {
      try { await c.query(s.sql) } catch (e) {
        const kept = section.transaction ? 'nothing of it was kept (rolled back whole)'
          : i === 0 ? 'nothing of it was kept' : `statement${i === 1 ? ' 1' : `s 1-${i}`} of it stayed (transaction:false)`
        const what = `migration ${f.base} failed at statement ${i + 1} (line ${s.line}) of its ${which} section: ${(e as Error).message.trim()}`
        throw which === 'up'
          ? failure(what, `it is not recorded and ${kept}; fix the file, then: make migrate`)
          : failure(what, `it stays recorded as applied and ${kept}; fix the down section (or the database), then: make rollback`)
      }
    }
    await record()
    if (section.transaction) await c.query('COMMIT')
  } catch (e) {
    if (section.transaction) await c.query('ROLLBACK').catch(() => undefined)
    throw e
  }
}

/** data_load: a staged database recording migrations this checkout has no file for came from newer code; refused (as on MariaDB). */
export async function refuseNewerPgSchema(cfg: Config, rt: Runtime, database: string): Promise<void> {
  if (cfg.MIGRATE_COMMAND) return
  const known = new Set(listMigrations(migrationsDir(cfg), engineName(cfg)).map((f) => f.version))
  const unknown = (await pgMigrationState(cfg, rt, database)).applied.map((a) => a.version).filter((v) => !known.has(v))
  if (unknown.length === 0) return
  const one = unknown.length === 1
  throw new UserError(`the data was migrated by newer code: migration${one ? '' : 's'} ${unknown.join(', ')} ${one ? 'is' : 'are'} applied in it but ${one ? 'has' : 'have'} no file in ${cfg.MIGRATIONS_DIR}`, {
    hint: 'to fix: update this checkout to the code that has them (git pull), then load again',
  })
}
