// make schema_migration on PostgreSQL, proven by rebuilding: from a database holding the adversarial
// schema (tests/support/pg-adversarial.ts), the Knex migration (ESM and CommonJS) is applied by the real
// knex package (client 'pg') to an empty database and pg_dump --schema-only of both compared; down leaves
// it empty. The --format sql baseline: make migrate builds the same schema in an empty database and
// records it as applied on the source. What is normalised before comparing, and only that: psql's
// \restrict / \unrestrict lines (a random key each run), owners and grants (pg_dump --no-owner
// --no-privileges on both sides: the migration leaves them out by design), and the bookkeeping tables
// (knex_migrations, knex_migrations_lock, schema_migrations and the sequences Knex's own: each tool's
// own, never in a migration).
import fs from 'node:fs'
import path from 'node:path'
import knexFactory from 'knex'
import * as assert from 'uvu/assert'
import type { PgClient } from '../../lib/engines/postgres/db.ts'
import { parseMigration } from '../../lib/migrate/parse.ts'
import { planFromDump } from '../../lib/engines/postgres/schema-migration.ts'
import { hexDo } from '../../lib/engines/postgres/schema-migration-files.ts'
import { splitPgStatements } from '../../lib/engines/postgres/sql-split.ts'
import { runClient, toolsDir } from '../../lib/engines/postgres/tools.ts'
import { PG_ADVERSARIAL, PG_ADVERSARIAL_ROWS } from '../support/pg-adversarial.ts'
import { makePgStack, type PgTestStack } from '../support/pg-stack.ts'
import { lastLine, runScript } from '../support/stack.ts'
import { suite } from '../support/uvu.ts'

const BOOKKEEPING = ['knex_migrations', 'knex_migrations_lock', 'schema_migrations', 'knex_migrations_id_seq', 'knex_migrations_lock_index_seq']

const s = suite('PostgreSQL schema migration', { stack: null as unknown as PgTestStack })

s.before(async (ctx) => {
  ctx.stack = await makePgStack()
  // extra objects: a `?` (Knex's placeholder) and a `;` at a line's end inside a body and a comment
  await ctx.stack.pg(async (c) => {
    await c.query(PG_ADVERSARIAL + PG_ADVERSARIAL_ROWS)
    await c.query(`CREATE FUNCTION has_key(j jsonb, k text) RETURNS boolean LANGUAGE sql AS $body$
SELECT j ? k;
$body$;
COMMENT ON FUNCTION has_key(jsonb, text) IS E'does it?\\nline;\n-- migrate:split';
CREATE VIEW keyed AS SELECT id FROM kinds WHERE doc ? 'a'`)
  })
})
s.after(async (ctx) => { await ctx.stack?.destroy() })

/** pg_dump --schema-only of `database`, normalised as the header says. */
async function schemaOf(stack: PgTestStack, database: string): Promise<string> {
  const rt = stack.engine.runtime
  const r = await runClient(rt, [path.join(toolsDir(stack.cfg, rt), 'pg_dump'), ...rt.clientArgs(), '--schema-only', '--no-owner', '--no-privileges',
    ...BOOKKEEPING.map((t) => `--exclude-table=public.${t}`), '-d', database])
  return r.stdout.split('\n').filter((l) => !/^\\(un)?restrict /.test(l)).join('\n')
}

/** What a database holds beside the bookkeeping tables: every schema, relation, type and routine of its own. */
async function objectsOf(stack: PgTestStack, database: string): Promise<string[]> {
  return stack.pg(async (c: PgClient) => (await c.query(`
    SELECT 'schema ' || nspname AS o FROM pg_namespace WHERE nspname NOT IN ('public', 'information_schema') AND nspname NOT LIKE 'pg\\_%'
    UNION ALL SELECT 'relation ' || relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND relname NOT LIKE 'knex\\_migrations%' AND relname NOT LIKE 'schema\\_migrations%'
    UNION ALL SELECT 'type ' || typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
      AND t.typrelid = 0 AND t.typelem = 0
    UNION ALL SELECT 'routine ' || proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
    UNION ALL SELECT 'extension ' || extname FROM pg_extension WHERE extname <> 'plpgsql'
    ORDER BY 1`)).rows.map((r) => r.o as string), database)
}

const createDb = (stack: PgTestStack, name: string) => stack.pg((c) => c.query(`CREATE DATABASE ${name}`), null)

s('pg_dump\'s text split as PostgreSQL reads it; SETs become transaction-local; down is --clean\'s drops', () => {
  assert.equal(splitPgStatements("\\restrict k\nSET a = 0;\nCREATE FUNCTION f() AS $x$ a; $y$ b;\n$x$;\n-- c;\nSELECT 'it''s;', E'\\';', \"q;\"; /* a /* b; */ c; */ SELECT 1;\n\\unrestrict k\n"),
    ['SET a = 0', 'CREATE FUNCTION f() AS $x$ a; $y$ b;\n$x$', "SELECT 'it''s;', E'\\';', \"q;\"", 'SELECT 1'])
  const p = planFromDump('db', 'PostgreSQL 15', "SET client_encoding = 'UTF8';\nSELECT pg_catalog.set_config('search_path', '', false);\n--\n-- Name: t; Type: TABLE; Schema: s; Owner: -\n--\nCREATE TABLE s.t (a int);\n",
    'ALTER TABLE ONLY s.t ADD CONSTRAINT f FOREIGN KEY (a) REFERENCES s.t(a);\n', "SET client_encoding = 'UTF8';\nDROP TABLE IF EXISTS s.t;\nCREATE TABLE s.t (a int);\nALTER TABLE ONLY s.t ADD CONSTRAINT f FOREIGN KEY (a) REFERENCES s.t(a);\n")
  assert.equal(p.up, [{ setting: 'search_path', value: '' }, { sql: 'CREATE TABLE s.t (a int)' }, { sql: 'ALTER TABLE ONLY s.t ADD CONSTRAINT f FOREIGN KEY (a) REFERENCES s.t(a)' }])
  assert.equal(p.down, [{ sql: 'DROP TABLE IF EXISTS s.t' }])
  assert.equal(p.tables, ['s.t'])
  assert.equal(p.counts, { statements: 2, foreignKeys: 1 })
  assert.not.match(hexDo("a ? 'b'"), '?')
})

