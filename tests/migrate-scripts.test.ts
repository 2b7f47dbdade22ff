// The migration scripts spawned for real: migrate, rollback, migration, migrate-status, and
// MIGRATE_COMMAND in place of the built-in runner. Each test has its own database and folder.
import fs from 'node:fs'
import path from 'node:path'
import { suite } from './support/uvu.ts'
import * as assert from 'uvu/assert'
import { query } from '../lib/db.ts'
import { migrationTemplate } from '../lib/migrate/files.ts'
import { fingerprint } from './support/fingerprint.ts'
import { lastLine, makeStack, runScript, type TestStack } from './support/stack.ts'

const USERS = '-- migrate:up\nCREATE TABLE users (id INT PRIMARY KEY);\nINSERT INTO users VALUES (1), (2);\n-- migrate:down\nDROP TABLE users;\n'
const POSTS = '-- migrate:up\nCREATE TABLE posts (id INT PRIMARY KEY);\n-- migrate:down\nDROP TABLE posts;\n'

const s = suite('migration scripts', { stack: null as unknown as TestStack })
s.before(async (ctx) => { ctx.stack = await makeStack() })
s.after(async (ctx) => { await ctx.stack?.destroy() })

/** A database and a migrations folder (relative to the project, as a user would set it). */
async function project(stack: TestStack, database: string, files: Record<string, string> = {}) {
  const rel = `db/${database}`
  const dir = path.join(stack.dir, rel)
  fs.mkdirSync(dir, { recursive: true })
  for (const [base, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, base), text)
  await stack.db((db) => db.query(`CREATE DATABASE ${database}`), null)
  const env = { MYSQL_DATABASE: database, MIGRATIONS_DIR: rel }
  return {
    dir, rel, env,
    run: (name: string, args: string[] = [], extra: Record<string, string> = {}) => runScript(stack, name, args, { ...env, ...extra }),
    tables: () => stack.db(async (db) => (await query<{ t: string }>(db,
      'SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY 1', [database])).map((r) => r.t), null),
    versions: () => stack.db(async (db) => (await query<{ v: string }>(db, 'SELECT version AS v FROM schema_migrations ORDER BY 1')).map((r) => r.v), database),
  }
}

s('migration --name creates the file from the template; bad or no names refused', async ({ stack }) => {
  const p = await project(stack, 's_new')
  const r = await p.run('migration', ['--name', 'add_users'])
  assert.is(r.code, 0, r.stderr)
  const file = r.stdout.trim()
  assert.match(path.basename(file), /^\d{14}_add_users\.sql$/)
  assert.is(path.dirname(file), p.dir)
  const stamp = path.basename(file).slice(0, 14)
  const utc = new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14)
  assert.ok(Number(utc) - Number(stamp) < 100, `UTC time: ${stamp} vs ${utc}`)
  assert.is(fs.readFileSync(file, 'utf8'), migrationTemplate(path.basename(file, '.sql')))
  const bad = await p.run('migration', ['--name', 'Add-Users'])
  assert.is(bad.code, 2)
  assert.is(lastLine(bad.stderr), 'datakeep: migration name "Add-Users" is not valid: use lower-case letters, digits and _ (at most 100); for example: make migration NAME=add_users')
  const none = await p.run('migration', ['--name', ''])
  assert.equal([none.code, lastLine(none.stderr)], [2, 'datakeep: a migration needs a name; for example: make migration NAME=add_users'])
  assert.equal(fs.readdirSync(p.dir), [path.basename(file)])
  // the fresh template is not applied by accident: its up section is empty
  const m = await p.run('migrate')
  assert.is(m.code, 2)
  assert.is(lastLine(m.stderr), `datakeep: migration ${path.basename(file)} has an empty up section; write its statements (or delete ${p.rel}/${path.basename(file)}), then: make migrate`)
})

