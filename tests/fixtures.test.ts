// JSON fixtures against a real server: every adversarial column type dumps and upserts back
// exactly, the file format, upserts, foreign-key order and cycles; plus the pure helpers.
import fs from 'node:fs'
import path from 'node:path'
import { test } from './support/uvu.ts'
import * as assert from 'uvu/assert'
import { ident, query, type Db } from '../lib/db.ts'
import { UserError } from '../lib/errors.ts'
import { decodeValue } from '../lib/fixtures/decode.ts'
import { encodeValue, jsonValue } from '../lib/fixtures/encode.ts'
import { fixtureFileName, parseFixture, tableFromFileName } from '../lib/fixtures/format.ts'
import { dumpFixtures, fixturesPresent, loadFixtures } from '../lib/fixtures/index.ts'
import { batches } from '../lib/fixtures/load.ts'
import { loadOrder } from '../lib/fixtures/order.ts'
import type { Column } from '../lib/fixtures/schema.ts'
import { ADVERSARIAL_TABLES, ALL_BYTES, VERSIONED_TABLES, createAdversarial } from './support/adversarial.ts'
import { makeStack, tempDir as newTempDir, type TestStack } from './support/stack.ts'

const DB = 'app'
let stack: TestStack
let dumpDir: string

const temps: string[] = []
const tempDir = (prefix: string) => { const d = newTempDir(prefix); temps.push(d); return d }

const q = (table: string) => `${ident(DB)}.${ident(table)}`

/** Per table: rows and CHECKSUM TABLE; a system-versioned table's current rows (SELECT *) as hex instead. */
async function state(db: Db, tables: string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const t of tables) {
    if (VERSIONED_TABLES.includes(t)) {
      const [rows] = await db.query({ sql: `SELECT * FROM ${q(t)} ORDER BY 1`, rowsAsArray: true, typeCast: false })
      out[t] = (rows as (Buffer | null)[][]).map((r) => r.map((v) => v?.toString('hex') ?? 'NULL').join(',')).join(';')
      continue
    }
    const [c] = await query<{ n: string }>(db, `SELECT COUNT(*) AS n FROM ${q(t)}`)
    const [k] = await query<{ Checksum: string }>(db, `CHECKSUM TABLE ${q(t)}`)
    out[t] = `${c.n} rows, checksum ${k.Checksum}`
  }
  return out
}

async function wipe(db: Db, tables: string[]): Promise<void> {
  await db.query('SET SESSION foreign_key_checks = 0')
  for (const t of tables) await db.query(`DELETE FROM ${q(t)}`)
  await db.query('SET SESSION foreign_key_checks = 1')
}

const readFixture = (dir: string, table: string) => JSON.parse(fs.readFileSync(path.join(dir, fixtureFileName(table)), 'utf8'))

/** A folder holding only the given fixtures (name -> document). */
function fixtureDir(files: Record<string, unknown>): string {
  const dir = tempDir('datakeep-fixtures-')
  for (const [name, doc] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), JSON.stringify(doc, null, 2))
  return dir
}

test.before(async () => {
  stack = await makeStack({ env: { MYSQL_DATABASE: DB } })
  await stack.db((db) => createAdversarial(db, DB), null)
  dumpDir = tempDir('datakeep-fixtures-dump-')
})

test.after(async () => {
  await stack?.destroy()
  for (const d of temps) fs.rmSync(d, { recursive: true, force: true })
})

