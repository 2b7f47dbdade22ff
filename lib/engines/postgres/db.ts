// SQL over a connection to PostgreSQL (pg): connections from the runtime's settings, errors as one
// line naming where it tried, identifier and literal quoting.
import pg from 'pg'
import type { Connection } from '../../db.ts'
import { UserError, failure } from '../../errors.ts'
import { TEMP_DB_PREFIX } from '../../snapshot/names.ts'

export type PgClient = pg.Client

// numeric, int8 and the date/time types come back as the server's text: exact, and never shifted
// by this process's time zone
const asText = (v: string) => v
for (const oid of [20, 1700, 1082, 1114, 1184, 1083, 1266]) pg.types.setTypeParser(oid, asText)

/** Where a connection goes, for messages: the socket folder or host:port. */
export function where(conn: Connection): string {
  return conn.host?.startsWith('/') ? `socket ${conn.host}/.s.PGSQL.${conn.port}` : `${conn.host}:${conn.port}`
}

export async function pgConnect(conn: Connection, opts: { database?: string | null; appName?: string } = {}): Promise<PgClient> {
  const client = new pg.Client({
    host: conn.host, port: conn.port, user: conn.user, password: conn.password,
    // PostgreSQL always connects to a database: "postgres" for work on the server itself
    database: opts.database === null ? 'postgres' : (opts.database ?? conn.database),
    application_name: opts.appName ?? `datakeep pid=${process.pid}`,
    connectionTimeoutMillis: 5000,
  })
  client.on('error', () => undefined) // a server gone away surfaces in the pending query instead
  try {
    await client.connect()
    return client
  } catch (e) {
    await client.end().catch(() => undefined)
    const err = e as { code?: string; message: string }
    if (err.code === '28P01' || err.code === '28000') {
      throw new UserError(`access denied for role ${conn.user} at ${where(conn)}`, {
        hint: 'check POSTGRES_PASSWORD (or DATABASE_URL) in .env: it must be the password the role was created with',
      })
    }
    if (err.code === '3D000') throw failure(`database ${opts.database ?? conn.database} does not exist at ${where(conn)}`, 'to create it: make up')
    if (['ECONNREFUSED', 'ENOENT', 'ETIMEDOUT', 'EHOSTUNREACH', '57P03'].includes(err.code ?? '') || /timeout|terminated/i.test(err.message)) {
      throw failure(`the database server does not answer at ${where(conn)} (${err.code ?? err.message})`, 'to fix: make up')
    }
    throw e
  }
}

export async function withPg<T>(conn: Connection, fn: (c: PgClient) => Promise<T>, opts?: Parameters<typeof pgConnect>[1]): Promise<T> {
  const c = await pgConnect(conn, opts)
  try { return await fn(c) } finally { await c.end().catch(() => undefined) }
}

export async function pgQuery<T = Record<string, unknown>>(c: PgClient, sql: string, params: unknown[] = []): Promise<T[]> {
  return (await c.query(sql, params)).rows as T[]
}

/** Double-quotes an identifier. */
export function qi(name: string): string {
  return '"' + name.replace(/"/g, '""') + '"'
}

/**
 * Drops one of datakeep's own temporary databases (side, old, scratch: named with TEMP_DB_PREFIX),
 * ending its sessions; any other name is refused: the application's database is never dropped here.
 */
export async function dropTempDatabase(c: PgClient, tempDb: string): Promise<void> {
  if (!tempDb.startsWith(TEMP_DB_PREFIX)) throw new Error(`refusing to drop database ${tempDb}: not one of datakeep's temporary databases`)
  // its CREATE still running on another session of this process (Ctrl-C came while it was made) is
  // cancelled first: it would finish after the drop and stay behind
  const own = ['datakeep pid=' + process.pid, `CREATE DATABASE ${qi(tempDb)}`]
  const creating = "FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid() AND state = 'active' AND starts_with(query, $2)"
  for (let i = 0; i < 100 && (await pgQuery(c, `SELECT pg_cancel_backend(pid) ${creating}`, own)).length > 0; i++) await new Promise((r) => setTimeout(r, 50))
  await c.query(`DROP DATABASE IF EXISTS ${qi(tempDb)} WITH (FORCE)`)
}

/** A schema-qualified name, quoted. */
export function qname(schema: string, name: string): string {
  return `${qi(schema)}.${qi(name)}`
}

/** A string literal (standard_conforming_strings is on from 9.1). */
export function ql(s: string): string {
  return "'" + s.replace(/'/g, "''") + "'"
}

export async function pgDatabaseExists(c: PgClient, name: string): Promise<boolean> {
  return (await pgQuery(c, 'SELECT 1 FROM pg_database WHERE datname = $1', [name])).length > 0
}

export async function pgVersion(c: PgClient): Promise<string> {
  return (await pgQuery<{ v: string }>(c, "SELECT current_setting('server_version') AS v"))[0].v.split(' ')[0]
}

/**
 * Settings pinned on every session that reads or writes data as text, so the same rows give the
 * same bytes whatever the server's or the client's defaults (the list).
 */
export const PINNED_SETTINGS = [
  "SET DateStyle = 'ISO, YMD'", "SET TimeZone = 'UTC'", 'SET extra_float_digits = 3', "SET client_encoding = 'UTF8'",
  "SET IntervalStyle = 'postgres'", 'SET bytea_output = hex', 'SET synchronize_seqscans = off', 'SET standard_conforming_strings = on',
]
