// data_load under faults: kill -9, Ctrl-C and SIGTERM early, mid-data and just before the swap.
// The live database ends as it was or wholly the snapshot, never a mix; snapshots stay intact.
// (kill -9 mid-data is tests/snapshot/failures.test.ts.)
import * as assert from 'uvu/assert'
import { fingerprint } from '../support/fingerprint.ts'
import { cancelRename, holdTable, interruptCase, MID_BYTES, partialHasData, renameWaiting, sqlIn, tempDbExists, tempTableBytes, twoStates, unverified, type World } from '../support/faults.ts'
import { faultSuite } from '../support/fault-suite.ts'

const t = faultSuite('faults: data_load', twoStates)

/** The snapshot that is not live: every load really replaces the data. */
const other = (w: World) => (w.current === 'a' ? 'b' : 'a')
const load = (w: World, signal: 'SIGKILL' | 'SIGINT' | 'SIGTERM', point: string, at: () => boolean | Promise<boolean>,
  afterSignal?: () => Promise<void>) => {
  const target = other(w)
  return interruptCase(w, { operation: 'data_load', script: 'data-load', args: ['--name', target], signal, point, at, target, afterSignal })
}

t('kill -9 early (staging database just created)', async ({ w }) => {
  await load(w, 'SIGKILL', 'early', () => tempDbExists(w.stack, 'stage'))
})

t('kill -9 just before the swap (RENAME waiting for a table the application reads)', async ({ w, stack, watch }) => {
  const release = await holdTable(stack, 'app', 'big')
  try {
    await load(w, 'SIGKILL', 'just before the swap', () => renameWaiting(watch), release)
  } finally { await release() }
})

t('kill -9 just before the swap, whose RENAME then times out (never runs)', async ({ w, stack, watch }) => {
  const release = await holdTable(stack, 'app', 'big')
  try {
    await load(w, 'SIGKILL', 'just before the swap, RENAME never runs', () => renameWaiting(watch), async () => {
      await cancelRename(watch)
      await release()
    })
  } finally { await release() }
})

t('SIGINT early', async ({ w }) => {
  await load(w, 'SIGINT', 'early', () => tempDbExists(w.stack, 'stage'))
})

t('SIGINT mid-data', async ({ w }) => {
  await load(w, 'SIGINT', 'mid-data', () => tempTableBytes(w.stack, 'stage', 'big', MID_BYTES))
})

t('SIGINT just before the swap', async ({ w, stack, watch }) => {
  const release = await holdTable(stack, 'app', 'big')
  try {
    // the application lets go of the table a moment after Ctrl-C: the swap then completes or is undone
    await load(w, 'SIGINT', 'just before the swap', () => renameWaiting(watch), async () => { setTimeout(() => void release(), 300) })
  } finally { await release() }
})

t('SIGINT just before the swap, whose RENAME then times out: the swap is undone before the exit', async ({ w, stack, watch }) => {
  const release = await holdTable(stack, 'app', 'big')
  try {
    await load(w, 'SIGINT', 'just before the swap, RENAME never runs', () => renameWaiting(watch), async () => {
      setTimeout(() => void cancelRename(watch).then(release), 300)
    })
  } finally { await release() }
})

t('SIGTERM mid-data', async ({ w }) => {
  await load(w, 'SIGTERM', 'mid-data', () => tempTableBytes(w.stack, 'stage', 'big', MID_BYTES))
})

// Last: from here on the live database matches no snapshot, so every load first takes a safety snapshot.
t('kill -9 and SIGINT during the safety snapshot taken before the load', async ({ w, stack }) => {
  await sqlIn(stack, "INSERT INTO note (body) VALUES ('not in any snapshot')")
  w.known.changed = await stack.db((db) => fingerprint(db, 'app'), null)
  w.current = 'changed'
  const safety = () => partialHasData(stack, '_safety/data_load', 'big', 1 << 20)
  await load(w, 'SIGKILL', 'during the safety snapshot', safety)
  await load(w, 'SIGINT', 'during the safety snapshot', safety)
  assert.is(w.current, 'changed')
})

t('every snapshot still verifies with the real data-verify script', async ({ w }) => {
  assert.equal(await unverified(w.stack, w.snapshots, true), [])
})

t.run()
