// initialize INIT_CLEAN=true under faults, on each engine: kill -9 and Ctrl-C early, mid-data and
// just before the swap. The clean is a load of _init (after a safety snapshot): the live
// database is as before or wholly the seed, never a mix, and every snapshot stays intact.
import * as assert from 'uvu/assert'
import type { Db } from '../../lib/db.ts'
import { backToA, holdTable, interruptCase, MID_BYTES, renameWaiting, seededProject, tempDbExists, tempTableBytes, unverified, type FaultStack, type World } from '../support/faults.ts'
import { faultSuite, signalCases } from '../support/fault-suite.ts'
import { pgFaultSuite, pgHoldDatabase, pgSeededProject, pgSwapWaiting, pgTempDbExists, pgTempDbGrown } from '../support/pg-faults.ts'

/** One interrupted INIT_CLEAN; `hold` keeps the swap waiting where the test sees it (a no-op elsewhere). */
const clean = async (w: World<FaultStack>, operation: string, signal: 'SIGKILL' | 'SIGINT', point: string, at: () => boolean | Promise<boolean>,
  hold: () => Promise<() => Promise<void>> = async () => async () => undefined) => {
  await backToA(w)
  const release = await hold()
  try {
    await interruptCase(w, {
      operation, script: 'initialize', args: [], env: { INIT_CLEAN: 'true' }, signal, point, at, target: 'seed',
      afterSignal: signal === 'SIGKILL' ? release : async () => { setTimeout(() => void release(), 300) },
    })
  } finally { await release() }
}

// ---- MariaDB --------------------------------------------------------------------------------

const t = faultSuite('faults: initialize INIT_CLEAN', seededProject)

const staged = (w: World) => () => tempDbExists(w.stack, 'stage')
const midData = (w: World) => () => tempTableBytes(w.stack, 'stage', 'big', MID_BYTES)

// every signal at every point: the same expectations, one case each
signalCases(t, [
  ['early', 'early (staging database just created)', staged],
  ['mid-data', 'mid-data', midData],
  ['just before the swap', 'just before the swap', () => renameWaiting],
], (w, signal, point, at: (watch: Db) => boolean | Promise<boolean>, watch) =>
  // the application holds a live table, so the swap's RENAME waits where the test sees it
  clean(w, 'initialize INIT_CLEAN=true', signal, point, () => at(watch), point === 'just before the swap' ? () => holdTable(w.stack, 'app', 'big') : undefined))

t('every snapshot still verifies with the real data-verify script', async ({ w }) => {
  assert.equal(await unverified(w.stack, w.snapshots, true), [])
})

t.run()

// ---- PostgreSQL -----------------------------------------------------------------------------
// Just before the swap: a transaction holds the live database's catalog row, so the swap's first
// ALTER DATABASE waits where the test sees it.

const p = pgFaultSuite('faults: initialize INIT_CLEAN on PostgreSQL', pgSeededProject)

for (const [signal, label] of [['SIGKILL', 'kill -9'], ['SIGINT', 'SIGINT']] as const) {
  p(`${label} early (side database just created)`, ({ w }) =>
    clean(w, 'initialize INIT_CLEAN=true (PostgreSQL)', signal, 'early (side database just created)', () => pgTempDbExists(w.stack, 'stage')))
  p(`${label} mid-data`, ({ w }) =>
    clean(w, 'initialize INIT_CLEAN=true (PostgreSQL)', signal, 'mid-data', () => pgTempDbGrown(w.stack, 'stage', 12 << 20)))
  p(`${label} just before the swap`, ({ w }) =>
    clean(w, 'initialize INIT_CLEAN=true (PostgreSQL)', signal, 'just before the swap', () => pgSwapWaiting(w.stack), () => pgHoldDatabase(w.stack)))
}

p('every snapshot still verifies with the real data-verify script', async ({ w }) => {
  assert.equal(await unverified(w.stack, w.snapshots, true), [])
})

p.run()
