// PostgreSQL snapshots against a real private cluster: the adversarial schema dumped, changed and
// loaded back (schema as pg_dump sees it, every table's rows and hash, every sequence equal); plain
// SQL both ways with the stock clients; another engine's snapshot refused.
import fs from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { pgQuery, type PgClient } from '../../lib/engines/postgres/db.ts'
import { clientBinDir, plainDumpArgv, psqlArgv } from '../../lib/engines/postgres/tools.ts'
import { UserError } from '../../lib/errors.ts'
import { HOST, run } from '../../lib/run.ts'
import { readManifest, writeManifest } from '../../lib/snapshot/manifest.ts'
import { snapshotPath } from '../../lib/snapshot/names.ts'
import { PG_ADVERSARIAL, PG_ADVERSARIAL_ROWS } from '../support/pg-adversarial.ts'
import { makePgStack, type PgTestStack } from '../support/pg-stack.ts'

let s: PgTestStack
let bin: string

const psql = (database: string, sql: string) => run(HOST, psqlArgv(bin, s.engine.runtime.clientArgs(), database), { input: sql })

/** pg_dump --schema-only, without its comments, blank lines and per-run \restrict keys. */
async function schemaOf(database: string): Promise<string> {
  const out = (await run(HOST, [path.join(bin, 'pg_dump'), ...s.engine.runtime.clientArgs(), '--schema-only', '-d', database])).stdout
  return out.split('\n').filter((l) => l.trim() && !l.startsWith('--') && !/^\\(un)?restrict /.test(l)).join('\n')
}

async function sequencesOf(c: PgClient): Promise<string[]> {
  const seqs = await pgQuery<{ s: string }>(c, "SELECT format('%I.%I', schemaname, sequencename) AS s FROM pg_sequences ORDER BY 1")
  const out: string[] = []
  for (const { s: q } of seqs) {
    const [v] = await pgQuery<{ l: string; c: boolean }>(c, `SELECT last_value::text AS l, is_called AS c FROM ${q}`)
    out.push(`${q}=${v.l}/${v.c}`)
  }
  return out
}

const matview = (c: PgClient) => pgQuery(c, 'SELECT kind_id, n FROM order_counts ORDER BY kind_id NULLS FIRST')

test.before(async () => {
  s = await makePgStack()
  bin = clientBinDir(s.cfg)
  await psql('app', PG_ADVERSARIAL + PG_ADVERSARIAL_ROWS)
})
test.after(async () => { await s?.destroy() })

test('round trip: dump, change everything, load: schema, rows, hashes and sequences as dumped', async () => {
  const schemaBefore = await schemaOf('app')
  const statesBefore = await s.engine.tableStates()
  const seqBefore = await s.pg(sequencesOf)
  const mvBefore = await s.pg(matview)
  assert.ok(statesBefore.length >= 8, `tables seen: ${statesBefore.map((t) => t.name)}`)
  const { manifest: m } = await s.engine.dump({ name: 's1' })
  assert.equal(m.engine.flavor, 'postgres')
  assert.match(m.engine.version, /^\d+\.\d+/)
  assert.equal(m.tables.map((t) => [t.name, t.rows, t.checksum]), statesBefore.map((t) => [t.name, t.rows, t.checksum]))
  assert.ok(m.tables.find((t) => t.name === 'kinds')!.columns.every((c) => c !== 'total'), 'generated columns are not dumped')

  await psql('app', `DELETE FROM shop.orders WHERE id = 3; INSERT INTO shop.orders VALUES (9, 1, '2024-01-01', 'new');
    UPDATE kinds SET txt = 'changed'; SELECT nextval('standalone_seq'); INSERT INTO kinds (m) VALUES ('ok');
    CREATE TABLE extra (a int); DROP VIEW kind_names; DROP TRIGGER orders_audit ON shop.orders; REFRESH MATERIALIZED VIEW order_counts;`)
  assert.not.equal(await s.engine.tableStates(), statesBefore)

  const r = await s.engine.load('s1')
  assert.equal(r.tables, m.tables.length)
  assert.equal(await schemaOf('app'), schemaBefore)
  assert.equal(await s.engine.tableStates(), statesBefore)
  assert.equal(await s.pg(sequencesOf), seqBefore)
  assert.equal(await s.pg(matview), mvBefore)
  // the next identity value does not collide, the trigger is back
  await psql('app', "INSERT INTO kinds (m) VALUES ('ok'); INSERT INTO shop.orders VALUES (10, NULL, '2024-02-02', 't')")
  assert.equal((await s.pg((c) => pgQuery<{ n: string }>(c, "SELECT count(*)::text AS n FROM audit WHERE what = 'INSERT 10'")))[0].n, '1')
  const dbs = await s.pg((c) => pgQuery<{ d: string }>(c, "SELECT datname AS d FROM pg_database WHERE datname LIKE '\\_dk\\_%'"), null)
  assert.equal(dbs, [], 'no side or old database is left')
})

