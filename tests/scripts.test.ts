// Each script spawned for real in a temp project: exit codes, stdout, the exact error line.
import fs from 'node:fs'
import path from 'node:path'
import { suite } from './support/uvu.ts'
import * as assert from 'uvu/assert'
import { freePort, lastLine, makeStack, runScript, type TestStack } from './support/stack.ts'

const SCRIPTS = ['up', 'down', 'status', 'initialize', 'volume-create', 'volume-remove']

const s = suite('scripts', { stack: null as unknown as TestStack })
s.before(async (ctx) => { ctx.stack = await makeStack({ start: false }) })
s.after(async (ctx) => { await ctx.stack?.destroy() })

s('every script refuses an unknown flag with exit 2 and its usage', async ({ stack }) => {
  for (const name of SCRIPTS) {
    const r = await runScript(stack, name, ['--bogus'])
    assert.is(r.code, 2, name)
    assert.match(lastLine(r.stderr), /^datakeep: Unknown option '--bogus'; usage: make /, name)
  }
  const r = await runScript(stack, 'status', ['extra'])
  assert.is(r.code, 2)
  assert.match(lastLine(r.stderr), "datakeep: Unexpected argument 'extra'")
})

s('--help prints the usage and exits 0 without doing anything', async ({ stack }) => {
  for (const name of [...SCRIPTS, 'data-dump', 'data-load']) {
    const r = await runScript(stack, name, ['--help'])
    assert.is(r.code, 0, name)
    assert.match(r.stdout, /^usage: make /, name)
  }
  assert.not.ok(fs.existsSync(path.join(stack.dir, 'data/backups')))
})

s('bad config exits 2 naming every bad key', async ({ stack }) => {
  const r = await runScript(stack, 'status', [], { VERBOSE: 'maybe', MYSQL_PORT: '0' })
  assert.is(r.code, 2)
  assert.is(lastLine(r.stderr), 'datakeep: bad config (2 keys): MYSQL_PORT="0" is not a port (1-65535) (from environment); '
    + 'VERBOSE="maybe" is not a boolean (true/false/1/0/yes/no) (from environment); fix them in .env or the environment; .env.example describes every key')
})

s('status of a stack never started says down', async ({ stack }) => {
  const r = await runScript(stack, 'status', ['--json'])
  assert.is(r.code, 0, r.stderr)
  const j = JSON.parse(r.stdout)
  assert.is(j.runtime, 'local')
  assert.is(j.server.running, false)
  assert.is(j.data.exists, false)
})

s('initialize without a server exits 1 and says make up', async ({ stack }) => {
  const r = await runScript(stack, 'initialize')
  assert.is(r.code, 1)
  assert.is(lastLine(r.stderr), 'datakeep: the database server is not running (not started); to fix: make up')
})

s('up starts the server and creates the database; status shows tables and rows', async ({ stack }) => {
  const r = await runScript(stack, 'up')
  assert.is(r.code, 0, r.stderr)
  assert.match(r.stderr, 'database app ready')
  await stack.db((db) => db.query('CREATE TABLE t1 (id INT PRIMARY KEY)'))
  await stack.db((db) => db.query('INSERT INTO t1 VALUES (1), (2), (3)'))
  const text = await runScript(stack, 'status')
  assert.is(text.code, 0)
  assert.match(text.stdout, /^runtime: +local$/m)
  assert.match(text.stdout, /^server: +up \(pid \d+\), .*MariaDB/m)
  assert.match(text.stdout, /^database: +app, 1 table$/m)
  assert.match(text.stdout, /^t1 +table +3$/m)
  const json = JSON.parse((await runScript(stack, 'status', ['--json'])).stdout)
  assert.equal(json.database.tables, [{ table: 't1', type: 'table', rows: 3 }])
  assert.ok(json.data.bytes > 0)
  assert.match(json.server.version, 'MariaDB')
})

s('the external runtime connects to a running server and starts nothing', async ({ stack }) => {
  const url = `mysql://app:app@127.0.0.1:${stack.cfg.MYSQL_PORT}/app`
  const env = { DATAKEEP_RUNTIME: 'external', DATABASE_URL: url }
  const up = await runScript(stack, 'up', [], env)
  assert.is(up.code, 0, up.stderr)
  const st = JSON.parse((await runScript(stack, 'status', ['--json'], env)).stdout)
  assert.is(st.runtime, 'external')
  assert.equal(st.database.tables, [{ table: 't1', type: 'table', rows: 3 }])
  const vol = await runScript(stack, 'volume-remove', [], env)
  assert.is(vol.code, 2)
  assert.match(lastLine(vol.stderr), 'the external runtime has no volume to remove')
  const down = await runScript(stack, 'up', [], { ...env, DATABASE_URL: `mysql://app:app@127.0.0.1:${await freePort()}/app` })
  assert.is(down.code, 1)
  assert.match(lastLine(down.stderr), /^datakeep: the database server does not answer at 127\.0\.0\.1:\d+ \(ECONNREFUSED\); to fix: make up$/)
})

s('volume removal is refused while up; down keeps the data; up again finds the row', async ({ stack }) => {
  const refused = await runScript(stack, 'volume-remove')
  assert.is(refused.code, 2)
  assert.is(lastLine(refused.stderr), 'datakeep: the database server is running; its data directory cannot be removed; run make down first')
  const down = await runScript(stack, 'down')
  assert.is(down.code, 0, down.stderr)
  assert.match(down.stderr, 'the data stays in')
  assert.ok(fs.existsSync(path.join(stack.rt.paths.dataDir, 'app')))
  assert.is((await runScript(stack, 'down')).code, 0)
  assert.is((await runScript(stack, 'up')).code, 0)
  const st = JSON.parse((await runScript(stack, 'status', ['--json'])).stdout)
  assert.equal(st.database.tables, [{ table: 't1', type: 'table', rows: 3 }])
})

s('down, volume remove, up gives an empty database; volume create is idempotent', async ({ stack }) => {
  assert.is((await runScript(stack, 'down')).code, 0)
  const rm = await runScript(stack, 'volume-remove')
  assert.is(rm.code, 0, rm.stderr)
  assert.match(rm.stderr, 'the next make up starts with an empty database')
  const again = await runScript(stack, 'volume-remove')
  assert.is(again.code, 0)
  assert.match(again.stderr, 'nothing to remove')
  assert.match((await runScript(stack, 'volume-create')).stderr, 'created')
  assert.match((await runScript(stack, 'volume-create')).stderr, 'already exists')
  assert.is((await runScript(stack, 'up')).code, 0)
  const st = JSON.parse((await runScript(stack, 'status', ['--json'])).stdout)
  assert.equal(st.database.tables, [])
  assert.is((await runScript(stack, 'down')).code, 0)
})

s.run()
