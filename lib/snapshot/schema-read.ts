// Reads a database's schema as SHOW CREATE prints it, with the settings each object was
// created under: the input of a snapshot and of every exact restore.
import { ident, query, type Db } from '../db.ts'
import { failure } from '../errors.ts'
import type { SchemaObject, SchemaSnapshot } from './schema.ts'
import { DDL_SQL_MODE } from './schema-session.ts'
import { compareNames, orderViews, rewriteDatabase, splitDefiner } from './schema-text.ts'

type Row = Record<string, string | null>

async function showCreate(db: Db, what: string, database: string, name: string, column: string): Promise<Row & { text: string }> {
  const [row] = await query<Row>(db, `SHOW CREATE ${what} ${ident(database)}.${ident(name)}`)
  const text = row?.[column]
  if (typeof text !== 'string') {
    // MariaDB shows a routine's body only to its definer or with SELECT on mysql.proc
    throw failure(`cannot read the definition of ${what.toLowerCase()} ${database}.${name}: the user lacks the privilege to see it`,
      'to fix: snapshot as root, or GRANT SELECT ON mysql.* (MariaDB) / SHOW_ROUTINE (MySQL) to this user')
  }
  return { ...row, text }
}

/** An object from its SHOW CREATE row: the text without DEFINER, and the settings it records. */
function objectOf(kind: SchemaObject['kind'], name: string, row: Row & { text: string }): SchemaObject {
  const { create, definer } = splitDefiner(row.text)
  const o: SchemaObject = { kind, name, create }
  if (definer) o.definer = definer
  if (row.sql_mode != null) o.sqlMode = row.sql_mode
  if (row.character_set_client != null) o.characterSetClient = row.character_set_client
  if (row.collation_connection != null) o.collationConnection = row.collation_connection
  if (row['Database Collation'] != null) o.databaseCollation = row['Database Collation']
  if (row.time_zone != null) o.timeZone = row.time_zone
  return o
}

const byName = <T extends { name: string }>(a: T, b: T) => compareNames(a.name, b.name)

async function readTables(db: Db, database: string): Promise<{ tables: SchemaObject[]; sequenceValues: SchemaSnapshot['sequenceValues'] }> {
  const rows = await query<{ name: string; type: string }>(db,
    `SELECT TABLE_NAME AS name, TABLE_TYPE AS type FROM information_schema.TABLES
     WHERE TABLE_SCHEMA = ? AND TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED', 'SEQUENCE')`, [database])
  const tables: SchemaObject[] = []
  const sequenceValues: SchemaSnapshot['sequenceValues'] = []
  for (const r of rows.sort(byName)) {
    const seq = r.type === 'SEQUENCE'
    tables.push(objectOf(seq ? 'sequence' : 'table', r.name,
      await showCreate(db, seq ? 'SEQUENCE' : 'TABLE', database, r.name, 'Create Table')))
    if (seq) {
      // next_not_cached_value is what a restarted server would hand out next: values cached in
      // memory are skipped, as after any restart, so no value is ever handed out twice
      const [v] = await query<{ next: string; round: string }>(db,
        `SELECT next_not_cached_value AS next, cycle_count AS round FROM ${ident(database)}.${ident(r.name)}`)
      sequenceValues.push({ name: r.name, next: String(v.next), round: String(v.round) })
    }
  }
  return { tables, sequenceValues }
}

async function readViews(db: Db, database: string): Promise<SchemaObject[]> {
  const rows = await query<{ name: string }>(db,
    'SELECT TABLE_NAME AS name FROM information_schema.VIEWS WHERE TABLE_SCHEMA = ?', [database])
  const views: SchemaObject[] = []
  for (const r of rows.sort(byName)) {
    const o = objectOf('view', r.name, await showCreate(db, 'VIEW', database, r.name, 'Create View'))
    // SHOW CREATE VIEW qualifies every name unless the view's database is the session's default:
    // unqualified, the text is the same either way and creates the view in any database
    views.push({ ...o, create: rewriteDatabase(o.create, database, '') })
  }
  return orderViews(views)
}

