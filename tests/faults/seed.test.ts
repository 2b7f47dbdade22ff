// seed_data under faults, on each engine: kill -9 and Ctrl-C early (seeding the scratch database), mid-data
// (writing the new _init) and just before the swap. The old _init stays until the new one is
// complete; the live database is as before or wholly the new seed.
import fs from 'node:fs'
import * as assert from 'uvu/assert'
import type { Db } from '../../lib/db.ts'
import { backToA, backups, holdTable, interruptCase, partialHasData, renameWaiting, seededProject, snapshotsOnDisk, tempDbExists, unverified, type FaultStack, type World } from '../support/faults.ts'
import { faultSuite, signalCases } from '../support/fault-suite.ts'
import { pgFaultSuite, pgHoldDatabase, pgPartialHasData, pgSeededProject, pgSwapWaiting, pgTempDbExists } from '../support/pg-faults.ts'

const initManifest = (w: World<FaultStack>) => fs.readFileSync(backups(w.stack, '_init', 'manifest.json'), 'utf8')

/** _init is the old one (untouched) or, only if the run got that far, a new complete one. */
function initKept(w: World<FaultStack>, mayBeNew: boolean): () => Promise<string> {
  const before = initManifest(w)
  return async () => {
    assert.ok(snapshotsOnDisk(w.stack).includes('_init'), '_init is gone')
    const same = initManifest(w) === before
    if (!mayBeNew) assert.ok(same, 'the old _init was replaced before the new one was complete')
    return same ? 'the old _init kept' : 'the new _init complete'
  }
}

/** One interrupted seed_data; `hold` keeps the swap waiting where the test sees it (a no-op elsewhere). */
const seed = async (w: World<FaultStack>, operation: string, signal: 'SIGKILL' | 'SIGINT', point: string, at: () => boolean | Promise<boolean>,
  hold: () => Promise<() => Promise<void>> = async () => async () => undefined) => {
  await backToA(w)
  const release = await hold()
  try {
    await interruptCase(w, {
      operation, script: 'seed-data', args: [], signal, point, at, target: 'seed',
      // kill -9: let go at once; Ctrl-C: a moment later, so the swap is under way when the signal lands
      afterSignal: signal === 'SIGKILL' ? release : async () => { setTimeout(() => void release(), 300) },
      check: initKept(w, point === 'just before the swap'),
    })
  } finally { await release() }
}

// ---- MariaDB --------------------------------------------------------------------------------

const t = faultSuite('faults: seed_data', seededProject)

const scratch = (w: World) => () => tempDbExists(w.stack, 'scratch')
const newInit = (w: World) => () => partialHasData(w.stack, '_init', 'big', 1 << 20)

// every signal at every point: the same expectations, one case each
signalCases(t, [
  ['early', 'early (seeding the scratch database)', scratch],
  ['mid-data', 'mid-data (writing the new _init)', newInit],
  ['just before the swap', 'just before the swap', () => renameWaiting],
], (w, signal, point, at: (watch: Db) => boolean | Promise<boolean>, watch) =>
  // the application holds a live table, so the swap's RENAME waits where the test sees it
  seed(w, 'seed_data', signal, point, () => at(watch), point === 'just before the swap' ? () => holdTable(w.stack, 'app', 'big') : undefined))

t('every snapshot still verifies with the real data-verify script', async ({ w }) => {
  assert.equal(await unverified(w.stack, w.snapshots, true), [])
})

t.run()

// ---- PostgreSQL -----------------------------------------------------------------------------
// Just before the swap: a transaction holds the live database's catalog row (pgHoldDatabase).

const p = pgFaultSuite('faults: seed_data on PostgreSQL', pgSeededProject)

for (const [signal, label] of [['SIGKILL', 'kill -9'], ['SIGINT', 'SIGINT']] as const) {
  p(`${label} early (seeding the scratch database)`, ({ w }) =>
    seed(w, 'seed_data (PostgreSQL)', signal, 'early (seeding the scratch database)', () => pgTempDbExists(w.stack, 'scratch')))
  p(`${label} mid-data (writing the new _init)`, ({ w }) =>
    seed(w, 'seed_data (PostgreSQL)', signal, 'mid-data (writing the new _init)', () => pgPartialHasData(w.stack, '_init', 'big', 1 << 20)))
  p(`${label} just before the swap`, ({ w }) =>
    seed(w, 'seed_data (PostgreSQL)', signal, 'just before the swap', () => pgSwapWaiting(w.stack), () => pgHoldDatabase(w.stack)))
}

p('every snapshot still verifies with the real data-verify script', async ({ w }) => {
  assert.equal(await unverified(w.stack, w.snapshots, true), [])
})

p.run()