test('a damaged data file is refused before anything changes', async () => {
  await s.engine.dump({ name: 's2' })
  const before = await s.engine.tableStates()
  const dir = snapshotPath(s.cfg, 's2')
  const m = readManifest(dir)
  const f = path.join(dir, m.tables.find((t) => t.name === 'kinds')!.files[0].file)
  const buf = fs.readFileSync(f)
  buf[buf.length >> 1] ^= 0xff
  fs.writeFileSync(f, buf)
  try { await s.engine.load('s2'); assert.unreachable('loaded a damaged snapshot') } catch (e) {
    assert.match((e as Error).message, /snapshot "s2" is damaged: data\/\d+-kinds\.copy\.zst: sha256 differs/)
  }
  assert.equal(await s.engine.tableStates(), before)
})

test("another engine's snapshot is refused, with --file as the way", async () => {
  const dir = snapshotPath(s.cfg, 's1')
  const m = readManifest(dir)
  fs.cpSync(dir, snapshotPath(s.cfg, 'maria'), { recursive: true })
  writeManifest(snapshotPath(s.cfg, 'maria'), { ...m, name: 'maria', engine: { flavor: 'mariadb', version: '11.4.2-MariaDB' } })
  try { await s.engine.load('maria'); assert.unreachable('loaded a MariaDB snapshot') } catch (e) {
    assert.instance(e, UserError)
    assert.match((e as Error).message, 'snapshot "maria" is from mariadb 11.4.2-MariaDB; this server is PostgreSQL')
    assert.match((e as UserError).hint ?? '', 'make data_load ARGS="--file dump.sql"')
  }
})

test('plain SQL out: data_dump --format sql --gzip restores with gunzip | psql', async () => {
  const { file, restoreCommand } = await s.engine.dumpSql({ name: 'plain', gzip: true, force: false })
  assert.match(restoreCommand, 'gunzip -c')
  await s.pg((c) => c.query('CREATE DATABASE copy1'), null)
  await run(HOST, psqlArgv(bin, s.engine.runtime.clientArgs(), 'copy1'), { input: zlib.gunzipSync(fs.readFileSync(file)) })
  assert.equal(await schemaOf('copy1'), await schemaOf('app'))
})

test('plain SQL in: data_load --file backup.sql.gz (stock pg_dump) through the side database and the swap', async () => {
  const before = await s.engine.tableStates()
  const schema = await schemaOf('app')
  const dumped = await run(HOST, plainDumpArgv(bin, s.engine.runtime.clientArgs(), 'app'))
  const file = path.join(s.dir, 'backup.sql.gz')
  fs.writeFileSync(file, zlib.gzipSync(dumped.stdout))
  await psql('app', 'TRUNCATE shop.orders CASCADE; DROP TABLE scratch;')
  const r = await s.engine.importSql(file)
  assert.ok(r.tables >= 8)
  assert.equal(await schemaOf('app'), schema)
  assert.equal(await s.engine.tableStates(), before)
})

test('plain SQL in: a file that fails halfway changes nothing (ON_ERROR_STOP)', async () => {
  const before = await s.engine.tableStates()
  const file = path.join(s.dir, 'bad.sql')
  fs.writeFileSync(file, 'CREATE TABLE t1 (a int);\nINSERT INTO nowhere VALUES (1);\n')
  try { await s.engine.importSql(file); assert.unreachable('a failing file was imported') } catch (e) {
    assert.match((e as Error).message, /psql failed .*relation "nowhere" does not exist/)
  }
  assert.equal(await s.engine.tableStates(), before)
})

test.run()
