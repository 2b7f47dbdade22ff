// Safety snapshots take the physical path where it applies: from SAFETY_PHYSICAL_MIN_MB up, on a
// runtime that shares the server's data directory, the InnoDB tables copied as their files and the
// others as rows. Undo of such a safety snapshot puts every table back.
import { test } from '../support/uvu.ts'
import * as assert from 'uvu/assert'
import { loadConfig } from '../../lib/config.ts'
import { query } from '../../lib/db.ts'
import { ensureSafetySnapshot, physicalSafetyBlocker } from '../../lib/safety/snapshot.ts'
import { undo } from '../../lib/safety/undo.ts'
import { MariadbEngine } from '../../lib/engines/mariadb/index.ts'
import { recordOperation } from '../../lib/safety/journal.ts'
import type { Config } from '../../lib/config.ts'

const record = (cfg: Config, r: { snapshot: string | null; reason: string }) =>
  recordOperation(cfg, { operation: 'test_op', at: new Date().toISOString(), before: r.snapshot, reason: r.reason })
import { readManifest } from '../../lib/snapshot/manifest.ts'
import { snapshotPath } from '../../lib/snapshot/names.ts'
import { makeStack, type TestStack } from '../support/stack.ts'

let stack: TestStack
const withMin = (mb: string) => loadConfig({ env: { ...stack.env, SAFETY_PHYSICAL_MIN_MB: mb }, projectDir: stack.dir })
const rows = () => stack.db(async (db) => (await query<{ v: string }>(db, 'SELECT GROUP_CONCAT(v ORDER BY id) AS v FROM app.t'))[0].v)

test.before(async () => {
  stack = await makeStack()
  await stack.db(async (db) => {
    await db.query('CREATE DATABASE IF NOT EXISTS app')
    await db.query('CREATE TABLE app.t (id INT PRIMARY KEY, v VARCHAR(10))')
    await db.query("INSERT INTO app.t VALUES (1, 'one'), (2, 'two')")
  }, null)
})
test.after(async () => { await stack?.destroy() })

test('a small database gets a logical safety snapshot (the default threshold)', async () => {
  const why = await physicalSafetyBlocker(stack.cfg, stack.rt)
  assert.match(why ?? '', /smaller than SAFETY_PHYSICAL_MIN_MB \(256\)/)
})

test('from the threshold up: the tables as their files, and undo puts the data back', async () => {
  const cfg = withMin('0')
  assert.is(await physicalSafetyBlocker(cfg, stack.rt), null)
  const r = await ensureSafetySnapshot(cfg, stack.rt, 'test_op', { reuse: false })
  assert.ok(r.snapshot, r.reason)
  record(cfg, r) // as beforeDestructive does: undo follows the journal
  const m = readManifest(snapshotPath(cfg, r.snapshot!))
  assert.is(m.kind, 'tablespace')
  assert.ok(m.tables.find((t) => t.name === 't')?.tablespace, 'table t travels as its files')
  await stack.db((db) => db.query("UPDATE app.t SET v = 'changed'"), null)
  await undo(cfg, new MariadbEngine(cfg, stack.rt), { noSafety: true })
  assert.is(await rows(), 'one,two')
})

test('another database on the server, a MEMORY table: still physical, the MEMORY table as rows', async () => {
  const cfg = withMin('0')
  await stack.db((db) => db.query('CREATE DATABASE other').then(() => db.query('CREATE TABLE other.o (id INT PRIMARY KEY)'))
    .then(() => db.query('INSERT INTO other.o VALUES (7)')), null)
  await stack.db((db) => db.query('CREATE TABLE app.m (id INT) ENGINE=MEMORY').then(() => db.query('INSERT INTO app.m VALUES (1), (2), (3)')), null)
  assert.is(await physicalSafetyBlocker(cfg, stack.rt), null)
  const r = await ensureSafetySnapshot(cfg, stack.rt, 'test_op', { reuse: false })
  record(cfg, r)
  const m = readManifest(snapshotPath(cfg, r.snapshot!))
  assert.is(m.kind, 'tablespace')
  const mem = m.tables.find((t) => t.name === 'm')!
  assert.is(mem.tablespace, undefined, 'a MEMORY table has no file to copy')
  assert.is(mem.rows, 3)
  await stack.db((db) => db.query('DELETE FROM app.m').then(() => db.query("UPDATE app.t SET v = 'changed'")).then(() => db.query('DELETE FROM other.o')), null)
  await undo(cfg, new MariadbEngine(cfg, stack.rt), { noSafety: true })
  assert.is(await rows(), 'one,two')
  const back = await stack.db(async (db) => (await query<{ n: string }>(db, 'SELECT COUNT(*) AS n FROM app.m'))[0].n, null)
  assert.is(Number(back), 3)
  // the other database is not this tool's to change: undo leaves it as it is now
  const other = await stack.db(async (db) => (await query<{ n: string }>(db, 'SELECT COUNT(*) AS n FROM other.o'))[0].n, null)
  assert.is(Number(other), 0)
  await stack.db((db) => db.query('DROP TABLE app.m').then(() => db.query('DROP DATABASE other')), null)
})

test('a runtime whose data files datakeep cannot reach keeps it logical', async () => {
  const cfg = withMin('0')
  const remote = Object.create(stack.rt, { serverFiles: { value: null }, name: { value: 'external' } })
  assert.is(await physicalSafetyBlocker(cfg, remote), 'datakeep cannot reach the server\'s data files on the external runtime')
})

test('a fresh snapshot with nothing written since is reused without reading the tables', async () => {
  const cfg = withMin('100000') // logical
  const first = await ensureSafetySnapshot(cfg, stack.rt, 'test_op', { reuse: false })
  assert.ok(readManifest(snapshotPath(cfg, first.snapshot!)).quiet, 'the dump recorded its write counters')
  const again = await ensureSafetySnapshot(cfg, stack.rt, 'test_op')
  assert.is(again.snapshot, first.snapshot)
  assert.match(again.reason, /nothing was written since it was taken/)
  // a write elsewhere moves the counters: the tables are compared instead, and still equal
  await stack.db((db) => db.query('CREATE TABLE IF NOT EXISTS mysql.dk_other (id INT)').then(() => db.query('INSERT INTO mysql.dk_other VALUES (1)')), null)
  const compared = await ensureSafetySnapshot(cfg, stack.rt, 'test_op')
  assert.is(compared.snapshot, first.snapshot)
  assert.match(compared.reason, /same schema, row counts and checksums/)
  // a new trigger leaves every row as it was, but the snapshot does not hold it: a new one
  await stack.db((db) => db.query('CREATE TRIGGER app.tr BEFORE INSERT ON app.t FOR EACH ROW SET NEW.v = NEW.v'), null)
  const taken = await ensureSafetySnapshot(cfg, stack.rt, 'test_op')
  assert.is.not(taken.snapshot, first.snapshot)
  assert.match(taken.reason, /safety snapshot .* taken/)
  await stack.db((db) => db.query('DROP TRIGGER app.tr').then(() => db.query('DROP TABLE mysql.dk_other')), null)
})

test.run()
