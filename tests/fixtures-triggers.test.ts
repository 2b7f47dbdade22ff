// fixtures_load holds the tables' triggers off (sakila's customer_create_date, payment_date and
// rental_date would set NOW()): the rows are exactly the fixtures; --with-triggers fires them;
// other sessions fire them throughout; a kill -9 mid-load leaves them in place and the next run
// puts them back exactly. The real scripts against a real server.
import fs from 'node:fs'
import path from 'node:path'
import { suite } from './support/uvu.ts'
import * as assert from 'uvu/assert'
import { query, withDb } from '../lib/db.ts'
import { holdTriggers, replayKeepsOrder, type HeldTrigger } from '../lib/snapshot/trigger-guard.ts'
import { fingerprint, type Fingerprint } from './support/fingerprint.ts'
import { sakilaStack } from './support/sakila.ts'
import { lastLine, runScript, spawnScript, type TestStack } from './support/stack.ts'

const t = suite('fixtures triggers', { stack: null as unknown as TestStack, before: null as unknown as Fingerprint })

t.before(async (ctx) => {
  ctx.stack = await sakilaStack()
  ctx.before = await ctx.stack.db((db) => fingerprint(db, 'sakila'))
})
t.after(async (ctx) => { await ctx.stack?.destroy() })

const dirFiles = (dir: string) => Object.fromEntries(fs.readdirSync(dir).sort().map((f) => [f, fs.readFileSync(path.join(dir, f), 'utf8')]))
const guardDbs = (stack: TestStack) => stack.db((db) => query<{ n: string }>(db,
  "SELECT SCHEMA_NAME AS n FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE '\\_dk\\_guard\\_%'"), null)
const ORIGINAL_DATE = '2006-02-14 22:04:36'

t('after fixtures_dump + fixtures_load the rows are exactly the fixtures; triggers held off and put back', async ({ stack, before }) => {
  const dump = await runScript(stack, 'fixtures-dump')
  assert.is(dump.code, 0, dump.stderr)
  const r = await runScript(stack, 'fixtures-load', ['--no-safety'])
  assert.is(r.code, 0, r.stderr)
  assert.match(r.stderr, /triggers held off: 6 triggers on customer, film, payment, rental did not fire for this load's session/)
  assert.match(lastLine(r.stderr), /^done: loaded 16 fixture files into sakila: \d+ rows \(0 inserted, \d+ updated\)/)
  // every table's rows, checksums, and every trigger (text, sql_mode, order) as before
  assert.equal(await stack.db((db) => fingerprint(db, 'sakila')), before)
  const again = await runScript(stack, 'fixtures-dump', [], { FIXTURES_DIR: 'again' })
  assert.is(again.code, 0, again.stderr)
  assert.equal(dirFiles(path.join(stack.dir, 'again')), dirFiles(path.join(stack.dir, 'data/fixtures')))
  assert.equal(await guardDbs(stack), [])
})

t('--with-triggers fires them: customer_create_date sets create_date to NOW()', async ({ stack, before }) => {
  const r = await runScript(stack, 'fixtures-load', ['--no-safety', '--with-triggers'])
  assert.is(r.code, 0, r.stderr)
  assert.match(r.stderr, /triggers fired for every row \(--with-triggers\)/)
  const rows = await stack.db((db) => query<{ kept: string; n: string }>(db,
    'SELECT SUM(create_date = ?) AS kept, COUNT(*) AS n FROM customer', [ORIGINAL_DATE]))
  assert.equal([Number(rows[0].kept), Number(rows[0].n)], [0, 599])
  const pay = await stack.db((db) => query<{ kept: string }>(db, "SELECT SUM(payment_date < '2010-01-01') AS kept FROM payment"))
  assert.is(Number(pay[0].kept), 0)
  // put sakila back for the next test: loading the fixtures again without triggers
  const back = await runScript(stack, 'fixtures-load', ['--no-safety'])
  assert.is(back.code, 0, back.stderr)
  assert.equal(await stack.db((db) => fingerprint(db, 'sakila')), before)
})

t('kill -9 mid-load: triggers stay in place, data old; the next run puts them back exactly', async ({ stack, before }) => {
  const dir = path.join(stack.dir, 'edited')
  fs.cpSync(path.join(stack.dir, 'data/fixtures'), dir, { recursive: true })
  const file = path.join(dir, 'customer.json')
  const doc = JSON.parse(fs.readFileSync(file, 'utf8'))
  for (const row of doc.rows) row.first_name = String(row.first_name).toLowerCase()
  fs.writeFileSync(file, JSON.stringify(doc, null, 2) + '\n')
  const child = spawnScript(stack, 'fixtures-load', ['--no-safety'], { FIXTURES_DIR: dir })
  let err = ''
  await new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (d) => {
      err += d
      if (/into payment/.test(err) && child.exitCode === null) { child.kill('SIGKILL'); resolve() }
    })
    child.on('close', () => reject(new Error(`ended before payment: ${err}`)))
  })
  await new Promise((r) => child.once('close', r))
  // in place now (guarded or original), fired by every session; the data is the old one
  const names = (await stack.db((db) => query<{ n: string }>(db, 'SELECT TRIGGER_NAME AS n FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ? ORDER BY 1', ['sakila']))).map((r) => r.n)
  assert.equal(names, Object.keys(before.objects).filter((k) => k.startsWith('trigger ')).map((k) => k.slice(8)).sort())
  const afterKill = await stack.db((db) => fingerprint(db, 'sakila'))
  assert.equal(afterKill.tables, before.tables, 'one transaction: the data is the old one')
  assert.equal((await guardDbs(stack)).length, 1, 'the journal is there for the next run')
  const next = await runScript(stack, 'fixtures-load', ['--no-safety'], { FIXTURES_DIR: dir })
  assert.is(next.code, 0, next.stderr)
  assert.match(next.stderr, /put back 6 triggers of sakila \(customer, film, payment, rental\) that an interrupted load had held off/)
  const now = await stack.db((db) => fingerprint(db, 'sakila'))
  assert.equal(now.objects, before.objects, 'every trigger exactly as it was, in its order')
  const first = await stack.db((db) => query<{ n: string }>(db, "SELECT COUNT(*) AS n FROM customer WHERE BINARY first_name = LOWER(first_name)"))
  assert.is(Number(first[0].n), 599, 'the new data')
  assert.equal(await guardDbs(stack), [])
})