for (const mod of ['esm', 'cjs'] as const) {
  s(`knex (${mod}): knex.migrate.latest rebuilds pg_dump --schema-only exactly in an empty database; rollback leaves it empty`, async ({ stack }) => {
    const out = `knex-${mod}`
    const r = await runScript(stack, 'schema-migration', ['--format', 'knex', '--module', mod, '--out', out])
    assert.is(r.code, 0, r.stderr)
    assert.match(r.stdout.trim(), new RegExp(`^${out}/\\d{14}_schema\\.${mod === 'esm' ? 'js' : 'cjs'}$`))
    assert.match(lastLine(r.stderr), /: 10 tables, 2 foreign keys, \d+ statements of pg_dump's text \(all through knex\.raw\), \d+ drops in down$/)
    const text = fs.readFileSync(path.join(stack.dir, r.stdout.trim()), 'utf8')
    assert.match(text, mod === 'esm' ? 'export async function up(knex) {' : 'exports.up = async function up(knex) {')
    assert.match(text, 'DO $dk$BEGIN EXECUTE') // the `?` statements
    assert.not.match(text, 'OWNER TO')
    const target = `dk_pgk_${mod}`
    await createDb(stack, target)
    const a = stack.engine.runtime.admin
    const knex = knexFactory({ client: 'pg', connection: { host: a.host, port: a.port, user: a.user, password: a.password, database: target }, pool: { min: 0, max: 2 } })
    // without Knex's migration transaction (cjs), the file opens one itself so its settings stay local to it
    const opts = { directory: path.join(stack.dir, out), loadExtensions: [mod === 'esm' ? '.js' : '.cjs'], disableTransactions: mod === 'cjs' }
    try {
      const [, done] = await knex.migrate.latest(opts)
      assert.is(done.length, 1)
      // Knex's own bookkeeping ran after up, under the connection's search_path again
      assert.is((await knex('knex_migrations').count('* as n'))[0].n, '1')
      const want = await schemaOf(stack, 'app')
      assert.ok(want.includes('CREATE TABLE shop.events_2024') && want.includes('CREATE POLICY scratch_all'), 'the source has its objects')
      assert.fixture(await schemaOf(stack, target), want)
      assert.ok((await objectsOf(stack, target)).length > 30)
      await knex.migrate.rollback(opts)
      assert.equal(await objectsOf(stack, target), [], 'down drops everything up created')
    } finally {
      await knex.destroy()
    }
  })
}

s('--format sql: make migrate builds the same schema in an empty database, records the baseline as applied on the source; rollback empties it', async ({ stack }) => {
  const env = { MIGRATIONS_DIR: 'pg-baseline' }
  const r = await runScript(stack, 'schema-migration', ['--format', 'sql'], env)
  assert.is(r.code, 0, r.stderr)
  assert.match(r.stdout.trim(), /^pg-baseline\/\d{14}_baseline\.postgres\.sql$/)
  const base = path.basename(r.stdout.trim())
  await createDb(stack, 'dk_pgk_base')
  await stack.pg((c) => c.query('ALTER DATABASE dk_pgk_base OWNER TO app'), null)
  const fresh = await runScript(stack, 'migrate', [], { ...env, POSTGRES_DB: 'dk_pgk_base' })
  assert.is(fresh.code, 0, fresh.stderr)
  assert.is(fresh.stdout.trim(), base)
  assert.fixture(await schemaOf(stack, 'dk_pgk_base'), await schemaOf(stack, 'app'))
  // the source has every table: recorded, not run
  const before = await schemaOf(stack, 'app')
  const adopt = await runScript(stack, 'migrate', [], env)
  assert.is(adopt.code, 0, adopt.stderr)
  assert.match(adopt.stderr, `recording ${base} as applied: database app already has its 10 tables`)
  const rows = await stack.pg(async (c) => (await c.query('SELECT version FROM schema_migrations')).rows.map((x) => x.version))
  assert.equal(rows, [base.split('_')[0]])
  assert.fixture(await schemaOf(stack, 'app'), before)
  // its down section (make rollback does not run on PostgreSQL yet): in one transaction, as the runner runs a section
  const down = parseMigration(fs.readFileSync(path.join(stack.dir, r.stdout.trim()), 'utf8'), base).down!
  assert.ok(down.statements.length > 30)
  await stack.pg(async (c) => {
    await c.query('BEGIN')
    for (const st of down.statements) await c.query(st.sql)
    await c.query('COMMIT')
  }, 'dk_pgk_base')
  assert.equal(await objectsOf(stack, 'dk_pgk_base'), [])
  // --tables is refused on PostgreSQL, before anything is written
  const narrow = await runScript(stack, 'schema-migration', ['--tables', 'kinds', '--out', 'narrow'])
  assert.is(narrow.code, 2)
  assert.match(narrow.stderr, '--tables is not available on PostgreSQL yet')
  assert.not.ok(fs.existsSync(path.join(stack.dir, 'narrow')))
})

s.run()
