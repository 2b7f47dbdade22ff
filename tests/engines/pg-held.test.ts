// PostgreSQL safety snapshots held in the server (lib/engines/postgres/held.ts): a copy of the database
// (CREATE DATABASE ... TEMPLATE) before a load and before undo, loaded back by undo exactly, rows and files;
// a logical snapshot instead when sessions an operation must not close are connected; pruned ones' databases
// dropped; a held database without its folder (a run killed in between) is debris; a folder without its
// database is refused before anything changes.
import fs from 'node:fs'
import path from 'node:path'
import { suite } from '../support/uvu.ts'
import * as assert from 'uvu/assert'
import { pgConnect, pgQuery } from '../../lib/engines/postgres/db.ts'
import { readManifest } from '../../lib/snapshot/manifest.ts'
import { makePgStack, type PgTestStack } from '../support/pg-stack.ts'
import { lastLine, runScript } from '../support/stack.ts'

const s = suite('pg held safety snapshots', { stack: null as unknown as PgTestStack })
s.before(async (ctx) => {
  ctx.stack = await makePgStack({ env: { SAFETY_KEEP: '2' } })
  await ctx.stack.pg(async (c) => {
    await c.query('CREATE TABLE t1 (id int PRIMARY KEY, v text)')
    await c.query("INSERT INTO t1 SELECT g, 'snap' || g FROM generate_series(1, 3) g")
  })
  fs.mkdirSync(path.join(ctx.stack.dir, 'data/storage'), { recursive: true })
  fs.writeFileSync(path.join(ctx.stack.dir, 'data/storage/a.txt'), 'snapshot file')
  const d = await runScript(ctx.stack, 'data-dump', ['--name', 's1'])
  assert.is(d.code, 0, d.stderr)
})
s.after(async (ctx) => { await ctx.stack?.destroy() })

const rows = (st: PgTestStack) => st.pg(async (c) => (await pgQuery<{ id: number; v: string }>(c, 'SELECT id, v FROM t1 ORDER BY id')).map((r) => `${r.id}:${r.v}`))
const heldDbs = (st: PgTestStack) => st.pg(async (c) => (await pgQuery<{ n: string }>(c, "SELECT datname AS n FROM pg_database WHERE datname LIKE '\\_dkheld\\_%' ORDER BY 1")).map((r) => r.n), null)
const storageFile = (st: PgTestStack) => fs.readFileSync(path.join(st.dir, 'data/storage/b.txt'), 'utf8')
const safetyName = (text: string) => /safety snapshot (_safety\/\S+) taken/.exec(text)?.[1]

s('data_load takes a copy of the database as its safety snapshot; undo brings back rows and files exactly; undo again returns', async ({ stack }) => {
  await stack.pg((c) => c.query("UPDATE t1 SET v = 'live' WHERE id = 2; INSERT INTO t1 VALUES (9, 'live only')"))
  fs.writeFileSync(path.join(stack.dir, 'data/storage/b.txt'), 'live file')
  const live = await rows(stack)
  const l = await runScript(stack, 'data-load', ['--name', 's1'])
  assert.is(l.code, 0, l.stderr)
  assert.match(l.stderr, 'a copy of database app held in the server')
  const name = safetyName(l.stderr)
  assert.ok(name, l.stderr)
  const m = readManifest(path.join(stack.dir, 'data/backups', name!)) as ReturnType<typeof readManifest> & { held: { database: string } }
  assert.is(m.kind, 'database')
  assert.equal(m.tables.map((t) => [t.name, t.rows]), [['t1', 4]])
  assert.ok((await heldDbs(stack)).includes(m.held.database), 'the held database is in the server')
  // it refuses connections: nothing can change it behind the snapshot's back
  const refused = await pgConnect(stack.engine.runtime.admin, { database: m.held.database }).then(async (c) => { await c.end(); return '' }, (e: Error) => e.message)
  assert.match(refused, 'is not currently accepting connections')
  assert.equal(await rows(stack), ['1:snap1', '2:snap2', '3:snap3'])
  assert.not.ok(fs.existsSync(path.join(stack.dir, 'data/storage/b.txt')))

  const u = await runScript(stack, 'undo')
  assert.is(u.code, 0, u.stderr)
  assert.match(u.stderr, `restored ${name}`)
  assert.equal(await rows(stack), live)
  assert.is(storageFile(stack), 'live file')
  const list = await runScript(stack, 'data-list')
  assert.match(list.stdout + list.stderr, 'database copy (in the server)')
  const deep = await runScript(stack, 'data-verify', ['--name', name!, '--deep'])
  assert.is(deep.code, 0, deep.stderr)

  const again = await runScript(stack, 'undo')
  assert.is(again.code, 0, again.stderr)
  assert.equal(await rows(stack), ['1:snap1', '2:snap2', '3:snap3'])
})

