// initialize INIT_CLEAN=true under faults, on each engine: kill -9 and Ctrl-C early, mid-data and
// just before the swap. The clean is a load of _init (after a safety snapshot): the live
// database is as before or wholly the seed, never a mix, and every snapshot stays intact.
import * as assert from 'uvu/assert'
import { ENGINE_CASES } from '../support/engine-cases.ts'
import { backToA, interruptCase, unverified } from '../support/faults.ts'
import { faultSuite, signalCases } from '../support/fault-suite.ts'
import { seededProject } from '../support/fault-worlds.ts'

for (const [engine, c] of Object.entries(ENGINE_CASES)) {
  const t = faultSuite(`faults: initialize INIT_CLEAN on ${engine}`, c, seededProject)

  // every signal at every point: the same expectations, one case each; just before the swap the
  // application holds what the swap's first step needs (engine-cases.ts), so it waits where the test sees it
  signalCases(t, c, async (w, signal, point, at, hold) => {
    await backToA(w)
    const release = hold ? await c.holdSwap(w.stack) : async () => undefined
    try {
      await interruptCase(w, {
        operation: c.op('initialize INIT_CLEAN=true'), script: 'initialize', args: [], env: { INIT_CLEAN: 'true' }, signal, point, at, target: 'seed',
        // kill -9: let go at once; Ctrl-C: a moment later, so the swap is under way when the signal lands
        afterSignal: signal === 'SIGKILL' ? release : async () => { setTimeout(() => void release(), 300) },
      })
    } finally { await release() }
  })

  t('every snapshot still verifies with the real data-verify script', async ({ w }) => {
    assert.equal(await unverified(w.stack, w.snapshots, true), [])
  })

  t.run()
}
