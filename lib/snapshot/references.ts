// References a load must not leave behind: InnoDB keeps a foreign key's parent as "database/table"
// and moves it only when that table itself is renamed, so a key whose parent is missing stays on
// the staging database after the swap's RENAME TABLE, and a key from another database follows its
// parent into the swap's old one. A column DEFAULT nextval(seq) keeps the database it was created in.
// repointReferences puts each back where it belongs; tempMentions is the invariant every load checks.
import { ident, query, type Db } from '../db.ts'
import { TEMP_DB_PREFIX } from './names.ts'
import { DDL_SQL_MODE } from './schema-session.ts'
import { lexingOf, rewriteDatabase, tokenize } from './schema-text.ts'

const LIKE_PREFIX = `${TEMP_DB_PREFIX.replace(/_/g, '\\_')}%`
const LIKE_MENTION = `%${LIKE_PREFIX}`

/** The database names starting with the tool's temporary prefix that qualify a name in `sql` (db.x), strings and comments aside. */
export function tempQualifiers(sql: string, sqlMode?: string): string[] {
  const tokens = tokenize(sql, lexingOf(sqlMode)).filter((t) => t.kind !== 'space' && t.kind !== 'comment')
  const found = new Set<string>()
  tokens.forEach((t, i) => {
    if ((t.kind === 'word' || t.kind === 'ident') && t.value!.startsWith(TEMP_DB_PREFIX) && tokens[i + 1]?.text === '.') found.add(t.value!)
  })
  return [...found].sort()
}

/** `text` with every temporary database qualifier pointing at `to` ('' drops it). */
function repointText(text: string, to: string): string {
  return tempQualifiers(text).reduce((s, from) => rewriteDatabase(s, from, to), text)
}

/** The line of SHOW CREATE TABLE that defines foreign key `name`, without its trailing comma. */
export function foreignKeyClause(createTable: string, name: string): string | null {
  const head = `CONSTRAINT ${ident(name)} FOREIGN KEY `
  const line = createTable.split('\n').map((l) => l.trim()).find((l) => l.startsWith(head))
  return line ? line.replace(/,$/, '') : null
}

/**
 * Whether any foreign key outside the temporary databases may have its parent in one. InnoDB's
 * own list answers without opening a table (REFERENTIAL_CONSTRAINTS across every database opens
 * them all); where it cannot be read (privileges, another server), the answer is "maybe".
 */
async function mayPointAtTemp(db: Db): Promise<boolean> {
  for (const view of ['INNODB_SYS_FOREIGN', 'INNODB_FOREIGN']) {
    const rows = await query<{ n: string }>(db,
      `SELECT COUNT(*) AS n FROM information_schema.${view} WHERE REF_NAME LIKE ? AND FOR_NAME NOT LIKE ?`, [LIKE_PREFIX, LIKE_PREFIX])
      .catch(() => null)
    if (rows) return Number(rows[0].n) > 0
  }
  return true
}

/**
 * After a swap's RENAME TABLE: every foreign key of a table outside the temporary databases whose
 * parent is in one of them points at `live` again (unqualified from a table of `live`, qualified
 * from another database), and every column default of `live` naming a temporary database names
 * `live`. Foreign key checks must be off on `db`. Returns what was changed, for messages.
 */
