// Key-range chunks and server-written files: every row exactly once, loaded back equal.
import fs from 'node:fs'
import path from 'node:path'
import { test } from '../support/uvu.ts'
import * as assert from 'uvu/assert'
import { connect, query, type Db } from '../../lib/db.ts'
import { startProgress } from '../../lib/progress.ts'
import { openReaders } from '../../lib/snapshot/consistent.ts'
import { dumpTables, type TableInfo } from '../../lib/snapshot/dump-tables.ts'
import { tableDump } from '../../lib/snapshot/manifest.ts'
import { keyRanges, splitKeyRange } from '../../lib/snapshot/ranges.ts'
import { bytewiseCharset, tableQuery } from '../../lib/snapshot/table-data.ts'
import { loadTableData } from '../../lib/snapshot/table-load.ts'
import { makeStack, tempDir, type TestStack } from '../support/stack.ts'

let stack: TestStack

test.before(async () => {
  stack = await makeStack()
  await stack.db(async (db) => {
    await db.query('CREATE DATABASE c')
    await db.query('CREATE TABLE c.big (id BIGINT PRIMARY KEY, v VARCHAR(20), b BLOB)')
    await db.query(`INSERT INTO c.big SELECT seq, CONCAT('r', seq, '\\t\\n\\\\'), UNHEX(LPAD(HEX(seq), 8, '0')) FROM c.seq_1_to_2500`)
    await db.query("INSERT INTO c.big VALUES (-5, 'neg', NULL), (2600, 'end', X'005C090A'), (2601, NULL, '')")
    // a skewed key: most ids small, a few huge; equal-width ranges are then uneven, still exact
    await db.query('CREATE TABLE c.skew LIKE c.big')
    await db.query("INSERT INTO c.skew SELECT * FROM c.big WHERE id < 2000")
    await db.query("INSERT INTO c.skew VALUES (-9000000000000, 'low', NULL), (9000000000000, 'huge', X'005C090A')")
    await db.query('CREATE TABLE c.nokey (v INT)')
    await db.query('INSERT INTO c.nokey SELECT seq FROM c.seq_1_to_3000')
    await db.query('CREATE TABLE c.sjis (id INT PRIMARY KEY, s VARCHAR(10) CHARACTER SET sjis)')
    await db.query("INSERT INTO c.sjis VALUES (1, CONVERT(X'835C955C' USING sjis))")
  }, null)
})
test.after(async () => { await stack?.destroy() })

test('key ranges: open at both ends, equal widths, none when one part', () => {
  assert.equal(splitKeyRange('id', '1', '10', 2), ['`id` < 6', '`id` >= 6'])
  assert.equal(splitKeyRange('id', '1', '10', 3), ['`id` < 5', '`id` >= 5 AND `id` < 9', '`id` >= 9'])
  assert.equal(splitKeyRange('id', '-20', '-11', 2), ['`id` < -15', '`id` >= -15'])
  assert.equal(splitKeyRange('id', '0', '18446744073709551615', 2), ['`id` < 9223372036854775808', '`id` >= 9223372036854775808'])
  assert.equal(splitKeyRange('id', '7', '7', 4), [])
  assert.equal(splitKeyRange('id', '1', '10', 1), [])
})

test('key ranges of a real table cover every row exactly once', async () => {
  await stack.db(async (db) => {
    const ranges = await keyRanges(db, 'c', 'big', 2503, 500)
    assert.ok(ranges.length >= 5, `${ranges.length} ranges`)
    let total = 0
    for (const w of ranges) total += Number((await query<{ n: string }>(db, `SELECT COUNT(*) AS n FROM c.big WHERE ${w}`))[0].n)
    assert.is(total, 2503)
    assert.equal(await keyRanges(db, 'c', 'nokey', 3000, 500), [null], 'no key: one part')
    assert.equal(await keyRanges(db, 'c', 'big', 2503, 5000), [null], 'small: one part')
  }, null)
})

