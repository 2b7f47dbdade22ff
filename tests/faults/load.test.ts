// data_load under faults, on each engine: kill -9, Ctrl-C and SIGTERM early, mid-data, just before
// the swap and during the safety snapshot taken before it. The live database and its files end as
// they were or wholly the snapshot, never a mix; snapshots stay intact.
// (kill -9 mid-data is also tests/snapshot/failures.test.ts.)
import * as assert from 'uvu/assert'
import { ENGINE_CASES, mariadbWatch, type AnyStack, type EngineCase } from '../support/engine-cases.ts'
import { interruptCase, unverified, type World } from '../support/faults.ts'
import { cancelRename } from '../support/fault-points.ts'
import { faultSuite } from '../support/fault-suite.ts'
import { twoStates } from '../support/fault-worlds.ts'
import type { TestStack } from '../support/stack.ts'

/** The snapshot that is not live: every load really replaces the data. */
const other = (w: World<AnyStack>) => (w.current === 'a' ? 'b' : 'a')

for (const [engine, c] of Object.entries(ENGINE_CASES)) {
  const t = faultSuite(`faults: data_load on ${engine}`, c, twoStates)

  const load = (w: World<AnyStack>, signal: 'SIGKILL' | 'SIGINT' | 'SIGTERM', point: string, at: () => boolean | Promise<boolean>,
    afterSignal?: () => Promise<void>) => {
    const target = other(w)
    return interruptCase(w, { operation: c.op('data_load'), script: 'data-load', args: ['--name', target], signal, point, at, target, afterSignal })
  }
  const early = (w: World<AnyStack>) => () => c.tempDb(w.stack, 'stage')
  const midData = (w: World<AnyStack>) => () => c.midData(w.stack)
  const waiting = (w: World<AnyStack>) => () => c.swapWaiting(w.stack)

  t('kill -9 early (staging database just created)', async ({ w }) => {
    await load(w, 'SIGKILL', 'early', early(w))
  })

  t('kill -9 mid-data', async ({ w }) => {
    await load(w, 'SIGKILL', 'mid-data', midData(w))
  })

  // just before the swap the application holds what the swap's first step needs (engine-cases.ts), so it waits where the test sees it
  t('kill -9 just before the swap (the swap waiting for the application)', async ({ w, stack }) => {
    const release = await c.holdSwap(stack)
    try {
      await load(w, 'SIGKILL', 'just before the swap', waiting(w), release)
    } finally { await release() }
  })

  t('SIGINT early', async ({ w }) => {
    await load(w, 'SIGINT', 'early', early(w))
  })

  if (c.creatingSide) {
    // PostgreSQL makes a database in a moment's work: a Ctrl-C then must not leave the one it was making
    t('SIGINT while the side database is being created', async ({ w }) => {
      await load(w, 'SIGINT', 'while the side database is being created', () => c.creatingSide!(w.stack))
    })
  }

  t('SIGINT mid-data', async ({ w }) => {
    await load(w, 'SIGINT', 'mid-data', midData(w))
  })

  t('SIGINT just before the swap', async ({ w, stack }) => {
    const release = await c.holdSwap(stack)
    try {
      // the application lets go a moment after Ctrl-C: the swap then completes or is undone
      await load(w, 'SIGINT', 'just before the swap', waiting(w), async () => { setTimeout(() => void release(), 300) })
    } finally { await release() }
  })

  t('SIGTERM mid-data', async ({ w }) => {
    await load(w, 'SIGTERM', 'mid-data', midData(w))
  })

  if (engine === 'MariaDB') {
    // MariaDB's swap is a RENAME TABLE that gives up after lock_wait_timeout: then those tables never move
    const m = c as unknown as EngineCase<TestStack>
    t('kill -9 just before the swap, whose RENAME then times out (never runs)', async ({ w, stack }) => {
      const release = await m.holdSwap(stack as TestStack)
      try {
        await load(w, 'SIGKILL', 'just before the swap, RENAME never runs', waiting(w), async () => {
          await cancelRename(await mariadbWatch(stack as TestStack))
          await release()
        })
      } finally { await release() }
    })

    t('SIGINT just before the swap, whose RENAME then times out: the swap is undone before the exit', async ({ w, stack }) => {
      const release = await m.holdSwap(stack as TestStack)
      try {
        await load(w, 'SIGINT', 'just before the swap, RENAME never runs', waiting(w), async () => {
          setTimeout(() => void mariadbWatch(stack as TestStack).then(cancelRename).then(release), 300)
        })
      } finally { await release() }
    })
  }

  // Last: from here on the live database matches no snapshot, so every load first takes a safety snapshot
  // (MariaDB: a logical one, hit once its big table's file has 1 MB; PostgreSQL: a copy held in the server, hit while its folder is partial).
  t('kill -9 and SIGINT during the safety snapshot taken before the load', async ({ w, stack }) => {
    await c.sql(stack, "INSERT INTO note (body) VALUES ('not in any snapshot')")
    w.known.changed = await c.fingerprint(stack)
    w.current = 'changed'
    const safety = () => c.takingSafety(stack, 'data_load')
    await load(w, 'SIGKILL', 'during the safety snapshot', safety)
    await load(w, 'SIGINT', 'during the safety snapshot', safety)
    assert.is(w.current, 'changed')
  })

  t('every snapshot still verifies with the real data-verify script', async ({ w }) => {
    assert.equal(await unverified(w.stack, w.snapshots, true), [])
  })

  t.run()
}
