// "Nothing changed since": the server's write counters, read under the global read lock when a
// snapshot is taken. Equal counters later, on the same running server, mean no table of any
// database was written since, so the snapshot still holds the live data: a safety check then
// needs no CHECKSUM TABLE, and a physical copy needs no second read of its tables.
import { failure } from '../errors.ts'
import { query, type Db } from '../db.ts'

/**
 * Server-wide counters that every change to a table's rows or definition, or to a view, routine,
 * trigger, event or sequence, moves: row writes, updates and deletes of every engine (internal
 * temporary tables count elsewhere), and DDL. Statements in routines, triggers, events and
 * replicated rows all count; reads never do.
 */
const CHANGE_COUNTERS = ['Handler_write', 'Handler_update', 'Handler_delete', 'Com_alter_table', 'Com_create_table',
  'Com_drop_table', 'Com_rename_table', 'Com_truncate', 'Com_create_index', 'Com_drop_index', 'Com_create_db',
  'Com_drop_db', 'Com_alter_db', 'Com_create_view', 'Com_drop_view', 'Com_create_trigger', 'Com_drop_trigger',
  'Com_create_procedure', 'Com_alter_procedure', 'Com_drop_procedure', 'Com_create_function', 'Com_alter_function',
  'Com_drop_function', 'Com_create_event', 'Com_alter_event', 'Com_drop_event', 'Com_create_sequence',
  'Com_alter_sequence', 'Com_drop_sequence']

export async function changeCounters(db: Db): Promise<string> {
  const rows = await query<{ Variable_name: string; Value: string }>(db,
    `SHOW GLOBAL STATUS WHERE Variable_name IN (${CHANGE_COUNTERS.map(() => '?').join(', ')})`, CHANGE_COUNTERS)
  if (rows.length !== CHANGE_COUNTERS.length) throw failure(`the server reports ${rows.length} of the ${CHANGE_COUNTERS.length} status counters datakeep reads`)
  return JSON.stringify(rows.map((r) => [r.Variable_name, r.Value]).sort())
}

/**
 * Whether unmoved counters prove that nothing changed: the tables' engines are ones whose writes
 * they count, and no open transaction holds writes (its commit would move no counter). Read under
 * the global read lock, which blocks those commits; from InnoDB's live status, not INNODB_TRX,
 * whose cache may be stale.
 */
export async function countersSuffice(db: Db, tables: { engine: string }[]): Promise<boolean> {
  if (tables.some((t) => !['InnoDB', 'Aria', 'MyISAM'].includes(t.engine))) return false
  const [row] = await query<{ Status: string }>(db, 'SHOW ENGINE INNODB STATUS').catch(() => []) // no PROCESS privilege: cannot tell
  const text = String(row?.Status ?? '')
  return text.includes('LIST OF TRANSACTIONS') && !/truncated/i.test(text) && !/undo log entries [1-9]/.test(text)
}

/** What a snapshot records of the moment it was taken, to tell later that nothing changed. */
export interface QuietMark {
  /** changeCounters() under the global read lock. */
  counters: string
  /** When the server started (unix seconds, from its uptime): counters restart with it. */
  serverStart: number
}

async function serverStart(db: Db): Promise<number> {
  const [r] = await query<{ at: string }>(db, "SELECT UNIX_TIMESTAMP() - VARIABLE_VALUE AS at FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'UPTIME'")
  return Number(r.at)
}

/**
 * The mark of this moment, when the counters can prove it later (countersSuffice), else null.
 * Call it under the global read lock, on the tables of the snapshot.
 */
export async function quietMark(db: Db, tables: { engine: string }[]): Promise<QuietMark | null> {
  if (!(await countersSuffice(db, tables))) return null
  return { counters: await changeCounters(db), serverStart: await serverStart(db) }
}

/** Whether nothing was written since `mark`: the same server process, the same counters. */
export async function unchangedSince(db: Db, mark: QuietMark | null | undefined): Promise<boolean> {
  if (!mark) return false
  // the start time comes from two one-second clocks: a second either way is the same start
  if (Math.abs((await serverStart(db)) - mark.serverStart) > 2) return false
  return (await changeCounters(db)) === mark.counters
}
