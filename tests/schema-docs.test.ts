// schema_docs against sakila on a real server: the model, the generated files, determinism, and
// --tables/--columns naming something missing (exit 2 with the names available).
import fs from 'node:fs'
import path from 'node:path'
import { suite } from './support/uvu.ts'
import * as assert from 'uvu/assert'
import { readSchema } from '../lib/schema-docs/catalog-mariadb.ts'
import { COLUMN_ATTRS } from '../lib/schema-docs/markdown.ts'
import { schemaDocFiles } from '../lib/schema-docs/write.ts'
import { sakilaStack } from './support/sakila.ts'
import { lastLine, runScript, type TestStack } from './support/stack.ts'

const SAKILA_TABLES = ['actor', 'address', 'category', 'city', 'country', 'customer', 'film', 'film_actor', 'film_category',
  'film_text', 'inventory', 'language', 'payment', 'rental', 'staff', 'store']

const s = suite('schema docs', { stack: null as unknown as TestStack })
s.before(async (ctx) => { ctx.stack = await sakilaStack() })
s.after(async (ctx) => { await ctx.stack?.destroy() })

s('the model holds every sakila table, its keys, both directions of its relations, views, routines and triggers', async ({ stack }) => {
  const m = await stack.db((db) => readSchema(db, 'sakila'))
  assert.equal(m.tables.map((t) => t.name), SAKILA_TABLES)
  const film = m.tables.find((t) => t.name === 'film')!
  assert.equal(film.primaryKey, ['film_id'])
  assert.equal(film.foreignKeys.map((f) => `${f.name}:${f.columns}->${f.refTable}(${f.refColumns}) ${f.onDelete}/${f.onUpdate}`),
    ['fk_film_language:language_id->language(language_id) RESTRICT/CASCADE', 'fk_film_language_original:original_language_id->language(language_id) RESTRICT/CASCADE'])
  assert.ok(m.tables.find((t) => t.name === 'film_text')!.indexes.some((i) => i.kind === 'FULLTEXT'))
  assert.equal(m.views.map((v) => v.name), ['actor_info', 'customer_list', 'film_list', 'nicer_but_slower_film_list', 'sales_by_film_category', 'sales_by_store', 'staff_list'])
  assert.ok(m.views.find((v) => v.name === 'customer_list')!.reads.includes('customer'))
  assert.ok(m.routines.some((r) => r.name === 'rewards_report' && r.type === 'PROCEDURE'))
  assert.equal(m.triggers.map((t) => t.name), ['customer_create_date', 'del_film', 'ins_film', 'payment_date', 'rental_date', 'upd_film'])
  assert.equal(film.triggers, ['del_film', 'ins_film', 'upd_film'])
})

s('make schema_docs writes schema.json, schema.md, schema.mmd and schema.svg, byte for byte the same on a second run', async ({ stack }) => {
  const out = path.join(stack.dir, 'docs/schema')
  const r1 = await runScript(stack, 'schema-docs')
  assert.is(r1.code, 0, r1.stderr)
  const first = Object.fromEntries(['schema.json', 'schema.md', 'schema.mmd', 'schema.svg'].map((f) => [f, fs.readFileSync(path.join(out, f), 'utf8')]))
  // a row inserted changes counts, not the schema: the committed files must not change
  await stack.db((db) => db.query("INSERT INTO sakila.category (name) VALUES ('Docs')"))
  const r2 = await runScript(stack, 'schema-docs')
  assert.is(r2.code, 0, r2.stderr)
  for (const [f, text] of Object.entries(first)) assert.is(fs.readFileSync(path.join(out, f), 'utf8'), text, f)
  const json = JSON.parse(first['schema.json'])
  assert.is(json.format, 'datakeep-schema/1')
  assert.equal(json.tables.map((t: { name: string }) => t.name), SAKILA_TABLES)
  for (const t of SAKILA_TABLES) assert.ok(first['schema.md'].includes(`### ${t}\n`), t)
  assert.ok(first['schema.md'].includes('- [payment](#table-payment) (rental_id) via fk_payment_rental'), 'referenced by')
  assert.ok(first['schema.mmd'].startsWith('erDiagram\n'))
  const edges = first['schema.mmd'].split('\n').filter((l) => /--/.test(l))
  assert.is(edges.length, json.tables.reduce((n: number, t: { foreignKeys: unknown[] }) => n + t.foreignKeys.length, 0))
  assert.ok(edges.includes('  language ||--o{ film : "fk_film_language"'))
  assert.ok(edges.includes('  language |o--o{ film : "fk_film_language_original"'))
})

