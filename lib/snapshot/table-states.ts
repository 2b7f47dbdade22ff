// The base tables of a database, and their row counts and checksums read in parallel: what a
// dump records of each table and what a safety check compares with a snapshot.
import { ident, query, type Db } from '../db.ts'

export interface BaseTable {
  name: string
  /** WITH SYSTEM VERSIONING */
  versioned: boolean
  /** The server's row estimate (TABLE_ROWS). */
  estimate: number
  /** Data and indexes on disk. */
  bytes: number
  engine: string
}

/** The base tables of `database`, biggest first. */
export async function baseTables(db: Db, database: string): Promise<BaseTable[]> {
  const rows = await query<{ name: string; type: string; est: string | null; len: string | null; engine: string | null }>(db,
    `SELECT TABLE_NAME AS name, TABLE_TYPE AS type, TABLE_ROWS AS est, DATA_LENGTH + INDEX_LENGTH AS len, ENGINE AS engine
     FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED')
     ORDER BY DATA_LENGTH DESC, TABLE_NAME`, [database])
  return rows.map((r) => ({ name: r.name, versioned: r.type === 'SYSTEM VERSIONED', estimate: Number(r.est ?? 0),
    bytes: Number(r.len ?? 0), engine: r.engine ?? '' }))
}

export interface TableState { name: string; rows: number; checksum: string | null; bytes: number }

/**
 * Rows and CHECKSUM TABLE of every base table, read by `workers`, all in one consistent snapshot:
 * the count and the checksum of a table are separate tasks, so one big table keeps two readers busy.
 */
export async function readStates(workers: Db[], database: string, tables: { name: string; bytes: number }[]): Promise<TableState[]> {
  const states = new Map(tables.map((t) => [t.name, { name: t.name, rows: 0, checksum: null as string | null, bytes: t.bytes }]))
  const queue = tables.flatMap((t) => [{ t: t.name, count: true }, { t: t.name, count: false }]) // biggest tables first
  await Promise.all(workers.map(async (db) => {
    for (let task = queue.shift(); task; task = queue.shift()) {
      const q = `${ident(database)}.${ident(task.t)}`
      const s = states.get(task.t)!
      if (task.count) s.rows = Number((await query<{ n: string }>(db, `SELECT COUNT(*) AS n FROM ${q}`))[0].n)
      else {
        const [k] = await query<{ Checksum: string | number | null }>(db, `CHECKSUM TABLE ${q}`)
        s.checksum = k.Checksum === null ? null : String(k.Checksum)
      }
    }
  }))
  return [...states.values()].sort((a, b) => a.name.localeCompare(b.name))
}

