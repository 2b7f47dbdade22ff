// Migrations as a library against a real server: apply / rollback / refuse, each test in its own
// database and migrations folder (the file format as data is in migrate-format.test.ts).
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
import { fingerprint } from './support/fingerprint.ts'
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

s('apply two migrations, the state and schema_migrations rows; a second migrate is a no-op', async ({ stack }) => {
  const p = await project(stack, 'm_apply')
  const before = await migrationState(p.cfg, p.rt)
  assert.equal(before.applied, [])
  assert.equal(before.pending, [])
  assert.is(before.latestFileVersion, null)
  p.write('20240101000000_users.sql', USERS)
  const postsFile = p.write('20240102000000_posts.sql', POSTS)
  const pending = await migrationState(p.cfg, p.rt)
  assert.equal(pending.pending, [
    { version: '20240101000000', name: 'users', file: path.join(p.dir, '20240101000000_users.sql') },
    { version: '20240102000000', name: 'posts', file: postsFile },
  ])
  const r = await migrate(p.cfg, p.rt)
  assert.equal(r, { applied: ['20240101000000_users.sql', '20240102000000_posts.sql'], missing: [], delegated: false })
  assert.equal(await tablesOf(stack, 'm_apply'), ['posts', 'schema_migrations', 'users'])
  const st = await migrationState(p.cfg, p.rt)
  assert.equal(st.pending, [])
  assert.equal(st.applied.map((a) => [a.version, a.name, a.checksum]), [['20240101000000', 'users', sha256(USERS)], ['20240102000000', 'posts', sha256(POSTS)]])
  assert.match(st.applied[0].appliedAt!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
  assert.ok(Math.abs(Date.parse(st.applied[0].appliedAt!) - Date.now()) < 120_000, 'applied_at is UTC now')
  assert.is(st.latestFileVersion, '20240102000000')
  const fp = await stack.db((db) => fingerprint(db, 'm_apply'))
  assert.equal(await migrate(p.cfg, p.rt), { applied: [], missing: [], delegated: false })
  assert.equal(await stack.db((db) => fingerprint(db, 'm_apply')), fp)
})

s('rollback 1 then 2 steps, newest first; refusals before anything runs', async ({ stack }) => {
  const p = await project(stack, 'm_rollback')
  p.write('1_users.sql', USERS)
  p.write('2_posts.sql', POSTS)
  p.write('3_nodown.sql', '-- migrate:up\nCREATE TABLE c (i INT);\n')
  await migrate(p.cfg, p.rt)
  const e = await errorOf(rollback(p.cfg, p.rt, 1))
  assert.is(e.message, 'migration 3_nodown.sql has no down section; it cannot be rolled back')
  assert.is(e.hint, 'to undo it, write a new migration that reverses it: make migration NAME=revert_nodown')
  await stack.db((db) => db.query("DELETE FROM schema_migrations WHERE version = '3'"), 'm_rollback')
  fs.rmSync(path.join(p.dir, '3_nodown.sql'))
  assert.match((await errorOf(rollback(p.cfg, p.rt, 3))).message, 'only 2 migrations are applied; cannot roll back 3')
  assert.match((await errorOf(rollback(p.cfg, p.rt, 0))).message, '--steps must be a whole number of at least 1')
  let planned: string[] = []
  assert.equal(await rollback(p.cfg, p.rt, 1, { beforeRun: async (plan) => { planned = plan } }), { rolledBack: ['2_posts.sql'] })
  assert.equal(planned, ['2_posts.sql'])
  assert.equal(await tablesOf(stack, 'm_rollback'), ['c', 'schema_migrations', 'users'])
  await migrate(p.cfg, p.rt)
  assert.equal(await rollback(p.cfg, p.rt, 2), { rolledBack: ['2_posts.sql', '1_users.sql'] })
  assert.equal(await tablesOf(stack, 'm_rollback'), ['c', 'schema_migrations'])
  const st = await migrationState(p.cfg, p.rt)
  assert.equal([st.applied, st.pending.map((x) => x.version)], [[], ['1', '2']])
  assert.match((await errorOf(rollback(p.cfg, p.rt, 1))).message, 'no migration is applied to database m_rollback')
})

s('an applied file that changed is refused by name; nothing runs; missing files are reported', async ({ stack }) => {
  const p = await project(stack, 'm_changed')
  const users = p.write('1_users.sql', USERS)
  await migrate(p.cfg, p.rt)
  fs.writeFileSync(users, USERS.replace('VARCHAR(50)', 'VARCHAR(60)'))
  p.write('2_posts.sql', POSTS)
  const fp = await stack.db((db) => fingerprint(db, 'm_changed'))
  const e = await errorOf(migrate(p.cfg, p.rt))
  assert.is(e.exitCode, 2)
  assert.is(e.message, 'migration 1_users.sql was changed after it was applied (checksum differs)')
  assert.match(e.hint!, `git checkout -- ${path.join(p.dir, '1_users.sql')}`)
  assert.match(e.hint!, 'write the change as a new migration: make migration NAME=<name>')
  assert.equal(await stack.db((db) => fingerprint(db, 'm_changed')), fp)
  assert.match((await errorOf(rollback(p.cfg, p.rt, 1))).message, 'was changed after it was applied')
  assert.equal((await migrationState(p.cfg, p.rt)).changed, ['1_users.sql'])
  fs.rmSync(users)
  const st = await migrationState(p.cfg, p.rt)
  assert.equal([st.changed, st.missing], [[], ['1_users.sql']])
  const r = await migrate(p.cfg, p.rt)
  assert.equal(r, { applied: ['2_posts.sql'], missing: ['1_users.sql'], delegated: false })
  assert.match((await errorOf(rollback(p.cfg, p.rt, 2))).message, 'migration 1_users.sql cannot be rolled back: its file is missing')
})

s('a failing statement: file, statement and line named; not recorded; earlier migrations stay', async ({ stack }) => {
  const p = await project(stack, 'm_fail')
  p.write('1_users.sql', USERS)
  p.write('2_bad.sql', '-- migrate:up\nCREATE TABLE a (i INT);\n\nCREATE TABEL b (i INT);\n-- migrate:down\nDROP TABLE a;\n')
  p.write('3_never.sql', POSTS)
  const e = await errorOf(migrate(p.cfg, p.rt))
  assert.is(e.exitCode, 1)
  assert.match(e.message, /^migration 2_bad\.sql failed at statement 2 \(line 4\) of its up section: You have an error in your SQL syntax/)
  assert.is(e.hint, 'it is not recorded and statement 1 of it may have stayed (MariaDB/MySQL commit DDL at once): undo it by hand or make the file re-runnable; fix the file, then: make migrate')
  const st = await migrationState(p.cfg, p.rt)
  assert.equal(st.applied.map((a) => a.version), ['1'])
  assert.equal(st.pending.map((x) => x.version), ['2', '3'])
  assert.equal(await tablesOf(stack, 'm_fail'), ['a', 'schema_migrations', 'users'], 'DDL commits at once: table a stays')
})

s('DML in a failed migration is rolled back with it (one transaction)', async ({ stack }) => {
  const p = await project(stack, 'm_tx')
  p.write('1_users.sql', USERS)
  await migrate(p.cfg, p.rt)
  p.write('2_rows.sql', "-- migrate:up\nINSERT INTO users VALUES (2, 'bob');\nUPDATE users SET name = 'x';\nINSERT INTO users VALUES (1, 'dup');\n")
  const e = await errorOf(migrate(p.cfg, p.rt))
  assert.match(e.message, /^migration 2_rows\.sql failed at statement 3 \(line 4\) of its up section: Duplicate entry '1'/)
  assert.is(e.hint, 'it is not recorded and nothing of it was kept; fix the file, then: make migrate')
  assert.equal(await stack.db((db) => query(db, 'SELECT id, name FROM users ORDER BY id'), 'm_tx'), [{ id: 1, name: 'ann' }])
  // after a DDL statement's implicit commit, what follows is still one transaction
  p.write('2_rows.sql', "-- migrate:up\nCREATE TABLE b (i INT PRIMARY KEY);\nINSERT INTO b VALUES (1);\nINSERT INTO users VALUES (1, 'dup');\n")
  assert.match((await errorOf(migrate(p.cfg, p.rt))).hint!, 'it is not recorded and statement 1 of it may have stayed')
  assert.equal(await stack.db((db) => query(db, 'SELECT * FROM b'), 'm_tx'), [], 'the INSERT after the CREATE was rolled back')
  await stack.db((db) => db.query('DROP TABLE b'), 'm_tx')
  // transaction:false runs statement by statement: what ran stays
  p.write('2_rows.sql', "-- migrate:up transaction:false\nINSERT INTO users VALUES (2, 'bob');\nINSERT INTO users VALUES (1, 'dup');\n")
  assert.match((await errorOf(migrate(p.cfg, p.rt))).hint!, 'statement 1 of it may have stayed')
  assert.equal(await stack.db((db) => query(db, 'SELECT id FROM users ORDER BY id'), 'm_tx'), [{ id: 1 }, { id: 2 }])
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
