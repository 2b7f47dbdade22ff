// data_prune --yes takes the lock: while another operation runs (it may be reading a snapshot the prune
// would delete) it deletes nothing and exits 2 naming that operation; the plan alone needs no lock.
import fs from 'node:fs'
import path from 'node:path'
import { suite } from '../support/uvu.ts'
import * as assert from 'uvu/assert'
import { acquireLock } from '../../lib/safety/lock.ts'
import { lastLine, makeStack, runScript, type TestStack } from '../support/stack.ts'

const t = suite('data_prune and the lock', { stack: null as unknown as TestStack })
t.before(async (ctx) => {
  ctx.stack = await makeStack()
  await ctx.stack.db((db) => db.query('CREATE TABLE t (id INT PRIMARY KEY)'))
  for (const name of ['p1', 'p2']) {
    const r = await runScript(ctx.stack, 'data-dump', ['--name', name])
    assert.is(r.code, 0, r.stderr)
  }
})
t.after(async (ctx) => { await ctx.stack?.destroy() })

const exists = (stack: TestStack, name: string) => fs.existsSync(path.join(stack.dir, 'data/backups', name))

t('while a load holds the lock: --yes deletes nothing and exits 2 naming it; the plan still prints; after it, --yes deletes', async ({ stack }) => {
  const release = await acquireLock(stack.cfg, 'make data_load ARGS="--name p1"')
  try {
    const plan = await runScript(stack, 'data-prune', ['--keep', '1'])
    assert.is(plan.code, 0, plan.stderr)
    assert.match(plan.stderr, 'would delete p1')
    const r = await runScript(stack, 'data-prune', ['--keep', '1', '--yes'])
    assert.is(r.code, 2, r.stderr)
    assert.match(lastLine(r.stderr), /another datakeep operation is running: make data_load ARGS="--name p1" \(pid \d+\)/)
    assert.ok(exists(stack, 'p1') && exists(stack, 'p2'), 'nothing deleted while locked')
  } finally { release() }
  const r = await runScript(stack, 'data-prune', ['--keep', '1', '--yes'])
  assert.is(r.code, 0, r.stderr)
  assert.ok(!exists(stack, 'p1') && exists(stack, 'p2'), 'the older one deleted once the lock is free')
})

t.run()
