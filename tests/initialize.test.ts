// initialize, seed_data, _init and undo, for real (the init folder: tests/engines/init-folder.test.ts): spawned scripts on a private server.
import fs from 'node:fs'
import path from 'node:path'
import { suite } from './support/uvu.ts'
import * as assert from 'uvu/assert'
import { fingerprint, sql } from './support/fingerprint.ts'
import { lastLine, makeStack, runScript, type TestStack } from './support/stack.ts'

const MIGRATION = `-- migrate:up
CREATE TABLE notes (id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, title VARCHAR(200) NOT NULL);
-- migrate:down
DROP TABLE notes;
`
function writeProject(dir: string): void {
  fs.mkdirSync(path.join(dir, 'data/migrations'), { recursive: true })
  fs.mkdirSync(path.join(dir, 'data/seed'), { recursive: true })
  fs.writeFileSync(path.join(dir, 'data/migrations/20260101000000_create_notes.sql'), MIGRATION)
  fs.writeFileSync(path.join(dir, 'data/seed/001_notes.sql'), "INSERT INTO notes (title) VALUES ('one'), ('two 🎉');\n")
  fs.writeFileSync(path.join(dir, 'data/seed/002_more.ts'),
    "export default async ({ db, log }) => { await db.query(\"INSERT INTO notes (title) VALUES ('from ts')\"); log('ts seeder ran') }\n")
}
const notes = async (stack: TestStack) => (await sql(stack, 'SELECT title FROM notes ORDER BY id', 'app')).trim().split('\n')
const reindexCount = (stack: TestStack) => {
  try { return fs.readFileSync(path.join(stack.dir, 'reindexed.log'), 'utf8').trim().split('\n').length } catch { return 0 }
}

const t = suite('initialize', { stack: null as unknown as TestStack })
t.before(async (ctx) => {
  ctx.stack = await makeStack({ start: false, env: { REINDEX_COMMAND: 'echo x >> reindexed.log; touch index.present', INDEX_CHECK_COMMAND: 'test -f index.present' } })
  writeProject(ctx.stack.dir)
})
t.after(async (ctx) => { await ctx.stack?.destroy() })

t('make up on a fresh project: migrated, seeded through _init, indexed', async ({ stack }) => {
  const r = await runScript(stack, 'up')
  assert.is(r.code, 0, r.stderr)
  assert.match(r.stderr, '1. build-init: app has no tables; _init is missing: seed a scratch database and store it as _init')
  assert.match(r.stderr, 'ts seeder ran')
  assert.match(r.stderr, 'reindex: the search index is missing')
  assert.equal(await notes(stack), ['one', 'two 🎉', 'from ts'])
  assert.ok(fs.existsSync(path.join(stack.dir, 'data/backups/_init/manifest.json')))
  assert.is(reindexCount(stack), 1)
  assert.is((await sql(stack, 'SELECT version FROM schema_migrations', 'app')).trim(), '20260101000000')
})

t('a second make up changes nothing and says the state is good', async ({ stack }) => {
  const before = await stack.db((db) => fingerprint(db, 'app'))
  const r = await runScript(stack, 'up')
  assert.is(r.code, 0, r.stderr)
  assert.match(r.stderr, /state is good: database app has 2 tables, no pending migrations, index present \(seeded from snapshot _init at .*\); nothing to do/)
  assert.equal(await stack.db((db) => fingerprint(db, 'app')), before)
  assert.is(reindexCount(stack), 1)
})

t('--dry-run prints the plan and changes nothing', async ({ stack }) => {
  const before = await stack.db((db) => fingerprint(db, 'app'))
  const r = await runScript(stack, 'initialize', ['--dry-run'], { INIT_CLEAN: 'true' })
  assert.is(r.code, 0, r.stderr)
  assert.match(r.stderr, '1. clean: INIT_CLEAN=true: the 2 tables of app are replaced (after a safety snapshot)')
  assert.match(r.stderr, '2. load-init _init: after INIT_CLEAN; _init matches the current migrations and seed')
  assert.equal(await stack.db((db) => fingerprint(db, 'app')), before)
})

t('INIT_CLEAN=true reseeds from _init without rebuilding it', async ({ stack }) => {
  await sql(stack, "INSERT INTO notes (title) VALUES ('user data')", 'app')
  const initManifest = fs.readFileSync(path.join(stack.dir, 'data/backups/_init/manifest.json'), 'utf8')
  const r = await runScript(stack, 'initialize', [], { INIT_CLEAN: 'true' })
  assert.is(r.code, 0, r.stderr)
  assert.not.match(r.stderr, 'build-init')
  assert.match(r.stderr, /taking safety snapshot _safety\/INIT_CLEAN-\d{14}/)
  assert.equal(await notes(stack), ['one', 'two 🎉', 'from ts'])
  assert.is(fs.readFileSync(path.join(stack.dir, 'data/backups/_init/manifest.json'), 'utf8'), initManifest)
  assert.is(reindexCount(stack), 2)
})

