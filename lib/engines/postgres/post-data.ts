// pg_dump's post-data section applied as pg_restore -j does: the primary keys, unique constraints
// and indexes built in parallel (one table's on one connection, so they never wait on each other's
// locks), then everything else (foreign keys, triggers, rules, policies, index attachments) in
// pg_dump's order, in one transaction.
import type { Connection } from '../../db.ts'
import { pgConnect, type PgClient } from './db.ts'

export interface PostDataPlan {
  /** The SET statements every session runs first. */
  header: string
  /** Index builds, grouped by table: each group runs on one connection. */
  parallel: string[][]
  /** The rest, in pg_dump's order. */
  serial: string
}

/** Splits pg_dump's plain post-data text at its "-- Name: ...; Type: ..." entry headers. */
export function planPostData(sql: string): PostDataPlan {
  // psql's own commands (\restrict) are not SQL
  const text = sql.split('\n').filter((l) => !l.startsWith('\\')).join('\n')
  const parts = text.split(/\n--\n-- Name: /)
  const header = parts[0]
  const byTable = new Map<string, string[]>()
  const serial: string[] = []
  for (const part of parts.slice(1)) {
    const type = /; Type: ([A-Z ]+);/.exec(part)?.[1] ?? ''
    const body = part.slice(part.indexOf('\n--\n') + 4).trim()
    const table = type === 'INDEX' ? /^CREATE (?:UNIQUE )?INDEX \S+ ON (?:ONLY )?(\S+)/.exec(body)?.[1]
      : type === 'CONSTRAINT' && /^ALTER TABLE (?:ONLY )?\S+\s+ADD CONSTRAINT \S+ (?:PRIMARY KEY|UNIQUE) /.test(body) ? /^ALTER TABLE (?:ONLY )?(\S+)/.exec(body)?.[1]
        : undefined
    if (table) byTable.set(table, [...byTable.get(table) ?? [], body])
    else serial.push(body)
  }
  return { header, parallel: [...byTable.values()], serial: serial.join('\n\n') }
}

/** Runs the plan on `threads` connections to `database`. */
export async function applyPostData(conn: Connection, database: string, sql: string, threads: number): Promise<void> {
  const plan = planPostData(sql)
  const queue = [...plan.parallel].sort((a, b) => b.length - a.length)
  const conns: PgClient[] = []
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(threads, queue.length)) }, async () => {
      const c = await pgConnect(conn, { database })
      conns.push(c)
      await c.query(plan.header)
      await c.query("SET maintenance_work_mem = '256MB'")
      for (let group = queue.shift(); group; group = queue.shift()) for (const stmt of group) await c.query(stmt)
    }))
    const c = conns[0] ?? await pgConnect(conn, { database })
    if (!conns.length) { conns.push(c); await c.query(plan.header) }
    if (plan.serial.trim()) await c.query(`BEGIN;\n${plan.serial}\nCOMMIT;`)
  } finally {
    for (const c of conns) await c.end().catch(() => undefined)
  }
}
