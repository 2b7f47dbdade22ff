// make schema_migration proven by rebuilding, on a real MariaDB with the real knex package: the
// migration generated from sakila, sakila_geo, the snapshot suite's every-object schema
// (tests/snapshot/schema-fixture.sql) and the round-trip suite's adversarial tables is applied to
// an empty database by knex.migrate.latest (ESM and CommonJS) and by `npx knex migrate:latest`,
// and every SHOW CREATE compared with the source; down leaves the database empty. The --format sql
// baseline: applied by make migrate to an empty database, recorded as applied on the source.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import knexFactory from 'knex'
import { suite } from './support/uvu.ts'
import * as assert from 'uvu/assert'
import { ident, query, type Db } from '../lib/db.ts'
import { HOST, run } from '../lib/run.ts'
import { readPlan } from '../lib/schema-migration/index.ts'
import { knexMigration, type ModuleFormat } from '../lib/schema-migration/knex.ts'
import { createAdversarial } from './support/adversarial.ts'
import { loadSakila, loadSakilaGeo } from './support/sakila.ts'
import { showAll, type Shown } from './support/show-all.ts'
import { REPO, lastLine, makeStack, runScript, tempDir, type TestStack } from './support/stack.ts'

const FIXTURE = path.join(REPO, 'tests/snapshot/schema-fixture.sql')
// written as latin1 bytes under a latin1 client: the migration must send it so it arrives intact
const LATIN1_TRIGGER = "SET NAMES latin1; CREATE TRIGGER dk_src.legacy_bi BEFORE INSERT ON dk_src.legacy FOR EACH ROW SET NEW.label = COALESCE(NEW.label, 'café');"
const KNEX_TABLES = ['knex_migrations', 'knex_migrations_lock']

const s = suite('schema migration', { stack: null as unknown as TestStack, n: 0 })

s.before(async (ctx) => {
  ctx.stack = await makeStack({ env: { MYSQL_DATABASE: 'sakila' } })
  await loadSakila(ctx.stack)
  await loadSakilaGeo(ctx.stack)
  const client = (input: string | Buffer, args: string[] = []) =>
    run(HOST, ['mariadb', ...ctx.stack.rt.clientArgs(), ...args], { env: ctx.stack.rt.clientEnv(), input })
  await client(fs.readFileSync(FIXTURE), ['--comments'])
  await client(Buffer.from(LATIN1_TRIGGER, 'latin1'))
  // question marks and colons: what a query builder might take for placeholders
  await client("CREATE TABLE dk_src.qmark (id INT PRIMARY KEY, q VARCHAR(5) NOT NULL DEFAULT '?', c VARCHAR(5) DEFAULT ':x' COMMENT 'what?');"
    + " CREATE VIEW dk_src.qview AS SELECT '?' AS qm, ':x' AS cx, q FROM dk_src.qmark;")
  await ctx.stack.db((db) => createAdversarial(db, 'dk_adv'), null)
})
s.after(async (ctx) => { await ctx.stack?.destroy() })

const admin = <T>(stack: TestStack, fn: (db: Db) => Promise<T>) => stack.db(fn, null)