test('only single-byte and UTF-8 text lets the server write the file', async () => {
  assert.ok(bytewiseCharset(null))
  assert.ok(bytewiseCharset({ name: 'utf8mb4', maxLen: 4 }))
  assert.ok(bytewiseCharset({ name: 'latin1', maxLen: 1 }))
  assert.not.ok(bytewiseCharset({ name: 'sjis', maxLen: 2 }))
  assert.not.ok(bytewiseCharset({ name: 'ucs2', maxLen: 2 }))
  await stack.db(async (db) => {
    assert.ok((await tableQuery(db, 'c', 'big')).serverTextSafe)
    assert.not.ok((await tableQuery(db, 'c', 'sjis')).serverTextSafe)
  }, null)
})

async function dumpAll(serverFiles: boolean, chunkRows: number, conn = stack.rt.admin): Promise<{ dir: string; tables: Awaited<ReturnType<typeof dumpTables>> }> {
  const dir = tempDir()
  const infos: TableInfo[] = [{ name: 'big', versioned: false, estimate: 2503 }, { name: 'nokey', versioned: false, estimate: 3000 },
    { name: 'sjis', versioned: false, estimate: 1 }, { name: 'skew', versioned: false, estimate: 2002 }]
  const { readers } = await openReaders(conn, 2, async () => null)
  const progress = startProgress('dump', 7506)
  try {
    return { dir, tables: await dumpTables(readers.workers, 'c', infos, dir, { serverFiles, chunkRows, progress }) }
  } finally {
    progress.stop()
    await readers.close()
  }
}

async function checksum(db: Db, table: string): Promise<string> {
  return String((await query<{ Checksum: string }>(db, `CHECKSUM TABLE ${table}`))[0].Checksum)
}

for (const serverFiles of [true, false]) {
  test(`chunked dump (${serverFiles ? 'server-written' : 'streamed'} files) loads back equal`, async () => {
    const { dir, tables } = await dumpAll(serverFiles, 500)
    const big = tables.find((t) => t.name === 'big')!
    assert.ok(big.files.length >= 5, `big is in ${big.files.length} files`)
    assert.is(big.rows, 2503)
    assert.is(tables.find((t) => t.name === 'skew')!.rows, 2002)
    assert.equal(big.files.map((f) => f.file), [...big.files.map((f) => f.file)].sort(), 'files in key order')
    assert.is(tables.find((t) => t.name === 'nokey')!.files.length, serverFiles ? 1 : 6, 'no key: by row count when streamed, one file when written by the server')
    // no TSV left beside the compressed files
    assert.equal(fs.readdirSync(path.join(dir, 'data')).filter((f) => !f.endsWith('.tsv.zst')), [])
    const db = await connect(stack.rt.admin, { database: null })
    try {
      await db.query('DROP DATABASE IF EXISTS r')
      await db.query('CREATE DATABASE r')
      for (const t of tables) {
        await db.query(`CREATE TABLE r.${t.name} LIKE c.${t.name}`)
        assert.is(await loadTableData(db, 'r', tableDump(t), dir), t.rows)
        assert.is(await checksum(db, `r.${t.name}`), await checksum(db, `c.${t.name}`), t.name)
        assert.is(t.checksum, await checksum(db, `c.${t.name}`), `${t.name}: the manifest checksum`)
      }
    } finally {
      await db.end()
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
}

test('a server that may not write the files here: the dump streams them instead', async () => {
  await stack.db(async (db) => {
    await db.query("CREATE USER nofile@localhost IDENTIFIED BY 'pw-nofile'")
    await db.query('GRANT SELECT, RELOAD ON *.* TO nofile@localhost') // no FILE privilege
  }, null)
  const { dir, tables } = await dumpAll(true, 500, { ...stack.rt.admin, user: 'nofile', password: 'pw-nofile' })
  try {
    // streamed: the key-less table is cut by row count, not written whole by the server
    assert.is(tables.find((t) => t.name === 'nokey')!.files.length, 6)
    assert.is(tables.find((t) => t.name === 'big')!.rows, 2503)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

test.run()
