// Snapshots are private to their owner (issue 17): every folder and file under the backup folder
// is 0700/0600 (0750/0640 with BACKUP_GROUP_READ), also under a permissive umask and under sudo;
// a loosened snapshot is named by check and data_list; loads and verifies work on the stricter files.
import fs from 'node:fs'
import path from 'node:path'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { acquireLock, lockPath } from '../../lib/safety/lock.ts'
import { sql } from '../support/fingerprint.ts'
import { lastLine, makeStack, runScript, type TestStack } from '../support/stack.ts'

const t = suite('private snapshot files', { stack: null as unknown as TestStack })
const ENV = { MYSQL_DATABASE: 'app' }

t.before(async (ctx) => {
  ctx.stack = await makeStack({ env: ENV })
  await sql(ctx.stack, 'CREATE DATABASE IF NOT EXISTS app')
  await sql(ctx.stack, "CREATE TABLE t (id INT PRIMARY KEY, secret VARCHAR(20)); INSERT INTO t VALUES (1, 'hash1'), (2, 'hash2')", 'app')
  const storage = path.join(ctx.stack.dir, 'data/storage')
  fs.mkdirSync(storage, { recursive: true })
  fs.writeFileSync(path.join(storage, 'upload.txt'), 'personal data', { mode: 0o644 })
  fs.mkdirSync(path.join(ctx.stack.dir, 'data/seed'), { recursive: true })
  fs.writeFileSync(path.join(ctx.stack.dir, 'data/seed/001.sql'), "CREATE TABLE IF NOT EXISTS t (id INT PRIMARY KEY, secret VARCHAR(20));\nINSERT INTO t VALUES (9, 'seeded');\n")
})
t.after(async (ctx) => { await ctx.stack?.destroy() })

/** Every path under `root` (inclusive) with its mode and owner. */
function walk(root: string): { p: string; mode: number; uid: number; dir: boolean }[] {
  const out: { p: string; mode: number; uid: number; dir: boolean }[] = []
  const visit = (p: string) => {
    const st = fs.lstatSync(p)
    out.push({ p, mode: st.mode & 0o777, uid: st.uid, dir: st.isDirectory() })
    if (st.isDirectory()) for (const e of fs.readdirSync(p)) visit(path.join(p, e))
  }
  visit(root)
  return out
}

/** Runs a script with the process umask set to `mask` (the script inherits it). */
async function underUmask(mask: number, fn: () => Promise<void>): Promise<void> {
  const old = process.umask(mask)
  try { await fn() } finally { process.umask(old) }
}

async function ok(stack: TestStack, name: string, args: string[], env: Record<string, string> = {}): Promise<void> {
  const r = await runScript(stack, name, args, { ...ENV, ...env })
  assert.is(r.code, 0, `${name} ${args.join(' ')}: ${r.stderr}`)
}

t('under umask 000: dumps of every kind, a safety snapshot and _init leave nothing readable by others', async ({ stack }) => {
  const backups = path.join(stack.dir, 'data/backups')
  await underUmask(0o000, async () => {
    await ok(stack, 'data-dump', ['--name', 's1'])
    await ok(stack, 'data-dump', ['--name', 'p1', '--physical'])
    await ok(stack, 'data-dump', ['--name', 'w1', '--physical', '--whole-server'])
    await ok(stack, 'data-dump', ['--name', 'q1', '--format', 'sql'])
    await ok(stack, 'data-dump', ['--name', 'q2', '--format', 'sql', '--gzip'])
    await sql(stack, "UPDATE t SET secret = 'changed'", 'app')
    await ok(stack, 'data-load', ['--name', 's1']) // takes a safety snapshot of the changed state
    await ok(stack, 'seed-data', [])
  })
  const all = walk(backups)
  const names = all.map((e) => path.relative(backups, e.p))
  for (const want of ['s1/manifest.json', 's1/storage.tar.gz', 'p1/manifest.json', 'w1/physical', 'q1.sql', 'q2.sql.gz', '_init/manifest.json']) {
    assert.ok(names.includes(want), `${want} was written (have: ${names.filter((n) => !n.includes('/physical/')).join(', ')})`)
  }
  assert.ok(names.some((n) => n.startsWith('_safety/data_load-')), 'a safety snapshot was taken')
  assert.ok(names.some((n) => /^s1\/data\/.+\.zst$/.test(n)), 'data files were written')
  const open = all.filter((e) => (e.mode & 0o077) !== 0).map((e) => `${e.mode.toString(8)} ${path.relative(backups, e.p)}`)
  assert.equal(open, [], 'no path is readable, writable or searchable by group or others')
  for (const e of all) assert.is(e.mode, e.dir ? 0o700 : 0o600, `${path.relative(backups, e.p)} is ${e.mode.toString(8)}`)
})