/** An empty database with the source's default character set and collation. */
async function emptyLike(stack: TestStack, src: string, name: string): Promise<void> {
  await admin(stack, async (db) => {
    const [d] = await query<{ cs: string; co: string }>(db, 'SELECT DEFAULT_CHARACTER_SET_NAME cs, DEFAULT_COLLATION_NAME co FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [src])
    await db.query(`CREATE DATABASE ${ident(name)} CHARACTER SET ${d.cs} COLLATE ${d.co}`)
  })
}

function knexFor(stack: TestStack, database: string) {
  const a = stack.rt.admin
  return knexFactory({ client: 'mysql2', connection: { socketPath: a.socketPath, user: a.user, password: a.password, database }, pool: { min: 0, max: 2 } })
}

/**
 * What the rebuilt database must show, from the source's own SHOW CREATE: the differences the docs
 * list and nothing else. AUTO_INCREMENT=n (the counter is data) is not carried; an object whose
 * definer was another account is defined by the account that ran the migration; a name qualified
 * with the source database is written unqualified, so it resolves in the database migrated.
 */
function expected(shown: Shown, src: string): Shown {
  const qualified = new RegExp(`\`${src}\`\\.|\\b${src}\\.`, 'g')
  const out: Shown = {}
  for (const [k, v] of Object.entries(shown)) {
    let w = v.replaceAll('DEFINER=`ghost`@`%`', 'DEFINER=`root`@`localhost`').replace(qualified, '')
    if (k.startsWith('table ')) w = w.replace(/ AUTO_INCREMENT=\d+/, '')
    out[k] = w
  }
  return out
}

async function generated(stack: TestStack, src: string, format: ModuleFormat): Promise<{ dir: string; text: string }> {
  const { plan, source } = await admin(stack, (db) => readPlan(db, src, null, 'usage'))
  const text = knexMigration(plan, format, source)
  const dir = tempDir('datakeep-knex-')
  fs.writeFileSync(path.join(dir, `20260101000000_schema.${format === 'esm' ? 'js' : 'cjs'}`), text)
  return { dir, text }
}

for (const [src, format] of [['sakila', 'esm'], ['sakila', 'cjs'], ['sakila_geo', 'esm'], ['dk_src', 'cjs'], ['dk_src', 'esm'], ['dk_adv', 'esm']] as const) {
  s(`${src} (${format}): knex.migrate.latest rebuilds every SHOW CREATE in an empty database; rollback leaves it empty`, async (ctx) => {
    const { stack } = ctx
    const target = `${src}_knex${++ctx.n}`
    const { dir, text } = await generated(stack, src, format)
    if (src === 'sakila') assert.match(text, 'await k.schema.createTable("actor", (t) => {')
    if (src === 'dk_src') assert.match(text, 't.string("q", 5).notNullable().defaultTo("?")')
    await emptyLike(stack, src, target)
    const knex = knexFor(stack, target)
    try {
      // without Knex's migration transaction, the file opens one itself so its session settings hold
      const disableTransactions = src === 'dk_src' && format === 'cjs'
      const [, done] = await knex.migrate.latest({ directory: dir, loadExtensions: [format === 'esm' ? '.js' : '.cjs'], disableTransactions })
      assert.is(done.length, 1)
      await admin(stack, async (db) => {
        const want = expected(await showAll(db, src), src)
        assert.ok(Object.keys(want).length > 10, 'the source has objects')
        const got = await showAll(db, target, KNEX_TABLES)
        for (const k of Object.keys(want)) assert.is(got[k], want[k], k)
        assert.equal(Object.keys(got).sort(), Object.keys(want).sort())
      })
      await knex.migrate.rollback({ directory: dir, loadExtensions: [format === 'esm' ? '.js' : '.cjs'], disableTransactions })
      await admin(stack, async (db) => assert.equal(await showAll(db, target, KNEX_TABLES), {}, 'down drops everything up created'))
    } finally {
      await knex.destroy()
    }
  })
}

s('sakila: the builder writes the plain tables, raw SQL the rest; npx knex migrate:latest with a knexfile applies the file make schema_migration wrote', async ({ stack }) => {
  const r = await runScript(stack, 'schema-migration', ['--format', 'knex', '--module', 'esm'])
  assert.is(r.code, 0, r.stderr)
  const rel = r.stdout.trim()
  assert.match(rel, /^data\/knex-migrations\/\d{14}_schema\.js$/)
  assert.match(lastLine(r.stderr), '16 tables (15 through the schema builder, 1 as SHOW CREATE text), 22 foreign keys')
  const text = fs.readFileSync(path.join(stack.dir, rel), 'utf8')
  assert.match(text, 'export async function up(knex) {')
  assert.match(text, 'await k.raw([\n      "CREATE TABLE `film_text` (') // FULLTEXT: the server's text
  assert.ok(text.indexOf('createTable("language"') < text.indexOf('createTable("film"'), 'parents first')
  assert.match(text, 't.foreign(["rental_id"], "fk_payment_rental").references(["rental_id"]).inTable("rental").onDelete("SET NULL").onUpdate("CASCADE")')
  await emptyLike(stack, 'sakila', 'sakila_npx')
  const a = stack.rt.admin
  fs.writeFileSync(path.join(stack.dir, 'knexfile.cjs'), `module.exports = { client: 'mysql2', connection: { socketPath: ${JSON.stringify(a.socketPath)}, user: 'root', password: process.env.DK_TEST_PW, database: 'sakila_npx' }, migrations: { directory: 'data/knex-migrations', loadExtensions: ['.js'] } }\n`)
  // an ESM .js migration, as in datakeep's own project (package.json "type": "module")
  fs.writeFileSync(path.join(stack.dir, 'package.json'), '{ "type": "module" }\n')
  // a project that uses Knex has it installed; this one borrows datakeep's
  fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(stack.dir, 'node_modules'))
  const npx = spawnSync('npx', ['--no-install', 'knex', 'migrate:latest', '--knexfile', 'knexfile.cjs'],
    { cwd: stack.dir, env: { PATH: process.env.PATH, HOME: stack.dir, DK_TEST_PW: a.password }, encoding: 'utf8' })
  assert.is(npx.status, 0, npx.stderr + npx.stdout)
  assert.match(npx.stdout, 'Batch 1 run: 1 migrations')
  await admin(stack, async (db) => assert.equal(await showAll(db, 'sakila_npx', KNEX_TABLES), expected(await showAll(db, 'sakila'), 'sakila')))
  // the tables Knex keeps for itself are never part of a generated migration
  const again = await admin(stack, (db) => readPlan(db, 'sakila_npx', null, 'usage'))
  assert.is(again.plan.tables.length, 16)
  assert.not.ok(again.plan.tables.some((t) => t.name.startsWith('knex_')))
})

