// The session settings schema work changes (sql_mode, character sets, time zone, default
// database), saved before and put back after, so callers find their connection as they left it.
import crypto from 'node:crypto'
import { ident, query, type Db } from '../db.ts'

/**
 * The session sql_mode tables and views are read and created under. SHOW CREATE TABLE/VIEW
 * print under the session's mode (ANSI_QUOTES would print "names", MYSQL323 would drop options),
 * so a fixed mode gives one text that re-creates the same object.
 */
export const DDL_SQL_MODE = 'NO_ENGINE_SUBSTITUTION'

export interface Session { mode: string; csc: string; cc: string; tz: string; fk: string; quote: string; db: string | null }

export async function saveSession(db: Db): Promise<Session> {
  const [s] = await query<Session>(db, `SELECT @@SESSION.sql_mode AS mode, @@SESSION.character_set_client AS csc,
    @@SESSION.collation_connection AS cc, @@SESSION.time_zone AS tz, @@SESSION.foreign_key_checks AS fk,
    @@SESSION.sql_quote_show_create AS quote, DATABASE() AS db`)
  return s
}

export async function restoreSession(db: Db, s: Session): Promise<void> {
  await db.query(`SET SESSION sql_mode = ?, character_set_client = ?, collation_connection = ?, time_zone = ?,
    foreign_key_checks = ?, sql_quote_show_create = ?`, [s.mode, s.csc, s.cc, s.tz, Number(s.fk), Number(s.quote)])
  await useDatabase(db, s.db)
}

/** Makes `name` the default database again; no statement unselects one, but dropping the selected database does. */
async function useDatabase(db: Db, name: string | null): Promise<void> {
  if (name !== null && await db.query(`USE ${ident(name)}`).then(() => true, () => false)) return
  const scratch = `datakeep_nodb_${crypto.randomBytes(6).toString('hex')}`
  try {
    await db.query(`CREATE DATABASE ${ident(scratch)}`)
    await db.query(`USE ${ident(scratch)}`)
  } catch { /* best effort: the default database stays where the work left it */ } finally {
    await db.query(`DROP DATABASE IF EXISTS ${ident(scratch)}`).catch(() => undefined)
  }
}
