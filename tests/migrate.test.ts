// Migrations as a library: the file format as data, then apply / rollback / refuse against a real
// server, each test in its own database and migrations folder.
import fs from 'node:fs'
import path from 'node:path'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { loadConfig, type Config } from '../lib/config.ts'
import { query } from '../lib/db.ts'
import { UserError } from '../lib/errors.ts'
import { hookConnection, hookEnv, hookTarget, runHook } from '../lib/hooks.ts'
import { createMigration, listMigrations, migrationTemplate, sha256 } from '../lib/migrate/files.ts'
import { migrate, migrationsHash, migrationState, refuseNewerSchema, rollback, unknownVersions } from '../lib/migrate/index.ts'
import { commitsImplicitly, parseMigration } from '../lib/migrate/parse.ts'
import { statementsKept } from '../lib/migrate/runner.ts'
import { LocalRuntime } from '../lib/runtime/local.ts'
import { fingerprint } from './support/fingerprint.ts'
import { makeStack, tempDir, type TestStack } from './support/stack.ts'

const USERS = '-- migrate:up\nCREATE TABLE users (id INT PRIMARY KEY, name VARCHAR(50));\nINSERT INTO users VALUES (1, \'ann\');\n\n-- migrate:down\nDROP TABLE users;\n'
const POSTS = '-- migrate:up\nCREATE TABLE posts (id INT PRIMARY KEY);\n-- migrate:down\nDROP TABLE posts;\n'

async function errorOf(p: Promise<unknown> | (() => unknown)): Promise<UserError> {
  try { await (typeof p === 'function' ? p() : p) } catch (e) { if (e instanceof UserError) return e; throw e }
  throw new Error('expected a UserError')
}

// ---------------------------------------------------------------- the format, as data

const f = suite('migration files')

f('sections, statements split at ; + end of line, lines counted, comments and strings respected', () => {
  const text = [
    '-- a header comment is fine',                        // 1
    '-- migrate:up',                                      // 2
    'CREATE TABLE t (a TEXT);  -- trailing comment',      // 3
    '-- a comment between',                               // 4
    "INSERT INTO t VALUES ('x;",                          // 5
    "y'), ('semi; mid line'), (\"it\\\"s;\");",           // 6
    'SELECT 1; SELECT 2;',                                // 7
    '',                                                   // 8
    '-- migrate:down transaction:false',                  // 9
    'DROP TABLE t;',                                      // 10
  ].join('\n')
  const m = parseMigration(text, 'x.sql')
  assert.is(m.up.transaction, true)
  assert.equal(m.up.statements.map((s) => s.line), [3, 5, 7])
  assert.is(m.up.statements[0].sql, 'CREATE TABLE t (a TEXT)')
  assert.is(m.up.statements[1].sql, "INSERT INTO t VALUES ('x;\ny'), ('semi; mid line'), (\"it\\\"s;\")")
  assert.is(m.up.statements[2].sql, 'SELECT 1; SELECT 2', 'a ; inside a line does not split')
  assert.is(m.down!.transaction, false)
  assert.equal(m.down!.statements, [{ sql: 'DROP TABLE t', line: 10 }])
  assert.is(parseMigration('-- migrate:up\nSELECT 1;\n', 'x.sql').down, null)
})

f('a routine makes its chunk one statement; -- migrate:split cuts chunks', () => {
  const body = 'CREATE DEFINER=`root`@`localhost` TRIGGER trg BEFORE INSERT ON t FOR EACH ROW\nBEGIN\n  SET NEW.a = 1;\n  SET NEW.b = 2;\nEND;\n'
  const one = parseMigration(`-- migrate:up\n${body}`, 'x.sql').up.statements
  assert.equal(one, [{ sql: body.trim().replace(/;$/, ''), line: 2 }])
  const split = parseMigration(`-- migrate:up\nDROP TRIGGER IF EXISTS trg;\nCREATE TABLE u (a INT);\n-- migrate:split\n${body}-- migrate:split\nINSERT INTO u VALUES (1);\n`, 'x.sql').up.statements
  assert.equal(split.map((s) => s.line), [2, 3, 5, 11])
  assert.match(split[2].sql, /^CREATE DEFINER.*END$/s)
  const proc = parseMigration("-- migrate:up\nCREATE PROCEDURE p()\nBEGIN\n  SELECT 'CREATE TABLE x;';\nEND;\n", 'x.sql').up.statements
  assert.is(proc.length, 1)
  // a routine name inside a string does not count
  assert.is(parseMigration("-- migrate:up\nINSERT INTO n VALUES ('create procedure p');\nSELECT 2;\n", 'x.sql').up.statements.length, 2)
})

