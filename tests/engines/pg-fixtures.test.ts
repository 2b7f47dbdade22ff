// JSON fixtures of PostgreSQL's own types (MariaDB's are tests/fixtures.test.ts; what both engines do
// is tests/engines/fixtures.test.ts): every table of the adversarial schema dumped, emptied and loaded
// back holds the same rows, dumps the same files, and the values are in the documented forms.
import fs from 'node:fs'
import path from 'node:path'
import { suite } from '../support/uvu.ts'
import * as assert from 'uvu/assert'
import { PG_ADVERSARIAL, PG_ADVERSARIAL_ROWS } from '../support/pg-adversarial.ts'
import { makePgStack, type PgTestStack } from '../support/pg-stack.ts'
import { runScript, spawnScript } from '../support/stack.ts'
import { djangoRows, isDjangoDocument, isoToUtc, type TableShape } from '../../lib/fixtures/django.ts'
import type { PgColumn, PgFixtureTable } from '../../lib/engines/postgres/fixtures-schema.ts'
import { pgUpsertSql } from '../../lib/engines/postgres/fixtures-load.ts'
import { arrayLiteral, jsonbValue, pgDecodeValue, pgEncodeValue } from '../../lib/engines/postgres/fixtures-values.ts'

const adv = suite('fixtures on postgres: the adversarial schema', { st: null as unknown as PgTestStack })
adv.before(async (ctx) => {
  ctx.st = await makePgStack({ env: { POSTGRES_DB: 'fxadv' } })
  await ctx.st.pg(async (c) => { await c.query(PG_ADVERSARIAL); await c.query(PG_ADVERSARIAL_ROWS) })
})
adv.after(async (ctx) => { await ctx.st?.destroy() })

/** Each table's rows as their text, sorted (a load writes them in key order, which need not be the order they were inserted in). */
const content = (st: PgTestStack) => st.pg(async (c) => {
  const out: Record<string, string> = {}
  for (const t of ADV_TABLES) {
    const r = await c.query(`SELECT count(*) AS n, string_agg(t::text, E'\\n' ORDER BY t::text COLLATE "C") AS rows FROM ONLY ${t} t`)
    out[t] = `${r.rows[0].n} rows\n${r.rows[0].rows}`
  }
  return out
})
const ADV_TABLES = ['audit', 'child', 'kinds', 'parent', 'scratch', 'shop.events_2024', 'shop.events_2025', 'shop.lines', 'shop.orders']

adv('every type round-trips exactly: dump, empty every table, load, the same rows; a second dump is byte-identical', async ({ st }) => {
  const before = await content(st)
  const r = await runScript(st, 'fixtures-dump')
  assert.is(r.code, 0, r.stderr)
  const dir = path.join(st.dir, 'data/fixtures')
  const names = fs.readdirSync(dir).sort()
  assert.equal(names, ['audit.json', 'child.json', 'kinds.json', 'parent.json', 'scratch.json',
    'shop%2Eevents_2024.json', 'shop%2Eevents_2025.json', 'shop%2Elines.json', 'shop%2Eorders.json'])
  const texts = names.map((n) => fs.readFileSync(path.join(dir, n), 'utf8'))
  await st.pg((c) => c.query(`TRUNCATE ${ADV_TABLES.join(', ')}`))
  const load = await runScript(st, 'fixtures-load', ['--no-safety'])
  assert.is(load.code, 0, load.stderr)
  assert.match(load.stderr, 'triggers held off: 1 trigger on shop.orders did not fire')
  assert.equal(await content(st), before)
  // onto itself: every keyed row found and updated to the same values
  assert.is((await runScript(st, 'fixtures-load', ['--no-safety'])).code, 0)
  await st.pg((c) => c.query('TRUNCATE child, parent, shop.events_2024, shop.events_2025')) // keyless: a second load added them again
  assert.is((await runScript(st, 'fixtures-load', ['--no-safety'])).code, 0)
  assert.equal(await content(st), before)
  assert.is((await runScript(st, 'fixtures-dump')).code, 0)
  assert.equal(names.map((n) => fs.readFileSync(path.join(dir, n), 'utf8')), texts)
  for (const t of texts) assert.is(JSON.stringify(JSON.parse(t), null, 2) + '\n', t, 'laid out as JSON.stringify(doc, null, 2)')
})

