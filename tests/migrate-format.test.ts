// Migrations as data, no server: the file format and its parsing, file names and ordering,
// createMigration, migrationsHash, and how a hook gets the connection.
import fs from 'node:fs'
import path from 'node:path'
import { suite } from './support/uvu.ts'
import * as assert from 'uvu/assert'
import { loadConfig } from '../lib/config.ts'
import { UserError } from '../lib/errors.ts'
import { hookConnection, hookEnv, hookTarget } from '../lib/hooks.ts'
import { createMigration, listMigrations, migrationTemplate, sha256 } from '../lib/migrate/files.ts'
import { migrationsHash } from '../lib/migrate/index.ts'
import { commitsImplicitly, parseMigration } from '../lib/migrate/parse.ts'
import { statementsKept } from '../lib/migrate/runner.ts'
import { tempDir } from './support/stack.ts'

const USERS = '-- migrate:up\nCREATE TABLE users (id INT PRIMARY KEY, name VARCHAR(50));\nINSERT INTO users VALUES (1, \'ann\');\n\n-- migrate:down\nDROP TABLE users;\n'
const POSTS = '-- migrate:up\nCREATE TABLE posts (id INT PRIMARY KEY);\n-- migrate:down\nDROP TABLE posts;\n'

async function errorOf(p: Promise<unknown> | (() => unknown)): Promise<UserError> {
  try { await (typeof p === 'function' ? p() : p) } catch (e) { if (e instanceof UserError) return e; throw e }
  throw new Error('expected a UserError')
}

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

f('files: an engine\'s own text (<v>_<name>.<engine>.sql) replaces the plain file there; the other engine ignores it', async () => {
  const dir = tempDir('datakeep-mig-')
  fs.writeFileSync(path.join(dir, '1_notes.sql'), USERS)
  fs.writeFileSync(path.join(dir, '1_notes.postgres.sql'), POSTS)
  fs.writeFileSync(path.join(dir, '2_more.sql'), USERS)
  const maria = listMigrations(dir, 'mariadb')
  assert.equal(maria.map((m) => [m.version, m.name, m.base]), [['1', 'notes', '1_notes.sql'], ['2', 'more', '2_more.sql']])
  const pg = listMigrations(dir, 'postgres')
  assert.equal(pg.map((m) => [m.version, m.name, m.base]), [['1', 'notes', '1_notes.postgres.sql'], ['2', 'more', '2_more.sql']])
  assert.is(pg[0].checksum, sha256(POSTS))
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
