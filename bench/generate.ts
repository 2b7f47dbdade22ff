// The benchmark's data: a deterministic database of `rows` rows in total, spread over the tables
// of bench/schema.ts, streamed as TSV straight into LOAD DATA LOCAL INFILE (no file on disk).
// The same (rows, seed) gives the same CHECKSUM TABLE on every table.
import { Readable } from 'node:stream'
import { connect, ident, query, type Connection, type Db } from '../lib/db.ts'
import { Rng } from './prng.ts'
import { TABLES, type Counts, type TableSpec } from './schema.ts'

export const DEFAULT_SEED = 'datakeep-bench-1'
export const MIN_ROWS = 1000
const BATCH_ROWS = 2000

/** Rows per table for a total of `total`: by weight, at least each table's minimum, summing to `total`. */
export function tableCounts(total: number, tables: TableSpec[] = TABLES): Counts {
  if (!Number.isInteger(total) || total < MIN_ROWS) throw new Error(`a benchmark database needs at least ${MIN_ROWS} rows (got ${total})`)
  const counts: Counts = {}
  for (const t of tables) counts[t.name] = Math.max(t.min, Math.floor(total * t.weight))
  // the rounding remainder goes to the largest table
  const largest = tables.reduce((a, b) => (b.weight > a.weight ? b : a))
  counts[largest.name] += total - Object.values(counts).reduce((a, b) => a + b, 0)
  if (counts.product_tags > counts.products * counts.tags) throw new Error('product_tags would repeat a (product, tag) pair')
  return counts
}

/** One table's rows as TSV text, in batches; `limit` stops early (tests). */
export function* tsvBatches(spec: TableSpec, seed: string, counts: Counts, limit = counts[spec.name]): Generator<string> {
  const r = new Rng(`${seed}:${spec.name}`)
  const cols = spec.columns
  for (let start = 0; start < limit; start += BATCH_ROWS) {
    let out = ''
    const end = Math.min(limit, start + BATCH_ROWS)
    for (let i = start; i < end; i++) {
      for (let c = 0; c < cols.length; c++) {
        const v = cols[c].gen(r, i, counts)
        out += (c > 0 ? '\t' : '') + (v === null ? '\\N' : v)
      }
      out += '\n'
    }
    yield out
  }
}

/** The LOAD DATA statement for a table's TSV: hex columns go through a variable and UNHEX. */
export function loadStatement(database: string, spec: TableSpec): string {
  const targets = spec.columns.map((c, i) => (c.hex ? `@h${i}` : ident(c.name)))
  const sets = spec.columns.flatMap((c, i) => (c.hex ? [`${ident(c.name)} = UNHEX(@h${i})`] : []))
  return `LOAD DATA LOCAL INFILE 'bench.tsv' INTO TABLE ${ident(database)}.${ident(spec.name)} CHARACTER SET utf8mb4 ` +
    `(${targets.join(', ')})${sets.length ? ` SET ${sets.join(', ')}` : ''}`
}

async function loadTable(db: Db, database: string, spec: TableSpec, seed: string, counts: Counts): Promise<void> {
  const [res] = await db.query({
    sql: loadStatement(database, spec),
    infileStreamFactory: () => Readable.from(tsvBatches(spec, seed, counts), { objectMode: false }),
  })
  const { affectedRows, warningStatus } = res as { affectedRows: number; warningStatus: number }
  if (affectedRows !== counts[spec.name] || warningStatus > 0) {
    const warnings = await query<{ Message: string }>(db, 'SHOW WARNINGS LIMIT 3')
    throw new Error(`${spec.name}: ${affectedRows} of ${counts[spec.name]} rows loaded, ${warningStatus} warnings: ${warnings.map((w) => w.Message).join('; ')}`)
  }
}

export interface GenerateOptions { rows: number; seed?: string; threads?: number }

/**
 * Drops and recreates `database` with `rows` rows of benchmark data. Tables load in parallel on
 * `threads` connections (the server parses while Node generates). Returns the row counts.
 */
export async function generateDatabase(conn: Connection, database: string, opts: GenerateOptions): Promise<Counts> {
  const seed = opts.seed ?? DEFAULT_SEED
  const counts = tableCounts(opts.rows)
  const admin = await connect(conn, { database: null })
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${ident(database)}`)
    await admin.query(`CREATE DATABASE ${ident(database)} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`)
    await admin.query(`USE ${ident(database)}`)
    await admin.query('SET SESSION foreign_key_checks = 0')
    for (const t of TABLES) await admin.query(t.ddl)
  } finally {
    await admin.end()
  }
  const queue = [...TABLES].sort((a, b) => counts[b.name] - counts[a.name])
  await Promise.all(Array.from({ length: Math.max(1, opts.threads ?? 2) }, async () => {
    const db = await connect(conn, { database })
    try {
      // UTC: TIMESTAMP values are stored as given, whatever the server's zone
      await db.query("SET SESSION foreign_key_checks = 0, unique_checks = 0, time_zone = '+00:00', sql_mode = 'STRICT_ALL_TABLES'")
      for (let t = queue.shift(); t; t = queue.shift()) await loadTable(db, database, t, seed, counts)
    } finally {
      await db.end()
    }
  }))
  return counts
}

export interface TableCheck { rows: number; checksum: string }

/** Row count and CHECKSUM TABLE of every table of `database`, by name. */
export async function checksumTables(db: Db, database: string): Promise<Record<string, TableCheck>> {
  const tables = await query<{ name: string }>(db,
    "SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME", [database])
  const out: Record<string, TableCheck> = {}
  for (const { name } of tables) {
    const q = `${ident(database)}.${ident(name)}`
    const [c] = await query<{ n: string }>(db, `SELECT COUNT(*) AS n FROM ${q}`)
    const [k] = await query<{ Checksum: string | number | null }>(db, `CHECKSUM TABLE ${q}`)
    out[name] = { rows: Number(c.n), checksum: String(k.Checksum) }
  }
  return out
}