test('every column type survives dump, wipe and load exactly (versioned tables: their current rows)', async () => {
  const before = await stack.db((db) => state(db, ADVERSARIAL_TABLES))
  const dumped = await dumpFixtures(stack.cfg, stack.rt, { dir: dumpDir })
  assert.equal(dumped.map((d) => d.table).sort(), [...ADVERSARIAL_TABLES].sort())
  for (const d of dumped) assert.ok(fs.existsSync(d.file), d.file)
  assert.equal(fs.readdirSync(dumpDir).filter((n) => !n.endsWith('.json')), [], 'no temporary files left')
  await stack.db((db) => wipe(db, ADVERSARIAL_TABLES))
  const r = await loadFixtures(stack.cfg, stack.rt, { dir: dumpDir })
  const rows = dumped.reduce((a, d) => a + d.rows, 0)
  assert.equal(r, { files: ADVERSARIAL_TABLES.length, rows, inserted: rows, updated: 0, heldTriggers: [] })
  const after = await stack.db((db) => state(db, ADVERSARIAL_TABLES))
  for (const t of ADVERSARIAL_TABLES) assert.is(after[t], before[t], `table ${t}`)
  // loading onto itself: every row found by its key, nothing changes
  const again = await loadFixtures(stack.cfg, stack.rt, { dir: dumpDir })
  const keyless = dumped.filter((d) => ['no pk', 'tick`tock', 'one col', 'versioned explicit'].includes(d.table))
  assert.is(again.updated, rows - keyless.reduce((a, d) => a + d.rows, 0))
})

test('a second dump of the loaded data is byte-identical; the layout is JSON.stringify(doc, null, 2)', async () => {
  const second = tempDir('datakeep-fixtures-dump2-')
  // the reload above added the keyless tables' rows a second time: put them back as dumped
  const keyless = ['no pk', 'tick`tock', 'one col', 'versioned explicit']
  await stack.db((db) => wipe(db, keyless))
  const keylessDir = tempDir('datakeep-fixtures-keyless-')
  for (const t of keyless) fs.copyFileSync(path.join(dumpDir, fixtureFileName(t)), path.join(keylessDir, fixtureFileName(t)))
  await loadFixtures(stack.cfg, stack.rt, { dir: keylessDir })
  await dumpFixtures(stack.cfg, stack.rt, { dir: second })
  for (const name of fs.readdirSync(dumpDir)) {
    const text = fs.readFileSync(path.join(dumpDir, name), 'utf8')
    assert.is(fs.readFileSync(path.join(second, name), 'utf8'), text, name)
    assert.is(JSON.stringify(JSON.parse(text), null, 2) + '\n', text, `${name} is laid out as JSON.stringify(doc, null, 2)`)
  }
})

test('the values that usually break are written as the format says', () => {
  const numbers = readFixture(dumpDir, 'numbers')
  assert.is(numbers.table, 'numbers')
  assert.is(numbers.columns.ub, 'bigint(20) unsigned')
  assert.equal(numbers.rows.map((r: { id: number }) => r.id), [0, 1, 2, 3, 4, 5], 'ordered by primary key')
  const [r0, r1, r2, , r4] = numbers.rows
  assert.is(r0.dec65, '99999999999999999999999999999999999.999999999999999999999999999999')
  assert.is(r0.ub, '18446744073709551615')
  assert.is(r0.sb, '-9223372036854775808')
  assert.is(r0.d, 1.7976931348623157e308)
  assert.is(r0.f, 1.2345677614212036, 'FLOAT read as its exact double, not the 6-digit display')
  assert.is(r0.zf, 42)
  assert.is(r1.ub, 0)
  assert.is(r2.d, 5e-324)
  assert.is(r4.ub, '9007199254740993')
  assert.is(r4.sb, '-9007199254740993')
  const bits = readFixture(dumpDir, 'bits').rows
  assert.equal(bits[1], { id: 2, b1: 1, b7: 127, b64: '18446744073709551615' })
  assert.equal(bits[2], { id: 3, b1: null, b7: null, b64: null })
  const bytes = readFixture(dumpDir, 'bytes all').rows
  assert.equal(bytes[0].b, { $base64: ALL_BYTES.toString('base64') })
  assert.equal(bytes[2].b, { $base64: '' })
  const dates = readFixture(dumpDir, 'dates').rows
  assert.equal(dates[1], { id: 2, d: '1000-01-01', dt: '1000-01-01 00:00:00', dt6: '9999-12-31 23:59:59.999999',
    ts6: '1970-01-01 00:00:01.000001', ts: '2038-01-19 03:14:07', t6: '-838:59:59.000000', y: 1901, upd: '2021-03-27 21:00:00' })
  assert.is(dates[0].y, 0)
  const json = readFixture(dumpDir, 'json').rows
  assert.equal(json.map((r: { j: unknown }) => r.j), [
    { $text: '{"a": "b\\"c\\\\d", "emoji": "😀", "n": 1.5e300, "big": 18446744073709551616, "nl": "x\\ny", "arr": [null, true, 0.1]}' },
    { $text: 'null' }, null, '\\N', []])
  const enums = readFixture(dumpDir, 'enums').rows
  assert.equal(enums.map((r: { e: unknown }) => r.e), ['x', '', { $index: 0 }, null, 'ü'])
  const gen = readFixture(dumpDir, 'gen cols')
  assert.equal(Object.keys(gen.columns), ['id', 'a', 'inv', 'invs', 'j'], 'generated columns skipped, invisible ones kept')
  assert.equal(gen.rows[0], { id: 1, a: 1, inv: 42, invs: 'hidden', j: '{"k": "one"}' })
  const geo = readFixture(dumpDir, 'geo.shapes').rows
  assert.equal(geo[0].g, { $wkb: Buffer.from('0101000000000000000000f83f00000000000002c0', 'hex').toString('base64'), srid: 3857 })
  assert.equal(geo[1].p, null)
  assert.equal(Object.keys(geo[1].g), ['$wkb'], 'srid 0 is left out')
  assert.equal(Object.keys(readFixture(dumpDir, 'versioned explicit').columns), ['id', 'v'], 'ROW START/END are the server\'s')
  assert.equal(readFixture(dumpDir, 'versioned').rows, [{ id: 1, v: 'ONE' }, { id: 2, v: 'two' }], 'current rows only')
  assert.ok(fs.existsSync(path.join(dumpDir, 'per%25cent%2Fslash%5Cback.json')))
})

