// The physical fast path through the real scripts: data_dump --physical, data_list, data_verify,
// data_load (dispatched on the manifest's kind), with the logical round trip's expectations.
import { suite } from '../support/uvu.ts'
import * as assert from 'uvu/assert'
import { fingerprint, sql } from '../support/fingerprint.ts'
import { sakilaStack } from '../support/sakila.ts'
import { lastLine, runScript, type TestStack } from '../support/stack.ts'

const t = suite('physical snapshot scripts', { stack: null as unknown as TestStack })
t.before(async (ctx) => {
  ctx.stack = await sakilaStack()
})
t.after(async (ctx) => { await ctx.stack?.destroy() })

t('dump --physical, damage, load: equal again; list and verify know the kind', async ({ stack }) => {
  const before = await stack.db((db) => fingerprint(db, 'sakila'))
  const dump = await runScript(stack, 'data-dump', ['--name', 'ph', '--physical'])
  assert.is(dump.code, 0, dump.stderr)
  assert.match(lastLine(dump.stderr), /physical snapshot ph: 16 tables, 47273 rows/)
  const verify = await runScript(stack, 'data-verify', ['--name', 'ph', '--deep'])
  assert.is(verify.code, 0, verify.stderr)
  await sql(stack, 'DELETE FROM payment; DROP TABLE film_text; CREATE TABLE extra (id INT)', 'sakila')
  const load = await runScript(stack, 'data-load', ['--name', 'ph'])
  assert.is(load.code, 0, load.stderr)
  assert.match(lastLine(load.stderr), 'loaded snapshot ph into sakila: 16 tables, 47273 rows')
  assert.equal(await stack.db((db) => fingerprint(db, 'sakila')), before)
  const bad = await runScript(stack, 'data-dump', ['--name', 'x', '--physical', '--format', 'sql'])
  assert.is(bad.code, 2)
})

t.run()
