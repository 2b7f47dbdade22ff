// Writing rows without firing the tables' triggers, on a server that has no switch for that
// (MariaDB has no session_replication_role). Each trigger of the tables is replaced, with
// CREATE OR REPLACE TRIGGER (one statement: other sessions see the old or the new trigger, never
// none), by itself wrapped in `IF NOT (@datakeep_triggers_off <=> '<token>') THEN ... END IF`,
// and the writing session sets that variable. Every other session fires the triggers exactly as
// before; only ours skips them. The original definitions are journaled in a `_dk_guard_<pid>_*`
// database before the first trigger changes, so a run killed mid-way is settled by the next data
// operation's debris cleanup (recoverGuard). docs/fixtures.md explains the choice.
import crypto from 'node:crypto'
import { ident, query, serverVersion, withDb, type Connection, type Db } from '../db.ts'
import { UserError, failure, onInterrupt } from '../errors.ts'
import { TEMP_DB_PREFIX } from './names.ts'
import { createPostData, readSchema, type SchemaObject, type SchemaSnapshot } from './schema.ts'

/** The session variable the guarded triggers test; set only on the connection that writes. */
export const GUARD_VAR = '@datakeep_triggers_off'
const JOURNAL = '_dk_guard_journal'

export interface HeldTrigger {
  table: string; name: string; timing: string; event: string
  /** ACTION_STATEMENT: the body, as written */
  body: string
  /** the trigger as SHOW CREATE TRIGGER gives it, with its session settings */
  original: SchemaObject
}

interface Journal { database: string; token: string; triggers: HeldTrigger[] }

export interface Guard {
  database: string
  token: string
  journalDb: string
  triggers: HeldTrigger[]
  /** Puts the original triggers back and removes the journal; runs once, however often called. */
  release(): Promise<void>
}

/** The triggers of `tables` in `database`, per table in firing order. */
async function readTriggers(db: Db, database: string, tables: string[]): Promise<HeldTrigger[]> {
  const want = new Set(tables)
  const rows = (await query<{ name: string; tbl: string; timing: string; event: string; body: string }>(db,
    `SELECT TRIGGER_NAME AS name, EVENT_OBJECT_TABLE AS tbl, ACTION_TIMING AS timing, EVENT_MANIPULATION AS event,
            ACTION_STATEMENT AS body
     FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ?`, [database])).filter((r) => want.has(r.tbl))
  if (rows.length === 0) return []
  // readSchema keeps each table's triggers in firing order, with what re-creates them exactly
  const objects = (await readSchema(db, database)).triggers
  const byName = new Map(rows.map((r) => [r.name, r]))
  return objects.filter((o) => byName.has(o.name)).map((o) => {
    const r = byName.get(o.name)!
    return { table: r.tbl, name: r.name, timing: r.timing, event: r.event, body: r.body, original: o }
  })
}

/** FOLLOWS x / PRECEDES x in a trigger's text, before its body. */
export function orderClause(t: HeldTrigger): { kind: 'FOLLOWS' | 'PRECEDES'; other: string } | null {
  const head = t.original.create.slice(0, Math.max(0, t.original.create.length - t.body.length))
  const m = /\bFOR\s+EACH\s+ROW\s+(FOLLOWS|PRECEDES)\s+(`(?:[^`]|``)+`|"(?:[^"]|"")+"|\w+)\s*$/i.exec(head)
  if (!m) return null
  const other = /^[`"]/.test(m[2]) ? m[2].slice(1, -1).replace(/``|""/g, (x) => x[0]) : m[2]
  return { kind: m[1].toUpperCase() as 'FOLLOWS' | 'PRECEDES', other }
}

/**
 * True when re-creating `group` (one table, timing and event, in firing order) one after another
 * with their own texts, starting from that order, gives that order back: each CREATE OR REPLACE
 * goes last, or beside the trigger its FOLLOWS/PRECEDES names. MariaDB keeps the order but drops
 * the clause from the stored text, so this holds there; it guards a server that keeps it.
 */