s('migrate applies two, status shows them; a second migrate is a no-op; --json', async ({ stack }) => {
  const p = await project(stack, 's_apply', { '20240101000000_users.sql': USERS, '20240102000000_posts.sql': POSTS })
  const pending = await p.run('migrate-status')
  assert.is(pending.code, 0, pending.stderr)
  assert.match(pending.stdout, /^20240101000000 +users +pending$/m)
  assert.match(lastLine(pending.stderr), 's_apply: 0 applied, 2 pending, 0 changed, 0 missing')
  const r = await p.run('migrate')
  assert.is(r.code, 0, r.stderr)
  assert.is(r.stdout, '20240101000000_users.sql\n20240102000000_posts.sql\n')
  assert.match(lastLine(r.stderr), /^done: applied 2 migrations to s_apply in [\d.]+ s$/)
  assert.equal(await p.tables(), ['posts', 'schema_migrations', 'users'])
  const text = await p.run('migrate-status')
  assert.match(text.stdout, /^version +name +applied +flags$/m)
  assert.match(text.stdout, /^20240102000000 +posts +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/m)
  const again = await p.run('migrate')
  assert.equal([again.code, again.stdout, lastLine(again.stderr)], [0, '', 'done: database s_apply is up to date: no pending migration'])
  fs.writeFileSync(path.join(p.dir, '20240103000000_more.sql'), POSTS.replace(/posts/g, 'more'))
  const json = JSON.parse((await p.run('migrate-status', ['--json'])).stdout)
  assert.is(json.database, 's_apply')
  assert.is(json.migrateCommand, null)
  assert.equal(json.applied.map((a: { name: string }) => a.name), ['users', 'posts'])
  assert.equal(json.pending, [{ version: '20240103000000', name: 'more', file: path.join(p.dir, '20240103000000_more.sql') }])
  assert.equal([json.changed, json.missing, json.latestFileVersion], [[], [], '20240103000000'])
})

s('rollback: 1 by default (after a safety snapshot), then --steps 2; refusals exit 2', async ({ stack }) => {
  const p = await project(stack, 's_rollback', { '1_users.sql': USERS, '2_posts.sql': POSTS, '3_nodown.sql': '-- migrate:up\nCREATE TABLE c (i INT);\n' })
  assert.is((await p.run('migrate')).code, 0)
  const nodown = await p.run('rollback')
  assert.is(nodown.code, 2)
  assert.is(lastLine(nodown.stderr), 'datakeep: migration 3_nodown.sql has no down section; it cannot be rolled back; to undo it, write a new migration that reverses it: make migration NAME=revert_nodown')
  assert.not.match(nodown.stderr, 'safety snapshot', 'refused before any snapshot')
  await stack.db((db) => db.query("DELETE FROM schema_migrations WHERE version = '3'"), 's_rollback')
  fs.rmSync(path.join(p.dir, '3_nodown.sql'))
  const one = await p.run('rollback')
  assert.is(one.code, 0, one.stderr)
  assert.is(one.stdout, '2_posts.sql\n')
  assert.match(one.stderr, /safety snapshot _safety\/rollback-\S+ taken/)
  assert.equal(await p.tables(), ['c', 'schema_migrations', 'users'])
  assert.is((await p.run('migrate')).code, 0)
  const two = await p.run('rollback', ['--steps', '2', '--no-safety'])
  assert.is(two.code, 0, two.stderr)
  assert.is(two.stdout, '2_posts.sql\n1_users.sql\n')
  assert.equal(await p.versions(), [])
  const badSteps = await p.run('rollback', ['--steps', 'two'])
  assert.equal([badSteps.code, lastLine(badSteps.stderr)], [2, 'datakeep: --steps "two" is not a whole number of at least 1; usage: make rollback [ARGS="--steps N [--confirm=<database>] [--no-safety]"]'])
  const none = await p.run('rollback')
  assert.equal([none.code, lastLine(none.stderr)], [2, 'datakeep: no migration is applied to database s_rollback; nothing to roll back; see: make migrate_status'])
})