adv('the values are written in the forms docs/fixtures.md gives', async ({ st }) => {
  const kinds = JSON.parse(fs.readFileSync(path.join(st.dir, 'data/fixtures/kinds.json'), 'utf8'))
  assert.is(kinds.columns.amount, 'numeric(30,10)')
  assert.is(kinds.columns.ts, 'timestamp with time zone')
  assert.not.ok('total' in kinds.columns, 'generated columns are left out')
  const [a, b, c] = kinds.rows
  assert.equal(a.tags, ['x', 'y z', null, 'q"uote', 'back\\slash'])
  assert.equal(a.grid, [[1, 2], [3, 4]])
  assert.equal(a.doc, { $text: '{"a": [1, 2.50, null], "b": {"c": "é"}}' })
  assert.equal(a.raw, { $base64: Buffer.from('00ff0a0d5c09', 'hex').toString('base64') })
  assert.is(a.amount, '12345678901234567890.0123456789')
  assert.is(a.money_col, '12.34')
  assert.is(a.span, '1 year 2 mons 3 days 04:05:06.789')
  assert.is(a.ts, '2024-02-29 18:29:59.999999+00')
  assert.is(a.f4, 3.4028235e38)
  assert.is(a.b, true)
  assert.is(a.m, 'happy')
  assert.is(a.pr, '(1,"a,b")')
  assert.equal([b.f4, b.f8, b.big, b.doc, b.tags, b.r], ['NaN', '-Infinity', 'NaN', { $text: 'null' }, [], 'empty'])
  assert.equal([c.f4, c.f8, c.doc, c.p], [0, 5e-324, [], 2147483647]) // -0.0 is numeric's 0 before it is a real
})

adv('kill -9 in the middle of a load: the data is the one before (one transaction); the next load runs', async ({ st }) => {
  await st.pg((c) => c.query("CREATE TABLE big (id int PRIMARY KEY, v text NOT NULL); INSERT INTO big SELECT g, 'a' FROM generate_series(1, 30000) g"))
  const before = await st.pg(async (c) => (await c.query("SELECT count(*) FILTER (WHERE v = 'a') AS a FROM big")).rows[0].a)
  const dir = path.join(st.dir, 'fx-big')
  fs.mkdirSync(dir)
  fs.writeFileSync(path.join(dir, 'big.json'), JSON.stringify(Array.from({ length: 30000 }, (_, i) => ({ id: i + 1, v: 'b' }))))
  const child = spawnScript(st, 'fixtures-load', ['--no-safety'], { FIXTURES_DIR: 'fx-big' })
  let err = ''
  await new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (d) => {
      err += d
      if (/into big/.test(err) && child.exitCode === null) setTimeout(() => { child.kill('SIGKILL'); resolve() }, 150)
    })
    child.on('close', () => reject(new Error(`ended before it was killed: ${err}`)))
  })
  await new Promise((r) => child.once('close', r))
  assert.is(await st.pg(async (c) => (await c.query("SELECT count(*) FILTER (WHERE v = 'a') AS a FROM big")).rows[0].a), before)
  const r = await runScript(st, 'fixtures-load', ['--no-safety'], { FIXTURES_DIR: 'fx-big' })
  assert.is(r.code, 0, r.stderr)
  assert.is(await st.pg(async (c) => (await c.query("SELECT count(*) FILTER (WHERE v = 'b') AS b FROM big")).rows[0].b), '30000')
})

adv.run()

const pure = suite('fixtures on postgres: values, statements and Django entries as data')

const col = (kind: PgColumn['kind'], elem: PgColumn['elem'] = null): PgColumn => ({ name: 'c', kind, elem, type: kind, computed: false, alwaysIdentity: false })

pure('values: arrays, jsonb, floats, bytea both ways; what does not fit is refused', () => {
  assert.is(arrayLiteral(['a"b', 'c\\d', null, 1, true, [2]]), '{"a\\"b","c\\\\d",NULL,"1","true",{"2"}}')
  assert.equal(pgEncodeValue(col('array', 'int'), ['{{1,2}}', '[["1","2"]]']), [[1, 2]])
  assert.is(pgEncodeValue(col('array', 'int'), ['[0:1]={1,2}', '["1","2"]']), '[0:1]={1,2}', 'bounds only the text says')
  assert.equal(jsonbValue('{"a": 1, "b": [true, null]}'), { a: 1, b: [true, null] })
  assert.equal(jsonbValue('{"a": 2.50}'), { $text: '{"a": 2.50}' })
  assert.equal(jsonbValue('{"$x": 1}'), { $text: '{"$x": 1}' }, 'a document that reads as a marker stays text')
  assert.equal(pgEncodeValue(col('float'), ['-0']), '-0')
  assert.is(pgDecodeValue(col('binary'), { $base64: 'AP8=' }), '\\x00ff')
  assert.is(pgDecodeValue(col('int'), '9007199254740993'), '9007199254740993')
  assert.throws(() => pgDecodeValue(col('int'), 9007199254740993), /beyond 2\^53/)
  assert.throws(() => pgDecodeValue(col('text'), 5), /5 is not a string/)
  assert.throws(() => pgDecodeValue(col('array', 'text'), { a: 1 }), /is not an array/)
  assert.throws(() => pgDecodeValue(col('other'), 3), /3 is not a other/)
})

