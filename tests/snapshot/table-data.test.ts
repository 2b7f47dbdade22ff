import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { test } from '../support/uvu.ts'
import * as assert from 'uvu/assert'
import { ident, query, withDb, type Db } from '../../lib/db.ts'
import { UserError } from '../../lib/errors.ts'
import { HOST, run } from '../../lib/run.ts'
import { dumpTableData, tableColumns, type TableDump } from '../../lib/snapshot/table-data.ts'
import { loadDataStatement, loadTableData } from '../../lib/snapshot/table-load.ts'
import { encodeRow, tableFileBase } from '../../lib/snapshot/tsv.ts'
import { ADVERSARIAL_TABLES, ALL_BYTES, STRING_VALUES, VERSIONED_TABLES, createAdversarial } from '../support/adversarial.ts'
import { makeStack, tempDir, type TestStack } from '../support/stack.ts'

let stack: TestStack
let snap: string
const dumps = new Map<string, TableDump>()

const isVersioned = (t: string) => VERSIONED_TABLES.includes(t)
const q = (database: string, table: string) => `${ident(database)}.${ident(table)}`

/** Creates `table` in `to` exactly as it is in `from` (SHOW CREATE keeps FKs, partitions, versioning). */
async function copyTable(db: Db, from: string, to: string, table: string): Promise<void> {
  const [row] = await query<Record<string, string>>(db, `SHOW CREATE TABLE ${q(from, table)}`)
  await db.query(`USE ${ident(to)}`)
  await db.query('SET SESSION foreign_key_checks = 0')
  await db.query(row['Create Table'])
  await db.query('SET SESSION foreign_key_checks = 1')
}

async function checksum(db: Db, database: string, table: string): Promise<string> {
  const [r] = await query<{ Checksum: string | number | null }>(db, `CHECKSUM TABLE ${q(database, table)}`)
  return String(r.Checksum)
}

/** Every row with every column (generated, invisible, history too) as hex, sorted: a byte-exact picture. */
async function rawRows(db: Db, database: string, table: string): Promise<string[]> {
  const cols = (await tableColumns(db, database, table)).map((c) => (c.dataType === 'float' ? `CAST(${ident(c.name)} AS DOUBLE)` : ident(c.name)))
  const versioned = isVersioned(table)
  if (table === 'versioned') cols.push('row_start', 'row_end')
  await db.query('SET SESSION character_set_results = binary')
  try {
    const [rows] = await db.query({ sql: `SELECT ${cols.join(', ')} FROM ${q(database, table)}${versioned ? ' FOR SYSTEM_TIME ALL' : ''}`, rowsAsArray: true, typeCast: false })
    return (rows as (Buffer | null)[][]).map((r) => r.map((v) => (v === null ? 'NULL' : v.toString('hex'))).join(',')).sort()
  } finally {
    await db.query('SET SESSION character_set_results = utf8mb4')
  }
}

const one = async <T>(db: Db, sql: string): Promise<T> => Object.values((await query(db, sql))[0])[0] as T

test.before(async () => {
  stack = await makeStack()
  snap = tempDir('datakeep-table-data-')
  await stack.db(async (db) => {
    await createAdversarial(db, 'src')
    for (const d of ['dst', 'stock', 'misc']) await db.query(`CREATE DATABASE ${d}`)
  }, null)
})

test.after(async () => {
  await stack?.destroy()
  fs.rmSync(snap, { recursive: true, force: true })
})

test('file names keep [A-Za-z0-9_-], percent-encode the rest, and stay short and distinct', () => {
  assert.is(tableFileBase('actor_2-x'), 'actor_2-x')
  assert.is(tableFileBase('a b.c`d'), 'a%20b%2Ec%60d')
  assert.is(tableFileBase('per%cent/..'), 'per%25cent%2F%2E%2E')
  assert.is(tableFileBase('ü'), '%C3%BC')
  const long = tableFileBase('ü'.repeat(64))
  assert.ok(long.length <= 120, long)
  assert.match(long, /^(%C3%BC)+~[0-9a-f]{16}$/)
  assert.is.not(long, tableFileBase('ü'.repeat(63) + 'ä'))
  assert.is(long, tableFileBase('ü'.repeat(64)))
})