s('with a session an operation must not close, the safety snapshot is a logical one and the session lives on', async ({ stack }) => {
  const app = await pgConnect(stack.engine.runtime.admin)
  try {
    const r = await stack.engine.safetySnapshot('fixtures_load')
    assert.ok(r.snapshot)
    assert.is(readManifest(path.join(stack.dir, 'data/backups', r.snapshot!)).kind, 'logical')
    const [{ one }] = await pgQuery<{ one: number }>(app, 'SELECT 1 AS one')
    assert.is(one, 1, 'the application session was not closed')
  } finally { await app.end() }
  // a load closes sessions anyway: its copy closes them a moment earlier, and says so
  const app2 = await pgConnect(stack.engine.runtime.admin)
  app2.on('error', () => undefined)
  try {
    const l = await runScript(stack, 'data-load', ['--name', 's1'])
    assert.is(l.code, 0, l.stderr)
    assert.match(l.stderr, /closing 1 session on app for the copy \(data_load closes them anyway/)
  } finally { await app2.end().catch(() => undefined) }
})

s('fixtures_load and rollback take the copy too: their own connections are closed before it; undo brings the rows back', async ({ stack }) => {
  fs.mkdirSync(path.join(stack.dir, 'data/fixtures'), { recursive: true })
  fs.writeFileSync(path.join(stack.dir, 'data/fixtures/t1.json'), JSON.stringify({ table: 't1', columns: { id: 'integer', v: 'text' }, rows: [{ id: 1, v: 'fixture' }] }))
  const before = await rows(stack)
  const f = await runScript(stack, 'fixtures-load')
  assert.is(f.code, 0, f.stderr)
  assert.match(f.stderr, 'a copy of database app held in the server')
  assert.not.match(f.stderr, 'a logical snapshot instead')
  assert.not.equal(await rows(stack), before)
  assert.is((await runScript(stack, 'undo')).code, 0)
  assert.equal(await rows(stack), before)
  fs.rmSync(path.join(stack.dir, 'data/fixtures'), { recursive: true })

  fs.mkdirSync(path.join(stack.dir, 'data/migrations'), { recursive: true })
  fs.writeFileSync(path.join(stack.dir, 'data/migrations/1_t2.sql'), '-- migrate:up\nCREATE TABLE t2 (i int);\n-- migrate:down\nDROP TABLE t2;\n')
  assert.is((await runScript(stack, 'migrate')).code, 0)
  const r = await runScript(stack, 'rollback')
  assert.is(r.code, 0, r.stderr)
  assert.match(r.stderr, 'a copy of database app held in the server')
  fs.rmSync(path.join(stack.dir, 'data/migrations'), { recursive: true })
})

s('SAFETY_KEEP: pruned safety snapshots take their databases with them; every held database has its folder', async ({ stack }) => {
  for (let i = 0; i < 3; i++) {
    const l = await runScript(stack, 'data-load', ['--name', 's1'])
    assert.is(l.code, 0, l.stderr)
  }
  await runScript(stack, 'data-list') // any later command: the pruned ones' databases are debris
  const d = await runScript(stack, 'data-dump', ['--name', 's2'])
  assert.is(d.code, 0, d.stderr)
  const named = fs.readdirSync(path.join(stack.dir, 'data/backups/_safety'))
    .map((n) => readManifest(path.join(stack.dir, 'data/backups/_safety', n)) as { kind: string; held?: { database: string } })
    .filter((m) => m.kind === 'database').map((m) => m.held!.database).sort()
  assert.ok(named.length <= 2, `at most SAFETY_KEEP held: ${named}`)
  assert.equal(await heldDbs(stack), named)
})

s('a held database no folder names (a run killed before writing it) is removed; a folder whose database is gone is refused, nothing changed', async ({ stack }) => {
  await stack.pg((c) => c.query('CREATE DATABASE "_dkheld_999999_x" TEMPLATE template0'), null)
  const d = await runScript(stack, 'data-dump', ['--name', 's3'])
  assert.is(d.code, 0, d.stderr)
  assert.match(d.stderr, 'removed debris of an interrupted run: database _dkheld_999999_x')
  assert.not.ok((await heldDbs(stack)).includes('_dkheld_999999_x'))

  const l = await runScript(stack, 'data-load', ['--name', 's1'])
  assert.is(l.code, 0, l.stderr)
  const name = safetyName(l.stderr)!
  const m = readManifest(path.join(stack.dir, 'data/backups', name)) as unknown as { held: { database: string } }
  const v = await runScript(stack, 'data-verify', ['--name', name])
  assert.is(v.code, 0, v.stderr)
  assert.match(lastLine(v.stderr), `snapshot ${name} verified (its files, and its database copy is in the server)`)
  await stack.pg((c) => c.query(`DROP DATABASE "${m.held.database}"`), null)
  // verify (without --deep) checks the copy too: its files alone are no snapshot
  const gone = await runScript(stack, 'data-verify', ['--name', name])
  assert.is(gone.code, 1, gone.stderr)
  assert.match(lastLine(gone.stderr), `its database ${m.held.database} is no longer in the server`)
  const before = await rows(stack)
  const bad = await runScript(stack, 'data-load', ['--name', name, '--no-safety'])
  assert.is(bad.code, 1, bad.stderr)
  assert.match(lastLine(bad.stderr), `snapshot "${name}" cannot be loaded: its database ${m.held.database} is no longer in the server`)
  assert.match(lastLine(bad.stderr), 'nothing was changed')
  assert.equal(await rows(stack), before)
})

s.run()
