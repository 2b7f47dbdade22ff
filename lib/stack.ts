// What is running and what it holds: the facts behind `make status` and the checks before work.
import { databaseExists, ident, query, serverVersion, tableCounts, withDb, type TableCount } from './db.ts'
import { count } from './log.ts'
import type { Runtime } from './runtime/index.ts'

export interface StackStatus {
  runtime: string
  server: { running: boolean; detail: string; version: string | null }
  data: { where: string; exists: boolean; bytes: number | null }
  database: { name: string; exists: boolean; tables: TableCount[] | null }
}

export async function stackStatus(rt: Runtime): Promise<StackStatus> {
  const state = await rt.state()
  const data = await rt.data()
  const name = rt.admin.database
  const status: StackStatus = {
    runtime: rt.name,
    server: { running: state.running, detail: state.detail, version: null },
    data: { where: data.where, exists: data.exists, bytes: data.bytes ?? null },
    database: { name, exists: false, tables: null },
  }
  if (!state.running) return status
  await withDb(rt.admin, async (db) => {
    status.server.version = await serverVersion(db)
    status.database.exists = await databaseExists(db, name)
    if (status.database.exists) status.database.tables = await tableCounts(db, name)
  }, { database: null })
  return status
}

/** Creates the application database when it is missing; true when it was created. */
export async function ensureDatabase(rt: Runtime): Promise<boolean> {
  return withDb(rt.admin, async (db) => {
    const name = rt.admin.database
    if (await databaseExists(db, name)) return false
    await query(db, `CREATE DATABASE ${ident(name)}`)
    return true
  }, { database: null })
}

/** "4 tables, 1 view": base tables counted apart from views and sequences (status, check). */
export function describeTables(tables: readonly TableCount[]): string {
  const n = (type: string) => tables.filter((t) => t.type === type).length
  const parts = [count(n('table'), 'table')]
  if (n('view')) parts.push(count(n('view'), 'view'))
  if (n('sequence')) parts.push(count(n('sequence'), 'sequence'))
  return parts.join(', ')
}
