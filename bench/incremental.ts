// The incremental series of make bench (also alone: make bench_incremental): what a snapshot costs
// after 1% of one table's rows changed (datakeep's shared tables against a full dump and mydumper -t 2),
// and a point-in-time recovery to a time against loading the snapshot alone. Its own private server
// with binary logging on (the race of bench/run.ts runs without it).
import fs from 'node:fs'
import path from 'node:path'
import { query, withDb } from '../lib/db.ts'
import { onInterrupt } from '../lib/errors.ts'
import { dirSize } from '../lib/fs-util.ts'
import { step } from '../lib/log.ts'
import { listSnapshots } from '../lib/snapshot/catalog.ts'
import { makeStack } from '../tests/support/stack.ts'
import { generateDatabase } from './generate.ts'
import { datakeepArgv, hasCommand, mydumperArgv, optionsFile, timed, type Measure } from './tools.ts'

const DB = 'bench'
/** The table whose rows change, and the share that does (1 in CHANGE_EVERY). */
export const CHANGED_TABLE = 'orders'
const CHANGE_EVERY = 100

/** One timed step: wall and CPU time (GNU time, the command alone), the snapshot's size and what it added. */
export interface IncrementalStep { ms: number; cpuMs?: number; bytes?: number; added?: number }

export interface IncrementalResult {
  /** Rows in the database; rows of the changed table; rows changed in it. */
  rows: number; tableRows: number; changedRows: number
  /** data_dump --full before the change (the snapshot the next one shares with). */
  base: IncrementalStep
  /** data_dump after the change: unchanged tables shared. */
  shared: IncrementalStep
  /** data_dump --full after the change: every table written. */
  full: IncrementalStep
  /** mydumper -t 2 after the change (uncompressed), or why it did not run. */
  mydumper: { status: 'ok'; step: IncrementalStep } | { status: 'missing' | 'failed'; reason: string }
  /** Rows changed after the snapshot, before the moment recovered to (the replayed transactions). */
  replayedRows: number
  /** data_load --until <moment> of the shared snapshot, and data_load of it alone (both --no-safety). */
  recovery: IncrementalStep
  loadAlone: IncrementalStep
}

const stepOf = (m: Measure, more: Partial<IncrementalStep> = {}): IncrementalStep => ({ ms: m.ms, ...(m.cpuMs === undefined ? {} : { cpuMs: m.cpuMs }), ...more })

export async function runIncremental(o: { rows: number; seed: string }): Promise<IncrementalResult> {
  const stack = await makeStack({ env: { MYSQL_DATABASE: DB } })
  const off = onInterrupt(() => stack.destroy())
  try {
    step(`incremental series: generating ${o.rows.toLocaleString('en-US')} rows`)
    await generateDatabase(stack.rt.admin, DB, { rows: o.rows, seed: o.seed })
    const env = { cwd: stack.dir, env: stack.env }
    const sizeOf = (name: string) => dirSize(path.join(stack.dir, stack.cfg.DATA_BACKUP_DIRNAME, name))
    const addedBy = (name: string) => listSnapshots(stack.cfg).find((s) => s.name === name)!.added
    const write = (q: string) => withDb(stack.rt.admin, async (db) => Number((await db.query(q) as unknown as [{ affectedRows: number }])[0].affectedRows), { database: DB })
    const dump = async (name: string, extra: string[] = []) => stepOf(await timed(datakeepArgv('data-dump', name, extra), env), { bytes: sizeOf(name), added: addedBy(name) })

    step('incremental series: a full snapshot, then 1% of orders changed, then the snapshots')
    const base = await dump('base', ['--full'])
    const tableRows = await withDb(stack.rt.admin, async (db) => Number((await query<{ n: string }>(db, `SELECT COUNT(*) AS n FROM ${CHANGED_TABLE}`))[0].n), { database: DB })
    const changedRows = await write(`UPDATE ${CHANGED_TABLE} SET note = CONCAT('changed ', id) WHERE id % ${CHANGE_EVERY} = 0`)
    const shared = await dump('next')
    const full = await dump('next-full', ['--full'])
    const mydumper = await runMydumper(stack)

    step('incremental series: writes after the snapshot, the moment, more writes; recovery to the moment')
    const replayedRows = await write("UPDATE customers SET notes = 'recovery bench' WHERE id % 50 = 0")
    const until = new Date(Math.ceil((Date.now() + 1000) / 1000) * 1000) // the next whole second after them
    await new Promise((r) => setTimeout(r, until.getTime() - Date.now() + 100))
    await write('DELETE FROM product_tags WHERE product_id % 10 = 0')
    const recovery = stepOf(await timed([...datakeepArgv('data-load', 'next'), '--until', until.toISOString(), '--no-safety'], env))
    const loadAlone = stepOf(await timed([...datakeepArgv('data-load', 'next'), '--no-safety'], env))
    return { rows: o.rows, tableRows, changedRows, base, shared, full, mydumper, replayedRows, recovery, loadAlone }
  } finally {
    await stack.destroy()
    off()
  }
}

async function runMydumper(stack: Awaited<ReturnType<typeof makeStack>>): Promise<IncrementalResult['mydumper']> {
  if (!hasCommand('mydumper')) return { status: 'missing', reason: 'mydumper is not installed (apt-get install mydumper)' }
  const work = path.join(stack.dir, 'bench-incremental')
  fs.mkdirSync(work, { recursive: true })
  const cnf = path.join(work, 'client.cnf')
  fs.writeFileSync(cnf, optionsFile(stack), { mode: 0o600 })
  const out = path.join(work, 'mydumper')
  try {
    const m = await timed(mydumperArgv(cnf, DB, out, 2))
    const bytes = dirSize(out)
    return { status: 'ok', step: stepOf(m, { bytes, added: bytes }) }
  } catch (e) {
    return { status: 'failed', reason: (e as Error).message.split('\n')[0].slice(0, 300) }
  }
}
