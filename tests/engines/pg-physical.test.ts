// PostgreSQL whole-server physical snapshots against a real private cluster (POSTGRES_WAL_LEVEL=replica):
// pg_basebackup dumped and loaded back by swapping the data directory through the real scripts; a
// damaged snapshot and one of another major version refused before anything changes; a failure
// after the swap, a kill between the renames and a kill -9 of data_load settled to the old or new state.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { suite } from '../support/uvu.ts'
import * as assert from 'uvu/assert'
import { pgQuery } from '../../lib/engines/postgres/db.ts'
import type { PgLocalRuntime } from '../../lib/engines/postgres/local.ts'
import { pgLoadPhysical } from '../../lib/engines/postgres/physical-load.ts'
import { physicalArgv, physicalToolsDir, type PgPhysicalManifest } from '../../lib/engines/postgres/physical.ts'
import { HOST, run } from '../../lib/run.ts'
import { STORAGE_ARCHIVE } from '../../lib/snapshot/dump.ts'
import { readManifest, writeManifest } from '../../lib/snapshot/manifest.ts'
import { snapshotPath } from '../../lib/snapshot/names.ts'
import { looseSnapshots } from '../../lib/snapshot/private.ts'
import { faultCase } from '../support/fault-results.ts'
import { makePgStack, type PgTestStack } from '../support/pg-stack.ts'
import { lastLine, runScript, spawnScript } from '../support/stack.ts'

const s = suite('pg physical', { st: null as unknown as PgTestStack })
s.before(async (ctx) => {
  ctx.st = await makePgStack({ env: { POSTGRES_WAL_LEVEL: 'replica' } })
  await ctx.st.pg((c) => c.query(`CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL);
    INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 5000) g;
    CREATE TABLE notes (id serial PRIMARY KEY, body text); INSERT INTO notes (body) VALUES ('a'), ('b')`))
  await ctx.st.pg((c) => c.query('CREATE DATABASE other'), null)
  await ctx.st.pg((c) => c.query('CREATE TABLE t (a int); INSERT INTO t VALUES (1), (2), (3)'), 'other')
  fs.mkdirSync(path.join(ctx.st.dir, 'data/storage'), { recursive: true })
  fs.writeFileSync(path.join(ctx.st.dir, 'data/storage/kept.txt'), 'uploaded before the dump\n')
  const d = await runScript(ctx.st, 'data-dump', ['--name', 'p1', '--physical', '--whole-server'])
  assert.is(d.code, 0, d.stderr)
})
s.after(async (ctx) => { await ctx.st?.destroy() })

const rt = (st: PgTestStack) => st.engine.runtime as PgLocalRuntime
const dataDirDebris = (st: PgTestStack) => fs.readdirSync(path.dirname(rt(st).paths.dataDir)).filter((n) => /^postgres\.(partial|old|removing|failed)-/.test(n))
const counts = (st: PgTestStack) => st.pg(async (c) => (await pgQuery<{ i: string; n: string }>(c,
  "SELECT (SELECT count(*) FROM items)::text AS i, (SELECT count(*) FROM notes)::text AS n"))[0])
const later = (st: PgTestStack) => st.pg(async (c) => (await pgQuery(c, "SELECT 1 FROM pg_class WHERE relname = 'later'")).length > 0)
const serverPid = (st: PgTestStack) => Number(fs.readFileSync(path.join(rt(st).paths.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0])
const safetyCount = (st: PgTestStack) => { try { return fs.readdirSync(path.join(st.dir, 'data/backups/_safety')).length } catch { return 0 } }

/** Processes whose command line names a physical load's copy of `dataDir`. */
function copiers(dataDir: string): string[] {
  return fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)).flatMap((p) => {
    try {
      const cmd = fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').join(' ')
      return cmd.includes(`${dataDir}.partial-`) ? [cmd] : []
    } catch { return [] }
  })
}

/** The state after p1 was loaded, changed again so a load of p1 has something to undo. */
async function changeAfterDump(st: PgTestStack) {
  await st.pg((c) => c.query("DELETE FROM items WHERE id > 100; UPDATE notes SET body = 'changed'; CREATE TABLE IF NOT EXISTS later (x int)"))
  fs.rmSync(path.join(st.dir, 'data/storage/kept.txt'), { force: true })
  fs.writeFileSync(path.join(st.dir, 'data/storage/new.txt'), 'after\n')
}

