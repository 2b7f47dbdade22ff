// Chunks by primary key, as mydumper does: a big table with a single integer primary key is read
// as several key ranges, so several readers share it and each range is a file of its own.
import { ident, query, type Db } from '../db.ts'

const INTEGER = new Set(['tinyint', 'smallint', 'mediumint', 'int', 'integer', 'bigint'])

/** The primary key column when the key is one integer column, else null. */
export async function integerKey(db: Db, database: string, table: string): Promise<string | null> {
  const cols = await query<{ name: string; type: string }>(db,
    `SELECT k.COLUMN_NAME AS name, c.DATA_TYPE AS type
       FROM information_schema.KEY_COLUMN_USAGE k
       JOIN information_schema.COLUMNS c ON c.TABLE_SCHEMA = k.TABLE_SCHEMA AND c.TABLE_NAME = k.TABLE_NAME AND c.COLUMN_NAME = k.COLUMN_NAME
      WHERE k.TABLE_SCHEMA = ? AND k.TABLE_NAME = ? AND k.CONSTRAINT_NAME = 'PRIMARY'`, [database, table])
  return cols.length === 1 && INTEGER.has(cols[0].type.toLowerCase()) ? cols[0].name : null
}

/**
 * Splits [min, max] into `n` ranges of equal width as WHERE conditions that together cover every
 * value (the first is open below, the last open above): no row is missed even if the key is
 * skewed or the bounds move. Pure: bounds are decimal integer strings.
 */
export function splitKeyRange(column: string, min: string, max: string, n: number): string[] {
  const lo = BigInt(min)
  const width = BigInt(max) - lo + 1n
  const parts = BigInt(Math.max(1, Math.floor(n)))
  const step = (width + parts - 1n) / parts
  if (parts <= 1n || step <= 0n) return []
  const col = ident(column)
  const bounds: bigint[] = []
  for (let b = lo + step; b <= BigInt(max); b += step) bounds.push(b)
  if (bounds.length === 0) return []
  return [
    `${col} < ${bounds[0]}`,
    ...bounds.slice(1).map((b, i) => `${col} >= ${bounds[i]} AND ${col} < ${b}`),
    `${col} >= ${bounds[bounds.length - 1]}`,
  ]
}

/**
 * The WHERE conditions to read `table` in chunks of about `chunkRows` rows (estimated), or [null]
 * (the whole table at once) when it is small or has no single integer primary key. `db` is
 * inside the dump's consistent snapshot, so the bounds are the snapshot's.
 */
export async function keyRanges(db: Db, database: string, table: string, estimate: number, chunkRows: number): Promise<(string | null)[]> {
  const n = Math.ceil(estimate / Math.max(1, chunkRows))
  if (n < 2) return [null]
  const key = await integerKey(db, database, table)
  if (!key) return [null]
  const [b] = await query<{ lo: string | null; hi: string | null }>(db,
    `SELECT CAST(MIN(${ident(key)}) AS CHAR) AS lo, CAST(MAX(${ident(key)}) AS CHAR) AS hi FROM ${ident(database)}.${ident(table)}`)
  if (b.lo === null || b.hi === null) return [null]
  const ranges = splitKeyRange(key, b.lo, b.hi, n)
  return ranges.length ? ranges : [null]
}