test('rows are escaped exactly as LOAD DATA reads them back', () => {
  const row = encodeRow([null, '', 'NULL', '\\N', '\\', Buffer.from([0x00, 0x09, 0x0a, 0x0d, 0x5c, 0x41, 0xff])])
  assert.is(row.toString('latin1'), '\\N\t\tNULL\t\\\\N\t\\\\\t\\0\\t\\n\\r\\\\A\xff\n')
  assert.is(encodeRow(['x'.repeat(100) + '\t']).toString(), 'x'.repeat(100) + '\\t\n')
  assert.is(encodeRow([Buffer.alloc(200_000, 0x5c)]).length, 400_001) // one value larger than a batch
})

test('every adversarial table survives dump and load into another database byte for byte', async () => {
  await stack.db(async (db) => {
    for (const table of ADVERSARIAL_TABLES) {
      await copyTable(db, 'src', 'dst', table)
      // the callers' time zones differ: TIMESTAMPs must not move
      await db.query("SET SESSION time_zone = '+02:00'")
      const dump = await dumpTableData(db, 'src', table, snap, { history: true, chunkRows: 100 }) // ignored where not versioned
      dumps.set(table, dump)
      await db.query("SET SESSION time_zone = '-07:00'")
      const loaded = await loadTableData(db, 'dst', dump, snap)
      const srcRows = await rawRows(db, 'src', table)
      assert.is(loaded, srcRows.length, `${table}: rows loaded`)
      assert.is(dump.rows, srcRows.length, `${table}: rows dumped`)
      assert.is(await checksum(db, 'dst', table), await checksum(db, 'src', table), `${table}: CHECKSUM TABLE`)
      assert.equal(await rawRows(db, 'dst', table), srcRows, `${table}: values`)
    }
  }, null)
})

test('the values that usually break are exact after the round trip', async () => {
  await stack.db(async (db) => {
    await db.query('SET SESSION character_set_results = binary')
    const [[b]] = (await db.query({ sql: 'SELECT b FROM dst.`bytes all` WHERE id = 1', rowsAsArray: true, typeCast: false }))[0] as Buffer[][]
    assert.ok(b.equals(ALL_BYTES), 'all 256 byte values')
    const [strings] = await db.query({ sql: 'SELECT id, s FROM dst.`strings.nulls` WHERE id < 100 ORDER BY id', rowsAsArray: true, typeCast: false })
    for (const [id, s] of strings as (Buffer | null)[][]) {
      const want = STRING_VALUES.find(([i]) => i === Number(id!.toString()))![1]
      assert.equal(s === null ? null : s.toString('utf8'), want, `strings.nulls id ${id}`)
    }
    await db.query('SET SESSION character_set_results = utf8mb4')
    assert.is(await one(db, "SELECT HEX(l) FROM dst.`latin1 ü` WHERE id = 1"), '436166E920D16E616E64FA20DF20FF5C')
    assert.is(await one(db, "SELECT HEX(sj) FROM dst.`latin1 ü` WHERE id = 1"), '835C955C')
    assert.is(await one(db, "SELECT HEX(k) FROM dst.`latin1 ü` WHERE id = 1"), 'CFF0E8E2E5F2')
    assert.is(await one(db, 'SELECT CONCAT(ST_SRID(g), \'/\', ST_SRID(p), \'/\', ST_AsText(g)) FROM dst.`geo.shapes` WHERE id = 1'), '3857/4326/POINT(1.5 -2.25)')
    assert.is(await one(db, 'SELECT CAST(b64 AS UNSIGNED) FROM dst.bits WHERE id = 2'), '18446744073709551615')
    assert.is(await one(db, 'SELECT CONCAT(d, \' \', dt, \' \', ts) FROM dst.dates WHERE id = 1'), '0000-00-00 0000-00-00 00:00:00 0000-00-00 00:00:00')
    assert.is(await one(db, 'SELECT CONCAT(id, \' \', dec65, \' \', ub) FROM dst.numbers WHERE id = 0'),
      '0 99999999999999999999999999999999999.999999999999999999999999999999 18446744073709551615')
    assert.is(Number(await one(db, 'SELECT COUNT(*) FROM src.floats a JOIN dst.floats b USING (id) WHERE a.d = b.d AND a.f = b.f')), 300)
    assert.is(Number(await one(db, 'SELECT COUNT(*) FROM src.numbers a JOIN dst.numbers b USING (id) WHERE a.f <=> b.f AND a.d <=> b.d')), 6)
    assert.is(await one(db, "SELECT GROUP_CONCAT(e + 0, ':', e2, ':', IFNULL(s, 'null') ORDER BY id) FROM dst.enums WHERE id <= 3"), '1:10:a,c,3:2:,0:1:null')
    assert.is(await one(db, "SELECT GROUP_CONCAT(id, v, s, inv, invs, jv ORDER BY id) FROM dst.`gen cols`"), '12x142hiddenone,3-4x-573')
    assert.is(await one(db, 'SELECT COUNT(*) FROM dst.versioned FOR SYSTEM_TIME ALL'), '4') // 3 inserted, 1 updated, 1 deleted
    assert.is(await one(db, "SELECT GROUP_CONCAT(id, v ORDER BY id) FROM dst.versioned"), '1ONE,2two')
    assert.is(await one(db, "SELECT GROUP_CONCAT(i6, ' ', u, ' ', i4) FROM dst.fbt WHERE id = 2"), 'fe80::5c:a:d ffffffff-ffff-ffff-ffff-ffffffffffff 255.255.255.255')
    assert.is(await one(db, "SELECT GROUP_CONCAT(IFNULL(HEX(s), 'null') ORDER BY IFNULL(HEX(s), '-')) FROM dst.`one col`"), ',,null,5C4E,78')
  }, null)
})

