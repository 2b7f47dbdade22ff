// schema_docs on each engine, on a real server: sakila on MariaDB, the adversarial schema (plus a
// multi-column foreign key, a partitioned table's key, a view over a view) on PostgreSQL. The model read
// through readLiveSchema, the generated files, determinism, every internal link of the page, and
// --tables/--columns naming something missing (exit 2 with the names available).
import fs from 'node:fs'
import path from 'node:path'
import { suite } from './support/uvu.ts'
import * as assert from 'uvu/assert'
import type { Column, Schema, Table } from '../lib/schema-docs/model.ts'
import { withPg } from '../lib/engines/postgres/db.ts'
import { readSchema as readPgSchema } from '../lib/engines/postgres/catalog.ts'
import { readSchema as readMariaSchema } from '../lib/schema-docs/catalog-mariadb.ts'
import { COLUMN_ATTRS } from '../lib/schema-docs/markdown.ts'
import { readLiveSchema } from '../lib/schema-docs/read.ts'
import { schemaDocFiles } from '../lib/schema-docs/write.ts'
import { PG_ADVERSARIAL, PG_ADVERSARIAL_ROWS } from './support/pg-adversarial.ts'
import { makePgStack } from './support/pg-stack.ts'
import { sakilaStack } from './support/sakila.ts'
import { lastLine, runScript, type TestStack } from './support/stack.ts'

interface DocStack {
  dir: string; env: Record<string, string>; exec(sql: string): Promise<void>; model(): Promise<Schema>; destroy(): Promise<void>
  /** PostgreSQL: the model as the application role reads it (its own search_path), not the superuser. */
  modelAsApp?(): Promise<Schema>
  /** MariaDB: the sakila stack itself. */
  maria?: TestStack
}
interface EngineCase {
  make(): Promise<DocStack>
  database: string
  tables: string[]
  /** Foreign keys in the whole schema: one diagram edge each. */
  fks: number
  /** A change of data only (rows, statistics): the committed files must not change. */
  dataChange: string
  /** A line schema.md must hold (a "referenced by" entry) and lines schema.mmd must hold (edges). */
  referencedBy: string
  edges: string[]
  /** Two tables for --tables, one left out by it, and the text naming a table the second references but --tables left out. */
  narrow: [string, string, string, string]
  checkModel(m: Schema): void
}

function table(m: Schema, name: string): Table {
  const t = m.tables.find((x) => x.name === name)
  assert.ok(t, `no table ${name} among ${m.tables.map((x) => x.name)}`)
  return t!
}
function column(m: Schema, t: string, name: string): Column {
  const c = table(m, t).columns.find((x) => x.name === name)
  assert.ok(c, `no column ${t}.${name}`)
  return c!
}
const fkText = (m: Schema, t: string) => table(m, t).foreignKeys.map((f) => `${f.name}:${f.columns}->${f.refTable}(${f.refColumns}) ${f.onDelete}/${f.onUpdate}`)

const SAKILA_TABLES = ['actor', 'address', 'category', 'city', 'country', 'customer', 'film', 'film_actor', 'film_category',
  'film_text', 'inventory', 'language', 'payment', 'rental', 'staff', 'store']

// beside the adversarial schema: a multi-column foreign key with actions, a partial index with INCLUDE,
// a named check, a single-column unique key, a sub-partitioned partition, a partitioned table's foreign key, a view reading a view, a trigger on a view
const PG_EXTRA = `
CREATE TABLE shop.skus (maker text, code int, label text NOT NULL, PRIMARY KEY (maker, code));
CREATE TABLE shop.stock (id int PRIMARY KEY, maker text, code int, qty int CONSTRAINT stock_qty_positive CHECK (qty >= 0), sku_ref text UNIQUE,
  CONSTRAINT stock_sku_fk FOREIGN KEY (maker, code) REFERENCES shop.skus (maker, code) ON DELETE CASCADE ON UPDATE SET NULL);
CREATE INDEX stock_live ON shop.stock (maker, code) INCLUDE (qty) WHERE qty > 0;
CREATE TABLE shop.events_2026 PARTITION OF shop.events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01') PARTITION BY LIST (what);
CREATE TABLE shop.events_2026_a PARTITION OF shop.events_2026 FOR VALUES IN ('a');
ALTER TABLE shop.events ADD CONSTRAINT events_kind_fk FOREIGN KEY (id) REFERENCES kinds (id);
CREATE VIEW shop.stock_named AS SELECT s.id, k.label, n.txt FROM shop.stock s JOIN shop.skus k USING (maker, code) LEFT JOIN kind_names n ON n.id = s.id;
CREATE FUNCTION shop.stock_named_ins() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER stock_named_ins INSTEAD OF INSERT ON shop.stock_named FOR EACH ROW EXECUTE FUNCTION shop.stock_named_ins();
`
const PG_TABLES = ['audit', 'child', 'kinds', 'parent', 'scratch', 'shop.events', 'shop.events_2024', 'shop.events_2025',
  'shop.events_2026', 'shop.events_2026_a', 'shop.lines',
  'shop.orders', 'shop.skus', 'shop.stock']

