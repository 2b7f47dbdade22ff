// Snapshots are private (issue 17): every folder and file datakeep writes under the backup folder is
// owner-only (0700/0600) whatever the umask, group-readable (0750/0640) with BACKUP_GROUP_READ, owned
// by the invoking user under sudo; a snapshot others can read is named by make check and data_list.
import fs from 'node:fs'
import path from 'node:path'
import { suite } from '../support/uvu.ts'
import * as assert from 'uvu/assert'
import { HOST, run } from '../../lib/run.ts'
import { fingerprint, sql } from '../support/fingerprint.ts'
import { makeStack, runScript, type TestStack } from '../support/stack.ts'

/** Every path under `dir` (itself included) as "relative path mode", sorted. */
function modes(dir: string): string[] {
  const out: string[] = []
  const walk = (p: string) => {
    const st = fs.lstatSync(p)
    out.push(`${path.relative(dir, p) || '.'} ${(st.mode & 0o777).toString(8)}`)
    if (st.isDirectory()) for (const n of fs.readdirSync(p)) walk(path.join(p, n))
  }
  walk(dir)
  return out.sort()
}

/** The paths whose mode is not the folder or file mode expected. */
function unexpected(dir: string, want: { dir: number; file: number }): string[] {
  return modes(dir).filter((line) => {
    const [p, m] = line.split(' ')
    const isDir = fs.lstatSync(path.join(dir, p)).isDirectory()
    return parseInt(m, 8) !== (isDir ? want.dir : want.file)
  })
}

const PRIVATE = { dir: 0o700, file: 0o600 }
const GROUP = { dir: 0o750, file: 0o640 }

const t = suite('private snapshot files', { stack: null as unknown as TestStack, umask: 0 })
t.before(async (ctx) => {
  // the harshest umask: everything the scripts (and the tools and server they start) create would be 0777/0666
  ctx.umask = process.umask(0)
  ctx.stack = await makeStack({ env: { MYSQL_DATABASE: 'app' } })
  const dir = ctx.stack.dir
  fs.mkdirSync(path.join(dir, 'data/migrations'), { recursive: true })
  fs.mkdirSync(path.join(dir, 'data/seed'), { recursive: true })
  fs.writeFileSync(path.join(dir, 'data/migrations/20260101000000_notes.sql'),
    '-- migrate:up\nCREATE TABLE notes (id INT PRIMARY KEY, title VARCHAR(100), body TEXT);\n-- migrate:down\nDROP TABLE notes;\n')
  fs.writeFileSync(path.join(dir, 'data/seed/001_notes.sql'),
    "INSERT INTO notes SELECT seq, CONCAT('note ', seq), REPEAT('x', 200) FROM seq_1_to_5000;\n")
  fs.mkdirSync(path.join(dir, 'data/storage'), { recursive: true })
  fs.writeFileSync(path.join(dir, 'data/storage/upload.txt'), 'an upload')
})
t.after(async (ctx) => { process.umask(ctx.umask); await ctx.stack?.destroy() })

const backups = (stack: TestStack) => path.join(stack.dir, 'data/backups')

t('umask 000: seed_data (_init), a dump, both physical dumps, --format sql dumps and a load leave nothing others can read', async ({ stack }) => {
  const seed = await runScript(stack, 'seed-data')
  assert.is(seed.code, 0, seed.stderr)
  const dumps = [['--name', 's1'], ['--name', 'p1', '--physical'], ['--name', 'w1', '--physical', '--whole-server'],
    ['--name', 'q1', '--format', 'sql'], ['--name', 'q2', '--format', 'sql', '--gzip']]
  for (const args of dumps) {
    const r = await runScript(stack, 'data-dump', args)
    assert.is(r.code, 0, r.stderr)
  }
  await sql(stack, 'DELETE FROM notes WHERE id > 10', 'app')
  const load = await runScript(stack, 'data-load', ['--name', 's1']) // takes a safety snapshot first
  assert.is(load.code, 0, load.stderr)
  const all = modes(backups(stack))
  for (const p of ['_init/manifest.json', 's1/data', 's1/storage.tar.gz', 's1/restore.sql', 's1/schema/schema.json', 'p1/data/notes.ibd', 'p1/data/notes.cfg', 'q1.sql', 'q2.sql.gz', 'w1/manifest.json']) {
    assert.ok(all.some((l) => l.startsWith(`${p} `)), `${p} was written: ${all.join(', ')}`)
  }
  assert.ok(all.some((l) => /^s1\/data\/notes\.\d+\.tsv\.zst /.test(l)), 'the rows are there')
  assert.ok(all.some((l) => /^w1\/physical\/.*ibdata1 /.test(l)), 'the server backup is there')
  assert.ok(all.some((l) => l.startsWith('_safety/data_load-')), 'a safety snapshot was taken')
  assert.equal(unexpected(backups(stack), PRIVATE), [])
  const lock = path.join(stack.dir, 'data/datakeep.lock')
  assert.not.ok(fs.existsSync(lock), 'the lock is released')
})

t('why the partial folder must be 0700 before the server writes: the server makes INTO OUTFILE files 0644 whatever the umask', async ({ stack }) => {
  const saved = process.umask(0o077)
  try {
    const dir = fs.mkdtempSync(path.join(stack.dir, 'outfile-'))
    const file = path.join(dir, 'x.tsv')
    await stack.db((db) => db.query(`SELECT 1 INTO OUTFILE ${db.escape(file)}`))
    assert.is(fs.statSync(file).mode & 0o777, 0o644)
    assert.is(fs.statSync(dir).mode & 0o777, 0o700) // which no other account can enter
    fs.rmSync(dir, { recursive: true })
  } finally { process.umask(saved) }
})

