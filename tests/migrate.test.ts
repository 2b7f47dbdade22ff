// Migrations on MariaDB as a library against a real server, each test in its own database and
// migrations folder: what is MariaDB's own (DDL's implicit commit, triggers, procedures and events as
// one statement, dbmate's table adopted) and the hooks. What every engine does (apply, rollback,
// refusals, a failing statement): tests/engines/migrate.test.ts; the file format: migrate-format.test.ts.
import fs from 'node:fs'
import path from 'node:path'
import { suite } from './support/uvu.ts'
import * as assert from 'uvu/assert'
import { loadConfig, type Config } from '../lib/config.ts'
import { query } from '../lib/db.ts'
import { UserError } from '../lib/errors.ts'
import { runHook } from '../lib/hooks.ts'
import { sha256 } from '../lib/migrate/files.ts'
import { migrate, migrationState, refuseNewerSchema, rollback, unknownVersions } from '../lib/migrate/index.ts'
import { LocalRuntime } from '../lib/runtime/local.ts'
import { makeStack, tempDir, type TestStack } from './support/stack.ts'

const USERS = '-- migrate:up\nCREATE TABLE users (id INT PRIMARY KEY, name VARCHAR(50));\nINSERT INTO users VALUES (1, \'ann\');\n\n-- migrate:down\nDROP TABLE users;\n'
const POSTS = '-- migrate:up\nCREATE TABLE posts (id INT PRIMARY KEY);\n-- migrate:down\nDROP TABLE posts;\n'

async function errorOf(p: Promise<unknown> | (() => unknown)): Promise<UserError> {
  try { await (typeof p === 'function' ? p() : p) } catch (e) { if (e instanceof UserError) return e; throw e }
  throw new Error('expected a UserError')
}

const s = suite('migrate on a real server', { stack: null as unknown as TestStack })
s.before(async (ctx) => { ctx.stack = await makeStack() })
s.after(async (ctx) => { await ctx.stack?.destroy() })

interface Project { cfg: Config; rt: LocalRuntime; dir: string; write(base: string, text: string): string }

/** Its own database (created unless `create: false`) and migrations folder, on the suite's server. */
async function project(stack: TestStack, database: string, opts: { create?: boolean; env?: Record<string, string> } = {}): Promise<Project> {
  const dir = tempDir('datakeep-migrations-')
  const cfg = loadConfig({ env: { ...stack.env, MYSQL_DATABASE: database, MIGRATIONS_DIR: dir, ...opts.env }, projectDir: stack.dir })
  if (opts.create !== false) await stack.db((db) => db.query(`CREATE DATABASE ${database}`), null)
  const write = (base: string, text: string) => { const p = path.join(dir, base); fs.writeFileSync(p, text); return p }
  return { cfg, rt: new LocalRuntime(cfg), dir, write }
}

const tablesOf = (stack: TestStack, database: string) => stack.db(async (db) =>
  (await query<{ t: string }>(db, 'SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY 1', [database])).map((r) => r.t), null)

s('after a DDL statement\'s implicit commit (MariaDB), what follows is still one transaction', async ({ stack }) => {
  const p = await project(stack, 'm_tx')
  p.write('1_users.sql', USERS)
  await migrate(p.cfg, p.rt)
  p.write('2_rows.sql', "-- migrate:up\nCREATE TABLE b (i INT PRIMARY KEY);\nINSERT INTO b VALUES (1);\nINSERT INTO users VALUES (1, 'dup');\n")
  assert.match((await errorOf(migrate(p.cfg, p.rt))).hint!, 'it is not recorded and statement 1 of it may have stayed')
  assert.equal(await stack.db((db) => query(db, 'SELECT * FROM b'), 'm_tx'), [], 'the INSERT after the CREATE was rolled back')
})

s('triggers, procedures and events as one statement; ? and ; inside strings; rolled back too', async ({ stack }) => {
  const p = await project(stack, 'm_routines')
  p.write('1_routines.sql', [
    '-- migrate:up',
    'CREATE TABLE t (a INT, note VARCHAR(40));',
    "INSERT INTO t VALUES (1, 'why?;');",
    '-- migrate:split',
    'CREATE TRIGGER t_bi BEFORE INSERT ON t FOR EACH ROW',
    'BEGIN',
    '  SET NEW.a = NEW.a * 10;',
    "  SET NEW.note = CONCAT(NEW.note, ';');",
    'END;',
    '-- migrate:split',
    'CREATE PROCEDURE add_t(IN x INT)',
    'BEGIN',
    "  INSERT INTO t VALUES (x, 'p');",
    'END;',
    '-- migrate:down',
    'DROP PROCEDURE add_t;',
    'DROP TRIGGER t_bi;',
    'DROP TABLE t;',
  ].join('\n'))
  await migrate(p.cfg, p.rt)
  await stack.db((db) => db.query('CALL add_t(2)'), 'm_routines')
  assert.equal(await stack.db((db) => query(db, 'SELECT a, note FROM t ORDER BY a'), 'm_routines'), [{ a: 1, note: 'why?;' }, { a: 20, note: 'p;' }])
  await rollback(p.cfg, p.rt, 1)
  assert.equal(await tablesOf(stack, 'm_routines'), ['schema_migrations'])
  assert.equal(await stack.db((db) => query(db, 'SELECT ROUTINE_NAME FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ?', ['m_routines']), null), [])
})