test('an upsert updates the rows whose key exists, inserts the others, leaves absent columns alone', async () => {
  await stack.db((db) => db.query(`CREATE TABLE ${q('people')} (id INT PRIMARY KEY, name VARCHAR(20), score INT DEFAULT 5)`))
  await stack.db((db) => db.query(`INSERT INTO ${q('people')} VALUES (1, 'ann', 1), (2, 'bob', 2)`))
  const dir = fixtureDir({ 'people.json': [{ id: 2, name: 'BOB' }, { id: 3, name: 'cy' }] })
  assert.equal(await loadFixtures(stack.cfg, stack.rt, { dir }), { files: 1, rows: 2, inserted: 1, updated: 1, heldTriggers: [] })
  const rows = await stack.db((db) => query(db, `SELECT id, name, score FROM ${q('people')} ORDER BY id`))
  assert.equal(rows, [{ id: 1, name: 'ann', score: 1 }, { id: 2, name: 'BOB', score: 2 }, { id: 3, name: 'cy', score: 5 }])
  assert.equal(await loadFixtures(stack.cfg, stack.rt, { dir }), { files: 1, rows: 2, inserted: 0, updated: 2, heldTriggers: [] })
})

test('a byte-order mark is fine; bytes that are not UTF-8 are refused rather than replaced', async () => {
  const dir = tempDir('datakeep-fixtures-enc-')
  fs.writeFileSync(path.join(dir, 'people.json'), Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('[{"id": 4, "name": "dee"}]')]))
  assert.equal(await loadFixtures(stack.cfg, stack.rt, { dir }), { files: 1, rows: 1, inserted: 1, updated: 0, heldTriggers: [] })
  fs.writeFileSync(path.join(dir, 'people.json'), Buffer.concat([Buffer.from('[{"id": 4, "name": "'), Buffer.from([0xff]), Buffer.from('"}]')]))
  const err = await loadFixtures(stack.cfg, stack.rt, { dir }).catch((e) => e)
  assert.match(String(err?.message), /people\.json: the file is not UTF-8 text$/)
  assert.equal(await stack.db((db) => query(db, `SELECT name FROM ${q('people')} WHERE id = 4`)), [{ name: 'dee' }])
})

