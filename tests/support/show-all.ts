// Every SHOW CREATE row of a database (Created times aside), trigger order included, read
// independently of the library: what a rebuild of a schema must give back.
import { ident, query, type Db } from '../../lib/db.ts'

export type Shown = Record<string, string>

export async function showAll(db: Db, database: string, skipTables: string[] = []): Promise<Shown> {
  const out: Shown = {}
  await db.query(`USE ${ident(database)}`) // SHOW CREATE VIEW then prints names unqualified, as people see them
  const q = (n: string) => `${ident(database)}.${ident(n)}`
  const put = async (key: string, sql: string) => {
    const [row] = await query<Record<string, unknown>>(db, sql)
    delete row.Created
    out[key] = JSON.stringify(row)
  }
  const tables = await query<{ n: string; t: string }>(db, 'SELECT TABLE_NAME n, TABLE_TYPE t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?', [database])
  for (const { n, t } of tables) {
    if (skipTables.includes(n)) continue
    if (t === 'VIEW') await put(`view ${n}`, `SHOW CREATE VIEW ${q(n)}`)
    else if (t === 'SEQUENCE') await put(`sequence ${n}`, `SHOW CREATE SEQUENCE ${q(n)}`)
    else await put(`table ${n}`, `SHOW CREATE TABLE ${q(n)}`)
  }
  const routines = await query<{ n: string; t: string }>(db, 'SELECT ROUTINE_NAME n, ROUTINE_TYPE t FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ?', [database])
  for (const { n, t } of routines) {
    if (t.startsWith('PACKAGE')) await db.query("SET SESSION sql_mode = 'ORACLE'")
    await put(`${t} ${n}`, `SHOW CREATE ${t} ${q(n)}`)
    await db.query('SET SESSION sql_mode = DEFAULT')
  }
  const triggers = await query<{ n: string; o: string }>(db, `SELECT TRIGGER_NAME n, CONCAT_WS(' ', EVENT_OBJECT_TABLE, ACTION_TIMING,
    EVENT_MANIPULATION, ACTION_ORDER, SQL_MODE) o FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ?`, [database])
  for (const { n, o } of triggers) {
    await put(`trigger ${n}`, `SHOW CREATE TRIGGER ${q(n)}`)
    out[`trigger order ${n}`] = o
  }
  const events = await query<{ n: string }>(db, 'SELECT EVENT_NAME n FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ?', [database])
  for (const { n } of events) await put(`event ${n}`, `SHOW CREATE EVENT ${q(n)}`)
  return out
}