s('the dump: a pg_basebackup copy checked with pg_verifybackup, a physical manifest, private modes', async ({ st }) => {
  const dir = snapshotPath(st.cfg, 'p1')
  const m = readManifest(dir) as unknown as PgPhysicalManifest
  assert.is(m.kind, 'physical')
  assert.is(m.engine.flavor, 'postgres')
  assert.match(m.engine.version, /^\d+\.\d+/)
  assert.is(m.physical.tool, 'pg_basebackup')
  assert.ok(m.files['physical/backup_manifest'] && m.files['physical/PG_VERSION'] && m.files[STORAGE_ARCHIVE], Object.keys(m.files).slice(0, 5).join(' '))
  assert.ok(Object.keys(m.files).some((f) => f.startsWith('physical/pg_wal/')), 'the WAL is in the copy')
  assert.is(m.physical.files, Object.keys(m.files).filter((f) => f.startsWith('physical/')).length)
  for (const d of ['app', 'other', 'postgres']) assert.ok(m.physical.databases.includes(d), m.physical.databases.join(' '))
  assert.equal(m.tables.map((t) => [t.name, t.rows]), [['items', 5000], ['notes', 2]])
  assert.equal(looseSnapshots(st.cfg), [])
  assert.is(fs.statSync(path.join(dir, 'physical/base')).mode & 0o777, 0o700)
  assert.is(fs.statSync(path.join(dir, 'physical/PG_VERSION')).mode & 0o777, 0o600)
  const v = await runScript(st, 'data-verify', ['--name', 'p1', '--deep'])
  assert.is(v.code, 0, v.stderr)
  const l = await runScript(st, 'data-list')
  assert.is(l.code, 0, l.stderr)
  assert.match(l.stdout, /\bp1\b.*\b2\s+5002\s+\d+\.\d+\s+physical \(server\)/)
})

s('load: what changed after the dump is back as dumped, the other database too, the files with it; the server runs on the copy', async ({ st }) => {
  const before = await counts(st)
  await changeAfterDump(st)
  await st.pg((c) => c.query('DELETE FROM t'), 'other')
  const r = await runScript(st, 'data-load', ['--name', 'p1'])
  assert.is(r.code, 0, r.stderr)
  assert.match(r.stderr, /safety snapshot _safety\/data_load-/)
  assert.match(lastLine(r.stderr), /loaded snapshot p1 into app: 2 tables, 5002 rows/)
  assert.equal(await counts(st), before)
  assert.is(await later(st), false, 'the table created after the dump is gone')
  assert.is(await st.pg(async (c) => (await pgQuery<{ n: string }>(c, 'SELECT count(*)::text AS n FROM t'))[0].n, 'other'), '3')
  assert.ok(fs.existsSync(path.join(st.dir, 'data/storage/kept.txt')))
  assert.not.ok(fs.existsSync(path.join(st.dir, 'data/storage/new.txt')))
  assert.equal(dataDirDebris(st), [])
  const account = rt(st).account()
  if (account) assert.is(fs.statSync(rt(st).paths.dataDir).uid, account.uid, 'the data directory belongs to the server account')
})

s('BACKUP_GROUP_READ: the copy is group-readable like every snapshot (0750/0640), and loads', async ({ st }) => {
  const d = await runScript(st, 'data-dump', ['--name', 'pg', '--physical', '--whole-server'], { BACKUP_GROUP_READ: 'true' })
  assert.is(d.code, 0, d.stderr)
  const dir = snapshotPath(st.cfg, 'pg')
  assert.is(fs.statSync(path.join(dir, 'physical/base')).mode & 0o777, 0o750)
  assert.is(fs.statSync(path.join(dir, 'physical/PG_VERSION')).mode & 0o777, 0o640)
  assert.equal(looseSnapshots({ ...st.cfg, BACKUP_GROUP_READ: true }), [])
  await changeAfterDump(st)
  const r = await runScript(st, 'data-load', ['--name', 'pg', '--no-safety'])
  assert.is(r.code, 0, r.stderr)
  assert.equal(await counts(st), { i: '5000', n: '2' })
  assert.is(fs.statSync(rt(st).paths.dataDir).mode & 0o777, 0o700)
})

