// data_dump -> change everything -> data_load brings back exactly what was dumped: sakila (both
// variants) and the adversarial schema, through the real scripts, on the logical path and on both
// physical ones (--physical: tables as their files; --whole-server: one mariadb-backup holds all three).
import fs from 'node:fs'
import path from 'node:path'
import { suite } from '../support/uvu.ts'
import * as assert from 'uvu/assert'
import { crc32File } from '../../lib/fs-util.ts'
import { fingerprint, sql, treeDigest } from '../support/fingerprint.ts'
import { createAdversarial } from '../support/adversarial.ts'
import { loadSakilaGeo, sakilaStack } from '../support/sakila.ts'
import { lastLine, runScript, type TestStack } from '../support/stack.ts'

const t = suite('snapshot round trip', { stack: null as unknown as TestStack })
t.before(async (ctx) => {
  ctx.stack = await sakilaStack()
  await loadSakilaGeo(ctx.stack)
})
t.after(async (ctx) => { await ctx.stack?.destroy() })

function writeStorage(stack: TestStack): string {
  const dir = path.join(stack.dir, 'data/storage')
  fs.mkdirSync(path.join(dir, 'uploads/2024'), { recursive: true })
  fs.writeFileSync(path.join(dir, 'uploads/2024/a.txt'), 'first upload')
  fs.writeFileSync(path.join(dir, 'uploads/photo é.bin'), Buffer.from([0, 1, 2, 255, 254]))
  fs.chmodSync(path.join(dir, 'uploads/photo é.bin'), 0o600)
  fs.utimesSync(path.join(dir, 'uploads/2024/a.txt'), new Date('2020-01-02T03:04:05Z'), new Date('2020-01-02T03:04:05Z'))
  return dir
}

t('sakila: dump, damage data, objects and files, load: everything equal again', async ({ stack }) => {
  const storage = writeStorage(stack)
  const before = await stack.db((db) => fingerprint(db, 'sakila'))
  const storageBefore = treeDigest(storage)
  assert.ok(Object.keys(before.objects).some((k) => k.startsWith('trigger ')))
  assert.ok(Object.keys(before.objects).some((k) => k.startsWith('procedure ')))

  const dump = await runScript(stack, 'data-dump', ['--name', 's1'])
  assert.is(dump.code, 0, dump.stderr)
  assert.is(dump.stdout.trim(), path.join(stack.dir, 'data/backups/s1'))
  assert.match(lastLine(dump.stderr), /snapshot s1: 16 tables, 47273 rows, 2 files, .* in [\d.]+ s$/)

  await sql(stack, 'DELETE FROM payment WHERE payment_id > 100; DROP VIEW actor_info; DROP TRIGGER ins_film; CREATE TABLE extra (id INT); DROP PROCEDURE film_in_stock', 'sakila')
  await sql(stack, "INSERT INTO actor (first_name, last_name) VALUES ('NEW', 'ROW')", 'sakila')
  fs.rmSync(path.join(storage, 'uploads/2024/a.txt'))
  fs.writeFileSync(path.join(storage, 'stray.txt'), 'not in the snapshot')
  assert.not.equal(await stack.db((db) => fingerprint(db, 'sakila')), before)

  const load = await runScript(stack, 'data-load', ['--name', 's1'])
  assert.is(load.code, 0, load.stderr)
  assert.match(lastLine(load.stderr), 'loaded snapshot s1 into sakila: 16 tables, 47273 rows, 2 files, verified')
  const after = await stack.db((db) => fingerprint(db, 'sakila'))
  assert.equal(after.tables, before.tables)
  assert.equal(after.objects, before.objects)
  assert.is(treeDigest(storage), storageBefore)
  assert.is(fs.statSync(path.join(storage, 'uploads/2024/a.txt')).mtime.toISOString(), '2020-01-02T03:04:05.000Z')
  const leftovers = await sql(stack, "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE '\\_dk\\_%'")
  assert.is(leftovers.trim(), '')

  const list = await runScript(stack, 'data-list')
  assert.is(list.code, 0)
  assert.match(list.stdout, /^s1 +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d .* 16 +47273 +10\.11/m)
  const json = JSON.parse((await runScript(stack, 'data-list', ['--json'])).stdout)
  assert.is(json.find((s: { name: string }) => s.name === 's1').rows, 47273)
  // the load replaced a live database: a safety snapshot of it was taken first, listed on its own
  assert.ok(json.some((s: { name: string; safety: boolean }) => s.safety && s.name.startsWith('_safety/data_load-')))
  assert.match(list.stdout, /^safety snapshots/m)
})

