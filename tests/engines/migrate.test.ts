// The built-in migration runner through the engine seam, one suite run on each engine, each case in
// its own database and migrations folder: apply and a no-op second run, rollback and its refusals,
// an applied file that changed, a failing statement named by file, statement and line, and a failed
// migration's rows rolled back with it. (MariaDB's own statement kinds, dbmate adoption and hooks:
// tests/migrate.test.ts.)
import fs from 'node:fs'
import path from 'node:path'
import { suite } from '../support/uvu.ts'
import * as assert from 'uvu/assert'
import { loadConfig } from '../../lib/config.ts'
import { selectEngine } from '../../lib/engines/index.ts'
import type { Engine } from '../../lib/engines/types.ts'
import { UserError } from '../../lib/errors.ts'
import { sha256 } from '../../lib/migrate/files.ts'
import { ENGINE_CASES, type AnyStack } from '../support/engine-cases.ts'
import { tempDir } from '../support/stack.ts'

const USERS = '-- migrate:up\nCREATE TABLE users (id INT PRIMARY KEY, name VARCHAR(50));\nINSERT INTO users VALUES (1, \'ann\');\n\n-- migrate:down\nDROP TABLE users;\n'
const POSTS = '-- migrate:up\nCREATE TABLE posts (id INT PRIMARY KEY);\n-- migrate:down\nDROP TABLE posts;\n'

/** Per engine: the key naming the database, a database created for a case, its tables, and a failing statement's server message. */
const DB: Record<string, { key: string; create(stack: AnyStack, name: string): string; tables: string; syntax: RegExp; duplicate: RegExp }> = {
  MariaDB: {
    key: 'MYSQL_DATABASE', create: (_s, name) => `CREATE DATABASE ${name}`,
    tables: 'SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() ORDER BY 1',
    syntax: /You have an error in your SQL syntax/, duplicate: /Duplicate entry '1'/,
  },
  PostgreSQL: {
    key: 'POSTGRES_DB', create: (s, name) => `CREATE DATABASE ${name} OWNER ${s.cfg.POSTGRES_USER}`,
    tables: "SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1",
    syntax: /syntax error at or near "TABEL"/, duplicate: /duplicate key value violates unique constraint/,
  },
}

async function errorOf(p: Promise<unknown>): Promise<UserError> {
  try { await p } catch (e) { if (e instanceof UserError) return e; throw e }
  throw new Error('expected a UserError')
}

