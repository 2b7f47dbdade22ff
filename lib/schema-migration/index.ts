// make schema_migration: a database's schema as one migration that rebuilds it exactly, for Knex
// (knex.ts) or as datakeep's own baseline (sql.ts), from the plan (plan.ts) over the DDL the
// snapshot reader returns (docs/schema-migration.md).
import { withDb, type Connection, type Db } from '../db.ts'
import type { SchemaMigrationRequest, SchemaMigrationResult } from '../engines/types.ts'
import { readSchema } from '../snapshot/schema-read.ts'
import { knexMigration, type ModuleFormat } from './knex.ts'
import { migrationPlan, type MigrationPlan } from './plan.ts'
import { baselineMigration } from './sql.ts'
import { migrationPath, writeAtomically } from './write.ts'

export type { ModuleFormat } from './knex.ts'

export interface GenerateOptions { format: 'knex' | 'sql'; module: ModuleFormat; tables: string[] | null; dir: string; usage: string }

export async function readPlan(db: Db, database: string, tables: string[] | null, usage: string): Promise<{ plan: MigrationPlan; source: string }> {
  const [{ v }] = (await db.query('SELECT VERSION() AS v'))[0] as { v: string }[]
  return { plan: migrationPlan(await readSchema(db, database), tables, usage), source: `MariaDB ${v}` }
}

/** Reads `database`, writes the migration, returns its path and the plan it holds. */
export async function generateMigration(db: Db, database: string, o: GenerateOptions): Promise<{ file: string; plan: MigrationPlan }> {
  const { plan, source } = await readPlan(db, database, o.tables, o.usage)
  const file = o.format === 'knex'
    ? migrationPath(o.dir, 'schema', o.module === 'esm' ? '.js' : '.cjs')
    : migrationPath(o.dir, 'baseline', '.sql')
  const text = o.format === 'knex'
    ? knexMigration(plan, o.module, source)
    : baselineMigration(plan, `${file.split('/').pop()!.replace(/\.sql$/, '')}`, source)
  writeAtomically(file, text)
  return { file, plan }
}

/** Engine.writeSchemaMigration on MariaDB/MySQL: the file and its one-line account. */
export async function writeMariadbSchemaMigration(admin: Connection, req: SchemaMigrationRequest): Promise<SchemaMigrationResult> {
  const database = admin.database
  const { file, plan } = await withDb(admin, (db) => generateMigration(db, database, req), { database: null })
  const built = plan.tables.filter((t) => t.spec).length
  return {
    file,
    summary: `wrote the schema of ${database} as a ${req.format === 'knex' ? `Knex (${req.module})` : 'baseline'} migration: ${plan.tables.length} tables`
      + (req.format === 'knex' ? ` (${built} through the schema builder, ${plan.tables.length - built} as SHOW CREATE text)` : '')
      + `, ${plan.tables.reduce((n, t) => n + t.foreignKeys.length, 0)} foreign keys, ${plan.post.length} views, routines, triggers and events, ${plan.sequences.length} sequences`
      + (plan.omittedForeignKeys.length ? `; left out ${plan.omittedForeignKeys.length} foreign keys to tables outside --tables` : ''),
  }
}