test('generated columns are not in the files, invisible ones are; empty tables have no file', () => {
  const gen = dumps.get('gen cols')!
  assert.equal(gen.columns, ['id', 'a', 'inv', 'invs', 'j'])
  assert.equal(dumps.get('empty')!.files, [])
  assert.is(dumps.get('empty')!.rows, 0)
  assert.equal(dumps.get('versioned explicit')!.columns, ['id', 'v', 'vs', 've'])
  assert.ok(dumps.get('versioned')!.history)
  assert.is(dumps.get('parts')!.history, undefined)
  assert.match(dumps.get('bits')!.loadColumns, '`b64` = CAST(@c3 AS UNSIGNED)')
  for (const d of dumps.values()) for (const f of d.files) assert.match(f.file, /^data\/[A-Za-z0-9_%~-]+\.\d{5}\.tsv\.zst$/)
})

test('loadDataStatement is the session a file needs, then LOAD DATA with the default field options', () => {
  const dump: TableDump = { table: 'a b', rows: 1, files: [], columns: ['id', 'b'], loadColumns: '(`id`, @c1) SET `b` = CAST(@c1 AS UNSIGNED)' }
  assert.is(loadDataStatement("it's", dump, "data/it%27s.00001.tsv"),
    "SET NAMES utf8mb4, SESSION sql_mode = 'NO_AUTO_VALUE_ON_ZERO', time_zone = '+00:00', foreign_key_checks = 0, unique_checks = 0; " +
    "LOAD DATA LOCAL INFILE 'data/it%27s.00001.tsv' INTO TABLE `it's` CHARACTER SET binary (`id`, @c1) SET `b` = CAST(@c1 AS UNSIGNED)")
  assert.match(loadDataStatement('t', { ...dump, history: true }, 'f'), ', system_versioning_insert_history = 1; LOAD DATA')
})