const CASES: Record<string, EngineCase> = {
  mariadb: {
    make: async () => {
      const s = await sakilaStack()
      return { dir: s.dir, env: s.env, exec: (sql) => s.db(async (db) => { await db.query(sql) }), model: () => readLiveSchema(s.cfg, 'schema_docs'), destroy: () => s.destroy(), maria: s }
    },
    database: 'sakila',
    tables: SAKILA_TABLES,
    fks: 22,
    dataChange: "INSERT INTO sakila.category (name) VALUES ('Docs')",
    referencedBy: '- [payment](#table-payment) (rental_id) via fk_payment_rental',
    edges: ['  language ||--o{ film : "fk_film_language"', '  language |o--o{ film : "fk_film_language_original"'],
    narrow: ['actor', 'film', 'city', 'language <small>(not documented here)</small>'],
    checkModel: (m) => {
      assert.equal(m.engine, 'mariadb')
      assert.equal(table(m, 'film').primaryKey, ['film_id'])
      assert.equal(fkText(m, 'film'),
        ['fk_film_language:language_id->language(language_id) RESTRICT/CASCADE', 'fk_film_language_original:original_language_id->language(language_id) RESTRICT/CASCADE'])
      assert.ok(table(m, 'film_text').indexes.some((i) => i.kind === 'FULLTEXT'))
      assert.equal(m.views.map((v) => v.name), ['actor_info', 'customer_list', 'film_list', 'nicer_but_slower_film_list', 'sales_by_film_category', 'sales_by_store', 'staff_list'])
      assert.ok(m.views.find((v) => v.name === 'customer_list')!.reads.includes('customer'))
      assert.ok(m.routines.some((r) => r.name === 'rewards_report' && r.type === 'PROCEDURE'))
      assert.equal(m.triggers.map((t) => t.name), ['customer_create_date', 'del_film', 'ins_film', 'payment_date', 'rental_date', 'upd_film'])
      assert.equal(table(m, 'film').triggers, ['del_film', 'ins_film', 'upd_film'])
    },
  },
  postgres: {
    make: async () => {
      const s = await makePgStack()
      const exec = (sql: string) => s.pg(async (c) => { await c.query(sql) })
      await exec(PG_ADVERSARIAL + PG_ADVERSARIAL_ROWS + PG_EXTRA)
      const app = { host: '127.0.0.1', port: s.cfg.POSTGRES_PORT, user: s.cfg.POSTGRES_USER, password: s.cfg.POSTGRES_PASSWORD, database: s.cfg.POSTGRES_DB }
      return {
        dir: s.dir, env: s.env, exec, model: () => readLiveSchema(s.cfg, 'schema_docs'), destroy: () => s.destroy(),
        modelAsApp: () => withPg(app, (pc) => readPgSchema(pc, s.cfg.POSTGRES_DB)),
      }
    },
    database: 'app',
    tables: PG_TABLES,
    fks: 4,
    dataChange: "INSERT INTO shop.skus VALUES ('acme', 1, 'Anvil'); INSERT INTO shop.stock VALUES (1, 'acme', 1, 5, 'A-1'); ANALYZE",
    referencedBy: '- [shop.orders](#table-shop-orders) (kind_id) via orders_kind_id_fkey',
    edges: ['  kinds |o--o{ shop_orders : "orders_kind_id_fkey"', '  shop_skus |o--o{ shop_stock : "stock_sku_fk"'],
    narrow: ['kinds', 'shop.lines', 'audit', 'shop.orders <small>(not documented here)</small>'],
    checkModel: (m) => {
      assert.equal(m.engine, 'postgres')
      assert.is(table(m, 'kinds').comment, 'every type')
      assert.equal(table(m, 'kinds').primaryKey, ['id'])
      assert.equal(column(m, 'kinds', 'id'), { name: 'id', type: 'bigint', nullable: false, default: null, key: 'PRI', extra: 'GENERATED BY DEFAULT AS IDENTITY', comment: '', generated: null })
      assert.equal(column(m, 'kinds', 'total'), { name: 'total', type: 'numeric', nullable: true, default: null, key: '', extra: 'STORED GENERATED', comment: '', generated: 'amount * 2::numeric' })
      assert.equal([column(m, 'kinds', 'doc').key, column(m, 'kinds', 'doc').comment], ['MUL', 'a jsonb column'])
      assert.equal(['amount', 'tags', 'txt', 'm', 'ts'].map((c) => column(m, 'kinds', c).type), ['numeric(30,10)', 'text[]', 'text COLLATE "C"', 'mood', 'timestamp with time zone'])
      assert.is(column(m, 'kinds', 'u').default, 'gen_random_uuid()')
      assert.is(column(m, 'kinds', 'serial_col').default, "nextval('kinds_serial_col_seq'::regclass)")
      assert.equal(table(m, 'kinds').indexes, [{ name: 'kinds_doc', unique: false, kind: 'GIN', columns: ['doc'] }])
      // cross-schema and multi-column foreign keys, with their actions
      assert.equal(fkText(m, 'shop.orders'), ['orders_kind_id_fkey:kind_id->kinds(id) NO ACTION/NO ACTION'])
      assert.equal(fkText(m, 'shop.stock'), ['stock_sku_fk:maker,code->shop.skus(maker,code) CASCADE/SET NULL'])
      assert.equal(fkText(m, 'shop.lines'), ['lines_order_fk:order_id->shop.orders(id) NO ACTION/NO ACTION'])
      assert.equal(table(m, 'shop.skus').primaryKey, ['maker', 'code'])
      assert.equal(table(m, 'shop.stock').columns.map((c) => `${c.name}:${c.key}`), ['id:PRI', 'maker:MUL', 'code:', 'qty:', 'sku_ref:UNI'])
      assert.equal(table(m, 'shop.stock').indexes, [
        { name: 'stock_live', unique: false, kind: 'BTREE INCLUDE (qty) WHERE qty > 0', columns: ['maker', 'code'] },
        { name: 'stock_sku_ref_key', unique: true, kind: 'BTREE', columns: ['sku_ref'] }])
      assert.equal(table(m, 'shop.stock').checks, [{ name: 'stock_qty_positive', clause: 'qty >= 0' }])
      assert.equal(table(m, 'shop.lines').checks, [{ name: 'lines_id_small', clause: 'id < 2' }])
      assert.equal(table(m, 'shop.orders').indexes.map((i) => `${i.name}:${i.columns}`), ['orders_lower_note:lower(note)'])
      assert.equal(table(m, 'shop.orders').triggers, ['orders_audit'])
      // partitioning: the parent's key and count; each partition's bound; its parent's foreign key shown once, on the parent
      assert.is(table(m, 'shop.events').partitioning, 'RANGE (at) 3 partitions')
      assert.is(table(m, 'shop.events_2026').partitioning, "LIST (what) 1 partitions; partition of shop.events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')")
      assert.is(table(m, 'shop.events_2026_a').partitioning, "partition of shop.events_2026 FOR VALUES IN ('a')")
      assert.equal(table(m, 'shop.events_2026_a').foreignKeys, [])
      assert.equal(fkText(m, 'shop.events'), ['events_kind_fk:id->kinds(id) NO ACTION/NO ACTION'])
      assert.is(table(m, 'shop.events_2024').partitioning, "partition of shop.events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')")
      assert.equal(table(m, 'shop.events_2025').foreignKeys, [])
      assert.is(table(m, 'child').partitioning, 'inherits parent')
      assert.is(table(m, 'scratch').engine, 'heap, unlogged')
      assert.equal(m.views.map((v) => `${v.name}${v.materialized ? ' (materialized)' : ''}: ${v.reads}`),
        ['kind_names: kinds', 'order_counts (materialized): shop.orders', 'shop.stock_named: kind_names,shop.skus,shop.stock'])
      assert.match(m.views.find((v) => v.name === 'order_counts')!.definition, /FROM shop\.orders/)
      // pgcrypto's functions belong to the extension, the range type's constructors to the type: neither is listed
      assert.equal(m.routines.map((r) => `${r.name} ${r.type}`), ['audit_fn() FUNCTION', 'bump(IN n integer) PROCEDURE', 'shop.stock_named_ins() FUNCTION'])
      assert.match(m.routines[0].definition, /^CREATE OR REPLACE FUNCTION public\.audit_fn\(\)/)
      assert.equal(m.triggers.map((t) => `${t.name} ${t.timing} ${t.event} ON ${t.table}`), ['orders_audit AFTER INSERT ON shop.orders', 'stock_named_ins INSTEAD OF INSERT ON shop.stock_named'])
      assert.equal(m.events, [])
      assert.equal(m.sequences, ['audit_id_seq', 'kinds_serial_col_seq', 'standalone_seq'])
    },
  },
}

