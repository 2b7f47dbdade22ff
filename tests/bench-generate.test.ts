// The benchmark's data generator (bench/generate.ts): deterministic, and holding every kind of
// data it promises. The benchmark itself never runs in the suite, and nothing here asserts a time.
import crypto from 'node:crypto'
import { suite } from './support/uvu.ts'
import * as assert from 'uvu/assert'
import { checksumTables, generateDatabase, MIN_ROWS, tableCounts, tsvBatches } from '../bench/generate.ts'
import { Rng } from '../bench/prng.ts'
import { decimal, datetime, TABLES, tsvEscape } from '../bench/schema.ts'
import { query } from '../lib/db.ts'
import { makeStack, type TestStack } from './support/stack.ts'

const ROWS = 5000

function tsvHash(seed: string, rows = ROWS): string {
  const counts = tableCounts(rows)
  const h = crypto.createHash('sha256')
  for (const t of TABLES) for (const b of tsvBatches(t, seed, counts)) h.update(b)
  return h.digest('hex')
}

const pure = suite('generator, in memory')

pure('the PRNG gives the same stream on every machine', () => {
  const r = new Rng('fixed')
  const first = [r.u32(), r.u32(), r.u32()]
  const again = new Rng('fixed')
  assert.equal([again.u32(), again.u32(), again.u32()], first)
  assert.not.equal(new Rng('other').u32(), first[0])
  for (let i = 0; i < 1000; i++) {
    const v = r.int(3, 7)
    assert.ok(v >= 3 && v <= 7 && Number.isInteger(v), `int(3, 7) gave ${v}`)
  }
  assert.is(r.hex(5).length, 10)
})

pure('row counts add up to the total, every table has rows, tiny totals are refused', () => {
  for (const total of [MIN_ROWS, 12_345, 100_000, 3_000_000]) {
    const counts = tableCounts(total)
    assert.is(Object.values(counts).reduce((a, b) => a + b, 0), total)
    for (const t of TABLES) assert.ok(counts[t.name] >= 1, `${t.name} at ${total}`)
    assert.ok(counts.product_tags <= counts.products * counts.tags)
  }
  assert.throws(() => tableCounts(999), /at least 1000 rows/)
})

pure('the same seed gives the same bytes; another seed other bytes', () => {
  assert.is(tsvHash('s1'), tsvHash('s1'))
  assert.is.not(tsvHash('s1'), tsvHash('s2'))
})

pure('values are formatted as MariaDB reads them', () => {
  assert.is(datetime(0), '2015-01-01 00:00:00')
  assert.is(datetime(86400 + 3661), '2015-01-02 01:01:01')
  assert.is(decimal(-5), '-0.05')
  assert.is(decimal(123456), '1234.56')
  assert.is(tsvEscape('a\tb\nc\\d'), 'a\\tb\\nc\\\\d')
})

pure('the TSV holds multi-byte text, emoji, escapes, NULLs and hex blobs', () => {
  const counts = tableCounts(ROWS)
  const text = TABLES.map((t) => [...tsvBatches(t, 'kinds', counts)].join('')).join('')
  for (const needle of ['é', '日本', '😀', '👨‍👩‍👧', '\\t', '\\n', '\\\\', '\\N', '"color"']) {
    assert.ok(text.includes(needle), `no ${JSON.stringify(needle)} in the generated data`)
  }
  // every row has one field per column: no raw tab or newline leaked from a value
  for (const t of TABLES) {
    const [batch] = tsvBatches(t, 'kinds', counts, 50)
    for (const line of batch.split('\n').filter(Boolean)) assert.is(line.split('\t').length, t.columns.length, t.name)
  }
})

pure.run()

const live = suite('generator, on a real server')
let stack: TestStack

live.before(async () => { stack = await makeStack() })
live.after(async () => { await stack?.destroy() })

live('the same seed gives the same CHECKSUM TABLE on every table; another seed differs', async () => {
  await generateDatabase(stack.rt.admin, 'gen_a', { rows: ROWS, seed: 'same' })
  await generateDatabase(stack.rt.admin, 'gen_b', { rows: ROWS, seed: 'same', threads: 1 })
  await generateDatabase(stack.rt.admin, 'gen_c', { rows: ROWS, seed: 'different' })
  await stack.db(async (db) => {
    const a = await checksumTables(db, 'gen_a')
    const b = await checksumTables(db, 'gen_b')
    const c = await checksumTables(db, 'gen_c')
    assert.is(Object.keys(a).length, TABLES.length)
    assert.equal(b, a)
    assert.is(Object.values(a).reduce((n, t) => n + t.rows, 0), ROWS)
    assert.ok(Object.keys(a).some((t) => a[t].checksum !== c[t].checksum), 'another seed gave the same data')
  }, null)
})

live('the database has the promised types, keys and data', async () => {
  await stack.db(async (db) => {
    const types = new Set((await query<{ t: string }>(db,
      "SELECT DISTINCT DATA_TYPE AS t FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'gen_a'")).map((r) => r.t))
    for (const t of ['int', 'bigint', 'smallint', 'tinyint', 'decimal', 'float', 'double', 'date', 'datetime', 'timestamp',
      'char', 'varchar', 'text', 'mediumtext', 'longtext', 'blob', 'mediumblob', 'varbinary', 'enum']) {
      assert.ok(types.has(t), `no ${t} column`)
    }
    const keys = await query<{ t: string; pk: number; idx: number }>(db,
      `SELECT t.TABLE_NAME AS t, SUM(s.INDEX_NAME = 'PRIMARY') AS pk, COUNT(DISTINCT s.INDEX_NAME) AS idx
         FROM information_schema.TABLES t LEFT JOIN information_schema.STATISTICS s USING (TABLE_SCHEMA, TABLE_NAME)
        WHERE t.TABLE_SCHEMA = 'gen_a' GROUP BY t.TABLE_NAME`)
    assert.ok(keys.some((k) => Number(k.pk) === 0 && Number(k.idx) > 0), 'no table without a primary key but with an index')
    assert.ok(keys.some((k) => Number(k.idx) === 0), 'no table without any index')
    assert.ok(keys.some((k) => Number(k.pk) > 0 && Number(k.idx) > 1), 'no table with secondary indexes')
    const [fk] = await query<{ n: number }>(db, "SELECT COUNT(*) AS n FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = 'gen_a'")
    assert.ok(Number(fk.n) >= 5, `${fk.n} foreign keys`)
    const [orphans] = await query<{ n: number }>(db,
      'SELECT COUNT(*) AS n FROM gen_a.order_items i LEFT JOIN gen_a.orders o ON o.id = i.order_id WHERE o.id IS NULL')
    assert.is(Number(orphans.n), 0, 'foreign keys point at existing rows')
    const [d] = await query<Record<string, number>>(db, `SELECT
      (SELECT COUNT(*) FROM gen_a.customers WHERE born IS NULL) AS nulls,
      (SELECT COUNT(*) FROM gen_a.events WHERE message LIKE '%日本%') AS cjk,
      (SELECT COUNT(*) FROM gen_a.events WHERE HEX(message) LIKE '%F09F9880%') AS emoji,
      (SELECT COUNT(*) FROM gen_a.events WHERE JSON_VALID(payload)) AS json,
      (SELECT COUNT(*) FROM gen_a.sessions WHERE LENGTH(data) >= 100) AS blobs`)
    for (const [k, v] of Object.entries(d)) assert.ok(Number(v) > 0, `no ${k}`)
  }, null)
})

live.run()