s('index.html is self-contained: every table, every internal link resolves, one SVG box per table and one edge per foreign key', async ({ stack }) => {
  const r = await runScript(stack, 'schema-docs', ['--out', 'site'])
  assert.is(r.code, 0, r.stderr)
  const html = fs.readFileSync(path.join(stack.dir, 'site/index.html'), 'utf8')
  const svg = fs.readFileSync(path.join(stack.dir, 'site/schema.svg'), 'utf8').replace(/&#45;/g, "-") // Graphviz writes - in ids as &#45;
  const json = JSON.parse(fs.readFileSync(path.join(stack.dir, 'site/schema.json'), 'utf8'))
  assert.not.match(html, /(src|href)="(https?:)?\/\//, 'nothing fetched from the network')
  const ids = new Set([...html.matchAll(/ id="([^"]+)"/g)].map((m) => m[1]))
  const hrefs = [...html.matchAll(/href="#([^"]+)"/g)].map((m) => m[1])
  assert.ok(hrefs.length > 100)
  assert.equal(hrefs.filter((h) => !ids.has(h)), [], 'links to no element')
  for (const t of SAKILA_TABLES) assert.ok(ids.has(`table-${t}`), t)
  const boxes = [...svg.matchAll(/<g id="box-([^"]+)" class="node table">/g)].map((m) => m[1]).sort()
  assert.equal(boxes, SAKILA_TABLES)
  const fks = [...svg.matchAll(/<g id="fk-[^"]+" class="edge fk">/g)].length
  assert.is(fks, json.tables.reduce((n: number, t: { foreignKeys: unknown[] }) => n + t.foreignKeys.length, 0))
  assert.is(fks, 22)
  assert.ok(html.includes('<svg'))
})

s('--tables and --columns narrow the output; a name that does not exist exits 2 naming what does', async ({ stack }) => {
  const r = await runScript(stack, 'schema-docs', ['--out', 'narrow', '--tables', 'actor,film', '--columns', 'field,type'])
  assert.is(r.code, 0, r.stderr)
  const md = fs.readFileSync(path.join(stack.dir, 'narrow/schema.md'), 'utf8')
  assert.ok(md.includes('| field | type |\n'))
  assert.not.ok(md.includes('### city'))
  // film references language, left out: named, not linked, so no link on the page points nowhere
  const narrow = fs.readFileSync(path.join(stack.dir, 'narrow/index.html'), 'utf8')
  const ids = new Set([...narrow.matchAll(/ id="([^"]+)"/g)].map((m) => m[1].replace(/&#45;/g, '-')))
  assert.equal([...narrow.matchAll(/href="#([^"]+)"/g)].map((m) => m[1]).filter((h) => !ids.has(h)), [])
  assert.ok(narrow.includes('language <small>(not documented here)</small>'))
  const bad = await runScript(stack, 'schema-docs', ['--tables', 'actor,nosuch'])
  assert.is(bad.code, 2)
  assert.match(bad.stderr, 'no table nosuch in sakila; the tables are: actor, address,')
  const badCol = await runScript(stack, 'schema-docs', ['--columns', 'field,colour'])
  assert.is(badCol.code, 2)
  assert.match(lastLine(badCol.stderr) + badCol.stderr, 'unknown column attribute colour; the attributes are: field, type, default, null, key, extra, comment')
  const pg = await runScript(stack, 'schema-docs', ['--out', 'pg'], { DB_ENGINE: 'postgres' })
  assert.is(pg.code, 2)
  assert.match(pg.stderr, 'schema_docs reads MariaDB/MySQL catalogs only so far; DB_ENGINE is postgres and nothing was written')
  assert.not.ok(fs.existsSync(path.join(stack.dir, 'pg')))
})

s('what sakila lacks reaches the page: table comment, partitioning, checks, an event, a sequence, an implied relation', async ({ stack }) => {
  const m = await stack.db(async (db) => {
    for (const sql of ['CREATE DATABASE docs_extra', 'USE docs_extra',
      "CREATE TABLE team (id INT PRIMARY KEY) COMMENT 'who plays'",
      "CREATE TABLE score (id INT, team_id INT NOT NULL, points INT, PRIMARY KEY (id), CONSTRAINT points_positive CHECK (points >= 0)) COMMENT 'one per match' PARTITION BY HASH (id) PARTITIONS 3",
      'CREATE SEQUENCE ticket_seq', "CREATE EVENT nightly ON SCHEDULE EVERY 1 DAY DO DELETE FROM score WHERE points < 0"]) await db.query(sql)
    return readSchema(db, 'docs_extra')
  }, null)
  const score = m.tables.find((t) => t.name === 'score')!
  assert.is(score.comment, 'one per match')
  assert.is(score.partitioning, 'HASH(`id`) 3 partitions')
  assert.equal(score.checks.map((c) => c.name), ['points_positive'])
  assert.equal(m.sequences, ['ticket_seq'])
  assert.equal(m.events.map((e) => [e.name, e.schedule]), [['nightly', 'EVERY 1 DAY']])
  const html = (await schemaDocFiles(m, COLUMN_ATTRS))['index.html']
  for (const text of ['<td>one per match</td>', 'who plays', '<h4>Partitioning</h4><p>HASH(`id`) 3 partitions</p>', 'points_positive: <code>`points` &gt;= 0</code>',
    '<section class="event" id="event-nightly"><h3>nightly</h3><p>EVERY 1 DAY, ENABLED</p>', '<li id="sequence-ticket_seq">ticket_seq</li>',
    '<a href="#table-score">score</a>.team_id &rarr; <a href="#table-team">team</a> <em>implied</em>']) assert.ok(html.includes(text), text)
  assert.match(html, /<g id="implied&#45;score&#45;team_id" class="edge implied">/)
  assert.match(html, /<g id="n&#45;team&#45;implied&#45;score&#45;team_id" class="edge implied">/)
})

s.run()