const table = (o: Partial<PgFixtureTable> = {}): PgFixtureTable => ({ name: 't', schema: 'public', table: 't', oid: 1, relkind: 'r',
  columns: [{ ...col('int'), name: 'id' }, { ...col('text'), name: 'v' }], primaryKey: ['id'], uniqueKeys: [['id']], triggers: [], estimatedRows: 0, ...o })

pure('upserts: on the primary key, else a unique key the rows give, else none; identity ALWAYS overridden', () => {
  assert.is(pgUpsertSql(table(), ['id', 'v'], 2),
    'INSERT INTO "public"."t" ("id", "v") VALUES ($1, $2), ($3, $4) ON CONFLICT ("id") DO UPDATE SET "v" = EXCLUDED."v" RETURNING (xmax::text = \'0\') AS inserted')
  assert.match(pgUpsertSql(table(), ['id'], 1), 'ON CONFLICT ("id") DO NOTHING')
  assert.match(pgUpsertSql(table({ uniqueKeys: [['id'], ['v']] }), ['v'], 1), 'ON CONFLICT ("v") DO NOTHING')
  assert.not.match(pgUpsertSql(table({ primaryKey: [], uniqueKeys: [] }), ['v'], 1), 'ON CONFLICT')
  const always = table({ columns: [{ ...col('int'), name: 'id', alwaysIdentity: true }, { ...col('text'), name: 'v' }] })
  assert.match(pgUpsertSql(always, ['id', 'v'], 1), '("id", "v") OVERRIDING SYSTEM VALUE VALUES')
  assert.match(pgUpsertSql(table(), [], 1), 'DEFAULT VALUES')
})

pure('Django entries: detected by shape; FKs, many-to-many, natural keys refused; ISO times to UTC', () => {
  const shapes = new Map<string, TableShape>([
    ['app_book', { name: 'app_book', primaryKey: ['id'], columns: [{ name: 'id', kind: 'int' }, { name: 'author_id', kind: 'int' }, { name: 'cover', kind: 'binary' }] }],
    ['app_book_tags', { name: 'app_book_tags', primaryKey: ['id'], columns: [{ name: 'id', kind: 'int' }, { name: 'book_id', kind: 'int' }, { name: 'tag_id', kind: 'int' }] }],
  ])
  const doc = [{ model: 'app.book', pk: 1, fields: { author: 3, cover: 'AP8=', tags: [4, 5] } }]
  assert.ok(isDjangoDocument(doc))
  assert.not.ok(isDjangoDocument([{ id: 1 }]))
  assert.not.ok(isDjangoDocument([]))
  const out = djangoRows(doc, 'f.json', shapes, new Map())
  assert.equal(out.map((t) => [t.table, t.rows.map((r) => r.row)]), [
    ['app_book_tags', [{ book_id: 1, tag_id: 4 }, { book_id: 1, tag_id: 5 }]],
    ['app_book', [{ id: 1, author_id: 3, cover: { $base64: 'AP8=' } }]],
  ])
  assert.equal(out[0].replaceSet, { owner: 'book_id', target: 'tag_id', keys: [1] })
  assert.throws(() => djangoRows([{ model: 'app.book', pk: 1, fields: { author: ['ann'] } }], 'f.json', shapes, new Map()), /\[0\] app\.book: field "author" is a natural key/)
  assert.throws(() => djangoRows([{ model: 'app.book', fields: {} }], 'f.json', shapes, new Map()), /no "pk": natural primary keys are not read/)
  assert.throws(() => djangoRows([{ model: 'app.book', pk: 1, fields: { nope: 1 } }], 'f.json', shapes, new Map()), /field "nope": table app_book has no column nope or nope_id/)
  assert.is(isoToUtc('2024-06-01T01:30:00.123456+02:00'), '2024-05-31 23:30:00.123456')
  assert.is(isoToUtc('2024-06-01T10:00:00Z'), '2024-06-01 10:00:00')
  assert.is(isoToUtc('2024-06-01T10:00'), '2024-06-01 10:00:00')
  assert.is(isoToUtc('10:00:00'), '10:00:00')
})

pure.run()
