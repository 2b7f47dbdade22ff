// Creates a snapshot's schema in a database (its own or another, e.g. a staging one), each
// object under the session settings it was created under, and drops the non-table objects
// before a table swap.
import { databaseExists, ident, query, type Db } from '../db.ts'
import { failure } from '../errors.ts'
import { DDL_SQL_MODE, restoreSession, saveSession } from './schema-session.ts'
import type { SchemaObject, SchemaSnapshot } from './schema.ts'
import { executeImmediateHex, lexingOf, needsHexSend, parseAccount, rewriteDatabase, withDefiner } from './schema-text.ts'

const NAME = /^\w+$/

function checkName(kind: string, v: string): string {
  if (!NAME.test(v)) throw failure(`the snapshot's ${kind} "${v}" is not a valid name`)
  return v
}

/** The message of a failed CREATE, naming the object. */
function createError(o: SchemaObject, target: string, e: unknown): Error {
  const err = e as { message?: string; errno?: number }
  return Object.assign(failure(`cannot create ${o.kind} ${target}.${o.name}: ${err.message ?? String(e)}`), { errno: err.errno })
}

/** Creates the base tables and sequences of `s` in `target` (created if missing), without rows, foreign key checks off. */
export async function createTables(db: Db, target: string, s: SchemaSnapshot): Promise<void> {
  const saved = await saveSession(db)
  try {
    if (!(await databaseExists(db, target))) {
      await db.query(`CREATE DATABASE ${ident(target)} CHARACTER SET ${checkName('charset', s.database.charset)} COLLATE ${checkName('collation', s.database.collation)}`)
    }
    await db.query(`USE ${ident(target)}`)
    await db.query("SET SESSION foreign_key_checks = 0, sql_mode = ?, character_set_client = 'utf8mb4', collation_connection = 'utf8mb4_general_ci'", [DDL_SQL_MODE])
    for (const t of s.tables) await db.query(t.create).catch((e) => { throw createError(t, target, e) })
  } finally {
    await restoreSession(db, saved)
  }
}

interface Context {
  db: Db
  target: string
  from: string
  /** accounts that exist (user@host), or null when this user may not list them */
  accounts: Set<string> | null
  me: string
  collation: string
}