s('--tables narrows to those tables, their triggers and the keys between them; a missing name exits 2 naming the tables there are', async ({ stack }) => {
  const r = await runScript(stack, 'schema-migration', ['--tables', 'film,language', '--out', 'narrow'])
  assert.is(r.code, 0, r.stderr)
  const text = fs.readFileSync(path.join(stack.dir, r.stdout.trim()), 'utf8')
  assert.equal([...text.matchAll(/createTable\("(\w+)"/g)].map((m) => m[1]), ['language', 'film'])
  assert.match(text, '"fk_film_language_original"')
  assert.not.match(text, 'CREATE DEFINER')
  assert.match(text, 'TRIGGER `ins_film`')
  assert.not.match(text, 'VIEW')
  const bad = await runScript(stack, 'schema-migration', ['--tables', 'film,nosuch'])
  assert.is(bad.code, 2)
  assert.match(bad.stderr, 'no table nosuch in sakila; the tables are: actor, address, category,')
  const badFormat = await runScript(stack, 'schema-migration', ['--format', 'yaml'])
  assert.is(badFormat.code, 2)
  assert.match(badFormat.stderr, '--format must be knex or sql (got "yaml")')
  const badModule = await runScript(stack, 'schema-migration', ['--format', 'sql', '--module', 'cjs'])
  assert.is(badModule.code, 2)
  assert.match(badModule.stderr, '--module applies to --format knex only')
})

s('--format sql: make migrate builds the same schema in an empty database, and records the baseline as applied on the source', async ({ stack }) => {
  const r = await runScript(stack, 'schema-migration', ['--format', 'sql'])
  assert.is(r.code, 0, r.stderr)
  assert.match(r.stdout.trim(), /^data\/migrations\/\d{14}_baseline\.sql$/)
  const base = path.basename(r.stdout.trim())
  // an empty database: the baseline runs
  await emptyLike(stack, 'sakila', 'sakila_base')
  const fresh = await runScript(stack, 'migrate', [], { MYSQL_DATABASE: 'sakila_base' })
  assert.is(fresh.code, 0, fresh.stderr)
  assert.is(fresh.stdout.trim(), base)
  await admin(stack, async (db) => assert.equal(await showAll(db, 'sakila_base', ['schema_migrations']), expected(await showAll(db, 'sakila'), 'sakila')))
  // a database with only some of the tables is not the baseline's: it runs, and fails on the first table there
  await admin(stack, (db) => db.query('CREATE DATABASE sakila_part'))
  await admin(stack, (db) => db.query('CREATE TABLE sakila_part.actor (id INT)'))
  const part = await runScript(stack, 'migrate', [], { MYSQL_DATABASE: 'sakila_part' })
  assert.is(part.code, 1, part.stderr)
  assert.match(part.stderr, `migration ${base} failed at statement`)
  assert.match(part.stderr, "Table 'actor' already exists")
  // the source: every table exists, so it is recorded, not run
  const before = await admin(stack, (db) => showAll(db, 'sakila'))
  const adopt = await runScript(stack, 'migrate')
  assert.is(adopt.code, 0, adopt.stderr)
  assert.match(adopt.stderr, `recording ${base} as applied: database sakila already has its 16 tables`)
  await admin(stack, async (db) => {
    const rows = await query<{ version: string }>(db, 'SELECT version FROM sakila.schema_migrations')
    assert.equal(rows.map((x) => x.version), [base.split('_')[0]])
    assert.equal(await showAll(db, 'sakila', ['schema_migrations']), before)
  })
  const again = await runScript(stack, 'migrate')
  assert.is(again.code, 0, again.stderr)
  assert.match(again.stderr, 'is up to date')
  // and down drops it again
  const back = await runScript(stack, 'rollback', ['--no-safety'], { MYSQL_DATABASE: 'sakila_base' })
  assert.is(back.code, 0, back.stderr)
  await admin(stack, async (db) => assert.equal(await showAll(db, 'sakila_base', ['schema_migrations']), {}))
})

for (const src of ['dk_src', 'dk_adv']) {
  s(`${src}: the --format sql baseline, applied by make migrate to an empty database, gives the same SHOW CREATE; rollback empties it`, async ({ stack }) => {
    const env = { MYSQL_DATABASE: src, MIGRATIONS_DIR: `baseline-${src}` }
    const r = await runScript(stack, 'schema-migration', ['--format', 'sql'], env)
    assert.is(r.code, 0, r.stderr)
    const target = `${src}_base`
    await emptyLike(stack, src, target)
    const m = await runScript(stack, 'migrate', [], { ...env, MYSQL_DATABASE: target })
    assert.is(m.code, 0, m.stderr)
    await admin(stack, async (db) => assert.equal(await showAll(db, target, ['schema_migrations']), expected(await showAll(db, src), src)))
    const back = await runScript(stack, 'rollback', ['--no-safety'], { ...env, MYSQL_DATABASE: target })
    assert.is(back.code, 0, back.stderr)
    await admin(stack, async (db) => assert.equal(await showAll(db, target, ['schema_migrations']), {}))
  })
}

s.run()