test('parents load before children with foreign_key_checks on; a missing parent names the row', async () => {
  const dir = tempDir('datakeep-fixtures-fk-')
  for (const t of ['child', 'parent']) fs.copyFileSync(path.join(dumpDir, fixtureFileName(t)), path.join(dir, fixtureFileName(t)))
  await stack.db((db) => wipe(db, ['child', 'parent']))
  assert.equal(await loadFixtures(stack.cfg, stack.rt, { dir }), { files: 2, rows: 5, inserted: 5, updated: 0, heldTriggers: [] })
  const bad = fixtureDir({ 'child.json': { table: 'child', rows: [{ id: 10, parent_id: 1 }, { id: 13, parent_id: 99 }] } })
  const err = await loadFixtures(stack.cfg, stack.rt, { dir: bad }).catch((e) => e)
  assert.instance(err, UserError)
  assert.match(err.message, /child\.json: rows\[1\]: Cannot add or update a child row: a foreign key constraint fails/)
})

test('tables in a foreign-key cycle, and self-references, load with checks off for their group only', async () => {
  await stack.db(async (db) => {
    await db.query(`CREATE TABLE ${q('hen')} (id INT PRIMARY KEY, egg_id INT)`)
    await db.query(`CREATE TABLE ${q('egg')} (id INT PRIMARY KEY, hen_id INT, FOREIGN KEY (hen_id) REFERENCES ${q('hen')} (id))`)
    await db.query(`ALTER TABLE ${q('hen')} ADD FOREIGN KEY (egg_id) REFERENCES ${q('egg')} (id)`)
    await db.query(`CREATE TABLE ${q('staff')} (id INT PRIMARY KEY, boss INT, FOREIGN KEY (boss) REFERENCES ${q('staff')} (id))`)
    await db.query(`CREATE TABLE ${q('worm')} (id INT PRIMARY KEY, egg_id INT, FOREIGN KEY (egg_id) REFERENCES ${q('egg')} (id))`)
  })
  const files = { 'hen.json': [{ id: 1, egg_id: 7 }], 'egg.json': [{ id: 7, hen_id: 1 }], 'staff.json': [{ id: 1, boss: 2 }, { id: 2, boss: null }] }
  assert.equal(await loadFixtures(stack.cfg, stack.rt, { dir: fixtureDir(files) }), { files: 3, rows: 4, inserted: 4, updated: 0, heldTriggers: [] })
  assert.equal(await stack.db((db) => query(db, `SELECT id, boss FROM ${q('staff')} ORDER BY id`)), [{ id: 1, boss: 2 }, { id: 2, boss: null }])
  // worm loads after the egg/hen group: checks are back on for it
  const err = await loadFixtures(stack.cfg, stack.rt, { dir: fixtureDir({ ...files, 'worm.json': [{ id: 1, egg_id: 8 }] }) }).catch((e) => e)
  assert.match(String(err?.message), /worm\.json: rows\[0\]: Cannot add or update a child row/)
})

test('with withTriggers, triggers run for fixture rows; when one makes a row fail, the hint names it and nothing stays', async () => {
  await stack.db(async (db) => {
    await db.query(`CREATE TABLE ${q('audit')} (id INT PRIMARY KEY)`)
    await db.query(`CREATE TABLE ${q('item')} (id INT PRIMARY KEY)`)
    await db.query(`CREATE TRIGGER ${q('item_ins')} AFTER INSERT ON ${q('item')} FOR EACH ROW INSERT INTO ${q('audit')} VALUES (NEW.id)`)
  })
  const dir = fixtureDir({ 'audit.json': [{ id: 1 }], 'item.json': [{ id: 2 }, { id: 1 }] })
  const err = await loadFixtures(stack.cfg, stack.rt, { dir, withTriggers: true }).catch((e) => e)
  assert.instance(err, UserError)
  assert.match(err.message, /item\.json: rows\[1\]: Duplicate entry '1' for key 'PRIMARY'$/)
  assert.is(err.hint, 'table item has triggers (item_ins) that run for every fixture row and may write rows the fixtures also hold')
  assert.equal(await stack.db((db) => query(db, `SELECT (SELECT COUNT(*) FROM ${q('audit')}) + (SELECT COUNT(*) FROM ${q('item')}) AS n`)), [{ n: '0' }])
  // by default they are held off: the rows are the files', and the trigger is back as it was
  const r = await loadFixtures(stack.cfg, stack.rt, { dir })
  assert.equal(r, { files: 2, rows: 3, inserted: 3, updated: 0, heldTriggers: [{ table: 'item', name: 'item_ins' }] })
  assert.equal(await stack.db((db) => query(db, `SELECT (SELECT GROUP_CONCAT(id) FROM ${q('audit')}) AS a, (SELECT GROUP_CONCAT(id ORDER BY id) FROM ${q('item')}) AS i`)), [{ a: '1', i: '1,2' }])
  const [tr] = await stack.db((db) => query<{ s: string }>(db, 'SELECT ACTION_STATEMENT AS s FROM information_schema.TRIGGERS WHERE TRIGGER_NAME = ?', ['item_ins']))
  assert.is(tr.s, `INSERT INTO ${q('audit')} VALUES (NEW.id)`)
})

