// seed_data under faults: kill -9 and Ctrl-C early (seeding the scratch database), mid-data
// (writing the new _init) and just before the swap. The old _init stays until the new one is
// complete; the live database is as before or wholly the new seed.
import fs from 'node:fs'
import * as assert from 'uvu/assert'
import type { Db } from '../../lib/db.ts'
import { backToA, backups, holdTable, interruptCase, partialHasData, renameWaiting, seededProject, snapshotsOnDisk, tempDbExists, unverified, type World } from '../support/faults.ts'
import { faultSuite, signalCases } from '../support/fault-suite.ts'

const t = faultSuite('faults: seed_data', seededProject)

const initManifest = (w: World) => fs.readFileSync(backups(w.stack, '_init', 'manifest.json'), 'utf8')

/** _init is the old one (untouched) or, only if the run got that far, a new complete one. */
function initKept(w: World, mayBeNew: boolean): () => Promise<string> {
  const before = initManifest(w)
  return async () => {
    assert.ok(snapshotsOnDisk(w.stack).includes('_init'), '_init is gone')
    const same = initManifest(w) === before
    if (!mayBeNew) assert.ok(same, 'the old _init was replaced before the new one was complete')
    return same ? 'the old _init kept' : 'the new _init complete'
  }
}

/** `atSwap`: the application holds a live table, so the swap's RENAME waits where the test sees it. */
const seed = async (w: World, signal: 'SIGKILL' | 'SIGINT', point: string, at: (watch: Db) => boolean | Promise<boolean>, watch: Db) => {
  await backToA(w)
  const atSwap = point === 'just before the swap'
  const release = atSwap ? await holdTable(w.stack, 'app', 'big') : async () => undefined
  try {
    await interruptCase(w, {
      operation: 'seed_data', script: 'seed-data', args: [], signal, point, at: () => at(watch), target: 'seed',
      // kill -9: let go at once; Ctrl-C: a moment later, so the swap is under way when the signal lands
      afterSignal: signal === 'SIGKILL' ? release : async () => { setTimeout(() => void release(), 300) },
      check: initKept(w, atSwap),
    })
  } finally { await release() }
}

const scratch = (w: World) => () => tempDbExists(w.stack, 'scratch')
const newInit = (w: World) => () => partialHasData(w.stack, '_init', 'big', 1 << 20)

// every signal at every point: the same expectations, one case each
signalCases(t, [
  ['early', 'early (seeding the scratch database)', scratch],
  ['mid-data', 'mid-data (writing the new _init)', newInit],
  ['just before the swap', 'just before the swap', () => renameWaiting],
], seed)

t('every snapshot still verifies with the real data-verify script', async ({ w }) => {
  assert.equal(await unverified(w.stack, w.snapshots, true), [])
})

t.run()