s('an edited applied file is refused by name (exit 2), the database unchanged; a missing one reported', async ({ stack }) => {
  const p = await project(stack, 's_changed', { '1_users.sql': USERS })
  assert.is((await p.run('migrate')).code, 0)
  fs.writeFileSync(path.join(p.dir, '1_users.sql'), USERS.replace('(1), (2)', '(1), (2), (3)'))
  fs.writeFileSync(path.join(p.dir, '2_posts.sql'), POSTS)
  const fp = await stack.db((db) => fingerprint(db, 's_changed'))
  const r = await p.run('migrate')
  assert.is(r.code, 2)
  assert.is(lastLine(r.stderr), `datakeep: migration 1_users.sql was changed after it was applied (checksum differs); to proceed: put it back as applied (git checkout -- ${p.rel}/1_users.sql) and write the change as a new migration: make migration NAME=<name>`)
  assert.equal(await stack.db((db) => fingerprint(db, 's_changed')), fp)
  assert.match((await p.run('migrate-status')).stdout, /^1 +users +\S+ \S+ UTC +changed$/m)
  fs.rmSync(path.join(p.dir, '1_users.sql'))
  const st = await p.run('migrate-status')
  assert.match(st.stdout, /^1 +users +\S+ \S+ UTC +missing$/m)
  assert.match(st.stdout, /^2 +posts +pending$/m)
  assert.match(lastLine(st.stderr), '1 applied, 1 pending, 0 changed, 1 missing')
  const m = await p.run('migrate')
  assert.is(m.code, 0, m.stderr)
  assert.match(m.stderr, `warning: migration 1_users.sql is applied but its file is missing from ${p.rel}`)
  assert.equal(await p.versions(), ['1', '2'])
})

s('a failing migration exits 1 naming file and statement; not recorded; earlier ones stay', async ({ stack }) => {
  const p = await project(stack, 's_fail', {
    '1_users.sql': USERS,
    '2_bad.sql': '-- migrate:up\nCREATE TABLE a (i INT);\nCREATE TABLE b (i INT) ENGINE=;\n-- migrate:down\nDROP TABLE a;\n',
    '3_posts.sql': POSTS,
  })
  const r = await p.run('migrate')
  assert.is(r.code, 1)
  assert.match(lastLine(r.stderr), /^datakeep: migration 2_bad\.sql failed at statement 2 \(line 3\) of its up section: You have an error in your SQL syntax.*; it is not recorded and statement 1 of it may have stayed/)
  assert.equal(await p.versions(), ['1'])
  const st = await p.run('migrate-status')
  assert.match(st.stdout, /^2 +bad +pending$/m)
  assert.match(st.stdout, /^3 +posts +pending$/m)
})

s('MIGRATE_COMMAND replaces the runner: on the host, with the connection in its environment only', async ({ stack }) => {
  const p = await project(stack, 's_hook', { '1_users.sql': USERS })
  const cmd = 'printf "%s\\n" "$DATAKEEP_DATABASE_URL" "$MYSQL_USER" "$MYSQL_DATABASE" > marker.txt && '
    + 'mariadb --socket="$MYSQL_UNIX_PORT" -u"$MYSQL_USER" "$MYSQL_DATABASE" -e "CREATE TABLE from_hook (id INT)" && echo hook-ran'
  const r = await p.run('migrate', [], { MIGRATE_COMMAND: cmd, VERBOSE: 'true' })
  assert.is(r.code, 0, r.stderr)
  assert.match(r.stderr, '  hook-ran')
  assert.match(lastLine(r.stderr), /^done: MIGRATE_COMMAND finished in/)
  assert.not.match(r.stderr, 'test-root-pw', 'the password is never printed')
  assert.equal(await p.tables(), ['from_hook'], 'the built-in runner did not run')
  const marker = fs.readFileSync(path.join(stack.dir, 'marker.txt'), 'utf8').split('\n')
  assert.match(marker[0], /^mysql:\/\/root:test-root-pw@localhost:\d+\/s_hook\?socket=/)
  assert.equal(marker.slice(1, 3), ['root', 's_hook'])
  const fail = await p.run('migrate', [], { MIGRATE_COMMAND: 'echo boom >&2; exit 3' })
  assert.equal([fail.code, lastLine(fail.stderr)], [1, 'datakeep: MIGRATE_COMMAND failed (exit 3): boom; to fix: run it yourself to see why: echo boom >&2; exit 3'])
  const missing = await p.run('migrate', [], { MIGRATE_COMMAND: 'no-such-tool migrate' })
  assert.is(missing.code, 1)
  assert.match(lastLine(missing.stderr), 'datakeep: MIGRATE_COMMAND failed (exit 127)')
  const rb = await p.run('rollback', [], { MIGRATE_COMMAND: cmd })
  assert.equal([rb.code, lastLine(rb.stderr)], [2, "datakeep: MIGRATE_COMMAND is set, so migrations are not datakeep's to roll back; roll back with your framework's own command"])
  const st = await p.run('migrate-status', ['--json'], { MIGRATE_COMMAND: cmd })
  assert.is(JSON.parse(st.stdout).migrateCommand, cmd)
})

s.run()
