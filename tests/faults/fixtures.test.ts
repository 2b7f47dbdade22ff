// fixtures_load under faults: kill -9 and Ctrl-C while the tables' triggers are held off (each
// replaced by its guarded form, the journal in a _dk_guard_ database). The live data is as before
// or wholly the fixtures; once settled, every trigger is exactly as it was, in its order.
import fs from 'node:fs'
import * as assert from 'uvu/assert'
import { query } from '../../lib/db.ts'
import { fillSql, interruptCase, sqlIn, appSchemaSql, type World } from '../support/faults.ts'
import { faultSuite } from '../support/fault-suite.ts'
import { ENGINE_CASES, mariadbWatch, type EngineCase } from '../support/engine-cases.ts'
import { fingerprint } from '../support/fingerprint.ts'
import { runScript, type TestStack } from '../support/stack.ts'

/** Rows enough that the load lasts a few seconds with 10 ms polling. */
const FIXTURE_ROWS = 60_000

/**
 * Live state b; the fixtures hold state a (dumped before b's updates), so a complete
 * fixtures_load turns b into a exactly (an upsert of every row, triggers held off).
 */
async function fixturesWorld(stack: TestStack): Promise<World<TestStack>> {
  await sqlIn(stack, appSchemaSql() + '\n' + fillSql(FIXTURE_ROWS, 'a'))
  const r = await runScript(stack, 'fixtures-dump')
  if (r.code !== 0) throw new Error(`fixtures-dump: ${r.stderr}`)
  const a = await stack.db((db) => fingerprint(db, 'app'), null)
  await sqlIn(stack, "UPDATE big SET pad = REVERSE(pad) WHERE id % 2 = 0; UPDATE note SET body = 'b changed', n = 0 WHERE id = 1")
  const b = await stack.db((db) => fingerprint(db, 'app'), null)
  return { stack, database: 'app', known: { a, b }, snapshots: [], current: 'b' }
}

// MariaDB holds triggers off by rewriting them; PostgreSQL's session_replication_role needs no guard (tests/engines/pg-fixtures.test.ts)
const t = faultSuite('faults: fixtures_load', ENGINE_CASES.MariaDB as EngineCase<TestStack>, fixturesWorld)

/** The point: note's trigger is in its guarded form (the load is under way). */
const held = (stack: TestStack) => async () => (await query(await mariadbWatch(stack),
  "SELECT 1 FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = 'app' AND ACTION_STATEMENT LIKE '%datakeep_triggers_off%'")).length > 0

/** Back to b, so every case starts with the fixtures to load. */
async function backToB(w: World): Promise<void> {
  if (w.current === 'b') return
  await sqlIn(w.stack, "UPDATE big SET pad = REVERSE(pad) WHERE id % 2 = 0; UPDATE note SET body = 'b changed', n = 0 WHERE id = 1")
  w.current = 'b'
}

const triggersBack = (w: World) => async () => {
  const [tr] = await w.stack.db((db) => query<{ s: string }>(db, 'SELECT ACTION_STATEMENT AS s FROM information_schema.TRIGGERS WHERE TRIGGER_NAME = ?', ['note_bi']))
  assert.is(tr?.s, 'SET NEW.n = CHAR_LENGTH(NEW.body)', 'note_bi as it was')
  assert.not.ok(fs.readdirSync(w.stack.rt.paths.dataDir).some((d) => d.startsWith('_dk_guard_')), 'the guard journal is gone')
  return 'the trigger is back as it was'
}

for (const [signal, label] of [['SIGKILL', 'kill -9'], ['SIGINT', 'SIGINT']] as const) {
  t(`${label} mid-load, triggers held off`, async ({ w, stack }) => {
    await backToB(w)
    await interruptCase(w, {
      operation: 'fixtures_load', script: 'fixtures-load', args: ['--no-safety'], signal,
      point: 'mid-load (triggers held off)', at: held(stack), target: 'a', check: triggersBack(w),
    })
  })
}

t('uninterrupted, the fixtures load exactly and the trigger is back', async ({ w }) => {
  await backToB(w)
  const r = await runScript(w.stack, 'fixtures-load', ['--no-safety'])
  assert.is(r.code, 0, r.stderr)
  assert.equal(await w.stack.db((db) => fingerprint(db, 'app'), null), w.known.a)
  w.current = 'a'
})

t.run()