t('a changed seed makes _init stale: INIT_CLEAN rebuilds it', async ({ stack }) => {
  fs.writeFileSync(path.join(stack.dir, 'data/seed/003_extra.sql'), "INSERT INTO notes (title) VALUES ('three');\n")
  const r = await runScript(stack, 'initialize', [], { INIT_CLEAN: 'true' })
  assert.is(r.code, 0, r.stderr)
  assert.match(r.stderr, '_init is stale (migrations or seed changed)')
  assert.equal(await notes(stack), ['one', 'two 🎉', 'from ts', 'three'])
})

t('INIT_LOAD loads a snapshot over a full database (after a safety snapshot); a missing one is refused', async ({ stack }) => {
  await sql(stack, "INSERT INTO notes (title) VALUES ('in s1')", 'app')
  assert.is((await runScript(stack, 'data-dump', ['--name', 's1'])).code, 0)
  await sql(stack, 'DELETE FROM notes', 'app')
  let r = await runScript(stack, 'initialize', [], { INIT_LOAD: 's1' })
  assert.is(r.code, 0, r.stderr)
  assert.match(r.stderr, '1. load s1: INIT_LOAD=s1: replaces the 2 tables of app')
  assert.equal(await notes(stack), ['one', 'two 🎉', 'from ts', 'three', 'in s1'])
  r = await runScript(stack, 'initialize', [], { INIT_LOAD: 'nope' })
  assert.is(r.code, 2)
  assert.match(lastLine(r.stderr), 'snapshot "nope" does not exist')
  r = await runScript(stack, 'initialize', [], { INIT_CLEAN: 'maybe' })
  assert.is(r.code, 2)
  assert.match(lastLine(r.stderr), 'INIT_CLEAN="maybe" is not a boolean')
})

t('data_load over a live database, then undo brings the previous state back exactly', async ({ stack }) => {
  await sql(stack, "INSERT INTO notes (title) VALUES ('before undo')", 'app')
  const before = await stack.db((db) => fingerprint(db, 'app'))
  const load = await runScript(stack, 'data-load', ['--name', '_init'])
  assert.is(load.code, 0, load.stderr)
  const afterLoad = await stack.db((db) => fingerprint(db, 'app'))
  assert.not.equal(afterLoad, before)
  const undo = await runScript(stack, 'undo')
  assert.is(undo.code, 0, undo.stderr)
  assert.match(undo.stderr, /undo: restoring _safety\/data_load-\d{14}, the state before data_load at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/)
  assert.match(lastLine(undo.stderr), /undid data_load: restored _safety\/data_load-\d{14} into app .*; the state before the undo is in _safety\/undo-\d{14}/)
  assert.equal(await stack.db((db) => fingerprint(db, 'app')), before)
  // undo twice: back to where the first undo started (the loaded _init)
  const again = await runScript(stack, 'undo')
  assert.is(again.code, 0, again.stderr)
  assert.match(again.stderr, /undo: restoring _safety\/undo-\d{14}, the state before undo at /)
  assert.equal(await stack.db((db) => fingerprint(db, 'app')), afterLoad)
  // and a third time: the state before the second undo, i.e. `before` again
  assert.is((await runScript(stack, 'undo')).code, 0)
  assert.equal(await stack.db((db) => fingerprint(db, 'app')), before)
})

t('undo follows the record: an operation that reused a snapshot is undone to that snapshot, not to an older safety one', async ({ stack }) => {
  // an unrelated, older safety snapshot exists (from the test above); par2 holds the state now
  await sql(stack, "INSERT INTO notes (title) VALUES ('par2 state')", 'app')
  const par2 = await stack.db((db) => fingerprint(db, 'app'))
  assert.is((await runScript(stack, 'data-dump', ['--name', 'par2'])).code, 0)
  const clean = await runScript(stack, 'initialize', [], { INIT_CLEAN: 'true' })
  assert.is(clean.code, 0, clean.stderr)
  assert.match(clean.stderr, 'snapshot par2 already holds the current state')
  assert.match(clean.stderr, 'to go back: make undo (or make data_load ARGS="--name par2")')
  assert.not.equal(await stack.db((db) => fingerprint(db, 'app')), par2)
  const undo = await runScript(stack, 'undo')
  assert.is(undo.code, 0, undo.stderr)
  assert.match(undo.stderr, /undo: restoring par2, the state before INIT_CLEAN at /)
  assert.equal(await stack.db((db) => fingerprint(db, 'app')), par2)
})

