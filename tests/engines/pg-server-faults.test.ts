// PostgreSQL under the faults the MariaDB suite tries besides signals: the server crashing in the
// middle of a load (kill -9 of the backend writing the rows: PostgreSQL ends every session and
// recovers) and two operations at once (the full disk under a dump is tests/faults/disk.test.ts,
// on both engines). Recorded for docs/reliability.md.
import fs from 'node:fs'
import path from 'node:path'
import { suite } from '../support/uvu.ts'
import * as assert from 'uvu/assert'
import { generateSql } from '../../bench/pg-generate.ts'
import { pgQuery } from '../../lib/engines/postgres/db.ts'
import { clientBinDir, psqlArgv } from '../../lib/engines/postgres/tools.ts'
import { HOST, run } from '../../lib/run.ts'
import { faultCase } from '../support/faults.ts'
import { makePgStack, type PgTestStack } from '../support/pg-stack.ts'
import { lastLine, runScript, spawnScript } from '../support/stack.ts'

const s = suite('pg faults: server, concurrency', { stack: null as unknown as PgTestStack, before: [] as unknown[] })
s.before(async (ctx) => {
  ctx.stack = await makePgStack()
  await run(HOST, psqlArgv(clientBinDir(ctx.stack.cfg), ctx.stack.engine.runtime.clientArgs(), 'app'), { input: generateSql(300_000) })
  const d = await runScript(ctx.stack, 'data-dump', ['--name', 'big'])
  assert.is(d.code, 0, d.stderr)
  await ctx.stack.pg((c) => c.query('DELETE FROM t0 WHERE id % 3 = 0; CREATE TABLE marker (a int)'))
  ctx.before = await ctx.stack.engine.tableStates()
})
s.after(async (ctx) => {
  await ctx.stack?.destroy()
})

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b)

/** The server answers again (after its crash recovery). */
async function answering(stack: PgTestStack): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await stack.pg((c) => c.query('SELECT 1'), null).then(() => true, () => false)) return
    await sleep(100)
  }
  throw new Error('the server did not come back after its crash recovery')
}

s('the backend writing a load\'s rows killed (server crash and recovery): exit 1, one line, live unchanged, the next load works', ({ stack, before }) => faultCase({
  name: 'postgres data_load server crash mid-data', operation: 'data_load (PostgreSQL)', fault: 'database backend kill -9 (crash recovery)', point: 'mid-data',
  expected: 'exit 1 with one line; live database unchanged; the next load works and removes the debris',
}, async (log) => {
  const child = spawnScript(stack, 'data-load', ['--name', 'big', '--no-safety'])
  let stderr = ''
  child.stderr!.on('data', (d) => { stderr += d })
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)))
  let pid = 0
  for (let i = 0; i < 600 && !pid; i++) {
    const rows = await stack.pg((c) => pgQuery<{ pid: number }>(c,
      "SELECT pid FROM pg_stat_activity WHERE datname LIKE '\\_dk\\_stage\\_%' AND query LIKE 'COPY %FROM STDIN%' AND state = 'active'"), null)
    pid = rows[0]?.pid ?? 0
    if (!pid) await sleep(20)
  }
  assert.ok(pid, `the load never started copying rows: ${stderr}`)
  process.kill(pid, 'SIGKILL')
  const code = await exited
  await answering(stack)
  const after = await stack.engine.tableStates()
  log.lost(!same(after, before))
  assert.equal(after, before)
  assert.is(code, 1, stderr)
  const line = lastLine(stderr)
  assert.match(line, /^datakeep: /)
  assert.not.match(stderr, /\n\s+at /, 'no stack trace')
  const next = await runScript(stack, 'data-load', ['--name', 'big', '--no-safety'])
  assert.is(next.code, 0, next.stderr)
  const loaded = await stack.engine.tableStates()
  assert.not.equal(loaded, before, 'the next load replaced the live tables')
  const left = await stack.pg((c) => pgQuery<{ d: string }>(c, "SELECT datname AS d FROM pg_database WHERE datname LIKE '\\_dk\\_%'"), null)
  assert.equal(left, [])
  // back to the state the other cases start from
  await stack.pg((c) => c.query('DELETE FROM t0 WHERE id % 3 = 0; CREATE TABLE marker (a int)'))
  assert.equal(await stack.engine.tableStates(), before)
  return `exit 1: "${line}"; live unchanged; the next load worked and left no side database`
}))

const LOCKED = /^datakeep: another datakeep operation is running: make (data_load|data_dump) ARGS="([^"]+)" \(pid (\d+)\) since \S+; wait for it, or if it is stuck: kill \3$/

s('a load and a dump at once: one runs, the other exits 2 naming it', ({ stack, before }) => faultCase({
  name: 'postgres data_load + data_dump at once', operation: 'data_load + data_dump (PostgreSQL)', fault: 'two at once', point: 'started together',
  expected: 'one exits 0, the other exits 2 naming it; live = the winner\'s result; lock released',
}, async (log) => {
  const pa = runScript(stack, 'data-load', ['--name', 'big', '--no-safety'])
  const pb = runScript(stack, 'data-dump', ['--name', 'during'])
  const rs = await Promise.all([pa, pb])
  const after = await stack.engine.tableStates()
  const codes = rs.map((r) => r.code)
  const loadWon = codes[0] === 0
  // a won load replaces the live tables with the snapshot's; a won dump leaves them as they were
  log.lost(loadWon === same(after, before))
  assert.equal([...codes].sort(), [0, 2], `exit codes ${codes}: ${rs.map((r) => lastLine(r.stderr)).join(' / ')}`)
  const loser = rs[loadWon ? 1 : 0]
  const m = LOCKED.exec(lastLine(loser.stderr))
  assert.ok(m, lastLine(loser.stderr))
  assert.is(m![1], loadWon ? 'data_load' : 'data_dump', 'the refused one names the one that runs')
  assert.is(fs.existsSync(path.join(stack.dir, 'data/backups/during')), !loadWon)
  if (!loadWon) assert.equal(after, before)
  const again = await runScript(stack, 'data-dump', ['--name', 'after-both'])
  assert.is(again.code, 0, `the lock was released: ${again.stderr}`)
  if (loadWon) await stack.pg((c) => c.query('DELETE FROM t0 WHERE id % 3 = 0; CREATE TABLE marker (a int)'))
  assert.equal(await stack.engine.tableStates(), before)
  const ran = loadWon ? 'data_load' : 'data_dump'
  return `${ran} ran (exit 0); the other exit 2: "${lastLine(loser.stderr)}"; the next dump ran`
}))

s.run()