t('while triggers are held off, every other session fires them', async ({ stack }) => {
  await withDb(stack.rt.admin, async (writer) => {
    const guard = await holdTriggers(stack.rt.admin, writer, 'sakila', ['customer'])
    assert.ok(guard)
    try {
      const add = (db: typeof writer, id: number) => db.query(
        "INSERT INTO customer (customer_id, store_id, first_name, last_name, birth, address_id, create_date) VALUES (?, 1, 'A', 'B', '1990-01-01', 1, ?)", [id, ORIGINAL_DATE])
      await add(writer, 9001)
      await stack.db((other) => add(other, 9002))
      const got = await query<{ id: number; d: string }>(writer, 'SELECT customer_id AS id, create_date AS d FROM customer WHERE customer_id > 9000 ORDER BY 1')
      assert.is(got[0].d, ORIGINAL_DATE, 'the writer did not fire the trigger')
      assert.is.not(got[1].d, ORIGINAL_DATE, 'another session fired it')
    } finally {
      await guard!.release()
      await writer.query('DELETE FROM customer WHERE customer_id > 9000')
    }
  }, { database: 'sakila' })
})

const trig = (name: string, clause = ''): HeldTrigger => ({
  table: 't', name, timing: 'BEFORE', event: 'INSERT', body: 'SET NEW.a = 1',
  original: { kind: 'trigger', name, create: `CREATE TRIGGER \`${name}\` BEFORE INSERT ON \`t\` FOR EACH ROW ${clause}SET NEW.a = 1` },
})

t('re-creating triggers in firing order keeps it, unless FOLLOWS/PRECEDES would move one', () => {
  assert.ok(replayKeepsOrder([trig('a'), trig('b'), trig('c')]))
  assert.ok(replayKeepsOrder([trig('c0', 'PRECEDES a '), trig('a'), trig('b')]))
  assert.ok(replayKeepsOrder([trig('a'), trig('b', 'FOLLOWS `a` ')]))
  // d and c both FOLLOWS a: c, re-created after d, lands before it
  assert.not.ok(replayKeepsOrder([trig('a'), trig('d', 'FOLLOWS a '), trig('c', 'FOLLOWS a '), trig('b')]))
})

t.run()