t('sakila_geo (GEOMETRY column, SPATIAL index): round trip equal', async ({ stack }) => {
  const env = { MYSQL_DATABASE: 'sakila_geo' }
  const before = await stack.db((db) => fingerprint(db, 'sakila_geo'))
  assert.match(before.objects['table address'], 'SPATIAL KEY')
  assert.is((await runScript(stack, 'data-dump', ['--name', 'geo'], env)).code, 0)
  await sql(stack, 'UPDATE address SET location = POINT(1, 1); DELETE FROM rental', 'sakila_geo')
  const load = await runScript(stack, 'data-load', ['--name', 'geo'], env)
  assert.is(load.code, 0, load.stderr)
  const after = await stack.db((db) => fingerprint(db, 'sakila_geo'))
  assert.equal(after, before)
})

t('adversarial types and objects: round trip equal', async ({ stack }) => {
  const env = { MYSQL_DATABASE: 'adv' }
  await sql(stack, 'CREATE DATABASE adv')
  await stack.db((db) => createAdversarial(db, 'adv'), null)
  const before = await stack.db((db) => fingerprint(db, 'adv'))
  const dump = await runScript(stack, 'data-dump', ['--name', 'adv'], env)
  assert.is(dump.code, 0, dump.stderr)
  for (const table of Object.keys(before.tables)) await sql(stack, `DELETE FROM \`${table.replace(/`/g, '``')}\``, 'adv').catch(() => undefined)
  const load = await runScript(stack, 'data-load', ['--name', 'adv'], env)
  assert.is(load.code, 0, load.stderr)
  const after = await stack.db((db) => fingerprint(db, 'adv'))
  assert.equal(after.tables, before.tables)
  assert.equal(after.objects, before.objects)
})

t('--force replaces an existing snapshot only when the new one is complete', async ({ stack }) => {
  const refused = await runScript(stack, 'data-dump', ['--name', 's1'])
  assert.is(refused.code, 2)
  assert.is(lastLine(refused.stderr), 'datakeep: snapshot "s1" already exists; to replace it: make data_dump ARGS="--name s1 --force"')
  await sql(stack, 'DELETE FROM payment WHERE payment_id > 10', 'sakila')
  const forced = await runScript(stack, 'data-dump', ['--name', 's1', '--force'])
  assert.is(forced.code, 0, forced.stderr)
  const json = JSON.parse((await runScript(stack, 'data-list', ['--json'])).stdout)
  assert.is(json.find((s: { name: string }) => s.name === 's1').rows, 47273 - 16049 + 10)
  assert.equal(fs.readdirSync(path.join(stack.dir, 'data/backups')).filter((n) => n.includes('.old-') || n.includes('.partial-')), [])
})

t('as root under sudo, the snapshot belongs to the invoking user', async ({ stack }) => {
  if (process.getuid?.() !== 0) throw new Error('this test needs root (it checks chown under sudo)')
  const r = await runScript(stack, 'data-dump', ['--name', 'owned'], { SUDO_UID: '1234', SUDO_GID: '1234' })
  assert.is(r.code, 0, r.stderr)
  const dir = path.join(stack.dir, 'data/backups/owned')
  for (const p of [dir, path.join(dir, 'manifest.json'), path.join(dir, 'storage.tar.gz'), path.join(dir, 'data')]) {
    const st = fs.statSync(p)
    assert.equal([st.uid, st.gid], [1234, 1234], p)
  }
})

