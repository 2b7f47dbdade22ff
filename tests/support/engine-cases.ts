// The engine-specific pieces the suites parameterised by engine share: one record per engine (how
// to make its private stack, the fault world's schema and data in its SQL, how to read the live
// database's state, the points of a load seen from outside, what a failed run leaves behind, and
// how its fault results are named), so a suite is written once and run on each.
import fs from 'node:fs'
import path from 'node:path'
import { generateSql } from '../../bench/pg-generate.ts'
import type { Config } from '../../lib/config.ts'
import { connect, type Db } from '../../lib/db.ts'
import { pgQuery } from '../../lib/engines/postgres/db.ts'
import { HELD_PREFIX } from '../../lib/engines/postgres/held.ts'
import { clientBinDir, psqlArgv } from '../../lib/engines/postgres/tools.ts'
import { HOST, run } from '../../lib/run.ts'
import { appSchemaSql, fillSql, MID_BYTES, ROWS, sqlIn } from './faults.ts'
import { backups, holdTable, leftovers, leftoversWith, partialHasData, partialOf, renameWaiting, tempDbExists, tempTableBytes } from './fault-points.ts'
import { fingerprint, type Fingerprint } from './fingerprint.ts'
import { pgFingerprint, pgHoldDatabase, pgSqlIn, pgSwapWaiting, pgTempDatabases, pgTempDbExists, pgTempDbGrown, PG_FAULT_OBJECTS, PG_FAULT_TABLES, pgFill } from './pg-faults.ts'
import { makePgStack, type PgTestStack } from './pg-stack.ts'
import { makeStack, type TestStack } from './stack.ts'

/** What the engine-neutral scripts need of a stack: a project folder and its environment. */
export interface AnyStack { dir: string; env: Record<string, string>; cfg: Config; stop(): Promise<void>; destroy(): Promise<void> }

export interface EngineCase<S extends AnyStack = AnyStack> {
  /** A private server in a temp project folder; `env` adds to the project's environment. */
  stack(env?: Record<string, string>): Promise<S>
  /** The application's schema and a little data (a snapshot of a few kB). */
  small(stack: S): Promise<void>
  /** Enough data for a snapshot of tens of MB. */
  big(stack: S): Promise<void>
  /** Temporary databases or other debris a failed operation must not leave on the server. */
  leftovers(stack: S): Promise<string[]>
  /** A fault result's record: its name and operation as docs/reliability.md counts them per engine. */
  record(name: string, operation: string): { name: string; operation: string }
  /** An operation's name as the fault results count it (PostgreSQL's carry the engine). */
  op(operation: string): string

  // ---- the fault world (tests/support/faults.ts: twoStates, seededProject) ----
  /** Statements in this engine's SQL, run as the application. */
  sql(stack: S, statements: string): Promise<void>
  /** The fault world's tables (big, note), then its other objects (a trigger, a view, a function). */
  tables: string
  objects: string
  /** Fills big and note with `rows` rows that depend on `salt`. */
  fill(rows: number, salt: string): string
  /** The live database's fingerprint: rows and checksum of every table, the other objects. */
  fingerprint(stack: S): Promise<Fingerprint>
  /** datakeep's temporary databases on the server (and held copies no snapshot names). */
  tempDatabases(stack: S): Promise<string[]>
  /** The live database's name. */
  database(stack: S): string
  /** Drops the live database, as an operator's mistake would (the deploy checks must see it). */
  dropDatabase(stack: S): Promise<void>

  // ---- the points of a load, seen from outside ----
  /** A temporary database of that kind exists: the side database of a load (stage), a seed's or deep verify's scratch one. */
  tempDb(stack: S, kind: 'stage' | 'scratch'): Promise<boolean>
  /** The side database is being created (its CREATE DATABASE running): where the server takes time to make one. */
  creatingSide?(stack: S): Promise<boolean>
  /** Rows are being written into the side database (well into the big table). */
  midData(stack: S): Promise<boolean>
  /** Holds what the swap's first step waits for (an application's long transaction); returns the release. */
  holdSwap(stack: S): Promise<() => Promise<void>>
  /** The swap is waiting for what holdSwap holds. */
  swapWaiting(stack: S): Promise<boolean>
  /** A safety snapshot before `operation` is being taken. */
  takingSafety(stack: S, operation: string): Promise<boolean>
  /** Starts the stack's server again (after stack.stop()). */
  start(stack: S): Promise<void>
  /** Ends what the case opened on the stack (watch connections). */
  close(stack: S): Promise<void>
}

async function psqlIn(stack: PgTestStack, sql: string): Promise<void> {
  await run(HOST, psqlArgv(clientBinDir(stack.cfg), stack.engine.runtime.clientArgs(), 'app'), { input: sql })
}

/** One root connection per MariaDB stack for polling the process list. */
const watchers = new Map<string, Db>()
export async function mariadbWatch(stack: TestStack): Promise<Db> {
  let db = watchers.get(stack.dir)
  if (!db) {
    db = await connect(stack.rt.admin, { database: null })
    watchers.set(stack.dir, db)
  }
  return db
}

const [mariaTables, mariaObjects] = (() => {
  const lines = appSchemaSql().split('\n')
  return [lines.slice(0, 2).join('\n'), lines.slice(2).join('\n')]
})()

