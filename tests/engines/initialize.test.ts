// initialize, _init, migrations, undo, deploy checks and the production guard: one suite run once per
// engine through the seam and the scripts, on the example migration and seed a fresh clone ships.
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { suite } from '../support/uvu.ts'
import * as assert from 'uvu/assert'
import { mariadbEngine } from '../../lib/engines/mariadb/index.ts'
import type { Engine } from '../../lib/engines/types.ts'
import { makePgStack } from '../support/pg-stack.ts'
import { lastLine, makeStack, runScript } from '../support/stack.ts'

interface EngineStack { dir: string; env: Record<string, string>; engine: Engine; destroy(): Promise<void> }
interface EngineCase {
  make: () => Promise<EngineStack>
  transactionalDdl: boolean
  /** What this engine's messages never name (the other engine's keys and programs). */
  foreign: RegExp
}

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

const CASES: Record<string, EngineCase> = {
  mariadb: {
    transactionalDdl: false,
    foreign: /POSTGRES_|PostgreSQL|psql|pg_dump/,
    make: async () => {
      const s = await makeStack({ start: false })
      return { dir: s.dir, env: s.env, engine: await mariadbEngine(s.cfg), destroy: () => s.destroy() }
    },
  },
  postgres: {
    transactionalDdl: true,
    foreign: /MYSQL_|MariaDB|MySQL|mariadb|mysqld/,
    make: async () => {
      // a database name other than MYSQL_DATABASE's default: messages and guards must name this one
      const s = await makePgStack({ start: false, env: { POSTGRES_DB: 'pgapp' } })
      return { dir: s.dir, env: s.env, engine: s.engine, destroy: () => s.destroy() }
    },
  },
}