t('--no-safety: no "make undo" is offered, and undo refuses naming why; nothing changes', async ({ stack }) => {
  const load = await runScript(stack, 'data-load', ['--name', 'par2', '--no-safety'])
  assert.is(load.code, 0, load.stderr)
  assert.not.match(load.stderr, 'make undo')
  const state = await stack.db((db) => fingerprint(db, 'app'))
  const undo = await runScript(stack, 'undo')
  assert.is(undo.code, 2)
  assert.match(lastLine(undo.stderr), /cannot undo data_load at .* UTC: no snapshot holds the state before it \(--no-safety: no safety snapshot taken\); nothing was changed/)
  assert.equal(await stack.db((db) => fingerprint(db, 'app')), state)
})

t('production refuses INIT_CLEAN, even with --confirm, unless allowed from the environment', async ({ stack }) => {
  const before = await stack.db((db) => fingerprint(db, 'app'))
  let r = await runScript(stack, 'initialize', [], { APP_ENV: 'production', INIT_CLEAN: 'true' })
  assert.is(r.code, 2)
  assert.match(lastLine(r.stderr), 'refusing INIT_CLEAN on production database "app"')
  r = await runScript(stack, 'initialize', ['--confirm=app'], { APP_ENV: 'production', INIT_CLEAN: 'true' })
  assert.is(r.code, 2)
  r = await runScript(stack, 'data-load', ['--name', 's1'], { APP_ENV: 'staging' })
  assert.is(r.code, 2)
  assert.match(lastLine(r.stderr), 'refusing data_load on staging database "app"; to go ahead, name the database: make data_load ARGS="--name s1 --confirm=app"')
  assert.equal(await stack.db((db) => fingerprint(db, 'app')), before)
})

t('an error while inspecting stops before anything is destroyed', async ({ stack }) => {
  const before = await stack.db((db) => fingerprint(db, 'app'))
  const file = path.join(stack.dir, 'data/migrations/20260101000000_create_notes.sql')
  fs.writeFileSync(file, MIGRATION.replace('200', '250'))
  const r = await runScript(stack, 'initialize', [], { INIT_CLEAN: 'true' })
  assert.not.equal(r.code, 0)
  assert.match(lastLine(r.stderr), '20260101000000_create_notes.sql')
  assert.equal(await stack.db((db) => fingerprint(db, 'app')), before)
  fs.writeFileSync(file, MIGRATION)
})

t('seed_data rebuilds _init and loads it; the old _init stays until the new one is complete', async ({ stack }) => {
  const r = await runScript(stack, 'seed-data')
  assert.is(r.code, 0, r.stderr)
  assert.match(lastLine(r.stderr), /seeded app from a new _init: 2 tables, 5 rows/)
  assert.equal(await notes(stack), ['one', 'two 🎉', 'from ts', 'three'])
  fs.writeFileSync(path.join(stack.dir, 'data/seed/004_bad.sql'), 'INSERT INTO no_such_table VALUES (1);\n')
  const initBefore = fs.readFileSync(path.join(stack.dir, 'data/backups/_init/manifest.json'), 'utf8')
  const bad = await runScript(stack, 'seed-data')
  assert.is(bad.code, 1)
  assert.match(lastLine(bad.stderr), 'seed 004_bad.sql failed')
  assert.is(fs.readFileSync(path.join(stack.dir, 'data/backups/_init/manifest.json'), 'utf8'), initBefore)
  assert.equal(await notes(stack), ['one', 'two 🎉', 'from ts', 'three'])
  fs.rmSync(path.join(stack.dir, 'data/seed/004_bad.sql'))
})

t('data_load refuses a snapshot migrated by newer code, changing nothing', async ({ stack }) => {
  const file = path.join(stack.dir, 'data/migrations/20270101000000_add_extra.sql')
  fs.writeFileSync(file, '-- migrate:up\nALTER TABLE notes ADD COLUMN extra INT NULL;\n-- migrate:down\nALTER TABLE notes DROP COLUMN extra;\n')
  assert.is((await runScript(stack, 'migrate')).code, 0)
  assert.is((await runScript(stack, 'data-dump', ['--name', 'newer'])).code, 0)
  const rb = await runScript(stack, 'rollback', ['--no-safety'])
  assert.is(rb.code, 0, rb.stderr)
  fs.rmSync(file)
  const before = await stack.db((db) => fingerprint(db, 'app'))
  const r = await runScript(stack, 'data-load', ['--name', 'newer', '--no-safety'])
  assert.is(r.code, 2, r.stderr)
  assert.is(lastLine(r.stderr), 'datakeep: the data was migrated by newer code: migration 20270101000000 is applied in it but has no file in data/migrations; to fix: update this checkout to the code that has them (git pull), then load again')
  assert.equal(await stack.db((db) => fingerprint(db, 'app')), before)
})

t.run()
