// data_load --tables under faults: kill -9 and Ctrl-C mid-data (loading staging) and while the
// rows are being replaced (one transaction, the triggers held off). The live database is as
// before or has wholly the snapshot's rows in those tables; the triggers end exactly as they were.
import * as assert from 'uvu/assert'
import { query } from '../../lib/db.ts'
import { interruptCase, MID_BYTES, type World } from '../support/faults.ts'
import { tempTableBytes } from '../support/fault-points.ts'
import { faultSuite } from '../support/fault-suite.ts'
import { ENGINE_CASES, mariadbWatch, type EngineCase } from '../support/engine-cases.ts'
import { twoStates } from '../support/fault-worlds.ts'
import { fingerprint } from '../support/fingerprint.ts'
import { lastLine, runScript, type TestStack } from '../support/stack.ts'

// MariaDB's --tables path (a trigger guard while the rows are replaced); PostgreSQL's --tables is tests/engines/pg-snapshot.test.ts
const MariaDB = ENGINE_CASES.MariaDB as EngineCase<TestStack>
const t = faultSuite('faults: data_load --tables', MariaDB, twoStates)
const ARGS = ['--name', 'a', '--tables', 'big,note', '--no-safety']

/** Back to b (a whole load), so every case starts from the same state. */
async function backToB(w: World): Promise<void> {
  if (w.current === 'b') return
  const r = await runScript(w.stack, 'data-load', ['--name', 'b', '--no-safety'])
  assert.is(r.code, 0, r.stderr)
  w.current = 'b'
}

t('uninterrupted: big and note get snapshot a\'s rows; b\'s view and trigger stay', async ({ w }) => {
  const r = await runScript(w.stack, 'data-load', ARGS)
  assert.is(r.code, 0, r.stderr)
  assert.match(lastLine(r.stderr), /^done: restored 2 tables of snapshot a into app: big, note/)
  const fp = await w.stack.db((db) => fingerprint(db, 'app'), null)
  for (const name of ['big', 'note']) assert.is(fp.tables[name].checksum, w.known.a.tables[name].checksum, name)
  assert.equal(fp.objects, w.known.b.objects)
  w.known['a-tables'] = fp
  w.current = 'a-tables'
})

/** The point: note's trigger is in its guarded form (staging verified, the rows being replaced). */
const replacing = (stack: TestStack) => async () => (await query(await mariadbWatch(stack),
  "SELECT 1 FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = 'app' AND ACTION_STATEMENT LIKE '%datakeep_triggers_off%'")).length > 0

const triggerBack = (w: World) => async () => {
  const [tr] = await w.stack.db((db) => query<{ s: string }>(db, 'SELECT ACTION_STATEMENT AS s FROM information_schema.TRIGGERS WHERE TRIGGER_NAME = ?', ['note_bi']))
  assert.is(tr?.s, 'SET NEW.n = CHAR_LENGTH(NEW.body)', 'note_bi as it was')
  return 'the trigger is back as it was'
}

for (const [signal, label] of [['SIGKILL', 'kill -9'], ['SIGINT', 'SIGINT']] as const) {
  t(`${label} mid-data (loading staging)`, async ({ w }) => {
    await backToB(w)
    await interruptCase(w, {
      operation: 'data_load --tables', script: 'data-load', args: ARGS, signal, point: 'mid-data',
      at: () => tempTableBytes(w.stack, 'stage', 'big', MID_BYTES), target: 'a-tables', check: triggerBack(w),
    })
  })
  t(`${label} while replacing the rows (triggers held off)`, async ({ w, stack }) => {
    await backToB(w)
    await interruptCase(w, {
      operation: 'data_load --tables', script: 'data-load', args: ARGS, signal, point: 'replacing the rows (triggers held off)',
      at: replacing(stack), target: 'a-tables', check: triggerBack(w),
    })
  })
}

t.run()
