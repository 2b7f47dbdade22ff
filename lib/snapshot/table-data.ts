// One table's rows as zstd-compressed TSV files that a stock `mariadb` client can LOAD DATA back,
// byte for byte: read raw (character_set_results = binary, no type conversion in the driver),
// written with LOAD DATA's default escapes, streamed through zstd with flat memory (loading: table-load.ts).
import fs from 'node:fs'
import path from 'node:path'
import type { Connection as CoreConnection } from 'mysql2'
import { ident, query, type Db } from '../db.ts'
import { failure } from '../errors.ts'
import { makeDataDir } from '../fs-util.ts'
import { rewrap, writeChunks, type ChunkOptions, type DataFile } from './tsv.ts'

export type { DataFile } from './tsv.ts'

export interface ColumnInfo {
  name: string
  dataType: string
  columnType: string
  /** VIRTUAL or STORED generated, or a system-versioning ROW START/END column: the server computes it. */
  generated: boolean
  invisible: boolean
  /** Set for an explicit ROW START / ROW END column of a system-versioned table. */
  systemTime?: 'start' | 'end'
  /** A text column's character set and its longest character in bytes (null for other types). */
  charset?: { name: string; maxLen: number } | null
}

export interface TableDump {
  table: string
  rows: number
  files: DataFile[]
  /** Loaded columns, in file order. */
  columns: string[]
  /** The column list (and SET clause) of the LOAD DATA statement. */
  loadColumns: string
  /** The rows include system-versioning history (loading needs system_versioning_insert_history). */
  history?: boolean
}

/** The columns of a table in order; an empty list when the table does not exist. */
export async function tableColumns(db: Db, database: string, table: string): Promise<ColumnInfo[]> {
  const rows = await query<{ name: string; dataType: string; columnType: string; extra: string | null; expr: string | null;
    charset: string | null; maxLen: number | null }>(db,
    `SELECT c.COLUMN_NAME AS name, c.DATA_TYPE AS dataType, c.COLUMN_TYPE AS columnType, c.EXTRA AS extra,
            c.GENERATION_EXPRESSION AS expr, c.CHARACTER_SET_NAME AS charset, cs.MAXLEN AS maxLen
       FROM information_schema.COLUMNS c
       LEFT JOIN information_schema.CHARACTER_SETS cs ON cs.CHARACTER_SET_NAME = c.CHARACTER_SET_NAME
      WHERE c.TABLE_SCHEMA = ? AND c.TABLE_NAME = ? ORDER BY c.ORDINAL_POSITION`,
    [database, table])
  return rows.map((r) => {
    const extra = (r.extra ?? '').toUpperCase()
    const expr = (r.expr ?? '').toUpperCase()
    const info: ColumnInfo = {
      name: r.name,
      dataType: r.dataType.toLowerCase(),
      columnType: r.columnType,
      generated: /\b(VIRTUAL|STORED|PERSISTENT) GENERATED\b/.test(extra),
      invisible: /\bINVISIBLE\b/.test(extra),
      charset: r.charset ? { name: r.charset.toLowerCase(), maxLen: Number(r.maxLen ?? 4) } : null,
    }
    if (expr === 'ROW START') info.systemTime = 'start'
    if (expr === 'ROW END') info.systemTime = 'end'
    return info
  })
}

/** Types whose raw bytes, read with character_set_results = binary, load back as they are. */
const RAW = new Set(['tinyint', 'smallint', 'mediumint', 'int', 'integer', 'bigint', 'decimal', 'numeric', 'double', 'real',
  'year', 'date', 'time', 'datetime', 'timestamp', 'char', 'varchar', 'binary', 'varbinary', 'tinytext', 'text',
  'mediumtext', 'longtext', 'tinyblob', 'blob', 'mediumblob', 'longblob', 'geometry', 'point', 'linestring', 'polygon',
  'multipoint', 'multilinestring', 'multipolygon', 'geometrycollection', 'geomcollection', 'vector'])