const ROUTINE_KINDS = {
  PROCEDURE: { kind: 'procedure', column: 'Create Procedure' },
  FUNCTION: { kind: 'function', column: 'Create Function' },
  PACKAGE: { kind: 'package', column: 'Create Package' },
  'PACKAGE BODY': { kind: 'package body', column: 'Create Package Body' },
} as const

async function readRoutines(db: Db, database: string): Promise<SchemaObject[]> {
  const rows = await query<{ name: string; type: keyof typeof ROUTINE_KINDS }>(db,
    'SELECT ROUTINE_NAME AS name, ROUTINE_TYPE AS type FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ?', [database])
  const rank = Object.keys(ROUTINE_KINDS)
  // a package body can only be created once its package exists
  rows.sort((a, b) => rank.indexOf(a.type) - rank.indexOf(b.type) || byName(a, b))
  const out: SchemaObject[] = []
  for (const r of rows) {
    const k = ROUTINE_KINDS[r.type]
    if (!k) throw failure(`routine ${database}.${r.name} is of a kind this version cannot snapshot (${r.type})`)
    out.push(objectOf(k.kind, r.name, await showCreate(db, r.type, database, r.name, k.column)))
  }
  return out
}

async function readTriggers(db: Db, database: string): Promise<SchemaObject[]> {
  const rows = await query<{ name: string; tbl: string; timing: string; event: string; ord: string }>(db,
    `SELECT TRIGGER_NAME AS name, EVENT_OBJECT_TABLE AS tbl, ACTION_TIMING AS timing,
            EVENT_MANIPULATION AS event, ACTION_ORDER AS ord
     FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ?`, [database])
  rows.sort((a, b) => compareNames(a.tbl, b.tbl) || compareNames(a.timing, b.timing)
    || compareNames(a.event, b.event) || Number(a.ord) - Number(b.ord))
  const out: SchemaObject[] = []
  for (const r of rows) {
    const o = objectOf('trigger', r.name, await showCreate(db, 'TRIGGER', database, r.name, 'SQL Original Statement'))
    out.push({ ...o, table: r.tbl })
  }
  return out
}

async function readEvents(db: Db, database: string): Promise<SchemaObject[]> {
  const rows = await query<{ name: string }>(db,
    'SELECT EVENT_NAME AS name FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ?', [database])
  const out: SchemaObject[] = []
  for (const r of rows.sort(byName)) out.push(objectOf('event', r.name, await showCreate(db, 'EVENT', database, r.name, 'Create Event')))
  return out
}

/** Everything that defines `database` except its rows. Leaves the session as it found it. */
export async function readSchema(db: Db, database: string): Promise<SchemaSnapshot> {
  const [info] = await query<{ charset: string; collation: string }>(db,
    `SELECT DEFAULT_CHARACTER_SET_NAME AS charset, DEFAULT_COLLATION_NAME AS collation
     FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?`, [database])
  if (!info) throw failure(`database ${database} does not exist`)
  // no USE: the caller may hold a consistent-snapshot transaction or a read lock, and no statement
  // could unselect the database afterwards without ending them
  const [saved] = await query<{ mode: string; quote: string }>(db, 'SELECT @@SESSION.sql_mode AS mode, @@SESSION.sql_quote_show_create AS quote')
  await db.query('SET SESSION sql_mode = ?, sql_quote_show_create = 1', [DDL_SQL_MODE])
  try {
    const { tables, sequenceValues } = await readTables(db, database)
    return {
      database: { name: database, charset: info.charset, collation: info.collation },
      tables,
      views: await readViews(db, database),
      routines: await readRoutines(db, database),
      triggers: await readTriggers(db, database),
      events: await readEvents(db, database),
      sequenceValues,
    }
  } finally {
    await db.query('SET SESSION sql_mode = ?, sql_quote_show_create = ?', [saved.mode, Number(saved.quote)])
  }
}
