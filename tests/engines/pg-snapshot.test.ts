// PostgreSQL snapshots against a real private cluster: the adversarial schema dumped, changed and
// loaded back (schema as pg_dump sees it, every table's rows and hash, every sequence equal); plain
// SQL both ways with the stock clients; another engine's snapshot refused.
import fs from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'
import { test } from '../support/uvu.ts'
import * as assert from 'uvu/assert'
import { copyDigest } from '../../lib/engines/postgres/copy.ts'
import { PINNED_SETTINGS, pgQuery, type PgClient } from '../../lib/engines/postgres/db.ts'
import { pgTempMentions } from '../../lib/engines/postgres/invariant.ts'
import { clientBinDir, plainDumpArgv, psqlArgv } from '../../lib/engines/postgres/tools.ts'
import { UserError } from '../../lib/errors.ts'
import { HOST, run } from '../../lib/run.ts'
import { requiredExtensions, requiredRoles } from '../../lib/engines/postgres/preflight.ts'
import { readManifest, writeManifest } from '../../lib/snapshot/manifest.ts'
import { snapshotPath } from '../../lib/snapshot/names.ts'
import { PG_ADVERSARIAL, PG_ADVERSARIAL_ROWS } from '../support/pg-adversarial.ts'
import { makePgStack, type PgTestStack } from '../support/pg-stack.ts'

let s: PgTestStack
let bin: string

const psql = (database: string, sql: string) => run(HOST, psqlArgv(bin, s.engine.runtime.clientArgs(), database), { input: sql })

/** pg_dump --schema-only, without its comments, blank lines and per-run \restrict keys. */
async function schemaOf(database: string, opts: { owners?: boolean } = {}): Promise<string> {
  const out = (await run(HOST, [path.join(bin, 'pg_dump'), ...s.engine.runtime.clientArgs(), '--schema-only', '-d', database])).stdout
  return out.split('\n').filter((l) => l.trim() && !l.startsWith('--') && !/^\\(un)?restrict /.test(l)
    && (opts.owners !== false || !/ OWNER TO /.test(l))).join('\n')
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
  // a key into another schema and NOT VALID constraints come back as they were (still not validated)
  const notValid = await s.pg((c) => pgQuery<{ c: string }>(c, 'SELECT conname AS c FROM pg_constraint WHERE NOT convalidated ORDER BY 1'))
  assert.equal(notValid.map((r) => r.c), ['lines_id_small', 'lines_order_fk'])
  assert.equal(await s.pg(pgTempMentions), [], 'nothing in the loaded database names a temporary database')
  const dbs = await s.pg((c) => pgQuery<{ d: string }>(c, "SELECT datname AS d FROM pg_database WHERE datname LIKE '\\_dk\\_%'"), null)
  assert.equal(dbs, [], 'no side or old database is left')
})

test('the load invariant names an object that mentions a temporary database', async () => {
  await psql('app', `CREATE FUNCTION leak() RETURNS text LANGUAGE sql AS $$ SELECT 'from _dk_stage_1_x' $$;
    CREATE TABLE leak_t (v text DEFAULT '_dk_old_2', is_dk_flag int DEFAULT 0)`)
  try {
    assert.equal(await s.pg(pgTempMentions), ['column default public.leak_t.v', 'function public.leak'])
  } finally {
    await psql('app', 'DROP FUNCTION leak(); DROP TABLE leak_t')
  }
})