test('held-off triggers come back in their firing order, those created with FOLLOWS/PRECEDES too', async () => {
  const order = () => stack.db((db) => query<{ n: string }>(db,
    'SELECT TRIGGER_NAME AS n FROM information_schema.TRIGGERS WHERE EVENT_OBJECT_TABLE = ? ORDER BY ACTION_ORDER', ['ord']))
  await stack.db(async (db) => {
    await db.query(`CREATE TABLE ${q('ord')} (id INT PRIMARY KEY, n INT NOT NULL DEFAULT 0)`)
    await db.query(`CREATE TRIGGER ${q('ord_a')} BEFORE INSERT ON ${q('ord')} FOR EACH ROW SET NEW.n = NEW.n * 10 + 1`)
    await db.query(`CREATE TRIGGER ${q('ord_b')} BEFORE INSERT ON ${q('ord')} FOR EACH ROW FOLLOWS ord_a SET NEW.n = NEW.n * 10 + 2`)
    await db.query(`CREATE TRIGGER ${q('ord_z')} BEFORE INSERT ON ${q('ord')} FOR EACH ROW PRECEDES ord_a SET NEW.n = NEW.n * 10 + 3`)
  })
  const before = await order()
  assert.equal(before.map((r) => r.n), ['ord_z', 'ord_a', 'ord_b'])
  const dir = fixtureDir({ 'ord.json': [{ id: 1, n: 7 }] })
  assert.equal((await loadFixtures(stack.cfg, stack.rt, { dir })).heldTriggers.map((t) => t.name), ['ord_z', 'ord_a', 'ord_b'])
  assert.equal(await order(), before)
  assert.equal(await stack.db((db) => query(db, `SELECT n FROM ${q('ord')}`)), [{ n: 7 }])
  await stack.db((db) => db.query(`INSERT INTO ${q('ord')} (id) VALUES (2)`))
  assert.equal(await stack.db((db) => query(db, `SELECT n FROM ${q('ord')} WHERE id = 2`)), [{ n: 312 }], 'they fire again, in order')
  // c FOLLOWS a after b FOLLOWS a: the server keeps the order, not the clause, so re-created
  // one after another in firing order they come back as z, a, c, b
  await stack.db((db) => db.query(`CREATE TRIGGER ${q('ord_c')} BEFORE INSERT ON ${q('ord')} FOR EACH ROW FOLLOWS ord_a SET NEW.n = NEW.n * 10 + 4`))
  const four = await order()
  assert.equal(four.map((r) => r.n), ['ord_z', 'ord_a', 'ord_c', 'ord_b'])
  await loadFixtures(stack.cfg, stack.rt, { dir: fixtureDir({ 'ord.json': [{ id: 1, n: 8 }] }) })
  assert.equal(await order(), four)
  assert.equal(await stack.db((db) => query(db, `SELECT n FROM ${q('ord')} WHERE id = 1`)), [{ n: 8 }])
})

test('fixturesPresent looks for *.json in FIXTURES_DIR', () => {
  const dir = path.join(stack.dir, stack.cfg.FIXTURES_DIR)
  fs.rmSync(dir, { recursive: true, force: true })
  assert.is(fixturesPresent(stack.cfg), false)
  fs.mkdirSync(dir, { recursive: true })
  fs.writeFileSync(path.join(dir, 'notes.txt'), '')
  fs.writeFileSync(path.join(dir, 'x.json.partial'), '')
  assert.is(fixturesPresent(stack.cfg), false)
  fs.writeFileSync(path.join(dir, 'people.json'), '[]')
  assert.is(fixturesPresent(stack.cfg), true)
})