interface Field { name: string; select: string; target: string; set?: string }

/**
 * How one column is read and loaded. FLOAT is shown rounded to 6 digits: read it as the exact
 * DOUBLE. BIT, ENUM and SET go as numbers (BIT bytes are not text; an ENUM's invalid '' and a
 * member '' look alike). Other types (INET6, UUID, MySQL's JSON) take text only from a text
 * string, not from the binary one LOAD DATA ... CHARACTER SET binary gives them.
 */
export function columnField(c: ColumnInfo, i: number): Field {
  const q = ident(c.name)
  if (c.dataType === 'float') return { name: c.name, select: `CAST(${q} AS DOUBLE)`, target: q }
  if (RAW.has(c.dataType)) return { name: c.name, select: q, target: q }
  const v = `@c${i}`
  if (['bit', 'enum', 'set'].includes(c.dataType)) {
    return { name: c.name, select: `${q} + 0`, target: v, set: `${q} = CAST(${v} AS UNSIGNED)` }
  }
  return { name: c.name, select: q, target: v, set: `${q} = CONVERT(${v} USING utf8mb4)` }
}

/** The LOAD DATA column list with its SET clause. */
export function loadColumnsClause(fields: Field[]): string {
  const sets = fields.filter((f) => f.set).map((f) => f.set)
  return `(${fields.map((f) => f.target).join(', ')})${sets.length ? ` SET ${sets.join(', ')}` : ''}`
}

/**
 * The fields to dump: every stored, non-generated column, invisible ones included. With
 * `history`, a timestamp-versioned table also gives its ROW START/END (implicit ones are named
 * row_start/row_end); transaction-precise versioning cannot be loaded back, so it never does.
 */
export function dumpFields(columns: ColumnInfo[], history: boolean): { fields: Field[]; history: boolean } {
  const fields = columns.filter((c) => !c.generated).map((c, i) => columnField(c, i))
  if (!history) return { fields, history: false }
  const start = columns.find((c) => c.systemTime === 'start')
  const end = columns.find((c) => c.systemTime === 'end')
  if (start?.dataType === 'bigint') return { fields, history: false }
  for (const name of [start?.name ?? 'row_start', end?.name ?? 'row_end']) fields.push({ name, select: ident(name), target: ident(name) })
  return { fields, history: true }
}

const DUMP_SESSION: [string, string][] = [
  ['character_set_results', 'binary'], // raw bytes of every column, in its own character set
  ['time_zone', "'+00:00'"], // TIMESTAMPs in UTC: no DST gap or fold on the way back
  ['net_write_timeout', '3600'], // the reader pauses while zstd catches up
]

/** Runs `fn` with session variables set, then puts the caller's values back. */
export async function withSession<T>(db: Db, vars: [string, string][], fn: () => Promise<T>): Promise<T> {
  await db.query(`SET ${vars.map(([n]) => `@datakeep_${n} = @@SESSION.${n}`).join(', ')}`)
  await db.query(`SET SESSION ${vars.map(([n, v]) => `${n} = ${v}`).join(', ')}`)
  const restore = () => db.query(`SET SESSION ${vars.map(([n]) => `${n} = @datakeep_${n}`).join(', ')}`)
  let out: T
  try {
    out = await fn()
  } catch (e) {
    await restore().catch(() => undefined)
    throw e
  }
  await restore()
  return out
}

/** The callback connection under mysql2's promise wrapper: only it gives a row stream. */
function core(db: Db): CoreConnection {
  return (db as unknown as { connection: CoreConnection }).connection
}

interface DumpOptions extends ChunkOptions { history?: boolean }

/** How one table's rows are read: the SELECT list and FROM clause, and how the files load back. */
export interface TableQuery {
  table: string
  select: string
  from: string
  history: boolean
  columns: string[]
  loadColumns: string
  /**
   * The server's own INTO OUTFILE text equals this tool's: true unless a column holds a multi-byte
   * character set other than UTF-8 (in Shift-JIS, GBK, Big5 or UCS-2 a character may contain the
   * bytes of a backslash or a tab, which the server leaves unescaped inside the character).
   */
  serverTextSafe: boolean
}

