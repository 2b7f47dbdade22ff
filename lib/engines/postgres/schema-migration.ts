// make schema_migration on PostgreSQL: the application database's schema as pg_dump writes it
// (--schema-only, pre-data then post-data, so foreign keys, indexes, triggers and policies come after
// every table), without owners and grants (--no-owner --no-privileges: everything belongs to the role
// that runs the migration), split into statements; down is pg_dump --clean's own drops, in its
// reverse dependency order. Written as Knex or as a datakeep baseline by schema-migration-files.ts.
import type { Config } from '../../config.ts'
import { failure, UserError } from '../../errors.ts'
import type { Runtime } from '../../runtime/types.ts'
import { migrationPath, writeAtomically } from '../../schema-migration/write.ts'
import { BOOKKEEPING_TABLES } from '../../schema-migration/plan.ts'
import type { SchemaMigrationRequest, SchemaMigrationResult } from '../types.ts'
import { pgDatabaseExists, pgQuery, pgVersion, qi, withPg } from './db.ts'
import { pgBaselineFile, pgKnexFile } from './schema-migration-files.ts'
import { splitPgStatements } from './sql-split.ts'
import { runClient, toolsDir } from './tools.ts'

/** One statement of the migration; a SET becomes a transaction-local setting (`name`, `value`). */
export type PgStatement = { sql: string } | { setting: string; value: string }

export interface PgMigrationPlan {
  database: string
  /** "PostgreSQL 15.4" */
  source: string
  /** Every setting pg_dump's text sets: saved before, put back after (search_path among them). */
  settings: string[]
  up: PgStatement[]
  down: PgStatement[]
  /** The tables up creates, `schema.table`: a baseline's header, so migrate can tell the schema is there. */
  tables: string[]
  counts: { statements: number; foreignKeys: number }
}

/** pg_dump's argv for one part of the schema (the client args come from the runtime). */
export function schemaMigrationDumpArgv(bin: string, clientArgs: string[], database: string, part: 'pre-data' | 'post-data' | 'clean', exclude: string[]): string[] {
  return [bin ? `${bin}/pg_dump` : 'pg_dump', ...clientArgs, '--schema-only', '--no-owner', '--no-privileges',
    ...(part === 'clean' ? ['--clean', '--if-exists'] : [`--section=${part}`]),
    ...exclude.map((t) => `--exclude-table=${t}`), '--no-password', '-d', database]
}

/**
 * pg_dump's statement as the migration sends it. `SET name = value` and pg_dump's
 * `SELECT pg_catalog.set_config('search_path', '', false)` hold for the migration's transaction only
 * (its settings are put back after it, so Knex's own bookkeeping runs under the connection's search_path);
 * client_encoding is left out: the driver talks UTF-8 and the text is JavaScript's or the file's.
 */
export function toStatement(sql: string): PgStatement | null {
  const set = /^SET\s+([A-Za-z_][A-Za-z0-9_.]*)\s*(?:=|TO)\s*(.+)$/is.exec(sql)
  if (set) {
    if (set[1].toLowerCase() === 'client_encoding') return null
    const v = set[2].trim()
    return { setting: set[1].toLowerCase(), value: /^'.*'$/s.test(v) ? v.slice(1, -1).replace(/''/g, "'") : v }
  }
  const cfg = /^SELECT pg_catalog\.set_config\('([a-z_]+)', '((?:[^']|'')*)', false\)$/.exec(sql)
  if (cfg) return { setting: cfg[1], value: cfg[2].replace(/''/g, "'") }
  return { sql }
}

