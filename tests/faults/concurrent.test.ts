// Two operations started at the same moment, on each engine: one runs, the other exits 2 with the
// lock message naming the one that runs. The winner is held in its critical part (the application
// holding what the swap needs, a slow git) long enough that the two surely overlap.
import * as assert from 'uvu/assert'
import { ENGINE_CASES, type AnyStack } from '../support/engine-cases.ts'
import { lastLines, slowCommand, unverified, worldState, type World } from '../support/faults.ts'
import { faultCase } from '../support/fault-results.ts'
import { faultSuite } from '../support/fault-suite.ts'
import { twoStates } from '../support/fault-worlds.ts'
import { lastLine, runScript } from '../support/stack.ts'

const LOCKED = /^datakeep: another datakeep operation is running: make (data_load|data_dump) ARGS="([^"]+)" \(pid (\d+)\) since \S+; wait for it, or if it is stuck: kill \3$/

for (const [engine, c] of Object.entries(ENGINE_CASES)) {
  const t = faultSuite(`faults: two operations at once on ${engine}`, c, twoStates)

  const oneRuns = async (w: World<AnyStack>, name: string, a: [string, string[], Record<string, string>?], b: [string, string[]], expectState: (winner: number) => string) => {
    const operation = `${a[0].replace('-', '_')} + ${b[0].replace('-', '_')}`
    await faultCase({
      ...c.record(name, operation), fault: 'two at once', point: 'started together',
      expected: 'one exits 0, the other exits 2 naming it; live = the winner\'s result; snapshots verify; lock released',
    }, async (log) => {
      const release = await c.holdSwap(w.stack)
      const pa = runScript(w.stack, a[0], a[1], a[2])
      const pb = runScript(w.stack, b[0], b[1])
      await Promise.race([pa, pb])
      await release()
      const rs = await Promise.all([pa, pb])
      const codes = rs.map((r) => r.code)
      const state = await worldState(w)
      const bad = await unverified(w.stack, w.snapshots)
      log.lost(state === null || bad.length > 0)
      assert.equal(bad, [])
      assert.equal([...codes].sort(), [0, 2], `exit codes ${codes}: ${rs.map((r) => lastLines(r.stderr, 1)).join(' / ')}`)
      const winner = codes.indexOf(0)
      const loser = rs[1 - winner]
      const m = LOCKED.exec(lastLine(loser.stderr))
      assert.ok(m, `the refused one's line: ${lastLine(loser.stderr)}`)
      assert.is(`make ${m![1]}`, `make ${[a, b][winner][0].replace('-', '_')}`, 'the lock message names the one that runs')
      assert.is(state, expectState(winner))
      w.current = state!
      if (winner === 0 && a[0] === 'data-dump') w.snapshots.push(a[1][1])
      assert.equal(await c.leftovers(w.stack), [])
      return `${[a, b][winner][0]} ran (exit 0); ${[a, b][1 - winner][0]} exit 2: "${lastLine(loser.stderr)}"; live = ${state}`
    })
  }

  t('two data_load at once', async ({ w }) => {
    const target = w.current === 'a' ? 'b' : 'a'
    await oneRuns(w, 'two data_load at once', ['data-load', ['--name', target]], ['data-load', ['--name', target]], () => target)
  })

  t('data_dump and data_load at once', async ({ w }) => {
    const target = w.current === 'a' ? 'b' : 'a'
    const before = w.current
    // a slow git keeps a winning dump in its last step, as the held swap keeps a winning load
    const git = slowCommand(w.stack, 'git', 2)
    await oneRuns(w, 'data_dump and data_load at once', ['data-dump', ['--name', 'c'], git.env], ['data-load', ['--name', target]],
      (winner) => (winner === 0 ? before : target))
  })

  t('every snapshot still verifies with the real data-verify script', async ({ w }) => {
    assert.equal(await unverified(w.stack, w.snapshots, true), [])
  })

  t.run()
}
