// data_load --latest and --tables, through the real script against sakila: the newest user
// snapshot (not _init, not a safety one); some tables restored exactly through staging,
// verification and one transaction, the others, their foreign keys and the storage folder untouched.
import fs from 'node:fs'
import path from 'node:path'
import { suite } from '../support/uvu.ts'
import * as assert from 'uvu/assert'
import { query } from '../../lib/db.ts'
import { readManifest, writeManifest } from '../../lib/snapshot/manifest.ts'
import { fingerprint, type Fingerprint } from '../support/fingerprint.ts'
import { sakilaStack } from '../support/sakila.ts'
import { lastLine, runScript, type TestStack } from '../support/stack.ts'

const t = suite('data_load options', { stack: null as unknown as TestStack, s1: null as unknown as Fingerprint })

t.before(async (ctx) => {
  ctx.stack = await sakilaStack()
  const r = await runScript(ctx.stack, 'data-dump', ['--name', 's1'])
  assert.is(r.code, 0, r.stderr)
  ctx.s1 = await ctx.stack.db((db) => fingerprint(db, 'sakila'))
})
t.after(async (ctx) => { await ctx.stack?.destroy() })

const storage = (stack: TestStack, ...p: string[]) => path.join(stack.dir, stack.cfg.STORAGE_DIR, ...p)

/** Rows changed in actor, payment and customer: what a partial restore must put back, or leave. */
async function changeData(stack: TestStack): Promise<void> {
  await stack.db(async (db) => {
    await db.query("UPDATE actor SET first_name = 'CHANGED' WHERE actor_id <= 10")
    await db.query('SET foreign_key_checks = 0')
    await db.query('DELETE FROM payment WHERE payment_id > 16000')
    await db.query("UPDATE customer SET email = 'changed@example.com' WHERE customer_id = 1")
  })
}

t('--tables actor,payment restores those tables exactly; the others, their keys and the storage stay', async ({ stack, s1 }) => {
  await changeData(stack)
  fs.mkdirSync(storage(stack), { recursive: true })
  fs.writeFileSync(storage(stack, 'uploaded-after.txt'), 'new upload')
  const changed = await stack.db((db) => fingerprint(db, 'sakila'))
  const r = await runScript(stack, 'data-load', ['--name', 's1', '--tables', 'actor, payment', '--no-safety'])
  assert.is(r.code, 0, r.stderr)
  assert.match(lastLine(r.stderr), /^done: restored 2 tables of snapshot s1 into sakila: actor, payment, 16249 rows, verified; other tables and the storage folder untouched, in \d+\.\d s$/)
  const now = await stack.db((db) => fingerprint(db, 'sakila'))
  // payment's BEFORE INSERT trigger (payment_date = NOW()) was held off: checksums are the snapshot's
  for (const name of ['actor', 'payment']) assert.equal(now.tables[name].checksum, s1.tables[name].checksum, name)
  for (const name of Object.keys(now.tables).filter((n) => n !== 'actor' && n !== 'payment')) assert.equal(now.tables[name], changed.tables[name], name)
  // every table's definition (the children's foreign keys too) and every trigger as before
  assert.equal(now.objects, changed.objects)
  assert.is(fs.readFileSync(storage(stack, 'uploaded-after.txt'), 'utf8'), 'new upload')
  const guards = await stack.db((db) => query(db, "SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE '\\_dk\\_%'"), null)
  assert.equal(guards, [])
})

t('--with-storage also restores the storage folder', async ({ stack }) => {
  const r = await runScript(stack, 'data-load', ['--name', 's1', '--tables', 'customer', '--with-storage', '--no-safety'])
  assert.is(r.code, 0, r.stderr)
  assert.match(lastLine(r.stderr), /storage folder restored \(0 files\)/)
  assert.not.ok(fs.existsSync(storage(stack, 'uploaded-after.txt')))
})

t('unknown table names: exit 2 listing the snapshot\'s tables; nothing changed, no safety snapshot', async ({ stack }) => {
  const before = await stack.db((db) => fingerprint(db, 'sakila'))
  const r = await runScript(stack, 'data-load', ['--name', 's1', '--tables', 'actor,nope,ghost'])
  assert.is(r.code, 2, r.stderr)
  assert.is(lastLine(r.stderr), 'datakeep: snapshot "s1" has no tables "nope", "ghost"; nothing was changed; its tables: actor, address, category, city, '
    + 'country, customer, film, film_actor, film_category, film_text, inventory, language, payment, rental, staff, store')
  assert.equal(await stack.db((db) => fingerprint(db, 'sakila')), before)
  assert.not.ok(fs.existsSync(path.join(stack.dir, 'data/backups/_safety')))
})