t('the lock file (the holder\'s command line) is owner-only, also under umask 000', async ({ stack }) => {
  await underUmask(0o000, async () => {
    const release = await acquireLock(stack.cfg, 'test holder')
    try { assert.is(fs.statSync(lockPath(stack.cfg)).mode & 0o777, 0o600) } finally { await release() }
  })
})

t('the stricter files load and verify; restored uploads keep their own modes', async ({ stack }) => {
  await ok(stack, 'data-verify', ['--name', 's1', '--deep'])
  await ok(stack, 'data-load', ['--name', 'p1', '--no-safety'])
  await ok(stack, 'data-load', ['--name', 's1', '--no-safety'])
  assert.is((await sql(stack, 'SELECT secret FROM t ORDER BY id', 'app')).trim(), 'hash1\nhash2')
  assert.is(fs.statSync(path.join(stack.dir, 'data/storage/upload.txt')).mode & 0o777, 0o644)
})

t('BACKUP_GROUP_READ=true: folders 0750, files 0640, nothing for others', async ({ stack }) => {
  // --full: a table shared with a private snapshot is the same inode, and keeps its stricter mode
  await underUmask(0o000, () => ok(stack, 'data-dump', ['--name', 'g1', '--full'], { BACKUP_GROUP_READ: 'true' }))
  const all = walk(path.join(stack.dir, 'data/backups/g1'))
  for (const e of all) assert.is(e.mode, e.dir ? 0o750 : 0o640, `${e.p} is ${e.mode.toString(8)}`)
})

t('under sudo (SUDO_UID): the files belong to the invoking user and stay private', async ({ stack }) => {
  const root = process.getuid?.() === 0
  await ok(stack, 'data-dump', ['--name', 'u1'], { SUDO_UID: '4321', SUDO_GID: '4321' })
  const want = root ? 4321 : process.getuid!()
  for (const e of walk(path.join(stack.dir, 'data/backups/u1'))) {
    assert.is(e.uid, want, `${e.p} belongs to ${e.uid}`)
    assert.is(e.mode & 0o077, 0, `${e.p} is ${e.mode.toString(8)}`)
  }
})

t('a snapshot made readable by others is named by check and data_list, with the fix', async ({ stack }) => {
  const dir = path.join(stack.dir, 'data/backups/s1')
  for (const e of walk(dir)) fs.chmodSync(e.p, e.mode | 0o004 | (e.dir ? 0o001 : 0))
  const check = await runScript(stack, 'check', [], ENV)
  assert.match(check.stderr, `snapshot s1 is readable by other accounts; to fix: chmod -R go-rwx ${dir}`)
  assert.not.match(check.stderr, 'snapshot p1 is readable')
  const list = await runScript(stack, 'data-list', [], ENV)
  assert.is(list.code, 0)
  assert.match(list.stderr, 'snapshot s1 is readable by other accounts')
  const json = JSON.parse((await runScript(stack, 'check', ['--json'], ENV)).stdout)
  assert.equal(json.readableByOthers.filter((l: string) => !/^(snapshot g1|the archived binary logs) /.test(l)), [`snapshot s1 is readable by other accounts; to fix: chmod -R go-rwx ${dir}`])
  assert.match(lastLine(check.stderr), /check (passed|failed)/)
})

t.run()
