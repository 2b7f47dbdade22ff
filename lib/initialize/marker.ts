// The tool's own record of what it last did to a database: kept in the server (database
// `_datakeep`), so it lives and dies with the volume and never travels inside a snapshot.
import { ident, query, withDb } from '../db.ts'
import type { Runtime } from '../runtime/index.ts'

export const MARKER_DB = '_datakeep'

export interface Marker {
  database: string
  action: 'seeded' | 'loaded' | 'migrated' | 'created' | 'cleaned'
  snapshot: string | null
  seedHash: string | null
  tables: number
  at: string
}

const TABLE = `${ident(MARKER_DB)}.marker`

export async function readMarker(rt: Runtime): Promise<Marker | null> {
  return withDb(rt.admin, async (db) => {
    const exists = await query(db, "SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'marker'", [MARKER_DB])
    if (exists.length === 0) return null
    const rows = await query<{ db: string; action: Marker['action']; snapshot: string | null; seed_hash: string | null; tables: number; at: string }>(db,
      `SELECT db, action, snapshot, seed_hash, tables, DATE_FORMAT(at, '%Y-%m-%dT%H:%i:%sZ') AS at FROM ${TABLE} WHERE db = ?`, [rt.admin.database])
    const r = rows[0]
    return r ? { database: r.db, action: r.action, snapshot: r.snapshot, seedHash: r.seed_hash, tables: Number(r.tables), at: r.at } : null
  }, { database: null })
}

export async function writeMarker(rt: Runtime, m: Omit<Marker, 'database' | 'at'>): Promise<void> {
  await withDb(rt.admin, async (db) => {
    await db.query(`CREATE DATABASE IF NOT EXISTS ${ident(MARKER_DB)}`)
    await db.query(`CREATE TABLE IF NOT EXISTS ${TABLE} (
      db VARCHAR(64) NOT NULL PRIMARY KEY, action VARCHAR(16) NOT NULL, snapshot VARCHAR(128) NULL,
      seed_hash CHAR(64) NULL, tables INT NOT NULL, at DATETIME NOT NULL) ENGINE=InnoDB`)
    await db.query(`REPLACE INTO ${TABLE} (db, action, snapshot, seed_hash, tables, at) VALUES (?, ?, ?, ?, ?, UTC_TIMESTAMP())`,
      [rt.admin.database, m.action, m.snapshot, m.seedHash, m.tables])
  }, { database: null })
}

/** What the marker says, as `up`, `initialize` and `check` print it: "loaded from snapshot s1 at <time>". */
export function describeMarker(m: Pick<Marker, 'action' | 'snapshot' | 'at'>): string {
  const from = m.snapshot === null ? '' : m.snapshot.startsWith(FILE_PREFIX) ? ` from file ${m.snapshot.slice(FILE_PREFIX.length)}` : ` from snapshot ${m.snapshot}`
  return `${m.action}${from} at ${m.at}`
}

/** The marker's `snapshot` for a plain SQL file imported with data_load --file. */
const FILE_PREFIX = 'file:'

/**
 * data_load records what it loaded, so the marker follows the last load (not the seed that came
 * before it): a snapshot by name, a plain SQL file by its file name.
 */
export async function recordLoad(rt: Runtime, from: { snapshot: string } | { file: string }, tables: number): Promise<void> {
  await writeMarker(rt, loadMarker(from, tables))
}

/** The marker a load writes, on every engine (the PostgreSQL engine writes it with its own writeMarker). */
export function loadMarker(from: { snapshot: string } | { file: string }, tables: number): Omit<Marker, 'database' | 'at'> {
  const snapshot = 'snapshot' in from ? from.snapshot : `${FILE_PREFIX}${from.file.split('/').pop()}`.slice(0, 128)
  return { action: 'loaded', snapshot, seedHash: null, tables }
}
