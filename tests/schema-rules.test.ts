// schema_lint's rules and schema_diff's comparison on model objects (no server): each rule fires on
// the anomaly and stays quiet on the fixed schema; the policy (errors, ignore) and its bad input;
// every kind of change the diff names, and what it must not name (row counts, the database name).
import { test } from './support/uvu.ts'
import * as assert from 'uvu/assert'
import { UserError } from '../lib/errors.ts'
import { diffSchemas } from '../lib/schema-docs/diff.ts'
import { tableNamesFor } from '../lib/schema-docs/relations.ts'
import { lintPolicy, lintRules, lintSchema } from '../lib/schema-docs/lint.ts'
import { disabledEvents } from '../lib/schema-docs/read.ts'
import type { Column, Schema, Table } from '../lib/schema-docs/model.ts'

const col = (name: string, type = 'int(11)', nullable = false): Column =>
  ({ name, type, nullable, default: null, key: '', extra: '', comment: '', generated: null })
const table = (name: string, t: Partial<Table> = {}): Table => ({
  name, engine: 'InnoDB', rows: 0, bytes: 0, comment: '', columns: [col('id')], primaryKey: ['id'], indexes: [],
  foreignKeys: [], checks: [], triggers: [], partitioning: null, ...t,
})
const schema = (tables: Table[], more: Partial<Schema> = {}): Schema => ({
  format: 'datakeep-schema/1', engine: 'mariadb', database: 'shop', tables, views: [], routines: [], triggers: [], events: [], sequences: [], ...more,
})
const fk = (name: string, columns: string[], refTable: string, refColumns = ['id']) => ({ name, columns, refTable, refColumns, onDelete: 'RESTRICT', onUpdate: 'RESTRICT' })

/** A shop with one of each anomaly. */
const anomalies = () => schema([
  table('users', { columns: [col('id'), col('email', 'varchar(100)', true)], indexes: [{ name: 'uq_email', unique: true, kind: 'BTREE', columns: ['email'] }] }),
  table('log', { columns: [col('at', 'datetime'), col('msg', 'text')], primaryKey: [] }),
  table('orders', {
    columns: [col('id'), col('user_id', 'bigint(20)'), col('category_id')],
    foreignKeys: [fk('fk_user', ['user_id'], 'users')],
  }),
  table('categories'),
])
const rulesOf = (s: Schema) => lintRules(s).map((f) => `${f.rule} ${f.table}${f.column ? '.' + f.column : ''}`).sort()

test('each rule fires on its anomaly, naming table and column', () => {
  assert.equal(rulesOf(anomalies()), [
    'implied-relation orders.category_id',
    'no-primary-key log',
    'nullable-unique users.email',
    'type-mismatch orders.user_id',
    'unindexed-foreign-key orders.user_id',
  ])
  const msgs = lintRules(anomalies()).map((f) => f.message)
  assert.ok(msgs.includes('orders.user_id is bigint(20) but references users.id, which is int(11)'))
  assert.ok(msgs.includes('orders.category_id looks like a reference to categories but has no foreign key'))
})

test('the fixed schema is clean: an index (or the primary key) led by the foreign key columns, in any order, counts', () => {
  const s = schema([
    table('users', { columns: [col('id'), col('email', 'varchar(100)')], indexes: [{ name: 'uq_email', unique: true, kind: 'BTREE', columns: ['email'] }] }),
    table('log', { columns: [col('id'), col('at', 'datetime')] }),
    table('orders', {
      columns: [col('id'), col('user_id'), col('category_id')],
      indexes: [{ name: 'ix', unique: false, kind: 'BTREE', columns: ['category_id', 'user_id', 'id'] }],
      foreignKeys: [fk('fk_user', ['user_id', 'category_id'], 'users', ['id', 'id']), fk('fk_cat', ['category_id'], 'categories')],
    }),
    table('categories'),
    table('order_lines', { columns: [col('order_id'), col('n')], primaryKey: ['order_id', 'n'], foreignKeys: [fk('fk_order', ['order_id'], 'orders')] }),
  ])
  assert.equal(rulesOf(s), [])
})

