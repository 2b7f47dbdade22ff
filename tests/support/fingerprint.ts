// What a round trip must preserve, read from a live database: per-table rows and CHECKSUM TABLE,
// AUTO_INCREMENT, and every object's SHOW CREATE text; plus helpers to load SQL with the stock client.
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { ident, query, type Db } from '../../lib/db.ts'
import { HOST, run } from '../../lib/run.ts'
import { tempMentions } from '../../lib/snapshot/references.ts'
import type { TestStack } from './stack.ts'

export interface Fingerprint {
  tables: Record<string, { rows: number; checksum: string; autoIncrement: string | null }>
  objects: Record<string, string>
}

/**
 * The database's fingerprint. It also checks the invariant every load must keep (issue 18): no
 * object names one of datakeep's temporary databases; every round trip that fingerprints the
 * loaded database fails on a violation, naming the objects.
 */
export async function fingerprint(db: Db, database: string): Promise<Fingerprint> {
  const stale = await tempMentions(db, database)
  if (stale.length) throw new Error(`${database} names a temporary database of datakeep: ${stale.join(', ')}`)
  const fp: Fingerprint = { tables: {}, objects: {} }
  // SHOW CREATE VIEW names the database unless it is the connection's own
  await db.query(`USE ${ident(database)}`)
  const tables = await query<{ name: string; type: string; ai: string | null }>(db,
    'SELECT TABLE_NAME AS name, TABLE_TYPE AS type, AUTO_INCREMENT AS ai FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME', [database])
  const q = (n: string) => `${ident(database)}.${ident(n)}`
  for (const t of tables) {
    if (t.type === 'VIEW') {
      fp.objects[`view ${t.name}`] = String((await query<Record<string, string>>(db, `SHOW CREATE VIEW ${q(t.name)}`))[0]['Create View'])
      continue
    }
    const create = (await query<Record<string, string>>(db, `SHOW CREATE TABLE ${q(t.name)}`))[0]
    fp.objects[`${t.type === 'SEQUENCE' ? 'sequence' : 'table'} ${t.name}`] = String(create['Create Table'])
    if (t.type === 'SEQUENCE') continue
    const [c] = await query<{ n: string }>(db, `SELECT COUNT(*) AS n FROM ${q(t.name)}`)
    const [k] = await query<{ Checksum: string }>(db, `CHECKSUM TABLE ${q(t.name)}`)
    fp.tables[t.name] = { rows: Number(c.n), checksum: String(k.Checksum), autoIncrement: t.ai === null ? null : String(t.ai) }
  }
  for (const kind of ['PROCEDURE', 'FUNCTION'] as const) {
    const rows = await query<{ name: string }>(db, 'SELECT ROUTINE_NAME AS name FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ? AND ROUTINE_TYPE = ?', [database, kind])
    for (const r of rows) {
      const [s] = await query<Record<string, string>>(db, `SHOW CREATE ${kind} ${q(r.name)}`)
      fp.objects[`${kind.toLowerCase()} ${r.name}`] = `${s.sql_mode}\n${s[`Create ${kind[0] + kind.slice(1).toLowerCase()}`]}`
    }
  }
  const triggers = await query<{ name: string; ord: number }>(db, 'SELECT TRIGGER_NAME AS name, ACTION_ORDER AS ord FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ?', [database])
  for (const t of triggers) {
    const [s] = await query<Record<string, string>>(db, `SHOW CREATE TRIGGER ${q(t.name)}`)
    fp.objects[`trigger ${t.name}`] = `${t.ord}\n${s.sql_mode}\n${s['SQL Original Statement']}`
  }
  const events = await query<{ name: string }>(db, 'SELECT EVENT_NAME AS name FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ?', [database])
  for (const e of events) {
    const [s] = await query<Record<string, string>>(db, `SHOW CREATE EVENT ${q(e.name)}`)
    fp.objects[`event ${e.name}`] = `${s.sql_mode}\n${s['Create Event']}`
  }
  return fp
}

/** Runs an SQL file through the stock `mariadb` client against the stack's server. */
export async function loadSqlFile(stack: TestStack, file: string, database?: string): Promise<void> {
  await run(HOST, ['mariadb', ...stack.rt.clientArgs(), ...(database ? [database] : [])], { env: stack.rt.clientEnv(), input: fs.createReadStream(file) })
}

export async function sql(stack: TestStack, statement: string, database?: string): Promise<string> {
  return (await run(HOST, ['mariadb', ...stack.rt.clientArgs(), '--batch', '--skip-column-names', ...(database ? [database] : []), '-e', statement], { env: stack.rt.clientEnv() })).stdout
}

/** Content hash of a folder: relative paths, modes and bytes. */
export function treeDigest(dir: string): string {
  const h = crypto.createHash('sha256')
  const walk = (d: string) => {
    if (!fs.existsSync(d)) return
    for (const name of fs.readdirSync(d).sort()) {
      const p = path.join(d, name)
      const st = fs.lstatSync(p)
      h.update(`${path.relative(dir, p)}\0${st.mode}\0`)
      if (st.isDirectory()) walk(p)
      else if (st.isFile()) h.update(fs.readFileSync(p))
    }
  }
  walk(dir)
  return h.digest('hex')
}