async function contextFor(db: Db, target: string, s: SchemaSnapshot): Promise<Context> {
  const accounts = await query<{ u: string; h: string }>(db, 'SELECT User AS u, Host AS h FROM mysql.user')
    .then((rows) => new Set(rows.map((r) => `${r.u}@${r.h}`)), () => null)
  const [{ me }] = await query<{ me: string }>(db, 'SELECT CURRENT_USER() AS me')
  const [{ coll }] = await query<{ coll: string }>(db,
    'SELECT DEFAULT_COLLATION_NAME AS coll FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [target])
  return { db, target, from: s.database.name, accounts, me, collation: coll }
}

/** An original definer is kept when its account exists here; otherwise the restoring user becomes the definer. */
function keepsDefiner(ctx: Context, definer: string | undefined): boolean {
  if (!definer) return false
  const { user, host } = parseAccount(definer)
  return ctx.accounts ? ctx.accounts.has(`${user}@${host}`) : `${user}@${host}` === ctx.me
}

const ER_SPECIFIC_ACCESS_DENIED = 1227

/** Creates one view, routine, trigger or event under its own sql_mode, character sets, time zone and database collation. */
async function createObject(ctx: Context, o: SchemaObject): Promise<void> {
  const { db, target } = ctx
  const mode = o.kind === 'view' ? DDL_SQL_MODE : (o.sqlMode ?? DDL_SQL_MODE)
  const text = rewriteDatabase(o.create, ctx.from, target, lexingOf(mode))
  const csc = o.characterSetClient ?? 'utf8mb4'
  const send = (sql: string) => db.query(needsHexSend(sql, csc) ? executeImmediateHex(sql) : sql)
  const coll = o.databaseCollation && o.databaseCollation !== ctx.collation ? checkName('collation', o.databaseCollation) : null
  // the database collation gives routine parameters and variables without a charset theirs
  if (coll) await db.query(`ALTER DATABASE ${ident(target)} COLLATE ${coll}`)
  await db.query('SET SESSION sql_mode = ?, character_set_client = ?, collation_connection = ?', [mode, csc, o.collationConnection ?? 'utf8mb4_general_ci'])
  if (o.timeZone) await db.query('SET SESSION time_zone = ?', [o.timeZone])
  try {
    if (keepsDefiner(ctx, o.definer)) {
      try {
        await send(withDefiner(text, o.definer!))
        return
      } catch (e) {
        if ((e as { errno?: number }).errno !== ER_SPECIFIC_ACCESS_DENIED) throw e
      }
    }
    await send(text)
  } catch (e) {
    throw createError(o, target, e)
  } finally {
    await db.query("SET SESSION sql_mode = ?, character_set_client = 'utf8mb4', collation_connection = 'utf8mb4_general_ci'", [DDL_SQL_MODE])
    if (coll) await db.query(`ALTER DATABASE ${ident(target)} COLLATE ${checkName('collation', ctx.collation)}`)
  }
}

const ER_NO_SUCH_TABLE = 1146

/** Views in the snapshot's order; one that still finds a view missing waits for the next round. */
async function createViews(ctx: Context, views: SchemaObject[]): Promise<void> {
  let pending = views
  while (pending.length) {
    const waiting: SchemaObject[] = []
    let firstError: unknown
    for (const v of pending) {
      try {
        await createObject(ctx, v)
      } catch (e) {
        if ((e as { errno?: number }).errno !== ER_NO_SUCH_TABLE) throw e
        waiting.push(v)
        firstError ??= e
      }
    }
    if (waiting.length === pending.length) throw firstError
    pending = waiting
  }
}

/**
 * Creates the views, routines, triggers and events of `s` in `target` and sets its sequences'
 * next values. Names qualified with the snapshot's database are rewritten to `target`.
 * The session (sql_mode, character sets, time zone, default database) is restored after.
 */
export async function createPostData(db: Db, target: string, s: SchemaSnapshot): Promise<void> {
  const saved = await saveSession(db)
  try {
    await db.query(`USE ${ident(target)}`)
    const ctx = await contextFor(db, target, s)
    // routines first: a view may call a function; triggers and events bind late
    for (const o of s.routines) await createObject(ctx, o)
    await createViews(ctx, s.views)
    // one after another in firing order, each new trigger fires after those before it
    for (const o of [...s.triggers, ...s.events]) await createObject(ctx, o)
    for (const v of s.sequenceValues) await db.query(setvalSql(v, `${ident(target)}.${ident(v.name)}`))
  } finally {
    await restoreSession(db, saved)
  }
}

/** SETVAL takes literal numbers only, so the values are checked, then written in. */
export function setvalSql(v: SchemaSnapshot['sequenceValues'][number], name: string): string {
  const num = (x: string) => { if (!/^-?\d+$/.test(x)) throw failure(`sequence ${v.name}: "${x}" is not a number`); return x }
  return `DO SETVAL(${name}, ${num(v.next)}, 0, ${num(v.round ?? '0')})`
}

/** Drops every view, trigger, routine and event of `database`, leaving its tables and sequences. */
export async function dropPostData(db: Db, database: string): Promise<void> {
  const saved = await saveSession(db)
  try {
    await dropAll(db, database)
  } finally {
    await restoreSession(db, saved)
  }
}

async function dropAll(db: Db, database: string): Promise<void> {
  const q = (name: string) => `${ident(database)}.${ident(name)}`
  const views = await query<{ n: string }>(db, 'SELECT TABLE_NAME AS n FROM information_schema.VIEWS WHERE TABLE_SCHEMA = ?', [database])
  if (views.length) await db.query(`DROP VIEW IF EXISTS ${views.map((v) => q(v.n)).join(', ')}`)
  const triggers = await query<{ n: string }>(db, 'SELECT TRIGGER_NAME AS n FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ?', [database])
  for (const t of triggers) await db.query(`DROP TRIGGER IF EXISTS ${q(t.n)}`)
  const routines = await query<{ n: string; t: string }>(db,
    'SELECT ROUTINE_NAME AS n, ROUTINE_TYPE AS t FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ?', [database])
  // a package body goes before its package (dropping the package drops the body too)
  routines.sort((a, b) => Number(b.t === 'PACKAGE BODY') - Number(a.t === 'PACKAGE BODY'))
  // MariaDB before 11.4 knows the word PACKAGE only in Oracle mode
  for (const r of routines) {
    await db.query('SET SESSION sql_mode = ?', [r.t.startsWith('PACKAGE') ? 'ORACLE' : DDL_SQL_MODE])
    await db.query(`DROP ${r.t} IF EXISTS ${q(r.n)}`)
  }
  const events = await query<{ n: string }>(db, 'SELECT EVENT_NAME AS n FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ?', [database])
  for (const e of events) await db.query(`DROP EVENT IF EXISTS ${q(e.n)}`)
}
