// The make targets on DB_ENGINE=postgres, spawned for real in a temp project as a new user runs
// them: up starts a private cluster and creates the database, a row survives down + up, status and
// check report it, data_dump / data_load bring back database and files, --file takes seed 004's backup.
import fs from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'
import { suite } from '../support/uvu.ts'
import * as assert from 'uvu/assert'
import { pgQuery } from '../../lib/engines/postgres/db.ts'
import { clientBinDir, plainDumpArgv } from '../../lib/engines/postgres/tools.ts'
import { HOST, run } from '../../lib/run.ts'
import { makePgStack, type PgTestStack } from '../support/pg-stack.ts'
import { lastLine, runScript } from '../support/stack.ts'

const s = suite('pg scripts', { stack: null as unknown as PgTestStack })
s.before(async (ctx) => { ctx.stack = await makePgStack({ start: false }) })
s.after(async (ctx) => { await ctx.stack?.destroy() })

const rows = (stack: PgTestStack) => stack.pg(async (c) => (await pgQuery<{ id: number }>(c, 'SELECT id FROM t1 ORDER BY id')).map((r) => r.id))

s('status of a cluster never started says down', async ({ stack }) => {
  const r = await runScript(stack, 'status', ['--json'])
  assert.is(r.code, 0, r.stderr)
  const j = JSON.parse(r.stdout)
  assert.is(j.server.running, false)
  assert.is(j.data.exists, false)
  assert.match(j.data.where, /data\/postgres$/)
})

s('up starts a private cluster, creates role and database; status and check show the rows', async ({ stack }) => {
  const r = await runScript(stack, 'up')
  assert.is(r.code, 0, r.stderr)
  assert.match(r.stderr, 'initializing a new PostgreSQL cluster')
  assert.match(r.stderr, 'database app ready')
  await stack.pg(async (c) => {
    const [o] = await pgQuery<{ owner: string }>(c, "SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = 'app'")
    assert.is(o.owner, 'app')
    await c.query('CREATE TABLE t1 (id int PRIMARY KEY); INSERT INTO t1 VALUES (1), (2), (3)')
  })
  const text = await runScript(stack, 'status')
  assert.match(text.stdout, /^server: +up \(pid \d+\), PostgreSQL \d+/m)
  assert.match(text.stdout, /^t1 +table +3$/m)
  // how to connect names the PostgreSQL keys, never MariaDB's
  assert.match(text.stdout, `connect:   host 127.0.0.1, port ${stack.cfg.POSTGRES_PORT}, socket ${stack.engine.runtime.admin.host}, database app`)
  assert.match(text.stdout, 'user app, password POSTGRES_PASSWORD (the default: set it in .env); user postgres, password none (through the socket only)')
  assert.not.match(text.stdout + text.stderr, 'MYSQL_')
  const json = await runScript(stack, 'status', ['--json'])
  assert.equal(JSON.parse(json.stdout).connect.users, [{ user: 'app', password: 'POSTGRES_PASSWORD (the default: set it in .env)' }, { user: 'postgres', password: 'none (through the socket only)' }])
  assert.not.match(json.stdout, 'MYSQL_')
  const check = await runScript(stack, 'check', ['--json'])
  assert.is(check.code, 0, check.stderr)
  assert.is(JSON.parse(check.stdout).database.rows, 3)
  // the application role logs in over TCP with its password
  await run(HOST, [path.join(clientBinDir(stack.cfg), 'psql'), '-h', '127.0.0.1', '-p', String(stack.cfg.POSTGRES_PORT), '-U', 'app', '-d', 'app', '-c', 'SELECT 1'], { env: { PGPASSWORD: 'app' } })
})

s('commands not ported yet refuse PostgreSQL in one line, exit 2', async ({ stack }) => {
  // point-in-time recovery reads MariaDB's binary logs; PostgreSQL's WAL equivalent is not built
  const r = await runScript(stack, 'data-timeline', ['--since', '_init'])
  assert.is(r.code, 2, r.stderr)
  assert.match(lastLine(r.stderr), 'datakeep: this command does not run on PostgreSQL yet (DB_ENGINE=postgres)', r.stderr)
})

s('data_dump, delete rows and files, data_load brings back exactly what was dumped', async ({ stack }) => {
  const storage = path.join(stack.dir, 'data/storage')
  fs.mkdirSync(storage, { recursive: true })
  fs.writeFileSync(path.join(storage, 'a.txt'), 'upload')
  const d = await runScript(stack, 'data-dump', ['--name', 's1'])
  assert.is(d.code, 0, d.stderr)
  assert.match(d.stdout.trim(), /data\/backups\/s1$/)
  // t1 was just created and filled: PostgreSQL has no row estimate for it yet, and says so rather than "about 0 rows"
  assert.match(d.stderr, 'dump s1: rows not estimated yet (tables never analyzed)')
  await stack.pg((c) => c.query('ANALYZE t1'))
  const again = await runScript(stack, 'data-dump', ['--name', 's0'])
  assert.is(again.code, 0, again.stderr)
  assert.match(again.stderr, 'dump s0: about 3 rows')
  await stack.pg((c) => c.query('DELETE FROM t1 WHERE id > 1'))
  fs.rmSync(path.join(storage, 'a.txt'))
  const l = await runScript(stack, 'data-load', ['--name', 's1'])
  assert.is(l.code, 0, l.stderr)
  assert.match(l.stderr, /loaded snapshot s1 into app: 1 table, 3 rows, 1 file, verified/)
  assert.match(l.stderr, /safety snapshot _safety\/data_load-\d+ taken/)
  assert.equal(await rows(stack), [1, 2, 3])
  assert.is(fs.readFileSync(path.join(storage, 'a.txt'), 'utf8'), 'upload')
  const list = await runScript(stack, 'data-list')
  assert.match(list.stdout + list.stderr, 's1')
})

