// SQL over a connection (mysql2). Connection settings come from the runtime.
import mysql from 'mysql2/promise'
import { UserError, failure } from './errors.ts'

export interface Connection {
  host?: string
  port?: number
  socketPath?: string
  user: string
  password: string
  /** The application database; admin work connects without one. */
  database: string
}

export type Db = mysql.Connection

/** Opens a connection; connection errors become one clear line naming where it tried. */
export async function connect(conn: Connection, opts: { database?: string | null; multipleStatements?: boolean } = {}): Promise<Db> {
  const where = conn.socketPath ? `socket ${conn.socketPath}` : `${conn.host}:${conn.port}`
  try {
    return await mysql.createConnection({
      host: conn.host,
      port: conn.port,
      socketPath: conn.socketPath,
      user: conn.user,
      password: conn.password,
      database: opts.database === null ? undefined : (opts.database ?? conn.database),
      multipleStatements: opts.multipleStatements ?? false,
      charset: 'utf8mb4_general_ci',
      dateStrings: true,
      supportBigNumbers: true,
      bigNumberStrings: true,
      connectTimeout: 5000,
    })
  } catch (e) {
    const err = e as { code?: string; message: string }
    if (err.code === 'ER_ACCESS_DENIED_ERROR') {
      throw new UserError(`access denied for user ${conn.user} at ${where}`, {
        hint: 'check MYSQL_ROOT_PASSWORD (or DATABASE_URL) in .env: it must be the password the server was created with',
      })
    }
    if (['ECONNREFUSED', 'ENOENT', 'ETIMEDOUT', 'EHOSTUNREACH', 'PROTOCOL_CONNECTION_LOST'].includes(err.code ?? '')) {
      throw failure(`the database server does not answer at ${where} (${err.code})`, 'to fix: make up')
    }
    throw e
  }
}

/** Runs `fn` with a connection and always closes it. */
export async function withDb<T>(conn: Connection, fn: (db: Db) => Promise<T>, opts?: Parameters<typeof connect>[1]): Promise<T> {
  const db = await connect(conn, opts)
  try { return await fn(db) } finally { await db.end().catch(() => db.destroy()) }
}

/**
 * A comment that names this process, put before statements the server goes on running after a
 * client is killed (INTO OUTFILE writes its file to the end): the next run finds and stops them.
 */
export function ownerTag(pid = process.pid): string {
  return `/* datakeep pid=${pid} */ `
}

/** Backtick-quotes an identifier. */
export function ident(name: string): string {
  return '`' + name.replace(/`/g, '``') + '`'
}

export async function query<T = Record<string, unknown>>(db: Db, sql: string, params: unknown[] = []): Promise<T[]> {
  const [rows] = await db.query(sql, params)
  return rows as T[]
}

export async function serverVersion(db: Db): Promise<string> {
  const [row] = await query<{ v: string }>(db, 'SELECT VERSION() AS v')
  return row.v
}

export async function databaseExists(db: Db, name: string): Promise<boolean> {
  const rows = await query(db, 'SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [name])
  return rows.length > 0
}

export interface TableCount { table: string; type: string; rows: number }

/** Every base table and view of a database, with exact row counts for base tables. */
export async function tableCounts(db: Db, database: string): Promise<TableCount[]> {
  const tables = await query<{ name: string; type: string }>(db,
    `SELECT TABLE_NAME AS name, TABLE_TYPE AS type FROM information_schema.TABLES
     WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME`, [database])
  const out: TableCount[] = []
  for (const t of tables) {
    if (t.type === 'VIEW') { out.push({ table: t.name, type: 'view', rows: 0 }); continue }
    const [r] = await query<{ n: string }>(db, `SELECT COUNT(*) AS n FROM ${ident(database)}.${ident(t.name)}`)
    out.push({ table: t.name, type: t.type === 'SEQUENCE' ? 'sequence' : 'table', rows: Number(r.n) })
  }
  return out
}