for (const [engine, c] of Object.entries(ENGINE_CASES)) {
  const d = DB[engine]
  const s = suite(`migrate on ${engine}`, { stack: null as unknown as AnyStack })
  s.before(async (ctx) => { ctx.stack = await c.stack() })
  s.after(async (ctx) => {
    if (ctx.stack) await c.close(ctx.stack)
    await ctx.stack?.destroy()
  })

  interface Project { e: Engine; dir: string; write(base: string, text: string): string; tables(): Promise<string[]>; rows(sql: string): Promise<unknown[]> }

  /** Its own database and migrations folder, on the suite's server, through the engine seam. */
  async function project(stack: AnyStack, database: string): Promise<Project> {
    const dir = tempDir('datakeep-migrations-')
    const cfg = loadConfig({ env: { ...stack.env, [d.key]: database, MIGRATIONS_DIR: dir }, projectDir: stack.dir })
    const e = await selectEngine(cfg)
    await e.withSql((sql) => sql.query(d.create(stack, database)), null)
    const write = (base: string, text: string) => { const p = path.join(dir, base); fs.writeFileSync(p, text); return p }
    const rows = (q: string) => e.withSql((sql) => sql.query(q))
    return { e, dir, write, rows, tables: async () => (await rows(d.tables) as { t: string }[]).map((r) => r.t) }
  }

  s('apply two migrations, the state and schema_migrations rows; a second migrate is a no-op', async ({ stack }) => {
    const p = await project(stack, 'm_apply')
    const lc = p.e.lifecycle()
    const before = await lc.migrationState()
    assert.equal([before.applied, before.pending, before.latestFileVersion], [[], [], null])
    p.write('20240101000000_users.sql', USERS)
    const postsFile = p.write('20240102000000_posts.sql', POSTS)
    assert.equal((await lc.migrationState()).pending, [
      { version: '20240101000000', name: 'users', file: path.join(p.dir, '20240101000000_users.sql') },
      { version: '20240102000000', name: 'posts', file: postsFile },
    ])
    assert.equal(await lc.migrate(), { applied: ['20240101000000_users.sql', '20240102000000_posts.sql'], missing: [], delegated: false })
    assert.equal(await p.tables(), ['posts', 'schema_migrations', 'users'])
    const st = await lc.migrationState()
    assert.equal(st.pending, [])
    assert.equal(st.applied.map((a) => [a.version, a.name, a.checksum]), [['20240101000000', 'users', sha256(USERS)], ['20240102000000', 'posts', sha256(POSTS)]])
    assert.match(st.applied[0].appliedAt!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
    assert.ok(Math.abs(Date.parse(st.applied[0].appliedAt!) - Date.now()) < 120_000, 'applied_at is UTC now')
    assert.is(st.latestFileVersion, '20240102000000')
    const states = await p.e.tableStates()
    assert.equal(await lc.migrate(), { applied: [], missing: [], delegated: false })
    assert.equal(await p.e.tableStates(), states)
  })

  s('rollback 1 then 2 steps, newest first; refusals before anything runs', async ({ stack }) => {
    const p = await project(stack, 'm_rollback')
    const lc = p.e.lifecycle()
    p.write('1_users.sql', USERS)
    p.write('2_posts.sql', POSTS)
    p.write('3_nodown.sql', '-- migrate:up\nCREATE TABLE c (i INT);\n')
    await lc.migrate()
    const e = await errorOf(lc.rollback(1))
    assert.is(e.message, 'migration 3_nodown.sql has no down section; it cannot be rolled back')
    assert.is(e.hint, 'to undo it, write a new migration that reverses it: make migration NAME=revert_nodown')
    await p.rows("DELETE FROM schema_migrations WHERE version = '3'")
    fs.rmSync(path.join(p.dir, '3_nodown.sql'))
    assert.match((await errorOf(lc.rollback(3))).message, 'only 2 migrations are applied; cannot roll back 3')
    assert.match((await errorOf(lc.rollback(0))).message, '--steps must be a whole number of at least 1')
    let planned: string[] = []
    assert.equal(await lc.rollback(1, { beforeRun: async (plan) => { planned = plan } }), { rolledBack: ['2_posts.sql'] })
    assert.equal(planned, ['2_posts.sql'])
    assert.equal(await p.tables(), ['c', 'schema_migrations', 'users'])
    await lc.migrate()
    assert.equal(await lc.rollback(2), { rolledBack: ['2_posts.sql', '1_users.sql'] })
    assert.equal(await p.tables(), ['c', 'schema_migrations'])
    const st = await lc.migrationState()
    assert.equal([st.applied, st.pending.map((x) => x.version)], [[], ['1', '2']])
    assert.match((await errorOf(lc.rollback(1))).message, 'no migration is applied to database m_rollback')
  })

  s('an applied file that changed is refused by name; nothing runs; missing files are reported', async ({ stack }) => {
    const p = await project(stack, 'm_changed')
    const lc = p.e.lifecycle()
    const users = p.write('1_users.sql', USERS)
    await lc.migrate()
    fs.writeFileSync(users, USERS.replace('VARCHAR(50)', 'VARCHAR(60)'))
    p.write('2_posts.sql', POSTS)
    const states = await p.e.tableStates()
    const e = await errorOf(lc.migrate())
    assert.is(e.exitCode, 2)
    assert.is(e.message, 'migration 1_users.sql was changed after it was applied (checksum differs)')
    assert.match(e.hint!, `git checkout -- ${path.join(p.dir, '1_users.sql')}`)
    assert.match(e.hint!, 'write the change as a new migration: make migration NAME=<name>')
    assert.equal(await p.e.tableStates(), states)
    assert.match((await errorOf(lc.rollback(1))).message, 'was changed after it was applied')
    assert.equal((await lc.migrationState()).changed, ['1_users.sql'])
    fs.rmSync(users)
    const st = await lc.migrationState()
    assert.equal([st.changed, st.missing], [[], ['1_users.sql']])
    assert.equal(await lc.migrate(), { applied: ['2_posts.sql'], missing: ['1_users.sql'], delegated: false })
    assert.match((await errorOf(lc.rollback(2))).message, 'migration 1_users.sql cannot be rolled back: its file is missing')
  })

  s('a failing statement: file, statement and line named; not recorded; earlier migrations stay', async ({ stack }) => {
    const p = await project(stack, 'm_fail')
    const lc = p.e.lifecycle()
    p.write('1_users.sql', USERS)
    p.write('2_bad.sql', '-- migrate:up\nCREATE TABLE a (i INT);\n\nCREATE TABEL b (i INT);\n-- migrate:down\nDROP TABLE a;\n')
    p.write('3_never.sql', POSTS)
    const e = await errorOf(lc.migrate())
    assert.is(e.exitCode, 1)
    assert.match(e.message, /^migration 2_bad\.sql failed at statement 2 \(line 4\) of its up section: /)
    assert.match(e.message, d.syntax)
    const st = await lc.migrationState()
    assert.equal(st.applied.map((a) => a.version), ['1'])
    assert.equal(st.pending.map((x) => x.version), ['2', '3'])
    if (engine === 'PostgreSQL') {
      // DDL is transactional: the migration's first statement went with it
      assert.is(e.hint, 'it is not recorded and nothing of it was kept (rolled back whole); fix the file, then: make migrate')
      assert.equal(await p.tables(), ['schema_migrations', 'users'])
    } else {
      assert.is(e.hint, 'it is not recorded and statement 1 of it may have stayed (MariaDB/MySQL commit DDL at once): undo it by hand or make the file re-runnable; fix the file, then: make migrate')
      assert.equal(await p.tables(), ['a', 'schema_migrations', 'users'], 'DDL commits at once: table a stays')
    }
  })

  s('rows written by a failed migration are rolled back with it (one transaction); transaction:false keeps what ran', async ({ stack }) => {
    const p = await project(stack, 'm_tx')
    const lc = p.e.lifecycle()
    p.write('1_users.sql', USERS)
    await lc.migrate()
    p.write('2_rows.sql', "-- migrate:up\nINSERT INTO users VALUES (2, 'bob');\nUPDATE users SET name = 'x';\nINSERT INTO users VALUES (1, 'dup');\n")
    const e = await errorOf(lc.migrate())
    assert.match(e.message, /^migration 2_rows\.sql failed at statement 3 \(line 4\) of its up section: /)
    assert.match(e.message, d.duplicate)
    assert.match(e.hint!, /^it is not recorded and nothing of it was kept/)
    assert.equal(await p.rows('SELECT id, name FROM users ORDER BY id'), [{ id: 1, name: 'ann' }])
    p.write('2_rows.sql', "-- migrate:up transaction:false\nINSERT INTO users VALUES (2, 'bob');\nINSERT INTO users VALUES (1, 'dup');\n")
    assert.match((await errorOf(lc.migrate())).hint!, 'statement 1 of it ')
    assert.equal(await p.rows('SELECT id FROM users ORDER BY id'), [{ id: 1 }, { id: 2 }])
  })

  s.run()
}
