// The engine-specific pieces the suites parameterised by engine share: one record per engine
// (how to make its private stack, how to load a little and a lot of data, what it leaves behind,
// and how its fault results are named), so a suite is written once and run on each.
import { generateSql } from '../../bench/pg-generate.ts'
import type { Config } from '../../lib/config.ts'
import { clientBinDir, psqlArgv } from '../../lib/engines/postgres/tools.ts'
import { HOST, run } from '../../lib/run.ts'
import { appSchemaSql, fillSql, leftovers, leftoversWith, ROWS, sqlIn } from './faults.ts'
import { pgTempDatabases } from './pg-faults.ts'
import { makePgStack, type PgTestStack } from './pg-stack.ts'
import { makeStack, type TestStack } from './stack.ts'

/** What the engine-neutral scripts need of a stack: a project folder and its environment. */
export interface AnyStack { dir: string; env: Record<string, string>; cfg: Config; destroy(): Promise<void> }

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
}

async function psqlIn(stack: PgTestStack, sql: string): Promise<void> {
  await run(HOST, psqlArgv(clientBinDir(stack.cfg), stack.engine.runtime.clientArgs(), 'app'), { input: sql })
}

const mariadb: EngineCase<TestStack> = {
  stack: (env = {}) => makeStack({ env: { MYSQL_DATABASE: 'app', ...env } }),
  small: (stack) => sqlIn(stack, appSchemaSql() + '\n' + fillSql(1000, 'small')),
  big: (stack) => sqlIn(stack, fillSql(ROWS, 'big')),
  leftovers: async (stack) => leftovers(stack),
  record: (name, operation) => ({ name, operation }),
}

const postgres: EngineCase<PgTestStack> = {
  stack: (env = {}) => makePgStack({ env }),
  small: (stack) => psqlIn(stack, generateSql(1000)),
  // the same tables, many more rows
  big: (stack) => psqlIn(stack, generateSql(ROWS)),
  leftovers: async (stack) => leftoversWith(stack, await pgTempDatabases(stack)),
  record: (name, operation) => ({ name: `postgres ${name}`, operation: `${operation} (PostgreSQL)` }),
}

export const ENGINE_CASES = { MariaDB: mariadb, PostgreSQL: postgres } as Record<string, EngineCase>