/** A character set whose every byte the server escapes alone: single-byte ones and UTF-8. */
export function bytewiseCharset(c: ColumnInfo['charset']): boolean {
  return !c || c.maxLen === 1 || c.name === 'binary' || /^utf8(mb3|mb4)?$/.test(c.name)
}

/** The query that dumps `table` (which must be a base table); with `history`, a versioned table's past rows too. */
export async function tableQuery(db: Db, database: string, table: string, opts: { history?: boolean } = {}): Promise<TableQuery> {
  const [info] = await query<{ type: string }>(db,
    'SELECT TABLE_TYPE AS type FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?', [database, table])
  if (!info) throw failure(`cannot dump table ${table}: it does not exist in database ${database}`)
  // a view's rows belong to its tables; a sequence's state is part of its definition
  if (info.type === 'VIEW' || info.type === 'SEQUENCE') throw failure(`cannot dump the rows of ${table}: it is a ${info.type.toLowerCase()}`)
  const columns = await tableColumns(db, database, table)
  const { fields, history } = dumpFields(columns, (opts.history ?? false) && info.type === 'SYSTEM VERSIONED')
  return {
    table,
    select: `SELECT ${fields.map((f) => f.select).join(', ')}`,
    from: `FROM ${ident(database)}.${ident(table)}${history ? ' FOR SYSTEM_TIME ALL' : ''}`,
    history,
    columns: fields.map((f) => f.name),
    loadColumns: loadColumnsClause(fields),
    serverTextSafe: columns.every((c) => c.generated || bytewiseCharset(c.charset)),
  }
}

/** `fn` in the session a dump reads in (raw bytes, UTC); the caller's settings are put back. */
export function inDumpSession<T>(db: Db, fn: () => Promise<T>): Promise<T> {
  return withSession(db, DUMP_SESSION, fn)
}

/**
 * Streams the rows of `q` (those matching `where`, when given) through zstd into numbered files
 * under `snapshotDir`; `db` is already inside the caller's consistent-snapshot transaction.
 */
export async function streamRows(db: Db, q: TableQuery, where: string | null, snapshotDir: string, opts: ChunkOptions = {}): Promise<DataFile[]> {
  const sql = `${q.select} ${q.from}${where ? ` WHERE ${where}` : ''}`
  makeDataDir(path.join(snapshotDir, 'data'))
  try {
    return await inDumpSession(db, () => {
      const rows = core(db).query({ sql, rowsAsArray: true, typeCast: false }).stream({ highWaterMark: 128 })
      return writeChunks(rows, q.table, snapshotDir, opts)
    })
  } catch (e) {
    throw rewrap(e, `dumping table ${q.table} failed`)
  }
}

/** The manifest's view of a table's files. */
export function tableDumpOf(q: TableQuery, files: DataFile[]): TableDump {
  const dump: TableDump = { table: q.table, rows: files.reduce((a, f) => a + f.rows, 0), files, columns: q.columns, loadColumns: q.loadColumns }
  if (q.history) dump.history = true
  return dump
}

/**
 * Dumps one table's rows into `<snapshotDir>/data/<stem>.NNNNN.tsv.zst` (no file for an empty
 * table). `db` is already inside the caller's consistent-snapshot transaction; its session
 * settings are put back afterwards. With `history`, a system-versioned table's past rows come too.
 */
export async function dumpTableData(db: Db, database: string, table: string, snapshotDir: string,
  opts: DumpOptions = {}): Promise<TableDump> {
  const q = await tableQuery(db, database, table, opts)
  fs.mkdirSync(snapshotDir, { recursive: true }) // one table on its own: its folder is made here
  return tableDumpOf(q, await streamRows(db, q, null, snapshotDir, opts))
}