const mariadb: EngineCase<TestStack> = {
  stack: (env = {}) => makeStack({ env: { MYSQL_DATABASE: 'app', ...env } }),
  small: (stack) => sqlIn(stack, appSchemaSql() + '\n' + fillSql(1000, 'small')),
  big: (stack) => sqlIn(stack, fillSql(ROWS, 'big')),
  leftovers: async (stack) => leftovers(stack),
  record: (name, operation) => ({ name, operation }),
  op: (operation) => operation,
  sql: (stack, statements) => sqlIn(stack, statements),
  tables: mariaTables,
  objects: mariaObjects,
  fill: fillSql,
  fingerprint: (stack) => stack.db((db) => fingerprint(db, 'app'), null),
  tempDatabases: async (stack) => fs.readdirSync(stack.rt.paths.dataDir).filter((d) => d.startsWith('_dk_')),
  database: () => 'app',
  dropDatabase: async (stack) => { await stack.db((db) => db.query('DROP DATABASE app'), null) },
  tempDb: async (stack, kind) => tempDbExists(stack, kind),
  midData: async (stack) => tempTableBytes(stack, 'stage', 'big', MID_BYTES),
  // an open transaction that read a live table: the swap's RENAME TABLE waits for its metadata lock
  holdSwap: (stack) => holdTable(stack, 'app', 'big'),
  swapWaiting: async (stack) => renameWaiting(await mariadbWatch(stack)),
  takingSafety: async (stack, operation) => partialHasData(stack, `_safety/${operation}`, 'big', 1 << 20),
  start: (stack) => stack.rt.start(),
  close: async (stack) => {
    const db = watchers.get(stack.dir)
    watchers.delete(stack.dir)
    await db?.end().catch(() => db.destroy())
  },
}

/** Held safety copies (PostgreSQL) that no snapshot folder names: a copy whose snapshot was never finished. */
async function unnamedHeld(stack: PgTestStack): Promise<string[]> {
  const named = new Set<string>()
  const safety = backups(stack, '_safety')
  for (const n of fs.existsSync(safety) ? fs.readdirSync(safety) : []) {
    try {
      const m = JSON.parse(fs.readFileSync(path.join(safety, n, 'manifest.json'), 'utf8')) as { held?: { database: string } }
      if (m.held) named.add(m.held.database)
    } catch { /* no manifest: a partial folder, which leftovers counts itself */ }
  }
  const held = await stack.pg((c) => pgQuery<{ d: string }>(c, 'SELECT datname AS d FROM pg_database WHERE starts_with(datname, $1) ORDER BY 1', [HELD_PREFIX]), null)
  return held.map((r) => r.d).filter((d) => !named.has(d))
}

const postgres: EngineCase<PgTestStack> = {
  stack: (env = {}) => makePgStack({ env }),
  small: (stack) => psqlIn(stack, generateSql(1000)),
  // the same tables, many more rows
  big: (stack) => psqlIn(stack, generateSql(ROWS)),
  leftovers: async (stack) => leftoversWith(stack, [...await pgTempDatabases(stack), ...await unnamedHeld(stack)]),
  record: (name, operation) => ({ name: `postgres ${name}`, operation: `${operation} (PostgreSQL)` }),
  op: (operation) => `${operation} (PostgreSQL)`,
  sql: (stack, statements) => pgSqlIn(stack, statements),
  tables: PG_FAULT_TABLES,
  objects: PG_FAULT_OBJECTS,
  fill: pgFill,
  fingerprint: (stack) => pgFingerprint(stack),
  tempDatabases: async (stack) => [...await pgTempDatabases(stack), ...await unnamedHeld(stack)],
  database: (stack) => stack.cfg.POSTGRES_DB,
  dropDatabase: async (stack) => { await stack.pg((c) => c.query(`DROP DATABASE ${stack.cfg.POSTGRES_DB} WITH (FORCE)`), null) },
  tempDb: (stack, kind) => pgTempDbExists(stack, kind),
  creatingSide: async (stack) => (await stack.pg((c) => pgQuery(c,
    "SELECT 1 FROM pg_stat_activity WHERE state = 'active' AND starts_with(query, 'CREATE DATABASE \"_dk_stage_')"), null)).length > 0,
  midData: (stack) => pgTempDbGrown(stack, 'stage', 12 << 20),
  // a transaction that locked the live database's catalog row: the swap's first ALTER DATABASE waits for it
  holdSwap: (stack) => pgHoldDatabase(stack),
  swapWaiting: (stack) => pgSwapWaiting(stack),
  // the safety snapshot is a copy held in the server (a moment's work) while its folder is partial
  takingSafety: async (stack, operation) => partialOf(stack, `_safety/${operation}`) !== null,
  start: (stack) => stack.engine.runtime.start(),
  close: async () => undefined,
}

const ALL = { MariaDB: mariadb, PostgreSQL: postgres } as Record<string, EngineCase>

/**
 * The engines a parameterised suite runs on: all of them; while working on one, DATAKEEP_TEST_ENGINE
 * (mariadb or postgresql) narrows a file run by hand to it, and says so (make test never sets it).
 */
export const ENGINE_CASES: Record<string, EngineCase> = (() => {
  const only = process.env.DATAKEEP_TEST_ENGINE?.toLowerCase()
  if (!only) return ALL
  const picked = Object.entries(ALL).filter(([name]) => name.toLowerCase() === only)
  if (!picked.length) throw new Error(`DATAKEEP_TEST_ENGINE=${only}: not one of ${Object.keys(ALL).join(', ')}`)
  console.error(`DATAKEEP_TEST_ENGINE=${only}: the suites parameterised by engine run on ${picked[0][0]} only`)
  return Object.fromEntries(picked)
})()