test('loadOrder: parents first, then by name; a cycle or self-reference is one group with checks off', () => {
  assert.equal(loadOrder(['b', 'a', 'c'], []), [{ tables: ['a'], cyclic: false }, { tables: ['b'], cyclic: false }, { tables: ['c'], cyclic: false }])
  assert.equal(loadOrder(['child', 'parent', 'grand'], [['child', 'parent'], ['parent', 'grand']]).map((g) => g.tables[0]), ['grand', 'parent', 'child'])
  assert.equal(loadOrder(['x', 'y', 'z', 'a'], [['x', 'y'], ['y', 'x'], ['a', 'x'], ['z', 'z'], ['x', 'elsewhere']]), [
    { tables: ['x', 'y'], cyclic: true }, { tables: ['a'], cyclic: false }, { tables: ['z'], cyclic: true }])
})

const col = (kind: Column['kind'], type = kind as string): Column => ({ name: 'c', kind, type, charset: null, computed: false })

test('values: integers beyond 2^53 are strings, bits go through CAST, markers are checked', () => {
  assert.is(encodeValue(col('int'), [Buffer.from('9007199254740991')]), 9007199254740991)
  assert.is(encodeValue(col('int'), [Buffer.from('9007199254740992')]), '9007199254740992')
  assert.is(encodeValue(col('double'), [Buffer.from('-0')]), '-0')
  assert.equal(decodeValue(col('bit'), '18446744073709551615'), { sql: 'CAST(? AS UNSIGNED)', params: ['18446744073709551615'] })
  assert.throws(() => decodeValue(col('int'), 9007199254740993), /beyond 2\^53/)
  assert.throws(() => decodeValue(col('int'), 'abc'), /"abc" is not an integer/)
  assert.throws(() => decodeValue(col('binary'), { $base64: 'not base64!' }), /not valid base64/)
  assert.throws(() => decodeValue(col('text'), 5), /5 is not a string/)
  assert.equal(decodeValue(col('enum'), { $index: 0 }), { sql: '?', params: [0], relaxed: true })
  assert.equal(decodeValue(col('json'), { a: [1] }), { sql: '?', params: ['{"a":[1]}'] })
  assert.equal(decodeValue(col('json'), { $text: '{"a": 1}' }), { sql: '?', params: ['{"a": 1}'] })
  assert.equal(jsonValue('{"$text":"x"}'), { $text: '{"$text":"x"}' }, 'a document that looks like a marker stays text')
  assert.equal(decodeValue(col('spatial'), { $wkt: 'POINT(1 2)', srid: 4326 }), { sql: 'ST_GeomFromText(?, ?)', params: ['POINT(1 2)', 4326] })
})

test('file names: plain table names stay, others are %-encoded and decode back', () => {
  assert.is(fixtureFileName('film_actor'), 'film_actor.json')
  for (const t of ['strings.nulls', 'per%cent/slash\\back', 'ünïcödé Ω', 'tick`tock']) assert.is(tableFromFileName(fixtureFileName(t)), t)
  assert.is(tableFromFileName(fixtureFileName('ü'.repeat(64))), null)
  assert.equal(parseFixture('[{"id": 1}]', 'people.json'), { table: 'people', rows: [{ id: 1 }] })
  assert.throws(() => parseFixture('{"rows": [{}, 3]}', 'x.json'), (e: Error & { row?: number }) => e.row === 1)
  assert.throws(() => parseFixture('{\n  "rows": [\n    {"a": 1,}\n  ]\n}', 'x.json'), /malformed JSON: .* at line 3, column 13/)
})

test('batches keep rows with the same columns together and a relaxed row alone', () => {
  const row = (index: number, columns: string[], relaxed = false) => ({ index, columns, values: columns.map(() => ({ sql: '?', params: [1], relaxed })) })
  const b = batches([row(0, ['a']), row(1, ['a']), row(2, ['a', 'b']), row(3, ['a'], true), row(4, ['a'])])
  assert.equal(b.map((x) => x.map((r) => r.index)), [[0, 1], [2], [3], [4]])
})

test.run()