test('without history a system-versioned table gives its current rows', async () => {
  await stack.db(async (db) => {
    await copyTable(db, 'src', 'misc', 'versioned')
    const dump = await dumpTableData(db, 'src', 'versioned', path.join(snap, 'current'))
    assert.is(dump.rows, 2)
    assert.is(dump.history, undefined)
    assert.equal(dump.columns, ['id', 'v'])
    assert.is(await loadTableData(db, 'misc', dump, path.join(snap, 'current')), 2)
    assert.is(await one(db, "SELECT GROUP_CONCAT(id, v ORDER BY id) FROM misc.versioned"), '1ONE,2two')
  }, null)
})

test('a stock client restores every table from the decompressed files with loadDataStatement', async () => {
  const work = tempDir('datakeep-stock-')
  try {
    const lines: string[] = []
    await stack.db(async (db) => {
      for (const table of ADVERSARIAL_TABLES) {
        await copyTable(db, 'src', 'stock', table)
        const dump = dumps.get(table)!
        for (const f of dump.files) {
          const tsv = `${path.basename(f.file, '.zst')}`
          await run(HOST, ['zstd', '-dcq', path.join(snap, f.file)], { stdoutFile: path.join(work, tsv) })
          lines.push(loadDataStatement(table, dump, tsv) + ';')
        }
      }
    }, null)
    // LANG=C: the client talks latin1 until the statement says otherwise
    await run(HOST, ['mariadb', ...stack.rt.clientArgs(), '--local-infile=1', 'stock'],
      { env: { ...stack.rt.clientEnv(), LANG: 'C', LC_ALL: 'C' }, input: ["SET SESSION foreign_key_checks = 0, time_zone = '-07:00';", ...lines, ''].join('\n'), cwd: work })
    await stack.db(async (db) => {
      for (const table of ADVERSARIAL_TABLES) {
        assert.is(await checksum(db, 'stock', table), await checksum(db, 'src', table), `${table}: CHECKSUM TABLE`)
        assert.equal(await rawRows(db, 'stock', table), await rawRows(db, 'src', table), `${table}: values`)
      }
    }, null)
  } finally {
    fs.rmSync(work, { recursive: true, force: true })
  }
})

async function seqTable(db: Db, name: string, rows: number): Promise<void> {
  await db.query(`CREATE TABLE misc.${name} (id INT PRIMARY KEY, v VARCHAR(40))`)
  await db.query(`INSERT INTO misc.${name} SELECT seq, CONCAT('value ', seq) FROM misc.seq_1_to_${rows}`)
}

test('large tables are split at chunkRows into numbered files whose size and sha256 are right', async () => {
  const dir = path.join(snap, 'chunks')
  await stack.db(async (db) => {
    await seqTable(db, 'seq', 2500)
    await seqTable(db, 'seq2000', 2000)
    const progress: [number, number][] = []
    const dump = await dumpTableData(db, 'misc', 'seq', dir, { chunkRows: 1000, onProgress: (r, b) => progress.push([r, b]) })
    assert.equal(dump.files.map((f) => [f.file, f.rows]), [['data/seq.00001.tsv.zst', 1000], ['data/seq.00002.tsv.zst', 1000], ['data/seq.00003.tsv.zst', 500]])
    for (const f of dump.files) {
      const bytes = fs.readFileSync(path.join(dir, f.file))
      assert.is(f.bytes, bytes.length)
      assert.is(f.sha256, crypto.createHash('sha256').update(bytes).digest('hex'))
    }
    assert.equal(fs.readdirSync(path.join(dir, 'data')).filter((n) => n.endsWith('.partial')), [])
    assert.is(progress.at(-1)![0], 2500)
    assert.ok(progress.at(-1)![1] > 2500 * 10)
    const exact = await dumpTableData(db, 'misc', 'seq2000', dir, { chunkRows: 1000 })
    assert.is(exact.files.length, 2) // no empty third file
    await db.query('CREATE TABLE misc.seq_copy LIKE misc.seq')
    const seen: number[] = []
    assert.is(await loadTableData(db, 'misc', { ...dump, table: 'seq_copy' }, dir, { onProgress: (r) => seen.push(r) }), 2500)
    assert.equal(seen, [1000, 2000, 2500])
    assert.is(await checksum(db, 'misc', 'seq_copy'), await checksum(db, 'misc', 'seq'))
  }, null)
})

