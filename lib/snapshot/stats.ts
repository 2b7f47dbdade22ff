// InnoDB's background statistics around a bulk load. While a table fills, InnoDB keeps queueing
// it for a statistics recalculation that cannot finish until the load commits; on MariaDB 10.11
// that retry loop costs about as much server CPU as the load itself (measured: 6.1-6.9 s of
// server CPU for a 600,000-row table, 3.0-3.6 s with it off). So the recalculation is off
// while a table loads, then set back to the table's own setting, and the statistics are
// computed once (ANALYZE TABLE samples a few pages: milliseconds).
import { ident, query, type Db } from '../db.ts'

/** The table's own STATS_AUTO_RECALC (0, 1 or DEFAULT), or null when it is not an InnoDB table. */
export async function statsAutoRecalc(db: Db, database: string, table: string): Promise<string | null> {
  const [t] = await query<{ engine: string | null; options: string | null }>(db,
    'SELECT ENGINE AS engine, CREATE_OPTIONS AS options FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?',
    [database, table])
  if (!t || t.engine?.toLowerCase() !== 'innodb') return null
  return /\bstats_auto_recalc=(\w+)/i.exec(t.options ?? '')?.[1]?.toUpperCase() ?? 'DEFAULT'
}

/**
 * Runs `load` with the table's statistics recalculation off, then puts its own setting back and
 * computes the statistics. A table whose option cannot be changed (the server refuses the
 * ALTER) loads as it is.
 */
export async function withStatsPaused<T>(db: Db, database: string, table: string, load: () => Promise<T>): Promise<T> {
  const own = await statsAutoRecalc(db, database, table)
  const name = `${ident(database)}.${ident(table)}`
  const paused = own !== null && own !== '0' && await db.query(`ALTER TABLE ${name} STATS_AUTO_RECALC = 0`).then(() => true, () => false)
  const restore = () => db.query(`ALTER TABLE ${name} STATS_AUTO_RECALC = ${own}`)
  let out: T
  try {
    out = await load()
  } catch (e) {
    // a staging table is dropped anyway; the load's own error is the one to report
    if (paused) await restore().catch(() => undefined)
    throw e
  }
  if (paused) {
    await restore()
    await db.query(`ANALYZE TABLE ${name}`)
  }
  return out
}
