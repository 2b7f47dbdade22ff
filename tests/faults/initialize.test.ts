// initialize INIT_CLEAN=true under faults: kill -9 and Ctrl-C early, mid-data and just before the
// swap. The clean is a load of _init (after a safety snapshot): the live database is as before
// or wholly the seed, never a mix, and every snapshot stays intact.
import * as assert from 'uvu/assert'
import type { Db } from '../../lib/db.ts'
import { backToA, holdTable, interruptCase, MID_BYTES, renameWaiting, seededProject, tempDbExists, tempTableBytes, unverified, type World } from '../support/faults.ts'
import { faultSuite, signalCases } from '../support/fault-suite.ts'

const t = faultSuite('faults: initialize INIT_CLEAN', seededProject)

const clean = async (w: World, signal: 'SIGKILL' | 'SIGINT' | 'SIGTERM', point: string, at: (watch: Db) => boolean | Promise<boolean>, watch: Db) => {
  await backToA(w)
  const atSwap = point === 'just before the swap'
  const release = atSwap ? await holdTable(w.stack, 'app', 'big') : async () => undefined
  try {
    await interruptCase(w, {
      operation: 'initialize INIT_CLEAN=true', script: 'initialize', args: [], env: { INIT_CLEAN: 'true' },
      signal, point, at: () => at(watch), target: 'seed',
      afterSignal: signal === 'SIGKILL' ? release : async () => { setTimeout(() => void release(), 300) },
    })
  } finally { await release() }
}

const staged = (w: World) => () => tempDbExists(w.stack, 'stage')
const midData = (w: World) => () => tempTableBytes(w.stack, 'stage', 'big', MID_BYTES)

// every signal at every point: the same expectations, one case each
signalCases(t, [
  ['early', 'early (staging database just created)', staged],
  ['mid-data', 'mid-data', midData],
  ['just before the swap', 'just before the swap', () => renameWaiting],
], clean)

t('every snapshot still verifies with the real data-verify script', async ({ w }) => {
  assert.equal(await unverified(w.stack, w.snapshots, true), [])
})

t.run()