t('a table defined differently since the snapshot: exit 2, nothing changed', async ({ stack }) => {
  await stack.db((db) => db.query('ALTER TABLE category ADD COLUMN note VARCHAR(10) NULL'))
  const before = await stack.db((db) => fingerprint(db, 'sakila'))
  const r = await runScript(stack, 'data-load', ['--name', 's1', '--tables', 'category', '--no-safety'])
  assert.is(r.code, 2, r.stderr)
  assert.match(lastLine(r.stderr), /^datakeep: table category in database sakila is defined differently from snapshot "s1" .*; nothing was changed; load the whole snapshot: make data_load ARGS="--name s1"$/)
  assert.equal(await stack.db((db) => fingerprint(db, 'sakila')), before)
  await stack.db((db) => db.query('ALTER TABLE category DROP COLUMN note'))
})

t('rows of other tables left pointing at rows the restore removed are counted and named', async ({ stack }) => {
  await stack.db(async (db) => {
    await db.query('INSERT INTO rental (rental_id, rental_date, inventory_id, customer_id, staff_id) VALUES (99999, NOW(), 1, 1, 1)')
    await db.query('INSERT INTO payment (payment_id, customer_id, staff_id, rental_id, amount, payment_date) VALUES (60000, 1, 1, 99999, 1.00, NOW())')
  })
  const r = await runScript(stack, 'data-load', ['--name', 's1', '--tables', 'rental', '--no-safety'])
  assert.is(r.code, 0, r.stderr)
  assert.match(r.stderr, '1 row of payment refers to rental rows that are not there (foreign key fk_payment_rental); '
    + 'to restore both as the snapshot has them: make data_load ARGS="--name s1 --tables rental,payment"')
  const rows = await stack.db((db) => query<{ n: string }>(db, 'SELECT COUNT(*) AS n FROM rental WHERE rental_id = 99999'))
  assert.is(Number(rows[0].n), 0)
  await stack.db((db) => db.query('DELETE FROM payment WHERE payment_id = 60000'))
})

t('--latest loads the newest snapshot, not _init nor a safety snapshot', async ({ stack, s1 }) => {
  await changeData(stack)
  let r = await runScript(stack, 'data-dump', ['--name', 's2'])
  assert.is(r.code, 0, r.stderr)
  const s2 = await stack.db((db) => fingerprint(db, 'sakila'))
  // an _init newer than s2 (s1's content), and a safety snapshot newer still (taken by this load)
  const root = path.join(stack.dir, 'data/backups')
  fs.cpSync(path.join(root, 's1'), path.join(root, '_init'), { recursive: true })
  const m = readManifest(path.join(root, '_init'))
  writeManifest(path.join(root, '_init'), { ...m, name: '_init', created: new Date(Date.now() + 60_000).toISOString() })
  await stack.db((db) => db.query('DELETE FROM film_text WHERE film_id > 900'))
  r = await runScript(stack, 'data-load', ['--latest'])
  assert.is(r.code, 0, r.stderr)
  assert.match(r.stderr, /--latest: snapshot s2\n/)
  assert.match(r.stderr, /safety snapshot _safety\/data_load-/)
  assert.match(lastLine(r.stderr), /^done: loaded snapshot s2 into sakila/)
  const now = await stack.db((db) => fingerprint(db, 'sakila'))
  assert.equal(now.tables, s2.tables)
  assert.not.equal(now.tables.actor, s1.tables.actor)
  r = await runScript(stack, 'data-load', ['--latest', '--no-safety'])
  assert.match(r.stderr, /--latest: snapshot s2\n/, 'the safety snapshot just taken is not "the latest"')
})

t('--latest with no snapshot of the user\'s, or with --name: exit 2', async ({ stack }) => {
  let r = await runScript(stack, 'data-load', ['--latest'], { DATA_BACKUP_DIRNAME: 'empty-backups' })
  assert.is(r.code, 2)
  assert.is(lastLine(r.stderr), 'datakeep: there is no snapshot to load in ' + path.join(stack.dir, 'empty-backups')
    + ' (--latest leaves out _init and safety snapshots); make one with: make data_dump ARGS="--name <name>"; the seed loads with: make data_load ARGS="--name _init"')
  r = await runScript(stack, 'data-load', ['--latest', '--name', 's1'])
  assert.is(r.code, 2)
  assert.match(lastLine(r.stderr), /^datakeep: give one of --name, --latest or --file, not --name and --latest; usage: make data_load/)
})

t.run()