s('state without a database or table; unknown versions in another database refuse a load', async ({ stack }) => {
  const p = await project(stack, 'm_absent', { create: false })
  p.write('1_users.sql', USERS)
  assert.equal((await migrationState(p.cfg, p.rt)).pending.map((x) => x.name), ['users'])
  const e = await errorOf(migrate(p.cfg, p.rt))
  assert.equal([e.exitCode, e.message, e.hint], [1, 'database m_absent does not exist', 'to fix: make initialize'])
  const q = await project(stack, 'm_stage')
  q.write('1_users.sql', USERS)
  q.write('2_posts.sql', POSTS)
  await migrate(q.cfg, q.rt)
  assert.equal(await unknownVersions(p.cfg, p.rt, 'm_stage'), ['2'])
  assert.equal(await unknownVersions(q.cfg, q.rt, 'm_stage'), [])
  assert.equal(await unknownVersions(p.cfg, p.rt, 'm_nothing_here'), [])
  const refused = await errorOf(refuseNewerSchema(p.cfg, p.rt, 'm_stage'))
  assert.is(refused.message, `the data was migrated by newer code: migration 2 is applied in it but has no file in ${p.dir}`)
  await refuseNewerSchema(q.cfg, q.rt, 'm_stage')
})

s('a database dbmate migrated is adopted: rows verified on first use', async ({ stack }) => {
  const p = await project(stack, 'm_dbmate')
  p.write('20240101000000_users.sql', USERS)
  p.write('20240102000000_posts.sql', POSTS)
  await stack.db(async (db) => {
    await db.query('CREATE TABLE schema_migrations (version VARCHAR(128) PRIMARY KEY)')
    await db.query('CREATE TABLE users (id INT PRIMARY KEY, name VARCHAR(50))')
    await db.query("INSERT INTO schema_migrations VALUES ('20240101000000')")
  }, 'm_dbmate')
  const st = await migrationState(p.cfg, p.rt)
  assert.equal(st.applied, [{ version: '20240101000000', name: 'users', checksum: null, appliedAt: null }])
  assert.equal([st.changed, st.pending.map((x) => x.name)], [[], ['posts']])
  assert.equal((await migrate(p.cfg, p.rt)).applied, ['20240102000000_posts.sql'])
  const after = await migrationState(p.cfg, p.rt)
  assert.equal(after.applied.map((a) => a.checksum), [sha256(USERS), sha256(POSTS)])
})

s('runHook: null when empty, the connection in its environment, a failure names the key', async ({ stack }) => {
  const p = await project(stack, 'm_hook', { env: { SEED_COMMAND: 'mariadb --socket="$MYSQL_UNIX_PORT" -u"$MYSQL_USER" "$MYSQL_DATABASE" -e "CREATE TABLE hooked (url TEXT); INSERT INTO hooked VALUES (\'$DATAKEEP_DATABASE_URL\')"; pwd', REINDEX_COMMAND: 'echo nope >&2; exit 3' } })
  assert.is(await runHook(p.cfg, p.rt, 'INDEX_CHECK_COMMAND'), null)
  const r = await runHook(p.cfg, p.rt, 'SEED_COMMAND')
  assert.is(r!.stdout.trim(), fs.realpathSync(stack.dir), 'runs in the project folder')
  const [row] = await stack.db((db) => query<{ url: string }>(db, 'SELECT url FROM hooked'), 'm_hook')
  assert.is(row.url, `mysql://root:test-root-pw@localhost:${p.cfg.MYSQL_PORT}/m_hook?socket=${encodeURIComponent(p.rt.paths.socket)}`)
  assert.is((await runHook(p.cfg, p.rt, 'REINDEX_COMMAND', { nothrow: true }))!.code, 3)
  const e = await errorOf(runHook(p.cfg, p.rt, 'REINDEX_COMMAND'))
  assert.equal([e.exitCode, e.message], [1, 'REINDEX_COMMAND failed (exit 3): nope'])
})

s.run()