f('format mistakes name the file and line', async () => {
  const cases: [string, RegExp][] = [
    ['CREATE TABLE t (a INT);\n-- migrate:up\nSELECT 1;\n', /^migration x\.sql, line 1: SQL before the -- migrate:up line$/],
    ['-- migrate:down\nDROP TABLE t;\n', /^migration x\.sql has no -- migrate:up line$/],
    ['-- migrate:up\nSELECT 1;\n-- migrate:up\n', /^migration x\.sql, line 3: a second -- migrate:up line$/],
    ['-- migrate:up transaction:maybe\n', /^migration x\.sql, line 1: unknown option "transaction:maybe"/],
    ['-- migrate:up\nDELIMITER $$\n', /^migration x\.sql, line 2: DELIMITER is a mysql client command/],
    ['-- migrate:sideways\n', /^migration x\.sql, line 1: unknown marker -- migrate:sideways/],
  ]
  for (const [text, re] of cases) {
    const e = await errorOf(() => parseMigration(text, 'x.sql'))
    assert.match(e.message, re, text)
    assert.is(e.exitCode, 2)
  }
})

f('what a failed statement leaves behind: DDL commits, DML in a transaction does not', () => {
  assert.ok(commitsImplicitly('  -- c\nCREATE TABLE t (a INT)'))
  assert.ok(commitsImplicitly('alter table t add b int'))
  assert.not.ok(commitsImplicitly('CREATE TEMPORARY TABLE t (a INT)'))
  assert.not.ok(commitsImplicitly('INSERT INTO t VALUES (1)'))
  const sec = (tx: boolean, ...sqls: string[]) => ({ transaction: tx, statements: sqls.map((sql) => ({ sql, line: 1 })) })
  assert.is(statementsKept(sec(true, 'INSERT INTO a VALUES (1)', 'INSERT INTO b VALUES (1)'), 1), 0)
  assert.is(statementsKept(sec(true, 'CREATE TABLE a (i INT)', 'INSERT INTO a VALUES (1)', 'BAD'), 2), 1)
  assert.is(statementsKept(sec(true, 'INSERT INTO a VALUES (1)', 'ALTER TABLE a ADD x INT'), 1), 1)
  assert.is(statementsKept(sec(false, 'INSERT INTO a VALUES (1)', 'BAD'), 1), 1)
})

f('files: ordered by version as a number; bad names and duplicate versions refused', async () => {
  const dir = tempDir('datakeep-mig-')
  assert.equal(listMigrations(path.join(dir, 'absent')), [])
  fs.writeFileSync(path.join(dir, '20240102000000_b.sql'), POSTS)
  fs.writeFileSync(path.join(dir, '9_a.sql'), USERS)
  fs.writeFileSync(path.join(dir, 'README.md'), 'not a migration')
  const list = listMigrations(dir)
  assert.equal(list.map((m) => [m.version, m.name, m.base]), [['9', 'a', '9_a.sql'], ['20240102000000', 'b', '20240102000000_b.sql']])
  assert.is(list[0].checksum, sha256(USERS))
  fs.writeFileSync(path.join(dir, '20240102000000_dup.sql'), POSTS)
  assert.match((await errorOf(() => listMigrations(dir))).message, 'have the same version 20240102000000')
  fs.rmSync(path.join(dir, '20240102000000_dup.sql'))
  fs.writeFileSync(path.join(dir, 'add_users.sql'), POSTS)
  assert.match((await errorOf(() => listMigrations(dir))).message, /add_users\.sql is not named <version>_<name>\.sql$/)
})