for (const [name, c] of Object.entries(CASES)) {
  const s = suite(`initialize on ${name}`, { st: null as unknown as EngineStack })
  s.before(async (ctx) => {
    ctx.st = await c.make()
    // a fresh clone: the example migration(s) and seed exactly as the repository ships them
    for (const d of ['data/migrations', 'data/seed']) fs.cpSync(path.join(REPO, d), path.join(ctx.st.dir, d), { recursive: true })
  })
  s.after(async (ctx) => { await ctx.st?.destroy() })

  const titles = (st: EngineStack) => st.engine.withSql(async (sql) =>
    (await sql.query<{ title: string }>(`SELECT ${sql.ident('title')} FROM ${sql.ident('notes')} ORDER BY ${sql.ident('id')}`)).map((r) => r.title))
  const states = (st: EngineStack) => st.engine.tableStates()
  const exec = (st: EngineStack, q: string) => st.engine.withSql((sql) => sql.query(q))
  const db = (st: EngineStack) => st.engine.runtime.admin.database

  s('make up on a fresh clone: the shipped migration and seed give a migrated, seeded database', async ({ st }) => {
    const r = await runScript(st, 'up')
    assert.is(r.code, 0, r.stderr)
    assert.match(r.stderr, '_init is missing: seed a scratch database and store it as _init')
    assert.not.match(r.stderr, c.foreign)
    assert.equal(await titles(st), ['Welcome', 'Unicode'])
    const status = await runScript(st, 'status', ['--json'])
    assert.is(status.code, 0, status.stderr)
    assert.not.match(status.stdout + status.stderr, c.foreign)
    assert.is(JSON.parse(status.stdout).connect.database, db(st))
    const v = await st.engine.withSql((sql) => sql.query<{ version: string }>(`SELECT ${sql.ident('version')} FROM ${sql.ident('schema_migrations')}`))
    assert.equal(v.map((x) => String(x.version)), ['20260101000000'])
    assert.ok(fs.existsSync(path.join(st.dir, 'data/backups/_init/manifest.json')))
    // the new row gets the next key (identity / AUTO_INCREMENT work after the seed)
    await exec(st, "INSERT INTO notes (title) VALUES ('third')")
    assert.equal(await titles(st), ['Welcome', 'Unicode', 'third'])
    await exec(st, "DELETE FROM notes WHERE title = 'third'")
  })

  s('migrate_status --json: the shipped migration applied, none pending', async ({ st }) => {
    const r = await runScript(st, 'migrate-status', ['--json'])
    assert.is(r.code, 0, r.stderr)
    const j = JSON.parse(r.stdout)
    assert.is(j.database, db(st))
    assert.equal(j.applied.map((a: { version: string; name: string }) => [a.version, a.name]), [['20260101000000', 'create_notes']])
    assert.equal([j.pending, j.changed, j.missing], [[], [], []])
  })

  s('a second make up changes nothing and says the state is good', async ({ st }) => {
    const before = await states(st)
    const r = await runScript(st, 'up')
    assert.is(r.code, 0, r.stderr)
    assert.match(r.stderr, new RegExp(`state is good: database ${db(st)} has 2 tables`))
    assert.match(r.stderr, /has 2 tables, no pending migrations \(seeded from snapshot _init at .*\); nothing to do/)
    assert.equal(await states(st), before)
  })

  s('--dry-run prints the plan and changes nothing', async ({ st }) => {
    const before = await states(st)
    const r = await runScript(st, 'initialize', ['--dry-run'], { INIT_CLEAN: 'true' })
    assert.is(r.code, 0, r.stderr)
    assert.match(r.stderr, `1. clean: INIT_CLEAN=true: the 2 tables of ${db(st)} are replaced (after a safety snapshot)`)
    assert.match(r.stderr, '2. load-init _init: after INIT_CLEAN; _init matches the current migrations and seed')
    assert.equal(await states(st), before)
  })

  s('INIT_CLEAN=true reseeds from _init (after a safety snapshot) without rebuilding it', async ({ st }) => {
    await exec(st, "INSERT INTO notes (title) VALUES ('user data')")
    const init = fs.readFileSync(path.join(st.dir, 'data/backups/_init/manifest.json'), 'utf8')
    const r = await runScript(st, 'initialize', [], { INIT_CLEAN: 'true' })
    assert.is(r.code, 0, r.stderr)
    assert.not.match(r.stderr, 'build-init')
    assert.match(r.stderr, /_safety\/INIT_CLEAN-\d{14}/)
    assert.equal(await titles(st), ['Welcome', 'Unicode'])
    assert.is(fs.readFileSync(path.join(st.dir, 'data/backups/_init/manifest.json'), 'utf8'), init)
  })

  s('data_load over live data, then make undo restores it exactly; undo again returns', async ({ st }) => {
    await exec(st, "INSERT INTO notes (title) VALUES ('live only')")
    const before = await states(st)
    const load = await runScript(st, 'data-load', ['--name', '_init'])
    assert.is(load.code, 0, load.stderr)
    assert.match(load.stderr, 'to go back: make undo')
    const loaded = await states(st)
    assert.not.equal(loaded, before)
    const undo = await runScript(st, 'undo')
    assert.is(undo.code, 0, undo.stderr)
    assert.match(undo.stderr, /undo: restoring _safety\/data_load-\d{14}, the state before data_load at /)
    assert.equal(await states(st), before)
    assert.is((await runScript(st, 'undo')).code, 0)
    assert.equal(await states(st), loaded)
    assert.is((await runScript(st, 'undo')).code, 0)
    assert.equal(await states(st), before)
  })

  s('seed_data rebuilds _init and loads it, recorded for undo', async ({ st }) => {
    const before = await states(st)
    const r = await runScript(st, 'seed-data')
    assert.is(r.code, 0, r.stderr)
    assert.match(lastLine(r.stderr), db(st))
    assert.match(lastLine(r.stderr), /seeded \S+ from a new _init: \d+ tables, \d+ rows/)
    assert.equal(await titles(st), ['Welcome', 'Unicode'])
    assert.is((await runScript(st, 'undo')).code, 0)
    assert.equal(await states(st), before)
  })

  s('predeploy, rows deleted, postdeploy exits 1 with the table of differences', async ({ st }) => {
    const pre = await runScript(st, 'predeploy')
    assert.is(pre.code, 0, pre.stderr)
    await exec(st, "DELETE FROM notes WHERE title <> 'Welcome'")
    const post = await runScript(st, 'postdeploy')
    assert.is(post.code, 1, post.stderr)
    assert.match(post.stdout + post.stderr, /notes\s.*3\s.*1/)
    assert.match(lastLine(post.stderr), 'make data_load ARGS="--name predeploy-')
  })

  s('production refuses INIT_CLEAN, even with --confirm, on this engine\'s database; nothing changes', async ({ st }) => {
    const before = await states(st)
    let r = await runScript(st, 'initialize', [], { APP_ENV: 'production', INIT_CLEAN: 'true' })
    assert.is(r.code, 2, r.stderr)
    assert.match(lastLine(r.stderr), `refusing INIT_CLEAN on production database "${db(st)}"`)
    r = await runScript(st, 'initialize', [`--confirm=${db(st)}`], { APP_ENV: 'production', INIT_CLEAN: 'true' })
    assert.is(r.code, 2)
    r = await runScript(st, 'data-load', ['--name', '_init'], { APP_ENV: 'staging' })
    assert.is(r.code, 2)
    assert.match(lastLine(r.stderr), `refusing data_load on staging database "${db(st)}"; to go ahead, name the database: make data_load ARGS="--name _init --confirm=${db(st)}"`)
    assert.equal(await states(st), before)
  })

  s('a migration failing halfway: not recorded; on transactional DDL nothing of it stays', async ({ st }) => {
    const file = path.join(st.dir, 'data/migrations/20260201000000_half.sql')
    fs.writeFileSync(file, '-- migrate:up\nCREATE TABLE half (id int PRIMARY KEY);\nINSERT INTO half VALUES (1);\nINSERT INTO no_such_table VALUES (1);\n-- migrate:down\nDROP TABLE half;\n')
    const r = await runScript(st, 'migrate')
    assert.is(r.code, 1, r.stderr)
    assert.match(lastLine(r.stderr), 'migration 20260201000000_half.sql failed at statement 3')
    const tables = (await states(st)).map((t) => t.name)
    assert.is(tables.includes('half'), !c.transactionalDdl)
    const v = await st.engine.withSql((sql) => sql.query<{ version: string }>(`SELECT ${sql.ident('version')} FROM ${sql.ident('schema_migrations')}`))
    assert.equal(v.map((x) => String(x.version)), ['20260101000000'])
    fs.rmSync(file)
  })

  s('make rollback: a failing down section exits 1 (on transactional DDL the schema stays as it was); then a rollback after a safety snapshot, and undo', async ({ st }) => {
    const start = (await states(st)).map((t) => t.name).sort() // MariaDB keeps what the half-failed migration above created
    const file = path.join(st.dir, 'data/migrations/20260301000000_extra.sql')
    fs.writeFileSync(file, '-- migrate:up\nCREATE TABLE extra (id int PRIMARY KEY);\nINSERT INTO extra VALUES (1);\nALTER TABLE notes ADD COLUMN tag varchar(20) NULL;\n'
      + '-- migrate:down\nALTER TABLE notes DROP COLUMN tag;\nDROP TABLE extra;\nDROP TABLE blocker;\n')
    assert.is((await runScript(st, 'migrate')).code, 0)
    const versions = async () => (await st.engine.withSql((sql) => sql.query<{ version: string }>(`SELECT ${sql.ident('version')} FROM ${sql.ident('schema_migrations')}`))).map((x) => String(x.version)).sort()
    const before = await states(st)
    const bad = await runScript(st, 'rollback', ['--no-safety'])
    assert.is(bad.code, 1, bad.stderr)
    assert.match(lastLine(bad.stderr), 'migration 20260301000000_extra.sql failed at statement 3 (line 8) of its down section')
    assert.match(lastLine(bad.stderr), 'it stays recorded as applied')
    assert.equal(await versions(), ['20260101000000', '20260301000000'])
    if (c.transactionalDdl) {
      assert.equal(await states(st), before, 'the failed down section left nothing of itself')
    } else {
      // MariaDB/MySQL commit DDL at once: put back what the first two statements dropped, as its hint says
      assert.not.ok((await states(st)).some((t) => t.name === 'extra'))
      await exec(st, 'ALTER TABLE notes ADD COLUMN tag varchar(20) NULL')
      await exec(st, 'CREATE TABLE extra (id int PRIMARY KEY)')
    }
    await exec(st, 'CREATE TABLE blocker (id int)')
    const pre = await states(st)
    const r = await runScript(st, 'rollback')
    assert.is(r.code, 0, r.stderr)
    assert.match(r.stderr, /safety snapshot _safety\/rollback-\d{14} taken/)
    assert.is(r.stdout.trim(), '20260301000000_extra.sql')
    assert.match(lastLine(r.stderr), `rolled back 1 migration in ${db(st)}`)
    assert.not.match(r.stderr, c.foreign)
    assert.equal(await versions(), ['20260101000000'])
    assert.equal((await states(st)).map((t) => t.name).sort(), start)
    const undo = await runScript(st, 'undo')
    assert.is(undo.code, 0, undo.stderr)
    assert.equal(await states(st), pre)
    // back to the shipped state for the tests that follow
    assert.is((await runScript(st, 'rollback', ['--no-safety'])).code, 0)
    fs.rmSync(file)
  })

  s('a changed seed (a new .ts seeder) makes _init stale: INIT_CLEAN rebuilds it', async ({ st }) => {
    // a .ts seeder: `db` is the engine's client (mysql2 or pg), both of which take this query
    fs.writeFileSync(path.join(st.dir, 'data/seed/003_extra.ts'),
      "export default async ({ db, log }) => { await db.query(\"INSERT INTO notes (title) VALUES ('three')\"); log('ts seeder ran') }\n")
    const r = await runScript(st, 'initialize', [], { INIT_CLEAN: 'true' })
    assert.is(r.code, 0, r.stderr)
    assert.match(r.stderr, '_init is stale (migrations or seed changed)')
    assert.match(r.stderr, 'ts seeder ran')
    assert.equal(await titles(st), ['Welcome', 'Unicode', 'three'])
  })

  s('INIT_LOAD loads a snapshot over a full database after a safety snapshot; undo returns', async ({ st }) => {
    await exec(st, "INSERT INTO notes (title) VALUES ('in s1')")
    assert.is((await runScript(st, 'data-dump', ['--name', 's1'])).code, 0)
    await exec(st, 'DELETE FROM notes')
    const before = await states(st)
    const r = await runScript(st, 'initialize', [], { INIT_LOAD: 's1' })
    assert.is(r.code, 0, r.stderr)
    assert.match(r.stderr, `1. load s1: INIT_LOAD=s1: replaces the 2 tables of ${db(st)}`)
    assert.equal(await titles(st), ['Welcome', 'Unicode', 'three', 'in s1'])
    assert.is((await runScript(st, 'undo')).code, 0)
    assert.equal(await states(st), before)
  })

  s('data_load refuses a snapshot migrated by newer code, changing nothing', async ({ st }) => {
    const file = path.join(st.dir, 'data/migrations/20270101000000_add_extra.sql')
    fs.writeFileSync(file, '-- migrate:up\nALTER TABLE notes ADD COLUMN extra int NULL;\n-- migrate:down\nALTER TABLE notes DROP COLUMN extra;\n')
    assert.is((await runScript(st, 'migrate')).code, 0)
    assert.is((await runScript(st, 'data-dump', ['--name', 'newer'])).code, 0)
    fs.rmSync(file) // this checkout is older than the snapshot
    const before = await states(st)
    const r = await runScript(st, 'data-load', ['--name', 'newer', '--no-safety'])
    assert.is(r.code, 2, r.stderr)
    assert.is(lastLine(r.stderr), 'datakeep: the data was migrated by newer code: migration 20270101000000 is applied in it but has no file in data/migrations; to fix: update this checkout to the code that has them (git pull), then load again')
    assert.equal(await states(st), before)
  })

  s('data_load records what it loaded in the marker (a snapshot, a plain SQL file); check names it', async ({ st }) => {
    const marker = async () => {
      const r = await runScript(st, 'check', ['--json'])
      assert.is(r.code, 0, r.stderr)
      return JSON.parse(r.stdout).marker as { action: string; snapshot: string }
    }
    // the live database still records the migration the test above applied and took away: back to the seed first
    const clean = await runScript(st, 'initialize', [], { INIT_CLEAN: 'true' })
    assert.is(clean.code, 0, clean.stderr)
    const s2 = await runScript(st, 'data-dump', ['--name', 's2'])
    assert.is(s2.code, 0, s2.stderr)
    const sql = await runScript(st, 'data-dump', ['--name', 'plain', '--format', 'sql'])
    assert.is(sql.code, 0, sql.stderr)
    const l = await runScript(st, 'data-load', ['--file', sql.stdout.trim(), '--no-safety'])
    assert.is(l.code, 0, l.stderr)
    assert.equal([(await marker()).action, (await marker()).snapshot], ['loaded', 'file:plain.sql'])
    const load = await runScript(st, 'data-load', ['--name', 's2', '--no-safety'])
    assert.is(load.code, 0, load.stderr)
    assert.equal([(await marker()).action, (await marker()).snapshot], ['loaded', 's2'])
  })

  s('check exits 1 when the database is empty but the marker says data_load filled it', async ({ st }) => {
    assert.is((await runScript(st, 'check')).code, 0)
    await exec(st, 'DELETE FROM notes')
    await exec(st, 'DELETE FROM schema_migrations')
    const r = await runScript(st, 'check')
    assert.is(r.code, 1, r.stderr)
    assert.match(r.stdout + r.stderr, `database ${db(st)} is empty, but it was loaded from snapshot s2`)
    assert.match(lastLine(r.stderr), 'make data_load ARGS="--name')
  })

  s.run()
}
