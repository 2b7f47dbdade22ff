// What a schema migration creates, in order, from a database's exact DDL (lib/snapshot/schema-read.ts,
// the reader snapshots use): sequences, tables in dependency order without their foreign keys, the
// foreign keys, then routines, views, triggers and events, each with the session it was created under.
// Both writers (knex.ts, sql.ts) take this plan; neither reads the server.
import { UserError } from '../errors.ts'
import type { SchemaObject, SchemaSnapshot } from '../snapshot/schema.ts'
import { DDL_SQL_MODE } from '../snapshot/schema-session.ts'
import { lexingOf, rewriteDatabase } from '../snapshot/schema-text.ts'
import { dependencyOrder } from './order.ts'
import { splitForeignKeys, tableSpec, type ForeignKeyDdl, type TableSpec } from './table-ddl.ts'

/** Tables that record migrations: each tool keeps its own, so no migration creates them. */
export const BOOKKEEPING_TABLES = ['schema_migrations', 'knex_migrations', 'knex_migrations_lock']

export interface PlannedTable {
  name: string
  /** SHOW CREATE TABLE without foreign keys, AUTO_INCREMENT=n and qualifiers naming the source database */
  create: string
  /** set when Knex's builder writes this table exactly; otherwise the migration sends `create` */
  spec: TableSpec | null
  foreignKeys: ForeignKeyDdl[]
}

/** A routine, view, trigger or event: its text (no DEFINER, no database qualifier) and the session it needs. */
export interface PostObject {
  kind: SchemaObject['kind']
  name: string
  table?: string
  text: string
  sqlMode: string
  characterSetClient: string
  collationConnection: string
  databaseCollation: string | null
  timeZone: string | null
  definer: string | null
}

export interface MigrationPlan {
  database: { name: string; charset: string; collation: string }
  sequences: { name: string; create: string }[]
  tables: PlannedTable[]
  /** foreign keys left out because their table is outside --tables */
  omittedForeignKeys: { table: string; fk: ForeignKeyDdl }[]
  /** in creation order: routines (packages before bodies), views (each after those it reads), triggers (firing order), events */
  post: PostObject[]
}

function postObject(o: SchemaObject, database: string): PostObject {
  const mode = o.kind === 'view' ? DDL_SQL_MODE : (o.sqlMode ?? DDL_SQL_MODE)
  return {
    kind: o.kind, name: o.name, ...(o.table ? { table: o.table } : {}),
    text: rewriteDatabase(o.create, database, '', lexingOf(mode)),
    sqlMode: mode,
    characterSetClient: o.characterSetClient ?? 'utf8mb4',
    collationConnection: o.collationConnection ?? 'utf8mb4_general_ci',
    databaseCollation: o.databaseCollation ?? null,
    timeZone: o.timeZone ?? null,
    definer: o.definer ?? null,
  }
}

/**
 * The plan for `s`, or for the tables `only` names (with their triggers and the foreign keys
 * between them; views, routines, events and sequences may read any table, so they are left out).
 */
export function migrationPlan(s: SchemaSnapshot, only: string[] | null, usage: string): MigrationPlan {
  const own = s.database.name
  const tables = s.tables.filter((t) => t.kind === 'table' && !BOOKKEEPING_TABLES.includes(t.name))
  if (only) {
    const have = tables.map((t) => t.name)
    const missing = only.filter((n) => !have.includes(n))
    if (missing.length) throw new UserError(`no table ${missing.join(', ')} in ${own}; the tables are: ${have.join(', ')}`, { hint: usage })
  }
  const keep = new Set(only ?? tables.map((t) => t.name))
  const omittedForeignKeys: MigrationPlan['omittedForeignKeys'] = []
  const planned = tables.filter((t) => keep.has(t.name)).map((t): PlannedTable & { references: string[] } => {
    const split = splitForeignKeys(rewriteDatabase(t.create, own, ''))
    const foreignKeys = split.foreignKeys.filter((fk) => {
      const inside = fk.refDatabase !== null || keep.has(fk.refTable)
      if (!inside) omittedForeignKeys.push({ table: t.name, fk })
      return inside
    })
    return { name: t.name, create: split.create, spec: tableSpec(t.name, split.create), foreignKeys, references: foreignKeys.map((f) => f.refTable) }
  })
  const post = only
    ? s.triggers.filter((t) => keep.has(t.table!))
    : [...s.routines, ...s.views, ...s.triggers, ...s.events]
  return {
    database: s.database,
    sequences: only ? [] : s.tables.filter((t) => t.kind === 'sequence').map((t) => ({ name: t.name, create: t.create })),
    tables: dependencyOrder(planned).map(({ references: _, ...t }) => t),
    omittedForeignKeys,
    post: post.map((o) => postObject(o, own)),
  }
}