export async function repointReferences(db: Db, live: string): Promise<string[]> {
  const [saved] = await query<{ mode: string; quote: string }>(db, 'SELECT @@SESSION.sql_mode AS mode, @@SESSION.sql_quote_show_create AS quote')
  await db.query('SET SESSION sql_mode = ?, sql_quote_show_create = 1', [DDL_SQL_MODE])
  const changed: string[] = []
  try {
    // defaults first: a table whose default names a sequence that is gone cannot be altered otherwise
    const defaults = await query<{ tbl: string; col: string; def: string }>(db,
      `SELECT TABLE_NAME AS tbl, COLUMN_NAME AS col, COLUMN_DEFAULT AS def FROM information_schema.COLUMNS
       WHERE TABLE_SCHEMA = ? AND COLUMN_DEFAULT LIKE ? ORDER BY 1, 2`, [live, LIKE_MENTION])
    for (const d of defaults) {
      const fixed = repointText(d.def, live)
      if (fixed === d.def) continue
      await db.query(`ALTER TABLE ${ident(live)}.${ident(d.tbl)} ALTER COLUMN ${ident(d.col)} SET DEFAULT (${fixed})`)
      changed.push(`${live}.${d.tbl} column ${d.col} default`)
    }
    const keys = await mayPointAtTemp(db) ? await query<{ db: string; tbl: string; name: string }>(db,
      `SELECT CONSTRAINT_SCHEMA AS db, TABLE_NAME AS tbl, CONSTRAINT_NAME AS name FROM information_schema.REFERENTIAL_CONSTRAINTS
       WHERE UNIQUE_CONSTRAINT_SCHEMA LIKE ? AND CONSTRAINT_SCHEMA NOT LIKE ? ORDER BY 1, 2, 3`, [LIKE_PREFIX, LIKE_PREFIX]) : []
    for (const k of keys) {
      const table = `${ident(k.db)}.${ident(k.tbl)}`
      const [row] = await query<{ 'Create Table': string }>(db, `SHOW CREATE TABLE ${table}`)
      const clause = foreignKeyClause(row['Create Table'], k.name)
      if (!clause) continue // the invariant names it
      // two statements: InnoDB refuses to drop and add a key of the same name in one ALTER
      await db.query(`ALTER TABLE ${table} DROP FOREIGN KEY ${ident(k.name)}`)
      await db.query(`ALTER TABLE ${table} ADD ${repointText(clause, k.db === live ? '' : live)}`)
      changed.push(`${k.db}.${k.tbl} foreign key ${k.name}`)
    }
  } finally {
    await db.query('SET SESSION sql_mode = ?, sql_quote_show_create = ?', [saved.mode, Number(saved.quote)])
  }
  return changed
}

/** Where information_schema keeps each object's text, and the sql_mode it is read under. */
const SOURCES = [
  { from: 'COLUMNS', schema: 'TABLE_SCHEMA', what: "CONCAT('table ', TABLE_NAME, ' column ', COLUMN_NAME)", body: "CONCAT_WS(' ', COLUMN_DEFAULT, GENERATION_EXPRESSION)", mode: 'NULL' },
  { from: 'VIEWS', schema: 'TABLE_SCHEMA', what: "CONCAT('view ', TABLE_NAME)", body: 'VIEW_DEFINITION', mode: 'NULL' },
  { from: 'TRIGGERS', schema: 'TRIGGER_SCHEMA', what: "CONCAT('trigger ', TRIGGER_NAME)", body: 'ACTION_STATEMENT', mode: 'SQL_MODE' },
  { from: 'ROUTINES', schema: 'ROUTINE_SCHEMA', what: "CONCAT(LOWER(ROUTINE_TYPE), ' ', ROUTINE_NAME)", body: 'ROUTINE_DEFINITION', mode: 'SQL_MODE' },
  { from: 'EVENTS', schema: 'EVENT_SCHEMA', what: "CONCAT('event ', EVENT_NAME)", body: 'EVENT_DEFINITION', mode: 'SQL_MODE' },
]

/**
 * The invariant after every load: the objects of `database` (foreign keys, column defaults, views,
 * triggers, routines, events) that name one of the tool's temporary databases, each as
 * "<kind> <name> -> <temporary database>". Empty when the database is clean.
 */
export async function tempMentions(db: Db, database: string): Promise<string[]> {
  const out: string[] = []
  const keys = await query<{ tbl: string; name: string; ref: string }>(db,
    `SELECT TABLE_NAME AS tbl, CONSTRAINT_NAME AS name, UNIQUE_CONSTRAINT_SCHEMA AS ref FROM information_schema.REFERENTIAL_CONSTRAINTS
     WHERE CONSTRAINT_SCHEMA = ? AND UNIQUE_CONSTRAINT_SCHEMA LIKE ?`, [database, LIKE_PREFIX])
  for (const k of keys) out.push(`table ${k.tbl} foreign key ${k.name} -> ${k.ref}`)
  for (const s of SOURCES) {
    const rows = await query<{ what: string; body: string; mode: string | null }>(db,
      `SELECT ${s.what} AS what, ${s.body} AS body, ${s.mode} AS mode FROM information_schema.${s.from} WHERE ${s.schema} = ? AND ${s.body} LIKE ?`,
      [database, LIKE_MENTION])
    // the LIKE finds candidates; the tokenizer keeps only real qualifiers (not a string that happens to hold the prefix)
    for (const r of rows) for (const q of tempQualifiers(r.body, r.mode ?? undefined)) out.push(`${r.what} -> ${q}`)
  }
  return out.sort()
}