s('a flipped byte in a data file: refused before anything changes (no safety snapshot, the server not restarted)', async ({ st }) => {
  const bad = snapshotPath(st.cfg, 'p1bad')
  fs.cpSync(snapshotPath(st.cfg, 'p1'), bad, { recursive: true })
  const relfile = await st.pg(async (c) => (await pgQuery<{ p: string }>(c, "SELECT pg_relation_filepath('items') AS p"))[0].p)
  const file = path.join(bad, 'physical', relfile)
  const buf = fs.readFileSync(file)
  buf[buf.length - 100] ^= 0xff
  fs.writeFileSync(file, buf)
  await changeAfterDump(st)
  const [before, pid, safety] = [await counts(st), serverPid(st), safetyCount(st)]
  const r = await runScript(st, 'data-load', ['--name', 'p1bad'])
  assert.is(r.code, 1, r.stderr)
  assert.match(lastLine(r.stderr), new RegExp(`snapshot "p1bad" is damaged: physical/${relfile}: sha256 differs`))
  assert.equal(await counts(st), before)
  assert.is(await later(st), true)
  assert.is(serverPid(st), pid)
  assert.is(safetyCount(st), safety)
  const v = await runScript(st, 'data-verify', ['--name', 'p1bad', '--deep'])
  assert.is(v.code, 1)
  assert.match(v.stderr, new RegExp(`physical/${relfile}: sha256 differs`))
  // the check a load runs on its copy (pg_verifybackup with checksums) refuses it on its own too
  const full = await run(HOST, physicalArgv.verify(physicalToolsDir(st.cfg), path.join(bad, 'physical')), { nothrow: true })
  assert.is.not(full.code, 0)
  assert.match(full.stderr, /checksum mismatch for file/)
})

s('a snapshot of another major version: refused (exit 2) before anything changes', async ({ st }) => {
  const dir = snapshotPath(st.cfg, 'p1old')
  fs.cpSync(snapshotPath(st.cfg, 'p1'), dir, { recursive: true })
  const m = readManifest(dir)
  writeManifest(dir, { ...m, engine: { flavor: 'postgres', version: '9.6.24' } })
  const [pid, safety] = [serverPid(st), safetyCount(st)]
  const r = await runScript(st, 'data-load', ['--name', 'p1old'])
  assert.is(r.code, 2, r.stderr)
  assert.match(r.stderr, /physical snapshot "p1old" is a copy of PostgreSQL 9\.6\.24; this server is PostgreSQL \d+/)
  assert.is(serverPid(st), pid)
  assert.is(safetyCount(st), safety)
})

s('a database created after the dump: refused by name before anything changes (the safety snapshot would not keep it)', async ({ st }) => {
  await st.pg((c) => c.query('CREATE DATABASE newer'), null)
  const [pid, safety] = [serverPid(st), safetyCount(st)]
  const r = await runScript(st, 'data-load', ['--name', 'p1'])
  assert.is(r.code, 2, r.stderr)
  assert.match(r.stderr, /loading physical snapshot "p1" would remove a database it does not hold: newer/)
  assert.is(serverPid(st), pid)
  assert.is(safetyCount(st), safety)
  await st.pg((c) => c.query('DROP DATABASE newer'), null)
})

s('a failure after the swap (the server cannot start on the copy): the old data directory is put back and started', async ({ st }) => {
  await changeAfterDump(st)
  const before = await counts(st)
  const m = readManifest(snapshotPath(st.cfg, 'p1')) as unknown as PgPhysicalManifest
  const err = await pgLoadPhysical(st.cfg, st.engine.runtime, snapshotPath(st.cfg, 'p1'), m,
    { beforeStart: (d) => fs.rmSync(path.join(d, 'global/pg_control')) }).then(() => null, (e: Error) => e)
  assert.ok(err, 'the load failed')
  assert.match(err!.message, /the data directory was put back as it was and the server restarted/)
  assert.equal(await counts(st), before)
  assert.is(await later(st), true)
  assert.equal(dataDirDebris(st), [])
})

s('killed between the two renames (no data directory, its .old- beside): the next make up puts it back', async ({ st }) => {
  await changeAfterDump(st)
  const before = await counts(st)
  await rt(st).stop()
  const { dataDir } = rt(st).paths
  const dead = spawnSync('true') // a process that is gone: the killed load
  fs.renameSync(dataDir, `${dataDir}.old-${dead.pid}-${Date.now()}`)
  const up = await runScript(st, 'up')
  assert.is(up.code, 0, up.stderr)
  assert.match(up.stderr, /put back .*postgres from .*postgres\.old-\d+-\d+ \(an interrupted physical load\)/)
  assert.equal(await counts(st), before)
  assert.equal(dataDirDebris(st), [])
})