export function replayKeepsOrder(group: HeldTrigger[]): boolean {
  const list = group.map((t) => t.name)
  for (const t of group) {
    list.splice(list.indexOf(t.name), 1)
    const c = orderClause(t)
    const at = c ? list.indexOf(c.other) : -1
    if (!c || at < 0) list.push(t.name)
    else list.splice(c.kind === 'FOLLOWS' ? at + 1 : at, 0, t.name)
  }
  return list.every((n, i) => n === group[i].name)
}

const groupKey = (t: HeldTrigger) => `${t.table}\0${t.timing}\0${t.event}`

function checkRestorable(triggers: HeldTrigger[], otherWay: string): void {
  const groups = new Map<string, HeldTrigger[]>()
  for (const t of triggers) groups.set(groupKey(t), [...groups.get(groupKey(t)) ?? [], t])
  for (const g of groups.values()) {
    if (!replayKeepsOrder(g)) {
      throw new UserError(`the ${g[0].timing} ${g[0].event} triggers of table ${g[0].table} (${g.map((t) => t.name).join(', ')}) were ordered with FOLLOWS/PRECEDES in a way they cannot be re-created in; they were not touched and nothing was loaded`, {
        hint: otherWay,
      })
    }
  }
}

/** The trigger wrapped in the guard; no FOLLOWS/PRECEDES: re-created in firing order, each goes last. */
export function guardedText(t: HeldTrigger, token: string): string {
  // the newline ends a trailing "-- comment" in the body before the guard's END IF
  const body = t.body.replace(/[\s;]+$/, '')
  return `CREATE OR REPLACE TRIGGER ${ident(t.name)} ${t.timing} ${t.event} ON ${ident(t.table)} FOR EACH ROW `
    + `IF NOT (${GUARD_VAR} <=> '${token}') THEN\n${body}\n; END IF`
}

const orReplace = (create: string) => create.replace(/^CREATE\s+(?:OR\s+REPLACE\s+)?/i, 'CREATE OR REPLACE ')

/** Re-creates triggers one after another (CREATE OR REPLACE), each under its own session settings. */
async function replaceTriggers(db: Db, database: string, objects: SchemaObject[]): Promise<void> {
  if (objects.length === 0) return
  const s: SchemaSnapshot = {
    database: { name: database, charset: '', collation: '' },
    tables: [], views: [], routines: [], triggers: objects, events: [], sequenceValues: [],
  }
  await createPostData(db, database, s)
}

const guardPass = (db: Db, j: Journal, ts = j.triggers) => replaceTriggers(db, j.database,
  ts.map((t) => ({ ...t.original, create: guardedText(t, j.token) })))
const restorePass = (db: Db, j: Journal, ts = j.triggers) => replaceTriggers(db, j.database,
  ts.map((t) => ({ ...t.original, create: orReplace(t.original.create) })))

/**
 * Holds off the triggers of `tables` for the session `writer` (which gets GUARD_VAR set), or
 * returns null when those tables have none. The guard's DDL runs on its own connection from
 * `conn`. Call release() when the writer's transaction has ended (committed or rolled back).
 * On Ctrl-C (from the moment the journal exists) the writer's connection is killed, so its
 * transaction rolls back and lets its tables go, and the triggers are put back.
 */