t.run()

const p = suite('snapshot round trip, physical', { stack: null as unknown as TestStack })
p.before(async (ctx) => {
  ctx.stack = await sakilaStack()
  await loadSakilaGeo(ctx.stack)
  await sql(ctx.stack, 'CREATE DATABASE adv')
  await ctx.stack.db((db) => createAdversarial(db, 'adv'), null)
})
p.after(async (ctx) => { await ctx.stack?.destroy() })

const DATABASES = ['sakila', 'sakila_geo', 'adv']
const DAMAGE: Record<string, string> = {
  sakila: "DELETE FROM payment WHERE payment_id > 100; DROP VIEW actor_info; DROP TRIGGER ins_film; CREATE TABLE extra (id INT); DROP PROCEDURE film_in_stock; INSERT INTO actor (first_name, last_name) VALUES ('NEW', 'ROW'); UPDATE film_text SET title = 'X'",
  sakila_geo: 'UPDATE address SET location = POINT(1, 1); DELETE FROM rental',
}
async function damage(stack: TestStack, database: string, tables: string[]): Promise<void> {
  if (DAMAGE[database]) await sql(stack, DAMAGE[database], database)
  else for (const table of tables) await sql(stack, `DELETE FROM \`${table.replace(/`/g, '``')}\``, database).catch(() => undefined)
}
const manifestOf = (stack: TestStack, name: string) => JSON.parse(fs.readFileSync(path.join(stack.dir, 'data/backups', name, 'manifest.json'), 'utf8'))

for (const database of DATABASES) {
  p(`${database}: dump --physical (InnoDB tables as their files), damage, load: everything equal again`, async ({ stack }) => {
    const env = { MYSQL_DATABASE: database }
    const before = await stack.db((db) => fingerprint(db, database))
    const dump = await runScript(stack, 'data-dump', ['--name', `t-${database}`, '--physical'], env)
    assert.is(dump.code, 0, dump.stderr)
    assert.match(lastLine(dump.stderr), new RegExp(`physical snapshot t-${database}: ${Object.keys(before.tables).length} tables, `))
    const m = manifestOf(stack, `t-${database}`)
    assert.is(m.kind, 'tablespace')
    const asFiles = m.tables.filter((t: { tablespace?: unknown }) => t.tablespace).map((t: { name: string }) => t.name)
    assert.ok(asFiles.length > 0)
    for (const t of asFiles) {
      assert.ok(m.files[`data/${t}.ibd`].bytes > 0 && /^[0-9a-f]{8}$/.test(m.files[`data/${t}.ibd`].crc32), t)
      assert.ok(fs.existsSync(path.join(stack.dir, 'data/backups', `t-${database}`, `data/${t}.cfg`)), t)
    }
    // what cannot travel as files goes as rows: a FULLTEXT index, partitions, history, a name the server encodes
    if (database === 'sakila') assert.not.ok(asFiles.includes('film_text'))
    if (database === 'adv') {
      const rows = m.tables.filter((t: { tablespace?: unknown }) => !t.tablespace).map((t: { name: string }) => t.name)
      for (const t of ['parts', 'versioned']) assert.ok(rows.includes(t), t)
    }
    await damage(stack, database, Object.keys(before.tables))
    assert.not.equal(await stack.db((db) => fingerprint(db, database)), before)
    const load = await runScript(stack, 'data-load', ['--name', `t-${database}`], env)
    assert.is(load.code, 0, load.stderr)
    assert.match(lastLine(load.stderr), `loaded snapshot t-${database} into ${database}: ${Object.keys(before.tables).length} tables`)
    const after = await stack.db((db) => fingerprint(db, database))
    assert.equal(after.tables, before.tables)
    assert.equal(after.objects, before.objects)
    const leftovers = await sql(stack, "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE '\\_dk\\_%'")
    assert.is(leftovers.trim(), '')
  })
}

