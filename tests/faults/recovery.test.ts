// Point-in-time recovery under faults: kill -9 and Ctrl-C while the binary logs are replayed into
// the staging database (300,000 updated rows after snapshot a). The live database stays as it was;
// every snapshot verifies. Then the same recovery, uninterrupted, reaches its moment.
import fs from 'node:fs'
import path from 'node:path'
import * as assert from 'uvu/assert'
import { fingerprint } from '../support/fingerprint.ts'
import { dumpOk, interruptCase, lastLines, sqlIn, type World } from '../support/faults.ts'
import { faultSuite } from '../support/fault-suite.ts'
import { ENGINE_CASES, type EngineCase } from '../support/engine-cases.ts'
import { twoStates } from '../support/fault-worlds.ts'
import { runScript, type TestStack } from '../support/stack.ts'

/** Snapshot a; then state b's writes; then one more row (state c, live). Recovery goes back to just before it. */
async function setup(stack: TestStack): Promise<World> {
  const w = await twoStates(stack)
  await sqlIn(stack, "INSERT INTO note (body) VALUES ('c only')")
  w.known.c = await stack.db((db) => fingerprint(db, 'app'), null)
  w.current = 'c'
  await dumpOk(stack, 'c')
  w.snapshots.push('c')
  return w
}

const t = faultSuite('faults: point-in-time recovery', ENGINE_CASES.MariaDB as EngineCase<TestStack>, setup)

/** The GTID of the last transaction on app (the insert of state c), from the timeline. */
async function lastGtid(stack: TestStack): Promise<{ gtid: string; count: number }> {
  const r = await runScript(stack, 'data-timeline', ['--since', 'a', '--json'])
  if (r.code !== 0) throw new Error(`data-timeline: ${lastLines(r.stderr)}`)
  const events = JSON.parse(r.stdout).events as { gtid: string; statements: string[] }[]
  const c = events.find((e) => e.statements.some((s) => s.includes("'c only'")))
  if (!c) throw new Error('the timeline lacks the insert of state c')
  return { gtid: c.gtid, count: events.indexOf(c) }
}

/** A PATH whose mariadb-binlog marks and waits (3 s) when it is the replay (--disable-log-bin), and only then. */
function slowReplay(stack: TestStack): { env: Record<string, string>; called: () => boolean } {
  const real = (stack.env.PATH ?? '').split(':').map((d) => path.join(d, 'mariadb-binlog')).find((p) => fs.existsSync(p))!
  const dir = path.join(stack.dir, '.slow-replay')
  const mark = path.join(dir, 'called')
  fs.mkdirSync(dir, { recursive: true })
  fs.rmSync(mark, { force: true })
  fs.writeFileSync(path.join(dir, 'mariadb-binlog'),
    `#!/bin/sh\ncase "$*" in *--disable-log-bin*) touch '${mark}'; sleep 3;; esac\nexec '${real}' "$@"\n`, { mode: 0o755 })
  return { env: { PATH: `${dir}:${stack.env.PATH}` }, called: () => fs.existsSync(mark) }
}

for (const signal of ['SIGKILL', 'SIGINT'] as const) {
  t(`${signal === 'SIGKILL' ? 'kill -9' : 'SIGINT'} during the replay: the live database is unchanged`, async ({ w, stack }) => {
    const { gtid } = await lastGtid(stack)
    const slow = slowReplay(stack)
    await interruptCase(w, {
      operation: 'data_load --before-gtid', script: 'data-load', args: ['--name', 'a', '--before-gtid', gtid], env: slow.env,
      signal, point: 'during the replay of the binary logs into the staging database', at: slow.called, target: 'c',
    })
    assert.is(w.current, 'c')
  })
}

t('the same recovery, uninterrupted, replays every transaction up to the GTID', async ({ w, stack }) => {
  const { gtid, count } = await lastGtid(stack)
  const r = await runScript(stack, 'data-load', ['--name', 'a', '--before-gtid', gtid])
  assert.is(r.code, 0, r.stderr)
  assert.match(r.stderr, new RegExp(`\\+ ${count} events? replayed`))
  const after = await stack.db((db) => fingerprint(db, 'app'), null)
  // b's rows, without c's; b's view (created after a) is not recovered: views come from the snapshot
  assert.equal(after.tables, w.known.b.tables)
  assert.not.equal(after.tables, w.known.c.tables)
})

t.run()