test('an index that only contains the foreign key columns later, or a FULLTEXT one, does not count', () => {
  const s = schema([table('users'), table('orders', {
    columns: [col('id'), col('user_id')],
    indexes: [{ name: 'ix', unique: false, kind: 'BTREE', columns: ['id', 'user_id'] }, { name: 'ft', unique: false, kind: 'FULLTEXT', columns: ['user_id'] }],
    foreignKeys: [fk('fk_user', ['user_id'], 'users')],
  })])
  assert.equal(rulesOf(s), ['unindexed-foreign-key orders.user_id'])
})

test('implied relations: <table>_id and <singular>_id, never the own table, never a column under a foreign key', () => {
  assert.equal(tableNamesFor('category'), ['category', 'categorys', 'categoryes', 'categories'])
  const s = schema([table('box'), table('boxes'), table('users', { columns: [col('id'), col('user_id'), col('box_id')] })])
  assert.equal(rulesOf(s), ['implied-relation users.box_id'])
  assert.is(lintRules(s)[0].message, 'users.box_id looks like a reference to box but has no foreign key')
})

test('policy: default errors, all/none, ignore by rule, table or column; errors sorted first', () => {
  const def = lintSchema(anomalies(), lintPolicy('no-primary-key,unindexed-foreign-key', ''))
  assert.equal(def.map((f) => `${f.level} ${f.rule}`), ['error no-primary-key', 'error unindexed-foreign-key',
    'warning implied-relation', 'warning type-mismatch', 'warning nullable-unique'])
  assert.ok(lintSchema(anomalies(), lintPolicy('all', '')).every((f) => f.level === 'error'))
  assert.ok(lintSchema(anomalies(), lintPolicy('none', '')).every((f) => f.level === 'warning'))
  const some = lintSchema(anomalies(), lintPolicy('all', 'no-primary-key:log, type-mismatch:orders.user_id ,implied-relation'))
  assert.equal(some.map((f) => f.rule).sort(), ['nullable-unique', 'unindexed-foreign-key'])
  assert.equal(lintSchema(anomalies(), lintPolicy('all', '*:orders,*:users.email')).map((f) => f.rule), ['no-primary-key'])
  assert.equal(lintSchema(anomalies(), lintPolicy('all', 'no-primary-key:users')).length, 5, 'another table: still reported')
})

test('an unknown rule in the errors or the ignore list is misuse (exit 2) naming the rules', () => {
  for (const [e, i, key] of [['no-primary-key,nosuch', '', 'SCHEMA_LINT_ERRORS'], ['all', 'nosuch:t', 'SCHEMA_LINT_IGNORE']]) {
    try { lintPolicy(e, i); assert.unreachable('accepted') } catch (err) {
      assert.instance(err, UserError)
      assert.is((err as UserError).exitCode, 2)
      assert.match((err as Error).message, `unknown schema_lint rule "nosuch" in ${key}`)
      assert.match((err as Error).message, 'the rules are: no-primary-key, unindexed-foreign-key, nullable-unique, implied-relation, type-mismatch')
    }
  }
})

test('diff: equal schemas, whatever their row counts, sizes and database names, give nothing', () => {
  const a = anomalies()
  const b = { ...anomalies(), database: 'shop_copy', tables: anomalies().tables.map((t) => ({ ...t, rows: 99, bytes: 16384 })) }
  assert.equal(diffSchemas(a, b), [])
  const view = (db: string) => ({ name: 'v', definition: `select \`${db}\`.\`users\`.\`id\` AS \`id\` from \`${db}\`.\`users\``, reads: ['users'] })
  assert.equal(diffSchemas(schema([], { views: [view('shop')] }), schema([], { database: 'other', views: [view('other')] })), [])
  const ev = (db: string) => ({ name: 'e', schedule: 'EVERY 1 DAY', status: 'ENABLED', definition: `DELETE FROM ${db}.log WHERE note = '${db}.log'` })
  assert.equal(diffSchemas(schema([], { events: [ev('shop')] }), schema([], { database: 'other', events: [ev('other')] })).map((c) => c.detail),
    ["definition: DELETE FROM log WHERE note = 'shop.log' -> DELETE FROM log WHERE note = 'other.log'"], 'unquoted qualifiers go; strings stay')
})