test('a snapshot restores by hand with the stock clients, as docs/snapshot-format.md says', async () => {
  const dir = snapshotPath(s.cfg, 's1')
  const info = JSON.parse(fs.readFileSync(path.join(dir, 'schema/postgres.json'), 'utf8')) as { tables: { name: string; schema: string; table: string; columns: string[] }[]; sequences: { schema: string; name: string; lastValue: string; isCalled: boolean }[] }
  const m = readManifest(dir)
  await s.pg((c) => c.query('CREATE DATABASE byhand'), null)
  const q = (n: string) => '"' + n.replace(/"/g, '""') + '"'
  await run(HOST, [...psqlArgv(bin, s.engine.runtime.clientArgs(), 'byhand', { single: true }), '-f', path.join(dir, 'schema/pre-data.sql')])
  for (const t of m.tables) {
    const spec = info.tables.find((x) => x.name === t.name)!
    const copy = `COPY ${q(spec.schema)}.${q(spec.table)} (${spec.columns.map(q).join(', ')}) FROM STDIN`
    await run(HOST, ['bash', '-o', 'pipefail', '-c', 'zstd -dc "$1" | "$2" -X -q -v ON_ERROR_STOP=1 -h "$3" -p "$4" -U postgres -d byhand -c "$5"', 'sh',
      path.join(dir, t.files[0].file), path.join(bin, 'psql'), ...s.engine.runtime.clientArgs().filter((_a, i) => i === 1 || i === 3), copy])
  }
  await psql('byhand', info.sequences.map((x) => `SELECT setval('${q(x.schema)}.${q(x.name)}', ${x.lastValue}, ${x.isCalled});`).join('\n'))
  await run(HOST, [...psqlArgv(bin, s.engine.runtime.clientArgs(), 'byhand', { single: true }), '-f', path.join(dir, 'schema/post-data.sql')])
  await psql('byhand', 'REFRESH MATERIALIZED VIEW order_counts;')
  assert.equal(await schemaOf('byhand'), await schemaOf('app'))
  const got = await s.pg(async (c) => {
    for (const x of PINNED_SETTINGS) await c.query(x)
    const out = []
    for (const t of m.tables) { const d = await copyDigest(c, info.tables.find((x) => x.name === t.name)!); out.push([t.name, d.rows, d.sha256]) }
    return out
  }, 'byhand')
  assert.equal(got, m.tables.map((t) => [t.name, t.rows, t.checksum]))
})

test('a damaged data file is refused before anything changes', async () => {
  await s.engine.dump({ name: 's2' })
  const before = await s.engine.tableStates()
  const dir = snapshotPath(s.cfg, 's2')
  const m = readManifest(dir)
  const f = path.join(dir, m.tables.find((t) => t.name === 'kinds')!.files[0].file)
  const buf = fs.readFileSync(f)
  buf[buf.length >> 1] ^= 0xff
  fs.rmSync(f) // a file of its own: s2 shares its unchanged tables' files with s1 (hard links)
  fs.writeFileSync(f, buf)
  try { await s.engine.load('s2'); assert.unreachable('loaded a damaged snapshot') } catch (e) {
    assert.match((e as Error).message, /snapshot "s2" is damaged: data\/\d+-kinds\.copy\.zst: sha256 differs/)
  }
  assert.equal(await s.engine.tableStates(), before)
})

test('a truncated data file and an edited manifest are refused before anything changes', async () => {
  const before = await s.engine.tableStates()
  const dir = snapshotPath(s.cfg, 's2')
  fs.rmSync(snapshotPath(s.cfg, 's3'), { recursive: true, force: true })
  await s.engine.dump({ name: 's3' })
  const m = readManifest(snapshotPath(s.cfg, 's3'))
  const f = path.join(snapshotPath(s.cfg, 's3'), m.tables.find((t) => t.name === 'shop.orders')!.files[0].file)
  fs.writeFileSync(`${f}.own`, fs.readFileSync(f).subarray(0, fs.statSync(f).size - 3)) // not the inode s1 and s2 share
  fs.renameSync(`${f}.own`, f)
  try { await s.engine.load('s3'); assert.unreachable('loaded a truncated snapshot') } catch (e) {
    assert.match((e as Error).message, /snapshot "s3" is damaged: data\/\d+-shop\.orders\.copy\.zst: \d+ bytes, the manifest says \d+ \(truncated or altered\)/)
  }
  const mf = path.join(dir, 'manifest.json')
  fs.writeFileSync(mf, fs.readFileSync(mf, 'utf8').replace(/"rows": (\d+)/, (_x, n) => `"rows": ${Number(n) + 1}`))
  try { await s.engine.load('s2'); assert.unreachable('loaded an edited manifest') } catch (e) {
    assert.match((e as Error).message, 'manifest.json was edited or damaged (its own checksum does not match)')
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
  const schema = await schemaOf('app', { owners: false })
  const dumped = await run(HOST, plainDumpArgv(bin, s.engine.runtime.clientArgs(), 'app'))
  const file = path.join(s.dir, 'backup.sql.gz')
  fs.writeFileSync(file, zlib.gzipSync(dumped.stdout))
  await psql('app', 'TRUNCATE shop.orders CASCADE; DROP TABLE scratch;')
  const r = await s.engine.importSql(file)
  assert.ok(r.tables >= 8)
  // the file ran as a confined role: every object now belongs to the database's owner
  assert.equal(await schemaOf('app', { owners: false }), schema)
  assert.equal(await s.pg((c) => pgQuery(c, "SELECT DISTINCT pg_get_userbyid(relowner) AS o FROM pg_class c JOIN pg_namespace n ON n.oid = relnamespace WHERE nspname IN ('public', 'shop')")), [{ o: 'app' }])
  assert.equal(await s.engine.tableStates(), before)
})

test('data_load --file backup.dump: a pg_dump custom-format archive goes through pg_restore and the same confined import', async () => {
  const before = await s.engine.tableStates()
  const file = path.join(s.dir, 'backup.dump')
  await run(HOST, [path.join(bin, 'pg_dump'), ...s.engine.runtime.clientArgs(), '-Fc', '-f', file, '-d', 'app'])
  await psql('app', 'DELETE FROM kinds WHERE m IS NULL; DROP TABLE shop.orders CASCADE;')
  await s.engine.importSql(file)
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

test('plain SQL in is confined: the file runs as a role that owns only the side database', async () => {
  const before = await s.engine.tableStates()
  const marker = path.join(s.dir, 'pwned')
  const file = path.join(s.dir, 'evil.sql')
  for (const evil of [`COPY (SELECT 1) TO PROGRAM 'touch ${marker}';`, 'ALTER ROLE app SUPERUSER;', 'CREATE ROLE intruder SUPERUSER;']) {
    fs.writeFileSync(file, `CREATE TABLE t_ok (a int);\n${evil}\n`)
    try { await s.engine.importSql(file); assert.unreachable(`imported: ${evil}`) } catch (e) {
      assert.match((e as Error).message, /psql failed .*(permission denied|must be superuser|must have|Only roles)/i, evil)
    }
    assert.equal(await s.engine.tableStates(), before)
  }
  assert.not.ok(fs.existsSync(marker))
  assert.equal(await s.pg((c) => pgQuery(c, "SELECT rolname, rolsuper FROM pg_roles WHERE rolname IN ('app', 'intruder') OR rolname LIKE '\\_dk\\_%'"), null),
    [{ rolname: 'app', rolsuper: false }], 'no role gained rights; the import role is gone')
  // a pg_dump --create file: its CREATE DATABASE and \connect lines are dropped, the rest lands in app
  fs.writeFileSync(file, 'CREATE DATABASE elsewhere;\n\\connect elsewhere\nCREATE TABLE moved (a int);\nINSERT INTO moved VALUES (7);\n')
  await s.engine.importSql(file)
  assert.equal(await s.pg((c) => pgQuery(c, 'SELECT a FROM moved')), [{ a: 7 }])
  assert.equal(await s.pg((c) => pgQuery(c, "SELECT 1 FROM pg_database WHERE datname = 'elsewhere'"), null), [])
})

test('a snapshot naming a role this server lacks is refused with the list, before anything changes', async () => {
  await psql('app', 'CREATE ROLE reporter; CREATE TABLE owned_by_reporter (a int); ALTER TABLE owned_by_reporter OWNER TO reporter;')
  await s.engine.dump({ name: 'roles' })
  await psql('app', 'DROP TABLE owned_by_reporter; DROP ROLE reporter;')
  const before = await s.engine.tableStates()
  try { await s.engine.load('roles'); assert.unreachable('loaded') } catch (e) {
    assert.instance(e, UserError)
    assert.is((e as Error).message, 'snapshot "roles" names roles this server does not have: reporter; nothing was changed')
    assert.match((e as UserError).hint ?? '', 'CREATE ROLE "reporter";')
  }
  assert.equal(await s.engine.tableStates(), before)
})

test('--no-owner loads such a snapshot as the application role: everything belongs to it, rows as dumped', async () => {
  const want = readManifest(snapshotPath(s.cfg, 'roles')).tables.map((t) => [t.name, t.rows, t.checksum])
  await s.engine.load('roles', { noOwner: true })
  assert.equal((await s.engine.tableStates()).map((t) => [t.name, t.rows, t.checksum]), want)
  const owners = await s.pg((c) => pgQuery<{ o: string }>(c, "SELECT DISTINCT pg_get_userbyid(relowner) AS o FROM pg_class c JOIN pg_namespace n ON n.oid = relnamespace WHERE nspname IN ('public', 'shop')"))
  assert.equal(owners, [{ o: 'app' }])
  assert.equal(await s.pg((c) => pgQuery(c, "SELECT pg_get_userbyid(datdba) AS o FROM pg_database WHERE datname = 'app'"), null), [{ o: 'app' }])
})

test('roles and extensions a schema needs, read from pg_dump text', () => {
  const sql = 'CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA public;\nCREATE EXTENSION IF NOT EXISTS "uuid-ossp";\nALTER TABLE public.t OWNER TO app;\n'
    + 'ALTER TABLE public."x" OWNER TO "Mixed ""Case""";\nGRANT SELECT ON TABLE public.t TO reader, PUBLIC;\nREVOKE ALL ON SCHEMA public FROM PUBLIC;\nGRANT ALL ON TABLE public.t TO writer WITH GRANT OPTION;\n'
  assert.equal(requiredRoles(sql), ['Mixed "Case"', 'app', 'reader', 'writer'])
  assert.equal(requiredExtensions(sql), ['pgcrypto', 'uuid-ossp'])
})

test('debris: side databases and import roles of dead runs go; a live database left closed opens again', async () => {
  await s.pg(async (c) => {
    await c.query('CREATE DATABASE "_dk_stage_999999999_x"')
    await c.query('CREATE ROLE "_dk_import_999999999_x"')
    await c.query('ALTER DATABASE app WITH ALLOW_CONNECTIONS false')
  }, null)
  const removed = await s.engine.cleanDebris()
  assert.ok(removed.includes('database _dk_stage_999999999_x') && removed.includes('role _dk_import_999999999_x'), removed.join(', '))
  assert.equal(await s.pg((c) => pgQuery(c, "SELECT datallowconn AS a FROM pg_database WHERE datname = 'app'"), null), [{ a: true }])
  assert.equal(await s.pg((c) => pgQuery(c, "SELECT datname FROM pg_database WHERE datname LIKE '\\_dk\\_%'"), null), [])
})

test.run()