for (const [engine, c] of Object.entries(CASES)) {
  const s = suite(`schema docs on ${engine}`, { stack: null as unknown as DocStack })
  s.before(async (ctx) => { ctx.stack = await c.make() })
  s.after(async (ctx) => { await ctx.stack?.destroy() })
  const fkCount = (json: Schema) => json.tables.reduce((n, t) => n + t.foreignKeys.length, 0)

  s('the model holds every table, its keys, both directions of its relations, views and what they read, routines, triggers, sequences', async ({ stack }) => {
    const m = await stack.model()
    assert.is(m.database, c.database)
    assert.equal(m.tables.map((t) => t.name), c.tables)
    c.checkModel(m)
  })

  s('make schema_docs writes index.html, schema.json, .md, .mmd, .svg; the last four byte for byte the same on a second run after a data change', async ({ stack }) => {
    const out = path.join(stack.dir, 'docs/schema')
    const r1 = await runScript(stack, 'schema-docs')
    assert.is(r1.code, 0, r1.stderr)
    assert.equal(r1.stdout.trim().split('\n').map((f) => path.basename(f)).sort(), ['index.html', 'schema.json', 'schema.md', 'schema.mmd', 'schema.svg'])
    const first = Object.fromEntries(['schema.json', 'schema.md', 'schema.mmd', 'schema.svg'].map((f) => [f, fs.readFileSync(path.join(out, f), 'utf8')]))
    // rows inserted change counts, not the schema: the committed files must not change
    await stack.exec(c.dataChange)
    const r2 = await runScript(stack, 'schema-docs')
    assert.is(r2.code, 0, r2.stderr)
    for (const [f, text] of Object.entries(first)) assert.is(fs.readFileSync(path.join(out, f), 'utf8'), text, f)
    const json = JSON.parse(first['schema.json']) as Schema
    assert.is(json.format, 'datakeep-schema/1')
    assert.equal(json.tables.map((t) => t.name), c.tables)
    assert.equal(json, { ...(await stack.model()), tables: json.tables }, 'schema.json is the model')
    for (const t of c.tables) assert.ok(first['schema.md'].includes(`### ${t}\n`), t)
    assert.ok(first['schema.md'].includes(c.referencedBy), 'referenced by')
    assert.ok(first['schema.mmd'].startsWith('erDiagram\n'))
    const edges = first['schema.mmd'].split('\n').filter((l) => /--/.test(l))
    assert.is(edges.length, fkCount(json))
    for (const e of c.edges) assert.ok(edges.includes(e), e)
  })

  s('index.html is self-contained: every table, every internal link resolves, one SVG box per table and one edge per foreign key', async ({ stack }) => {
    const r = await runScript(stack, 'schema-docs', ['--out', 'site'])
    assert.is(r.code, 0, r.stderr)
    const html = fs.readFileSync(path.join(stack.dir, 'site/index.html'), 'utf8')
    const svg = fs.readFileSync(path.join(stack.dir, 'site/schema.svg'), 'utf8').replace(/&#45;/g, '-') // Graphviz writes - in ids as &#45;
    const json = JSON.parse(fs.readFileSync(path.join(stack.dir, 'site/schema.json'), 'utf8')) as Schema
    assert.not.match(html, /(src|href)="(https?:)?\/\//, 'nothing fetched from the network')
    const ids = new Set([...html.matchAll(/ id="([^"]+)"/g)].map((m) => m[1]))
    const hrefs = [...html.matchAll(/href="#([^"]+)"/g)].map((m) => m[1])
    assert.ok(hrefs.length > 2 * c.tables.length)
    assert.equal(hrefs.filter((h) => !ids.has(h)), [], 'links to no element')
    for (const t of c.tables) assert.ok(ids.has(`table-${t}`), t)
    for (const v of json.views) assert.ok(ids.has(`view-${v.name}`), v.name)
    const boxes = [...svg.matchAll(/<g id="box-([^"]+)" class="node table">/g)].map((m) => m[1]).sort()
    assert.equal(boxes, [...c.tables].sort())
    const fks = [...svg.matchAll(/<g id="fk-[^"]+" class="edge fk">/g)].length
    assert.is(fks, fkCount(json))
    assert.is(fks, c.fks)
    assert.ok(html.includes('<svg'))
  })

  s('--tables and --columns narrow the output; a name that does not exist exits 2 naming what does', async ({ stack }) => {
    const [a, b, left, notHere] = c.narrow
    const r = await runScript(stack, 'schema-docs', ['--out', 'narrow', '--tables', `${a},${b}`, '--columns', 'field,type'])
    assert.is(r.code, 0, r.stderr)
    const md = fs.readFileSync(path.join(stack.dir, 'narrow/schema.md'), 'utf8')
    assert.ok(md.includes('| field | type |\n'))
    assert.ok(md.includes(`### ${b}\n`))
    assert.not.ok(md.includes(`### ${left}\n`))
    // a relation to a table left out: named, not linked, so no link on the page points nowhere
    const narrow = fs.readFileSync(path.join(stack.dir, 'narrow/index.html'), 'utf8')
    const ids = new Set([...narrow.matchAll(/ id="([^"]+)"/g)].map((m) => m[1].replace(/&#45;/g, '-')))
    assert.equal([...narrow.matchAll(/href="#([^"]+)"/g)].map((m) => m[1]).filter((h) => !ids.has(h)), [])
    assert.ok(narrow.includes(notHere), notHere)
    const bad = await runScript(stack, 'schema-docs', ['--tables', `${a},nosuch`])
    assert.is(bad.code, 2)
    assert.match(bad.stderr, `no table nosuch in ${c.database}; the tables are: ${c.tables.slice(0, 2).join(', ')},`)
    const badCol = await runScript(stack, 'schema-docs', ['--columns', 'field,colour'])
    assert.is(badCol.code, 2)
    assert.match(lastLine(badCol.stderr) + badCol.stderr, 'unknown column attribute colour; the attributes are: field, type, default, null, key, extra, comment')
  })

  if (engine === 'mariadb') {
    s('what sakila lacks reaches the page: table comment, partitioning, checks, an event, a sequence, an implied relation', async ({ stack }) => {
      const m = await stack.maria!.db(async (db) => {
        for (const sql of ['CREATE DATABASE docs_extra', 'USE docs_extra',
          "CREATE TABLE team (id INT PRIMARY KEY) COMMENT 'who plays'",
          "CREATE TABLE score (id INT, team_id INT NOT NULL, points INT, PRIMARY KEY (id), CONSTRAINT points_positive CHECK (points >= 0)) COMMENT 'one per match' PARTITION BY HASH (id) PARTITIONS 3",
          'CREATE SEQUENCE ticket_seq', "CREATE EVENT nightly ON SCHEDULE EVERY 1 DAY DO DELETE FROM score WHERE points < 0"]) await db.query(sql)
        return readMariaSchema(db, 'docs_extra')
      }, null)
      const score = table(m, 'score')
      assert.is(score.comment, 'one per match')
      assert.is(score.partitioning, 'HASH(`id`) 3 partitions')
      assert.equal(score.checks.map((x) => x.name), ['points_positive'])
      assert.equal(m.sequences, ['ticket_seq'])
      assert.equal(m.events.map((e) => [e.name, e.schedule]), [['nightly', 'EVERY 1 DAY']])
      const html = (await schemaDocFiles(m, COLUMN_ATTRS))['index.html']
      for (const text of ['<td>one per match</td>', 'who plays', '<h4>Partitioning</h4><p>HASH(`id`) 3 partitions</p>', 'points_positive: <code>`points` &gt;= 0</code>',
        '<section class="event" id="event-nightly"><h3>nightly</h3><p>EVERY 1 DAY, ENABLED</p>', '<li id="sequence-ticket_seq">ticket_seq</li>',
        '<a href="#table-score">score</a>.team_id &rarr; <a href="#table-team">team</a> <em>implied</em>']) assert.ok(html.includes(text), text)
      assert.match(html, /<g id="implied&#45;score&#45;team_id" class="edge implied">/)
      assert.match(html, /<g id="n&#45;team&#45;implied&#45;score&#45;team_id" class="edge implied">/)
    })
  }

  if (engine === 'postgres') {
    s('every role reads the same text: a schema named like the role (first in its search_path) changes no name or definition', async ({ stack }) => {
      await stack.exec(`CREATE SCHEMA app AUTHORIZATION app; CREATE TABLE app.notes (id int PRIMARY KEY, kind_id bigint REFERENCES public.kinds (id));
        CREATE VIEW note_ids AS SELECT id FROM app.notes; ANALYZE`)
      const admin = await stack.model()
      assert.equal(await stack.modelAsApp!(), admin)
      assert.match(admin.views.find((v) => v.name === 'note_ids')!.definition, 'FROM app.notes')
      assert.equal(fkText(admin, 'app.notes'), ['notes_kind_id_fkey:kind_id->kinds(id) NO ACTION/NO ACTION'])
    })
  }

  s.run()
}