test('diff: names every kind of change', () => {
  const a = anomalies()
  const b = anomalies()
  const orders = b.tables.find((t) => t.name === 'orders')!
  orders.columns.push(col('note', 'varchar(20)', true))
  orders.columns[1] = { ...orders.columns[1], type: 'int(11)', default: '0' }
  orders.indexes.push({ name: 'ix_user', unique: false, kind: 'BTREE', columns: ['user_id'] })
  orders.foreignKeys[0] = { ...orders.foreignKeys[0], onDelete: 'CASCADE' }
  orders.checks.push({ name: 'c', clause: '`id` > 0' })
  b.tables = b.tables.filter((t) => t.name !== 'categories')
  b.tables.push(table('tags'))
  b.tables.find((t) => t.name === 'log')!.primaryKey = ['at']
  const users = b.tables.find((t) => t.name === 'users')!
  users.columns.reverse()
  Object.assign(b, {
    views: [{ name: 'v', definition: 'select 1', reads: [] }], routines: [{ name: 'p', type: 'PROCEDURE', definition: 'begin end' }],
    triggers: [{ name: 'tr', table: 'orders', timing: 'BEFORE', event: 'INSERT', statement: 'set new.id = 1' }],
    events: [{ name: 'e', schedule: 'EVERY 1 DAY', status: 'ENABLED', definition: 'delete from log' }], sequences: ['s'],
  })
  const got = diffSchemas(a, b).map((c) => `${c.change} ${c.kind} ${c.name}: ${c.detail}`)
  assert.equal(got, [
    'removed table categories: 1 columns: id',
    'added primary key log: NULL -> (at)',
    'changed column orders.user_id: type: bigint(20) -> int(11); default: NULL -> 0',
    'added column orders.note: varchar(20) NULL',
    'added index orders.ix_user: BTREE (user_id)',
    'changed foreign key orders.fk_user: onDelete: RESTRICT -> CASCADE',
    'added check orders.c: `id` > 0',
    'added table tags: 1 columns: id',
    'changed table users: column order: id, email -> email, id',
    'added view v: reads -',
    'added routine p: PROCEDURE',
    'added trigger tr: BEFORE INSERT ON orders',
    'added event e: EVERY 1 DAY',
    'added sequence s: ',
  ])
  // the other way round: removed
  assert.ok(diffSchemas(b, a).some((c) => c.change === 'removed' && c.kind === 'column' && c.name === 'orders.note'))
})

test("a snapshot's events are created DISABLEd in the scratch database, their own status kept for the model", () => {
  const ev = (name: string, status: string, tail = ' DO delete from t') => ({ kind: 'event' as const, name,
    create: `CREATE EVENT \`${name}\` ON SCHEDULE EVERY 1 DAY STARTS '2026-12-04 22:00:00' ON COMPLETION NOT PRESERVE ${status}${tail}` })
  const r = disabledEvents([ev('a', 'ENABLE'), ev('b', 'DISABLE ON SLAVE', " COMMENT 'ENABLE' DO delete from t"), { ...ev('c', 'DISABLE'), create: ev('c', 'DISABLE').create.replace('NOT PRESERVE', 'PRESERVE') }])
  assert.equal(r.events.map((e) => e.create.replace(/^.* PRESERVE /, '')), ['DISABLE DO delete from t', "DISABLE COMMENT 'ENABLE' DO delete from t", 'DISABLE DO delete from t'])
  assert.equal([...r.statuses], [['a', 'ENABLED'], ['b', 'SLAVESIDE_DISABLED'], ['c', 'DISABLED']])
  assert.throws(() => disabledEvents([{ kind: 'event', name: 'x', create: 'CREATE EVENT x DO 1' }]), /cannot read the status of event x/)
})

test.run()
