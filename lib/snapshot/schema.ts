// The schema part of a snapshot: every table, sequence, view, routine, trigger and event of a
// database, as SHOW CREATE prints it, with the session settings each was created under, so a
// restore reproduces SHOW CREATE output exactly. Reading: schema-read.ts; creating and
// dropping: schema-apply.ts; the stock-client SQL file: schema-sql.ts.
import crypto from 'node:crypto'
import { compareNames, lexingOf, rewriteDatabase, withoutAutoIncrement } from './schema-text.ts'

export interface SchemaObject {
  kind: 'table' | 'sequence' | 'view' | 'procedure' | 'function' | 'package' | 'package body' | 'trigger' | 'event'
  name: string
  /** the SHOW CREATE text, DEFINER clause removed (restores must not fail under another user) */
  create: string
  /** the removed DEFINER account as SHOW CREATE wrote it (`u`@`h`); kept on restore when that account exists */
  definer?: string
  /** triggers: their table */
  table?: string
  /** triggers, routines, events: the sql_mode they were created under */
  sqlMode?: string
  characterSetClient?: string
  collationConnection?: string
  databaseCollation?: string
  /** events: the time zone their schedule is written in */
  timeZone?: string
}

export interface SchemaSnapshot {
  database: { name: string; charset: string; collation: string }
  /** base tables and sequences; foreign keys as in SHOW CREATE TABLE */
  tables: SchemaObject[]
  /** in dependency order: a view using another view comes after it */
  views: SchemaObject[]
  /** procedures, functions, packages (each package before its body) */
  routines: SchemaObject[]
  /** per table in firing order (ACTION_ORDER): recreated one after another, they fire in the same order */
  triggers: SchemaObject[]
  events: SchemaObject[]
  /** restored with SETVAL so sequences continue where they were; round = cycles completed */
  sequenceValues: { name: string; next: string; round?: string }[]
}

export { readSchema } from './schema-read.ts'
export { createPostData, createTables, dropPostData } from './schema-apply.ts'
export { schemaSql } from './schema-sql.ts'

/**
 * The form hashed: what a schema is, not where or whose. Leaves out the database name (and
 * qualifiers naming it), definers, AUTO_INCREMENT counters and sequence positions, which move
 * with the data; keeps trigger order, which is behaviour.
 */
export function canonicalSchema(s: SchemaSnapshot): unknown {
  const own = s.database.name
  const obj = (o: SchemaObject, post: boolean) => ({
    kind: o.kind,
    name: o.name,
    create: post ? rewriteDatabase(o.create, own, '', lexingOf(o.sqlMode)) : withoutAutoIncrement(o.create),
    table: o.table ?? null,
    sqlMode: o.sqlMode ?? null,
    characterSetClient: o.characterSetClient ?? null,
    collationConnection: o.collationConnection ?? null,
    databaseCollation: o.databaseCollation ?? null,
    timeZone: o.timeZone ?? null,
  })
  const sorted = (list: SchemaObject[], post: boolean) =>
    list.map((o) => obj(o, post)).sort((a, b) => compareNames(a.kind, b.kind) || compareNames(a.name, b.name))
  return {
    database: { charset: s.database.charset, collation: s.database.collation },
    tables: sorted(s.tables, false),
    views: sorted(s.views, true),
    routines: sorted(s.routines, true),
    triggers: s.triggers.map((o) => obj(o, true)),
    events: sorted(s.events, true),
  }
}

/** sha256 of the canonical form: equal for a database and its restored copy, stable across runs. */
export function schemaHash(s: SchemaSnapshot): string {
  return crypto.createHash('sha256').update(JSON.stringify(canonicalSchema(s))).digest('hex')
}
