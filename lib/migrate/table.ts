// schema_migrations in the application database: one row per applied migration. Its `version`
// column is dbmate's, so a database dbmate migrated is adopted (the other columns are added).
import crypto from 'node:crypto'
import { ident, query, type Db } from '../db.ts'
import { failure } from '../errors.ts'

export const TABLE = 'schema_migrations'

export interface AppliedRow {
  version: string
  /** Null on rows dbmate wrote, until the next migrate fills them in from the file. */
  name: string | null
  checksum: string | null
  appliedAt: string | null
}

export async function tableExists(db: Db, database: string): Promise<boolean> {
  const rows = await query(db, 'SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?', [database, TABLE])
  return rows.length > 0
}

/** The recorded migrations, or [] when the table does not exist (a database never migrated). */
export async function readApplied(db: Db, database: string): Promise<AppliedRow[]> {
  if (!(await tableExists(db, database))) return []
  const cols = await columnsOf(db, database)
  const pick = (c: string) => (cols.has(c) ? ident(c) : 'NULL')
  const rows = await query<{ version: string; name: string | null; checksum: string | null; applied_at: string | null }>(db,
    `SELECT version, ${pick('name')} AS name, ${pick('checksum')} AS checksum, ${pick('applied_at')} AS applied_at
     FROM ${ident(database)}.${TABLE}`)
  return rows.map((r) => ({ version: String(r.version), name: r.name, checksum: r.checksum, appliedAt: isoUtc(r.applied_at) }))
}

async function columnsOf(db: Db, database: string): Promise<Set<string>> {
  const rows = await query<{ c: string }>(db, 'SELECT COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?', [database, TABLE])
  return new Set(rows.map((r) => r.c.toLowerCase()))
}

/** DATETIME in UTC as the server prints it, to ISO 8601. */
function isoUtc(v: string | null): string | null {
  return v ? `${v.replace(' ', 'T').slice(0, 19)}Z` : null
}

/** Creates the table, or adds the columns a dbmate-made one lacks (plain ALTERs: MySQL 8 has no ADD COLUMN IF NOT EXISTS). */
export async function ensureTable(db: Db, database: string): Promise<void> {
  const t = `${ident(database)}.${TABLE}`
  if (!(await tableExists(db, database))) {
    await db.query(`CREATE TABLE IF NOT EXISTS ${t} (
      version VARCHAR(128) NOT NULL PRIMARY KEY,
      name VARCHAR(255) NULL,
      checksum CHAR(64) NULL,
      applied_at DATETIME(6) NULL
    ) DEFAULT CHARSET=utf8mb4`)
    return
  }
  const cols = await columnsOf(db, database)
  const add: Record<string, string> = { name: 'VARCHAR(255) NULL', checksum: 'CHAR(64) NULL', applied_at: 'DATETIME(6) NULL' }
  for (const [c, type] of Object.entries(add)) {
    if (!cols.has(c)) await db.query(`ALTER TABLE ${t} ADD COLUMN ${c} ${type}`)
  }
}

export async function recordApplied(db: Db, database: string, m: { version: string; name: string; checksum: string }): Promise<void> {
  await db.query(`INSERT INTO ${ident(database)}.${TABLE} (version, name, checksum, applied_at) VALUES (?, ?, ?, UTC_TIMESTAMP(6))`,
    [m.version, m.name, m.checksum])
}

export async function forgetApplied(db: Db, database: string, version: string): Promise<void> {
  await db.query(`DELETE FROM ${ident(database)}.${TABLE} WHERE version = ?`, [version])
}

/** Trust on first use: a row dbmate wrote gets the name and checksum of the file as it is now. */
export async function fillInUnverified(db: Db, database: string, m: { version: string; name: string; checksum: string }): Promise<void> {
  await db.query(`UPDATE ${ident(database)}.${TABLE} SET name = ?, checksum = ? WHERE version = ? AND checksum IS NULL`,
    [m.name, m.checksum, m.version])
}

/**
 * Holds a server-side named lock while `fn` runs, so two `make migrate` never interleave. The lock
 * belongs to the connection: a crashed run frees it when its connection drops.
 */
export async function withMigrationLock<T>(db: Db, database: string, fn: () => Promise<T>): Promise<T> {
  // lock names are at most 64 characters; a database name may be 64 on its own
  const name = `datakeep.migrate.${crypto.createHash('sha1').update(database).digest('hex').slice(0, 16)}`
  const [r] = await query<{ got: number | null }>(db, 'SELECT GET_LOCK(?, 10) AS got', [name])
  if (Number(r.got) !== 1) {
    throw failure(`another migration run holds the lock on database ${database}`, 'wait for it to finish, then run make migrate again')
  }
  try { return await fn() } finally { await query(db, 'SELECT RELEASE_LOCK(?)', [name]).catch(() => undefined) }
}