/** The plan from pg_dump's three texts (pure: tested as data). */
export function planFromDump(database: string, source: string, pre: string, post: string, clean: string): PgMigrationPlan {
  const parse = (t: string) => splitPgStatements(t).map(toStatement).filter((s): s is PgStatement => s !== null)
  const up = [...parse(pre), ...parse(post)]
  const created = new Set([...splitPgStatements(pre), ...splitPgStatements(post)])
  // --clean writes the same header and objects with its drops before them: the drops are what is new
  const down = parse(clean).filter((s) => 'setting' in s || !created.has(s.sql))
  // settings after the last drop (those pg_dump sets for the creates that follow them) change nothing
  while (down.length && 'setting' in down[down.length - 1]) down.pop()
  const tables = [...pre.matchAll(/^-- Name: (.*); Type: TABLE; Schema: (.*?); Owner: /gm)].map((m) => `${m[2]}.${m[1]}`)
  const settings = [...new Set([...up, ...down].flatMap((s) => ('setting' in s ? [s.setting] : [])))]
  const sqls = up.flatMap((s) => ('sql' in s ? [s.sql] : []))
  return {
    database, source, settings, up, down, tables,
    counts: { statements: sqls.length, foreignKeys: sqls.filter((s) => /^ALTER TABLE [^;]*\sADD CONSTRAINT \S+ FOREIGN KEY /s.test(s)).length },
  }
}

export async function readPgMigrationPlan(cfg: Config, rt: Runtime): Promise<PgMigrationPlan> {
  const database = rt.admin.database
  const exists = await withPg(rt.admin, (c) => pgDatabaseExists(c, database), { database: null })
  if (!exists) throw failure(`database ${database} does not exist on the server`, 'to create it: make initialize')
  // the bookkeeping tables of datakeep's migrations and Knex's (where migrate keeps them: the current
  // schema) and the sequences they own (knex_migrations_id_seq) are each tool's own: left out
  const { version, exclude } = await withPg(rt.admin, async (c) => {
    const current = (await pgQuery<{ s: string | null }>(c, 'SELECT current_schema() AS s'))[0].s ?? 'public'
    const owned = await pgQuery<{ s: string; n: string }>(c, `SELECT sn.nspname AS s, sq.relname AS n FROM pg_class sq
      JOIN pg_namespace sn ON sn.oid = sq.relnamespace
      JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = sq.oid AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
      JOIN pg_class t ON t.oid = d.refobjid JOIN pg_namespace tn ON tn.oid = t.relnamespace
      WHERE sq.relkind = 'S' AND tn.nspname = $1 AND t.relname = ANY($2)`, [current, BOOKKEEPING_TABLES])
    return {
      version: await pgVersion(c),
      exclude: [...BOOKKEEPING_TABLES.map((t) => `${qi(current)}.${qi(t)}`), ...owned.map((o) => `${qi(o.s)}.${qi(o.n)}`)],
    }
  }, { database })
  const bin = toolsDir(cfg, rt)
  const dump = async (part: 'pre-data' | 'post-data' | 'clean') =>
    (await runClient(rt, schemaMigrationDumpArgv(bin, rt.clientArgs(), database, part, exclude))).stdout
  return planFromDump(database, `PostgreSQL ${version}`, await dump('pre-data'), await dump('post-data'), await dump('clean'))
}

/** Engine.writeSchemaMigration on PostgreSQL. */
export async function pgWriteSchemaMigration(cfg: Config, rt: Runtime, req: SchemaMigrationRequest): Promise<SchemaMigrationResult> {
  if (req.tables) {
    throw new UserError('--tables is not available on PostgreSQL yet: the migration carries the whole schema (pg_dump cannot leave out the types, functions and sequences a table needs without leaving out others)', { hint: 'make schema_migration ARGS="--format knex"' })
  }
  const plan = await readPgMigrationPlan(cfg, rt)
  const file = req.format === 'knex'
    ? migrationPath(req.dir, 'schema', req.module === 'esm' ? '.js' : '.cjs')
    : migrationPath(req.dir, 'baseline.postgres', '.sql')
  const text = req.format === 'knex' ? pgKnexFile(plan, req.module) : pgBaselineFile(plan, file.split('/').pop()!.replace(/\.sql$/, ''))
  writeAtomically(file, text)
  return {
    file,
    summary: `wrote the schema of ${plan.database} as a ${req.format === 'knex' ? `Knex (${req.module})` : 'baseline'} migration: ${plan.tables.length} tables,`
      + ` ${plan.counts.foreignKeys} foreign keys, ${plan.counts.statements} statements of pg_dump's text (all through knex.raw), ${plan.down.filter((s) => 'sql' in s).length} drops in down`,
  }
}