t('the lock file is owner-only while held', async ({ stack }) => {
  const { acquireLock } = await import('../../lib/safety/lock.ts')
  const release = await acquireLock(stack.cfg, 'test')
  try {
    assert.is(fs.statSync(path.join(stack.dir, 'data/datakeep.lock')).mode & 0o777, 0o600)
  } finally { await release() }
})

t('loads and verifies work on the private files (logical and physical)', async ({ stack }) => {
  const before = await stack.db((db) => fingerprint(db, 'app'))
  for (const name of ['s1', 'p1']) {
    await sql(stack, 'DELETE FROM notes', 'app')
    const load = await runScript(stack, 'data-load', ['--name', name])
    assert.is(load.code, 0, load.stderr)
    assert.equal((await stack.db((db) => fingerprint(db, 'app'))).tables, before.tables)
  }
  const verify = await runScript(stack, 'data-verify', ['--name', 's1', '--deep'])
  assert.is(verify.code, 0, verify.stderr)
  const file = await runScript(stack, 'data-load', ['--file', 'data/backups/q1.sql'])
  assert.is(file.code, 0, file.stderr)
})

t('under sudo (SUDO_UID set): owned by the invoking user and still owner-only', async ({ stack }) => {
  if (process.getuid?.() !== 0) throw new Error('this test needs root (it checks chown under sudo)')
  const r = await runScript(stack, 'data-dump', ['--name', 'owned'], { SUDO_UID: '1234', SUDO_GID: '1234' })
  assert.is(r.code, 0, r.stderr)
  const dir = path.join(backups(stack), 'owned')
  assert.equal(unexpected(dir, PRIVATE), [])
  for (const line of modes(dir)) {
    const st = fs.lstatSync(path.join(dir, line.split(' ')[0]))
    assert.equal([st.uid, st.gid], [1234, 1234], line)
  }
  const sqlFile = await runScript(stack, 'data-dump', ['--name', 'owned-sql', '--format', 'sql'], { SUDO_UID: '1234', SUDO_GID: '1234' })
  assert.is(sqlFile.code, 0, sqlFile.stderr)
  assert.is(fs.statSync(path.join(backups(stack), 'owned-sql.sql')).mode & 0o777, 0o600)
})

t('BACKUP_GROUP_READ=true: folders 0750, files 0640', async ({ stack }) => {
  const env = { BACKUP_GROUP_READ: 'true' }
  // --full: a table shared with an earlier (private) snapshot is the same inode and keeps its stricter mode
  for (const args of [['--name', 'g1', '--full'], ['--name', 'g2', '--physical'], ['--name', 'g3', '--format', 'sql']]) {
    const r = await runScript(stack, 'data-dump', args, env)
    assert.is(r.code, 0, r.stderr)
  }
  for (const name of ['g1', 'g2']) assert.equal(unexpected(path.join(backups(stack), name), GROUP), [], name)
  assert.is(fs.statSync(path.join(backups(stack), 'g3.sql')).mode & 0o777, 0o640)
  const list = await runScript(stack, 'data-list', [], env)
  assert.not.match(list.stderr, 'other accounts')
  // the binary logs the dumps archived follow the setting too (the archive folder was made private before)
  const binlogs = path.join(backups(stack), '_binlog')
  const logModes = fs.readdirSync(binlogs).map((f) => fs.statSync(path.join(binlogs, f)).mode & 0o777)
  assert.ok(logModes.includes(0o640) && logModes.every((m) => m === 0o640 || m === 0o600), logModes.map((m) => m.toString(8)).join(' '))
  // without the setting, the group's access is too much: each is named
  const strict = await runScript(stack, 'data-list')
  assert.equal(strict.stderr.split('\n').filter((l) => l.includes('other accounts')).map((l) => l.split(' ')[1]),
    ['data/backups/_binlog', 'data/backups/g1', 'data/backups/g2', 'data/backups/g3.sql'])
  for (const name of ['g1', 'g2', 'g3.sql']) fs.rmSync(path.join(backups(stack), name), { recursive: true })
  await run(HOST, ['chmod', '-R', 'go-rwx', 'data/backups/_binlog'], { cwd: stack.dir })
})

t('a snapshot loosened by hand (chmod -R o+r) is named by make check and data_list, with the fix', async ({ stack }) => {
  const clean = await runScript(stack, 'check')
  assert.not.match(clean.stderr, 'other accounts', clean.stderr)
  await run(HOST, ['chmod', '-R', 'o+r', 'data/backups/s1'], { cwd: stack.dir })
  const line = 'warning: data/backups/s1 is readable by other accounts (data/backups/s1 is 0704); to fix: chmod -R go-rwx data/backups/s1'
  const check = await runScript(stack, 'check')
  assert.ok(check.stderr.split('\n').includes(line), check.stderr)
  const list = await runScript(stack, 'data-list')
  assert.ok(list.stderr.split('\n').includes(line), list.stderr)
  // once each; snapshots sharing s1's unchanged tables (the same inodes) are named too, as they are readable now
  assert.is(list.stderr.split('\n').filter((l) => l === line).length, 1)
  // the fix it names works
  await run(HOST, ['chmod', '-R', 'go-rwx', 'data/backups/s1'], { cwd: stack.dir })
  assert.not.match((await runScript(stack, 'data-list')).stderr, 'other accounts')
})

t.run()
