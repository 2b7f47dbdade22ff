// seed_data under faults, on each engine: kill -9 and Ctrl-C early (seeding the scratch database),
// mid-data (writing the new _init) and just before the swap. The old _init stays until the new one
// is complete; the live database is as before or wholly the new seed.
import fs from 'node:fs'
import * as assert from 'uvu/assert'
import { ENGINE_CASES, type AnyStack } from '../support/engine-cases.ts'
import { backToA, interruptCase, unverified, type World } from '../support/faults.ts'
import { backups, partialHasData, snapshotsOnDisk } from '../support/fault-points.ts'
import { faultSuite } from '../support/fault-suite.ts'
import { seededProject } from '../support/fault-worlds.ts'

const initManifest = (w: World<AnyStack>) => fs.readFileSync(backups(w.stack, '_init', 'manifest.json'), 'utf8')

/** _init is the old one (untouched) or, only if the run got that far, a new complete one. */
function initKept(w: World<AnyStack>, mayBeNew: boolean): () => Promise<string> {
  const before = initManifest(w)
  return async () => {
    assert.ok(snapshotsOnDisk(w.stack).includes('_init'), '_init is gone')
    const same = initManifest(w) === before
    if (!mayBeNew) assert.ok(same, 'the old _init was replaced before the new one was complete')
    return same ? 'the old _init kept' : 'the new _init complete'
  }
}

for (const [engine, c] of Object.entries(ENGINE_CASES)) {
  const t = faultSuite(`faults: seed_data on ${engine}`, c, seededProject)

  const points = [
    ['early', 'early (seeding the scratch database)', (w: World<AnyStack>) => () => c.tempDb(w.stack, 'scratch')],
    ['mid-data', 'mid-data (writing the new _init)', (w: World<AnyStack>) => async () => partialHasData(w.stack, '_init', 'big', 1 << 20)],
    ['just before the swap', 'just before the swap', (w: World<AnyStack>) => () => c.swapWaiting(w.stack)],
  ] as const

  for (const [signal, label] of [['SIGKILL', 'kill -9'], ['SIGINT', 'SIGINT']] as const) {
    for (const [point, title, at] of points) {
      t(`${label} ${title}`, async ({ w }) => {
        await backToA(w)
        // just before the swap the application holds what the swap's first step needs, so it waits where the test sees it
        const release = point === 'just before the swap' ? await c.holdSwap(w.stack) : async () => undefined
        try {
          await interruptCase(w, {
            operation: c.op('seed_data'), script: 'seed-data', args: [], signal, point, at: at(w), target: 'seed',
            // kill -9: let go at once; Ctrl-C: a moment later, so the swap is under way when the signal lands
            afterSignal: signal === 'SIGKILL' ? release : async () => { setTimeout(() => void release(), 300) },
            check: initKept(w, point === 'just before the swap'),
          })
        } finally { await release() }
      })
    }
  }

  t('every snapshot still verifies with the real data-verify script', async ({ w }) => {
    assert.equal(await unverified(w.stack, w.snapshots, true), [])
  })

  t.run()
}