p('sakila: each copied file\'s crc32 is the copy\'s; a file altered after the dump is refused, the live data untouched', async ({ stack }) => {
  const dir = path.join(stack.dir, 'data/backups/t-sakila')
  const m = manifestOf(stack, 't-sakila')
  const copied = Object.keys(m.files).filter((f) => /\.(ibd|cfg)$/.test(f))
  assert.ok(copied.length > 2)
  for (const f of copied) assert.equal(await crc32File(path.join(dir, f)), { bytes: m.files[f].bytes, crc32: m.files[f].crc32 }, f)
  const before = await stack.db((db) => fingerprint(db, 'sakila'))
  const ibd = path.join(dir, 'data/payment.ibd')
  const fd = fs.openSync(ibd, 'r+')
  const byte = Buffer.alloc(1)
  fs.readSync(fd, byte, 0, 1, 20000)
  fs.writeSync(fd, Buffer.from([byte[0] ^ 0xff]), 0, 1, 20000)
  try {
    const load = await runScript(stack, 'data-load', ['--name', 't-sakila'], { MYSQL_DATABASE: 'sakila' })
    assert.is(load.code, 1, load.stderr)
    assert.match(lastLine(load.stderr), 'snapshot "t-sakila" is damaged: data/payment.ibd: crc32 differs from the manifest (altered)')
    assert.equal(await stack.db((db) => fingerprint(db, 'sakila')), before)
  } finally {
    fs.writeSync(fd, byte, 0, 1, 20000)
    fs.closeSync(fd)
  }
})

p('sakila: a FULLTEXT search works on the loaded data (the index was rebuilt from rows, not copied)', async ({ stack }) => {
  const r = await sql(stack, "SELECT COUNT(*) FROM film_text WHERE MATCH(title, description) AGAINST ('dinosaur')", 'sakila')
  assert.ok(Number(r.trim()) > 0, r)
})

p('every database: dump --physical --whole-server (mariadb-backup), damage all, load: everything equal again', async ({ stack }) => {
  const storage = writeStorage(stack)
  const before = Object.fromEntries(await Promise.all(DATABASES.map(async (d) => [d, await stack.db((db) => fingerprint(db, d))])))
  const storageBefore = treeDigest(storage)

  const dump = await runScript(stack, 'data-dump', ['--name', 'p1', '--physical', '--whole-server'])
  assert.is(dump.code, 0, dump.stderr)
  assert.is(dump.stdout.trim(), path.join(stack.dir, 'data/backups/p1'))
  assert.match(lastLine(dump.stderr), /physical snapshot p1: 16 tables, 47273 rows, 2 files, .* in [\d.]+ s$/)
  assert.is(manifestOf(stack, 'p1').kind, 'physical')

  for (const d of DATABASES) await damage(stack, d, Object.keys(before[d].tables))
  fs.rmSync(path.join(storage, 'uploads/2024/a.txt'))
  fs.writeFileSync(path.join(storage, 'stray.txt'), 'not in the snapshot')
  for (const d of DATABASES) assert.not.equal(await stack.db((db) => fingerprint(db, d)), before[d], d)

  const load = await runScript(stack, 'data-load', ['--name', 'p1'])
  assert.is(load.code, 0, load.stderr)
  assert.match(lastLine(load.stderr), 'loaded snapshot p1 into sakila: 16 tables, 47273 rows, 2 files, verified')
  for (const d of DATABASES) {
    const after = await stack.db((db) => fingerprint(db, d))
    assert.equal(after.tables, before[d].tables, d)
    assert.equal(after.objects, before[d].objects, d)
  }
  assert.is(treeDigest(storage), storageBefore)
  assert.is(fs.statSync(path.join(storage, 'uploads/2024/a.txt')).mtime.toISOString(), '2020-01-02T03:04:05.000Z')
})

p.run()