test('a truncated .zst file makes loadTableData throw naming the table and the file', async () => {
  const dir = path.join(snap, 'chunks')
  await stack.db(async (db) => {
    const dump = await dumpTableData(db, 'misc', 'seq', dir, { chunkRows: 1000 })
    const file = path.join(dir, dump.files[1].file)
    fs.truncateSync(file, Math.floor(fs.statSync(file).size / 2))
    await db.query('CREATE TABLE misc.seq_trunc LIKE misc.seq')
    try {
      await loadTableData(db, 'misc', { ...dump, table: 'seq_trunc' }, dir)
      assert.unreachable('the load should fail')
    } catch (e) {
      assert.instance(e, UserError)
      assert.match((e as Error).message, 'loading table seq_trunc from data/seq.00002.tsv.zst failed')
      assert.is((e as UserError).exitCode, 1)
    }
    fs.rmSync(file)
    try {
      await loadTableData(db, 'misc', { ...dump, table: 'seq_trunc' }, dir)
      assert.unreachable('the load should fail')
    } catch (e) {
      assert.match((e as Error).message, 'loading table seq_trunc from data/seq.00002.tsv.zst failed: the file is missing')
    }
  }, null)
})

test('the dump reads the caller\'s consistent snapshot and leaves its session as it was', async () => {
  await stack.db(async (other) => {
    await seqTable(other, 'moving', 10)
    await withDb(stack.rt.admin, async (db) => {
      await db.query("SET SESSION time_zone = '+02:00'")
      await db.query('START TRANSACTION WITH CONSISTENT SNAPSHOT')
      await one(db, 'SELECT COUNT(*) FROM misc.moving')
      await other.query('INSERT INTO misc.moving SELECT seq, \'late\' FROM misc.seq_11_to_20')
      const dump = await dumpTableData(db, 'misc', 'moving', path.join(snap, 'moving'))
      assert.is(dump.rows, 10)
      const [s] = await query<{ cs: string; tz: string; n: string }>(db, 'SELECT @@character_set_results AS cs, @@time_zone AS tz, (SELECT COUNT(*) FROM misc.moving) AS n')
      assert.equal({ ...s }, { cs: 'utf8mb4', tz: '+02:00', n: '10' })
      await db.query('COMMIT')
    }, { database: null })
  }, null)
})

test('a file that cannot be written fails the dump naming it, and removes the files already written', async () => {
  const dir = path.join(snap, 'unwritable')
  fs.mkdirSync(path.join(dir, 'data/seq.00002.tsv.zst.partial'), { recursive: true })
  await stack.db(async (db) => {
    try {
      await dumpTableData(db, 'misc', 'seq', dir, { chunkRows: 1000 })
      assert.unreachable('the dump should fail')
    } catch (e) {
      assert.instance(e, UserError)
      assert.match((e as Error).message, /^dumping table seq failed: .*data\/seq\.00002\.tsv\.zst\.partial/)
    }
    assert.equal(fs.readdirSync(path.join(dir, 'data')), ['seq.00002.tsv.zst.partial'])
    assert.is(await one(db, 'SELECT @@character_set_results'), 'utf8mb4')
    assert.is(await one(db, 'SELECT COUNT(*) FROM misc.seq'), '2500') // the connection still works
  }, null)
})

test('dumping a table that does not exist, or a view, throws naming it', async () => {
  await stack.db(async (db) => {
    try {
      await dumpTableData(db, 'misc', 'no such table', path.join(snap, 'none'))
      assert.unreachable('the dump should fail')
    } catch (e) {
      assert.instance(e, UserError)
      assert.match((e as Error).message, 'cannot dump table no such table: it does not exist in database misc')
    }
    await db.query('CREATE VIEW misc.v AS SELECT 1 AS one')
    try {
      await dumpTableData(db, 'misc', 'v', path.join(snap, 'none'))
      assert.unreachable('the dump should fail')
    } catch (e) {
      assert.match((e as Error).message, 'cannot dump the rows of v: it is a view')
    }
  }, null)
})

test.run()
