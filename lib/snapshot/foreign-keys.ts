// Foreign keys after a swap, and the invariant every load ends with: nothing in the live database
// names one of the tool's temporary databases.
//
// A table created in the staging database with a foreign key whose parent does not exist (made
// under foreign_key_checks = 0, the parent dropped or renamed since) references the *staging*
// database's parent, and RENAME TABLE moves the child without that reference: InnoDB only rewrites
// a reference when the parent itself is renamed. Such keys are re-pointed at the live database
// (where an unqualified reference always pointed) right after the RENAME.
import { ident, query, type Db } from '../db.ts'
import { failure } from '../errors.ts'
import { TEMP_DB_PREFIX } from './names.ts'

interface Ref { table: string; name: string; refSchema: string }

/** The like-pattern of the tool's temporary databases (the prefix's "_" escaped). */
const TEMP_LIKE = TEMP_DB_PREFIX.replace(/_/g, '\\_') + '%'

async function strayKeys(db: Db, database: string): Promise<Ref[]> {
  return query<Ref>(db,
    `SELECT TABLE_NAME AS \`table\`, CONSTRAINT_NAME AS name, UNIQUE_CONSTRAINT_SCHEMA AS refSchema
     FROM information_schema.REFERENTIAL_CONSTRAINTS
     WHERE CONSTRAINT_SCHEMA = ? AND UNIQUE_CONSTRAINT_SCHEMA LIKE ? ORDER BY TABLE_NAME, CONSTRAINT_NAME`, [database, TEMP_LIKE])
}

/**
 * The `CONSTRAINT ... FOREIGN KEY ... REFERENCES` clause of `name` in a SHOW CREATE TABLE text,
 * with its reference to `fromSchema` made a reference to `toSchema`. Pure; exported for tests.
 */
export function repointedClause(create: string, name: string, fromSchema: string, toSchema: string): string {
  const head = `CONSTRAINT ${ident(name)} FOREIGN KEY `
  const line = create.split('\n').map((l) => l.trim()).find((l) => l.startsWith(head))
  if (!line) throw failure(`foreign key ${name} is missing from its table's definition`)
  const from = `REFERENCES ${ident(fromSchema)}.`
  if (!line.includes(from)) throw failure(`foreign key ${name} does not reference ${fromSchema}`)
  return line.replace(/,$/, '').replace(from, `REFERENCES ${ident(toSchema)}.`)
}

/**
 * Re-points every foreign key of `live` that references a temporary database at `live` itself.
 * Idempotent (a run that died half-way is finished by the next one). Returns the keys it fixed.
 */
export async function repointForeignKeys(db: Db, live: string): Promise<string[]> {
  const fixed: string[] = []
  for (const k of await strayKeys(db, live)) {
    const [row] = await query<Record<string, string>>(db, `SHOW CREATE TABLE ${ident(live)}.${ident(k.table)}`)
    const clause = repointedClause(row['Create Table'], k.name, k.refSchema, live)
    // one ALTER cannot drop and re-add a key of the same name; with checks off both are metadata only
    await db.query('SET SESSION foreign_key_checks = 0')
    await db.query(`ALTER TABLE ${ident(live)}.${ident(k.table)} DROP FOREIGN KEY ${ident(k.name)}`)
    await db.query(`ALTER TABLE ${ident(live)}.${ident(k.table)} ADD ${clause}`)
    fixed.push(`${k.table}.${k.name}`)
  }
  return fixed
}

/**
 * What in `database` names a temporary database of the tool: foreign keys, column defaults and
 * generated columns, checks, views, triggers, routines, events. Each entry names the object.
 */
export async function tempMentions(db: Db, database: string): Promise<string[]> {
  // inside a text, the server writes a qualified name quoted: `_dk_stage_...`.`t`
  const like = `%\`${TEMP_LIKE}`
  const found: string[] = []
  const probes: [string, string][] = [
    ['foreign key', `SELECT CONCAT(TABLE_NAME, '.', CONSTRAINT_NAME) AS n FROM information_schema.REFERENTIAL_CONSTRAINTS
      WHERE CONSTRAINT_SCHEMA = ? AND UNIQUE_CONSTRAINT_SCHEMA LIKE ?`],
    ['column', `SELECT CONCAT(TABLE_NAME, '.', COLUMN_NAME) AS n FROM information_schema.COLUMNS
      WHERE TABLE_SCHEMA = ? AND (COLUMN_DEFAULT LIKE ? OR GENERATION_EXPRESSION LIKE ?)`],
    ['check', `SELECT CONCAT(TABLE_NAME, '.', CONSTRAINT_NAME) AS n FROM information_schema.CHECK_CONSTRAINTS
      WHERE CONSTRAINT_SCHEMA = ? AND CHECK_CLAUSE LIKE ?`],
    ['view', 'SELECT TABLE_NAME AS n FROM information_schema.VIEWS WHERE TABLE_SCHEMA = ? AND VIEW_DEFINITION LIKE ?'],
    ['trigger', 'SELECT TRIGGER_NAME AS n FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ? AND ACTION_STATEMENT LIKE ?'],
    ['routine', 'SELECT ROUTINE_NAME AS n FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ? AND ROUTINE_DEFINITION LIKE ?'],
    ['event', 'SELECT EVENT_NAME AS n FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ? AND EVENT_DEFINITION LIKE ?'],
  ]
  for (const [kind, sql] of probes) {
    // foreign keys name the schema itself; everything else holds it inside a text
    const params = kind === 'foreign key' ? [database, TEMP_LIKE] : kind === 'column' ? [database, like, like] : [database, like]
    const rows = await query<{ n: string }>(db, sql, params)
    for (const r of rows) found.push(`${kind} ${r.n}`)
  }
  return found
}

/** Throws, naming them, when objects of `database` mention a temporary database of the tool. */
export async function assertNoTempMentions(db: Db, database: string): Promise<void> {
  const found = await tempMentions(db, database)
  if (found.length) {
    throw failure(`the loaded database would reference datakeep's temporary databases (${found.join(', ')}); the load was undone`,
      'this is a bug in datakeep: please report it with the snapshot\'s schema/ folder')
  }
}
