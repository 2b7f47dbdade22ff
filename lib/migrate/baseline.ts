// A baseline migration (make schema_migration ARGS="--format sql"): the whole schema of a database
// that existed before datakeep's migrations. Its header names its tables; on a database that already
// has every one of them, migrate records the baseline as applied instead of running it (and failing
// on the first CREATE TABLE).
import { query, type Db } from '../db.ts'

/** The header line, before `-- migrate:up`: `-- datakeep-baseline: {"tables":[...]}`. */
export const BASELINE_HEADER = '-- datakeep-baseline:'

/** The tables a baseline file creates, or null when the file is not a baseline. */
export function baselineTables(text: string): string[] | null {
  for (const line of text.split('\n')) {
    if (/^--\s*migrate:/.test(line)) return null
    if (!line.startsWith(BASELINE_HEADER)) continue
    try {
      const v = JSON.parse(line.slice(BASELINE_HEADER.length)) as { tables?: unknown }
      return Array.isArray(v.tables) && v.tables.length > 0 && v.tables.every((t) => typeof t === 'string') ? v.tables as string[] : null
    } catch {
      return null
    }
  }
  return null
}

/** True when `database` already has every table the baseline creates. */
export async function baselinePresent(db: Db, database: string, tables: string[]): Promise<boolean> {
  const rows = await query<{ n: string }>(db, 'SELECT TABLE_NAME AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?', [database])
  const have = new Set(rows.map((r) => r.n))
  return tables.every((t) => have.has(t))
}