s('data_verify --deep loads s1 into a scratch database and compares; a flipped byte is named', async ({ stack }) => {
  const ok = await runScript(stack, 'data-verify', ['--name', 's1', '--deep'])
  assert.is(ok.code, 0, ok.stderr)
  assert.match(ok.stderr, 'snapshot s1 verified (deep: loaded and compared)')
  const dir = path.join(stack.dir, 'data/backups/s1')
  fs.cpSync(dir, path.join(stack.dir, 'data/backups/s1bad'), { recursive: true })
  const f = path.join(stack.dir, 'data/backups/s1bad/schema/post-data.sql')
  fs.appendFileSync(f, '-- edited\n')
  const bad = await runScript(stack, 'data-verify', ['--name', 's1bad', '--deep'])
  assert.is(bad.code, 1)
  assert.match(lastLine(bad.stderr), /snapshot "s1bad" failed verification: schema\/post-data\.sql: \d+ bytes, the manifest says \d+/)
  assert.equal(await stack.pg((c) => pgQuery(c, "SELECT datname FROM pg_database WHERE datname LIKE '\\_dk\\_%'"), null), [])
})

s('an application connected during a load is told about and disconnected at the swap', async ({ stack }) => {
  const { pgConnect } = await import('../../lib/engines/postgres/db.ts')
  const app = await pgConnect({ ...stack.engine.runtime.admin, user: 'app', password: 'app', host: '127.0.0.1' })
  let ended = false
  app.on('error', () => { ended = true })
  app.on('end', () => { ended = true })
  const l = await runScript(stack, 'data-load', ['--name', 's1', '--no-safety'])
  assert.is(l.code, 0, l.stderr)
  assert.match(l.stderr, '1 connection to app will be closed (applications must reconnect)')
  await app.query('SELECT 1').then(() => assert.unreachable('the old session survived the swap'), () => undefined)
  await new Promise((r) => setTimeout(r, 50))
  assert.ok(ended)
  await app.end().catch(() => undefined)
})

s('data_load refuses a missing snapshot and a bad name, changing nothing', async ({ stack }) => {
  const missing = await runScript(stack, 'data-load', ['--name', 'nope'])
  assert.is(missing.code, 2)
  assert.match(lastLine(missing.stderr), 'snapshot "nope" does not exist')
  const bad = await runScript(stack, 'data-load', ['--name', '../x'])
  assert.is(bad.code, 2)
  assert.match(lastLine(bad.stderr), 'invalid snapshot name "../x"')
  assert.equal(await rows(stack), [1, 2, 3])
})

s('data_load --file backup.sql.gz (pg_dump | gzip, as seed 004 makes it) and data_dump --format sql --gzip', async ({ stack }) => {
  const dumped = await run(HOST, plainDumpArgv(clientBinDir(stack.cfg), stack.engine.runtime.clientArgs(), 'app'))
  fs.writeFileSync(path.join(stack.dir, 'backup.sql.gz'), zlib.gzipSync(dumped.stdout))
  await stack.pg((c) => c.query('DELETE FROM t1'))
  const l = await runScript(stack, 'data-load', ['--file', 'backup.sql.gz', '--no-safety'])
  assert.is(l.code, 0, l.stderr)
  assert.equal(await rows(stack), [1, 2, 3])
  const d = await runScript(stack, 'data-dump', ['--name', 'plain', '--format', 'sql', '--gzip'])
  assert.is(d.code, 0, d.stderr)
  assert.match(d.stderr, /restore with: gunzip -c .*plain\.sql\.gz \| psql <database>/)
  // owner-only from the first byte, as every snapshot
  const mode = (p: string) => (fs.statSync(p).mode & 0o777).toString(8)
  assert.is(mode(d.stdout.trim()), '600')
  const s1 = path.join(stack.dir, 'data/backups/s1')
  assert.is(mode(s1), '700')
  for (const f of ['manifest.json', 'schema/pre-data.sql', 'schema/postgres.json', 'storage.tar.gz']) assert.is(mode(path.join(s1, f)), '600', f)
  for (const f of fs.readdirSync(path.join(s1, 'data'))) assert.is(mode(path.join(s1, 'data', f)), '600', f)
})

s('volume removal refused while up; down keeps the data; up finds the row; remove + up gives an empty database', async ({ stack }) => {
  const refused = await runScript(stack, 'volume-remove')
  assert.is(refused.code, 2)
  assert.match(lastLine(refused.stderr), 'the PostgreSQL server is running; its data directory cannot be removed; run make down first')
  assert.is((await runScript(stack, 'down')).code, 0)
  assert.is((await runScript(stack, 'down')).code, 0)
  assert.is((await runScript(stack, 'up')).code, 0)
  assert.equal(await rows(stack), [1, 2, 3])
  assert.is((await runScript(stack, 'down')).code, 0)
  const rm = await runScript(stack, 'volume-remove', ['--no-safety'])
  assert.is(rm.code, 0, rm.stderr)
  assert.match((await runScript(stack, 'volume-create')).stderr, 'created')
  assert.match((await runScript(stack, 'volume-create')).stderr, 'already exists')
  assert.is((await runScript(stack, 'up')).code, 0)
  const st = JSON.parse((await runScript(stack, 'status', ['--json'])).stdout)
  assert.equal(st.database.tables, [])
  assert.is((await runScript(stack, 'down')).code, 0)
})

s.run()
