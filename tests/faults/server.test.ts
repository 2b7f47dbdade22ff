// The database server killed (kill -9 of mysqld) in the middle of a load, then restarted: the live
// database is as before the load, every snapshot verifies, and the next load works.
import fs from 'node:fs'
import { suite } from '../support/uvu.ts'
import * as assert from 'uvu/assert'
import { faultCase, interruptAt, lastLines, leftovers, MID_BYTES, stateOf, tempTableBytes, twoStates, unverified, type World } from '../support/faults.ts'
import { lastLine, makeStack, runScript, type TestStack } from '../support/stack.ts'

const t = suite('faults: server killed', { stack: null as unknown as TestStack, w: null as unknown as World })
t.before(async (ctx) => {
  ctx.stack = await makeStack({ env: { MYSQL_DATABASE: 'app' } })
  ctx.w = await twoStates(ctx.stack)
})
t.after(async (ctx) => { await ctx.stack?.destroy() })

t('kill -9 of the server mid-load, then restart: live as before, the next load works', async ({ w, stack }) => {
  await faultCase({
    name: 'data_load server killed mid-data', operation: 'data_load', fault: 'database server kill -9', point: 'mid-data',
    expected: 'exit 1 with a clear line; after a restart live = b (as before); snapshots verify; the next load works and removes the debris',
  }, async (log) => {
    const serverPid = Number(fs.readFileSync(stack.rt.paths.pidFile, 'utf8').trim())
    // the load is the process watched; the kill goes to the server it talks to
    let killed = false
    const r = await interruptAt(stack, 'data-load', ['--name', 'a'], {
      signal: null,
      at: () => {
        if (killed || !tempTableBytes(stack, 'stage', 'big', MID_BYTES)) return false
        process.kill(serverPid, 'SIGKILL')
        killed = true
        return true
      },
    })
    assert.ok(killed, `the load ended before the server could be killed: ${lastLines(r.stderr)}`)
    assert.is(r.code, 1, `exit code: ${lastLines(r.stderr)}`)
    const line = lastLine(r.stderr)
    assert.match(line, /^datakeep: the database server went away during the load \(.+\); the live database was not changed; start it \(make up\), then run the load again$/)
    await stack.rt.start()
    const state = await stateOf(stack, 'app', w.known)
    log.lost(state !== 'b')
    assert.is(state, 'b', 'the live database after the restart')
    assert.equal(await unverified(stack, w.snapshots), [])
    const next = await runScript(stack, 'data-load', ['--name', 'a'])
    assert.is(next.code, 0, next.stderr)
    assert.match(next.stderr, /removed debris of an interrupted run: database _dk_stage_/)
    assert.is(await stateOf(stack, 'app', w.known), 'a')
    w.current = 'a'
    assert.equal(await leftovers(stack), [])
    return `exit 1: "${line}"; after the restart live = b; the next load removed the staging database and loaded a`
  })
})

t.run()