s('kill -9 of data_load at each point: after the next run the cluster holds the old or the new state, never a mix', async ({ st }) => {
  const { dataDir } = rt(st).paths
  const dumped = { i: '5000', n: '2' }
  const points: [string, (n: string) => boolean][] = [
    ['copying', (n) => n.startsWith('postgres.partial-')],
    ['swapping', (n) => n.startsWith('postgres.old-')],
  ]
  for (const [point, seen] of points) {
    await faultCase({ name: `postgres data_load --physical kill -9 ${point}`, operation: 'data_load of a whole-server snapshot (PostgreSQL)', fault: 'kill -9', point,
      expected: 'after the next run, database and files are the state before the load or the snapshot\'s, never a mix' }, async (log) => {
      await changeAfterDump(st)
      const old = await counts(st)
      const child = spawnScript(st, 'data-load', ['--name', 'p1', '--no-safety'])
      let stderr = ''
      child.stderr!.on('data', (d) => { stderr += d })
      const exited = new Promise<number>((resolve) => child.on('close', (code, sig) => resolve(code ?? (sig === 'SIGKILL' ? 137 : 128))))
      let hit = false
      for (let i = 0; i < 3000 && !hit; i++) {
        hit = fs.readdirSync(path.dirname(dataDir)).some(seen)
        if (!hit) await new Promise((r) => setTimeout(r, 5))
      }
      assert.ok(hit, `never saw the ${point} point: ${stderr}`)
      child.kill('SIGKILL')
      assert.is(await exited, 137, stderr)
      // the copy and its check die with the load: nothing keeps writing beside the data directory
      for (let i = 0; i < 10 && copiers(dataDir).length; i++) await new Promise((r) => setTimeout(r, 20))
      assert.equal(copiers(dataDir), [], 'a process the killed load started is still at work')
      const up = await runScript(st, 'up')
      assert.is(up.code, 0, up.stderr)
      const now = await counts(st)
      const files = ['kept.txt', 'new.txt'].filter((f) => fs.existsSync(path.join(st.dir, 'data/storage', f))).join(',')
      // database and files are one state: the snapshot's (kept.txt) or the one before the load (new.txt)
      const state = JSON.stringify(now) === JSON.stringify(old) && await later(st) && files === 'new.txt' ? 'old'
        : JSON.stringify(now) === JSON.stringify(dumped) && !await later(st) && files === 'kept.txt' ? 'new' : 'mixed'
      log.lost(state === 'mixed')
      assert.ok(state !== 'mixed', `${point}: ${JSON.stringify(now)}, files ${files}: ${up.stderr}`)
      if (state === 'new') assert.not.ok(fs.existsSync(path.join(dataDir, 'datakeep-swap.json')), 'the journal is gone once its files are placed')
      if (point === 'copying') assert.is(state, 'old', 'killed while copying: nothing was changed')
      const unsettled = dataDirDebris(st).filter((n) => n.startsWith('postgres.old-'))
      // the old folder is kept only beside the loaded copy (the user chooses), never beside the old data
      assert.is(unsettled.length, state === 'new' ? 1 : 0, `${point}, ${state}: ${dataDirDebris(st)}`)
      // what is left is settled by the next load: a whole one goes through
      const r = await runScript(st, 'data-load', ['--name', 'p1', '--no-safety'])
      assert.is(r.code, 0, r.stderr)
      if (state === 'new') assert.match(r.stderr, /a physical load was interrupted after its swap: .* to keep the loaded data: rm -rf/)
      assert.equal(await counts(st), dumped)
      for (const n of unsettled) fs.rmSync(path.join(path.dirname(dataDir), n), { recursive: true, force: true })
      assert.equal(dataDirDebris(st), [])
      return `${state} state after the next run${state === 'new' ? ' (the old data directory kept beside it, with the commands to choose)' : ''}`
        + (up.stderr.includes('finished an interrupted physical load') ? '; make up placed its files from the journal' : '')
    })
  }
})

s('wal_level=minimal (the default): data_dump --physical --whole-server refused with the setting that fixes it; --physical alone names --whole-server', async () => {
  const st = await makePgStack()
  try {
    const r = await runScript(st, 'data-dump', ['--name', 'x', '--physical', '--whole-server'])
    assert.is(r.code, 2, r.stderr)
    assert.match(lastLine(r.stderr), /cannot take a physical snapshot: the server runs with wal_level=minimal and max_wal_senders=0; pg_basebackup needs wal_level=replica/)
    assert.match(r.stderr, /set POSTGRES_WAL_LEVEL=replica in \.env, then make down && make up/)
    const t = await runScript(st, 'data-dump', ['--name', 'x', '--physical'])
    assert.is(t.code, 2)
    assert.match(t.stderr, /--physical --whole-server/)
    assert.not.ok(fs.existsSync(snapshotPath(st.cfg, 'x')))
  } finally { await st.destroy() }
})

s.run()