export async function holdTriggers(conn: Connection, writer: Db, database: string, tables: string[],
  /** What to do when they cannot be held off (the command's other way). */
  otherWay = 'run it again with --with-triggers (they then fire for every row)'): Promise<Guard | null> {
  return withDb(conn, async (db) => {
    const triggers = await readTriggers(db, database, tables)
    if (triggers.length === 0) return null
    // MySQL has no CREATE OR REPLACE TRIGGER: no swap of a trigger that other sessions never miss
    if (!/mariadb/i.test(await serverVersion(db))) {
      throw new UserError(`tables ${[...new Set(triggers.map((t) => t.table))].join(', ')} have triggers, which datakeep can hold off only on MariaDB (CREATE OR REPLACE TRIGGER); nothing was changed`, {
        hint: otherWay,
      })
    }
    checkRestorable(triggers, otherWay)
    const [{ writerId }] = await query<{ writerId: number }>(writer, 'SELECT CONNECTION_ID() AS writerId')
    const token = crypto.randomBytes(8).toString('hex')
    const journalDb = `${TEMP_DB_PREFIX}guard_${process.pid}_${Date.now().toString(36)}`
    const j: Journal = { database, token, triggers }
    // the journal is committed before the first trigger changes: from here on, a run that dies
    // is settled by the next one (recoverGuard), whatever point it reached
    await db.query(`CREATE DATABASE ${ident(journalDb)}`)
    await db.query(`CREATE TABLE ${ident(journalDb)}.${ident(JOURNAL)} (doc LONGTEXT NOT NULL) ENGINE=InnoDB`)
    await db.query(`INSERT INTO ${ident(journalDb)}.${ident(JOURNAL)} (doc) VALUES (?)`, [JSON.stringify(j)])
    await db.query('SET SESSION lock_wait_timeout = 30')
    let guarding: Promise<unknown> = Promise.resolve()
    let released: Promise<void> | null = null
    // never beside the guard pass: a restore interleaved with it could end with a guarded trigger
    const release = () => released ??= guarding.catch(() => undefined).then(() => withDb(conn, async (d) => {
      await d.query('SET SESSION lock_wait_timeout = 30')
      await restorePass(d, j)
      await d.query(`DROP DATABASE IF EXISTS ${ident(journalDb)}`)
      off()
    }, { database: null }))
    const off = onInterrupt(async () => {
      await withDb(conn, (d) => d.query(`KILL CONNECTION ${Number(writerId)}`), { database: null }).catch(() => undefined)
      await release()
    })
    try {
      await (guarding = guardPass(db, j))
      await writer.query(`SET ${GUARD_VAR} = ?`, [token])
    } catch (e) {
      // put back what was changed; when that fails too, the journal stays for the next run
      await release().catch(() => undefined)
      throw lockHint(e, database)
    }
    return { database, token, journalDb, triggers, release }
  }, { database: null })
}

function lockHint(e: unknown, database: string): Error {
  if ((e as { code?: string }).code !== 'ER_LOCK_WAIT_TIMEOUT') return e as Error
  return failure(`another connection holds a lock on a table of ${database}, so its triggers could not be held off; nothing was loaded`,
    'to fix: close the application\'s long transactions and run it again')
}

/**
 * Settles the guard of a run that died (the journal database `journalDb`, which the caller then
 * drops): every journaled trigger whose table still exists is put back as it was, in its firing
 * order. First all in the guarded form (which, one after another, gives the journaled order
 * whatever point the run reached), then all in their own form. Returns what was done, or null
 * when `journalDb` holds no journal (the run died before changing anything).
 */
export async function recoverGuard(db: Db, journalDb: string): Promise<string | null> {
  const has = await query(db, 'SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?', [journalDb, JOURNAL])
  if (has.length === 0) return null
  const rows = await query<{ doc: string }>(db, `SELECT doc FROM ${ident(journalDb)}.${ident(JOURNAL)}`)
  if (rows.length === 0) return null
  const j = JSON.parse(rows[0].doc) as Journal
  const live = new Set((await query<{ n: string }>(db,
    'SELECT TABLE_NAME AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?', [j.database])).map((r) => r.n))
  const ts = j.triggers.filter((t) => live.has(t.table))
  await db.query('SET SESSION lock_wait_timeout = 30')
  await guardPass(db, j, ts)
  await restorePass(db, j, ts)
  const tables = [...new Set(ts.map((t) => t.table))]
  return `put back ${ts.length} trigger${ts.length === 1 ? '' : 's'} of ${j.database} (${tables.join(', ')}) that an interrupted load had held off`
}