f('createMigration: UTC timestamp name, the template, a taken second moves on, bad names refused', async () => {
  const dir = tempDir('datakeep-mig-')
  const cfg = loadConfig({ env: { MIGRATIONS_DIR: 'db/migrations' }, projectDir: dir })
  const at = new Date(Date.UTC(2024, 0, 2, 3, 4, 5))
  const a = createMigration(cfg, 'add_users', at)
  assert.is(a, path.join(dir, 'db/migrations/20240102030405_add_users.sql'))
  assert.is(fs.readFileSync(a, 'utf8'), migrationTemplate('20240102030405_add_users'))
  assert.is(path.basename(createMigration(cfg, 'add_posts', at)), '20240102030406_add_posts.sql')
  const parsed = parseMigration(fs.readFileSync(a, 'utf8'), 'a.sql')
  assert.equal([parsed.up.statements, parsed.down?.statements], [[], []])
  for (const bad of ['Add', 'a-b', '', 'a b', '../x', 'x'.repeat(101)]) {
    assert.match((await errorOf(() => createMigration(cfg, bad, at))).message, /is not valid/, bad)
  }
})

f('migrationsHash follows names and contents', () => {
  const dir = tempDir('datakeep-mig-')
  const cfg = loadConfig({ env: {}, projectDir: dir })
  const empty = migrationsHash(cfg)
  fs.mkdirSync(path.join(dir, 'data/migrations'), { recursive: true })
  fs.writeFileSync(path.join(dir, 'data/migrations/1_a.sql'), USERS)
  const one = migrationsHash(cfg)
  assert.is.not(one, empty)
  fs.writeFileSync(path.join(dir, 'data/migrations/1_a.sql'), USERS + '\n')
  assert.is.not(migrationsHash(cfg), one)
  fs.renameSync(path.join(dir, 'data/migrations/1_a.sql'), path.join(dir, 'data/migrations/1_b.sql'))
  fs.writeFileSync(path.join(dir, 'data/migrations/1_b.sql'), USERS)
  assert.is.not(migrationsHash(cfg), one)
})

f('hooks: connection as environment, on the host or in the compose service', () => {
  const dir = tempDir('datakeep-hook-')
  const docker = loadConfig({ env: { DATAKEEP_RUNTIME: 'docker', HOOK_SERVICE: 'app', MYSQL_ROOT_PASSWORD: 'r@:/pw' }, projectDir: dir })
  const admin = { host: '127.0.0.1', port: 3307, user: 'root', password: 'r@:/pw', database: 'app' }
  const inService = hookConnection(docker, { name: 'docker', admin })
  assert.equal(inService, { user: 'root', password: 'r@:/pw', database: 'app', host: 'mysqld', port: 3306 })
  const env = hookEnv(inService)
  assert.is(env.DATAKEEP_DATABASE_URL, 'mysql://root:r%40%3A%2Fpw@mysqld:3306/app')
  assert.equal([env.MYSQL_HOST, env.MYSQL_PORT, env.MYSQL_TCP_PORT, env.MYSQL_USER, env.MYSQL_PWD, env.MYSQL_DATABASE], ['mysqld', '3306', '3306', 'root', 'r@:/pw', 'app'])
  const t = hookTarget(docker, 'docker')
  assert.is(t.kind, 'compose')
  assert.is(t.kind === 'compose' && t.service, 'app')
  assert.equal(hookTarget(docker, 'local'), { kind: 'host' })
  assert.equal(hookConnection(docker, { name: 'external', admin }).host, '127.0.0.1')
  const local = loadConfig({ env: { MYSQL_PORT: '4000' }, projectDir: dir })
  const c = hookConnection(local, { name: 'local', admin: { socketPath: '/x.sock', user: 'root', password: 'p', database: 'd' } })
  assert.equal([c.host, c.port, c.socket], ['localhost', 4000, '/x.sock'])
  assert.equal([hookEnv(c).MYSQL_UNIX_PORT, hookEnv(c).DATAKEEP_DATABASE_URL], ['/x.sock', 'mysql://root:p@localhost:4000/d?socket=%2Fx.sock'])
})

f.run()

// ---------------------------------------------------------------- against a real server

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
