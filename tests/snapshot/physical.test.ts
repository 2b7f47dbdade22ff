// Physical snapshots (mariadb-backup): dump -> damage -> load gives back the same sakila and files;
// a damaged file, another server version or runtime, and a server that will not start on the copy
// change nothing; the docker steps are checked as argv. Speed against cp -a is make bench's (bench/tools.ts).
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { suite } from '../support/uvu.ts'
import * as assert from 'uvu/assert'
import { loadConfig } from '../../lib/config.ts'
import { connect } from '../../lib/db.ts'
import { UserError } from '../../lib/errors.ts'
import { HOST, run } from '../../lib/run.ts'
import { DockerRuntime, composeBase } from '../../lib/runtime/docker.ts'
import { readManifest, type Manifest } from '../../lib/snapshot/manifest.ts'
import { backupArgv, dockerBackupArgv, majorMinor, physicalSupported, toolServerVersion, writeOptionsFile,
  type PhysicalManifest } from '../../lib/snapshot/physical.ts'
import { changeCounters, countersSuffice } from '../../lib/snapshot/counters.ts'
import { dumpPhysical } from '../../lib/snapshot/physical-dump.ts'
import { loadPhysical } from '../../lib/snapshot/physical-load.ts'
import { settleDataDir } from '../../lib/snapshot/physical-swap.ts'
import { fingerprint, sql, treeDigest } from '../support/fingerprint.ts'
import { sakilaStack } from '../support/sakila.ts'
import { tempDir, type TestStack } from '../support/stack.ts'

const t = suite('physical snapshot', { stack: null as unknown as TestStack })
t.before(async (ctx) => {
  ctx.stack = await sakilaStack()
})
t.after(async (ctx) => { await ctx.stack?.destroy() })

const storageDir = (s: TestStack) => path.join(s.dir, 'data/storage')
const dataDir = (s: TestStack) => s.rt.paths.dataDir
const snapDir = (s: TestStack, name: string) => path.join(s.dir, 'data/backups', name)
/** Folders beside the data directory (debris of a load: .partial-, .old-, .failed-, .removing-). */
const besideData = (s: TestStack) => fs.readdirSync(path.dirname(dataDir(s))).filter((n) => n.startsWith(`${path.basename(dataDir(s))}.`))
const serverPid = (s: TestStack) => fs.readFileSync(s.rt.paths.pidFile, 'utf8').trim()

async function errorOf(p: Promise<unknown>): Promise<UserError> {
  try { await p } catch (e) { if (e instanceof UserError) return e; throw e }
  throw new Error('expected a UserError')
}

function flipByte(file: string, at: number): void {
  const fd = fs.openSync(file, 'r+')
  const b = Buffer.alloc(1)
  fs.readSync(fd, b, 0, 1, at)
  b[0] ^= 0xff
  fs.writeSync(fd, b, 0, 1, at)
  fs.closeSync(fd)
}

t('supported here: the local runtime, MariaDB and a mariadb-backup of its version', async ({ stack }) => {
  assert.equal(await physicalSupported(stack.cfg, stack.rt), { ok: true })
})

t('dump: a prepared copy of the server, every file hashed, the password nowhere', async ({ stack }) => {
  fs.mkdirSync(path.join(storageDir(stack), 'uploads'), { recursive: true })
  fs.writeFileSync(path.join(storageDir(stack), 'uploads/a.txt'), 'first upload')
  const { dir, manifest: m } = await dumpPhysical(stack.cfg, stack.rt, { name: 'p1' })
  assert.is(dir, snapDir(stack, 'p1'))
  const { manifestSha256, ...read } = readManifest(dir) // its self-hash holds, and nothing was lost in JSON
  assert.match(manifestSha256 ?? '', /^[0-9a-f]{64}$/)
  assert.equal(read as unknown, m)
  assert.is(m.kind, 'physical')
  assert.is(m.physical.tablesExact, true)
  assert.is(m.physical.exactBy, 'quiet') // nothing ran meanwhile: the tables were not read twice
  assert.equal(m.physical.databases, ['sakila'])
  assert.is(majorMinor(m.engine.version), '10.11')
  assert.is(m.tables.length, 16)
  assert.is(m.tables.reduce((a, x) => a + x.rows, 0), 47273)
  assert.ok(m.tables.every((x) => x.checksum !== null))
  assert.is(m.storage.files, 1)
  // mariadb-backup --prepare ran: the copy is a data directory, not a raw backup
  assert.match(fs.readFileSync(path.join(dir, 'physical/xtrabackup_checkpoints'), 'utf8'), 'backup_type = log-applied')
  const onDisk = (rel = ''): string[] => fs.readdirSync(path.join(dir, rel), { withFileTypes: true })
    .flatMap((e) => e.isDirectory() ? onDisk(path.join(rel, e.name)) : [path.join(rel, e.name)])
  assert.equal(onDisk().filter((f) => f !== 'manifest.json').sort(), Object.keys(m.files).sort())
  assert.ok(m.files['physical/ibdata1'].bytes > 0 && m.files['physical/sakila/payment.ibd'].bytes > 0)
  for (const f of ['physical/xtrabackup_info', 'physical/backup-my.cnf', 'manifest.json']) {
    assert.not.match(fs.readFileSync(path.join(dir, f), 'utf8'), stack.cfg.MYSQL_ROOT_PASSWORD, f)
  }
  assert.equal(fs.readdirSync(stack.rt.paths.runDir).filter((f) => f.endsWith('.cnf')), [], 'the options file was removed')
  assert.equal(fs.readdirSync(path.dirname(dir)), ['p1'])
  const again = await errorOf(dumpPhysical(stack.cfg, stack.rt, { name: 'p1' }))
  assert.is(again.message, 'snapshot "p1" already exists')
})

t('load: rows deleted, a table dropped and one added, files changed: all back as dumped', async ({ stack }) => {
  const before = await stack.db((db) => fingerprint(db, 'sakila'))
  const filesBefore = treeDigest(storageDir(stack))
  await sql(stack, 'DELETE FROM payment WHERE payment_id > 100; DROP TABLE film_text; CREATE TABLE extra (id INT)', 'sakila')
  fs.writeFileSync(path.join(storageDir(stack), 'uploads/a.txt'), 'changed')
  fs.writeFileSync(path.join(storageDir(stack), 'stray.txt'), 'not in the snapshot')
  assert.not.equal(await stack.db((db) => fingerprint(db, 'sakila')), before)
  const r = await loadPhysical(stack.cfg, stack.rt, snapDir(stack, 'p1'), readManifest(snapDir(stack, 'p1')))
  assert.is(r.tables, 16)
  assert.is(r.rows, 47273)
  assert.ok(r.downtimeMs > 0 && r.downtimeMs <= r.ms)
  assert.equal(await stack.db((db) => fingerprint(db, 'sakila')), before)
  assert.is(treeDigest(storageDir(stack)), filesBefore)
  assert.equal(besideData(stack), [])
})

t('a flipped byte or an extra file in the copy refuses before anything changes', async ({ stack }) => {
  const dir = snapDir(stack, 'p1')
  const m = readManifest(dir)
  const live = await stack.db((db) => fingerprint(db, 'sakila'))
  const inode = fs.statSync(dataDir(stack)).ino
  const pid = serverPid(stack)
  const ibd = path.join(dir, 'physical/sakila/payment.ibd')
  flipByte(ibd, 50_000)
  try {
    const e = await errorOf(loadPhysical(stack.cfg, stack.rt, dir, m))
    assert.is(e.exitCode, 1)
    assert.is(e.message, 'snapshot "p1" is damaged: physical/sakila/payment.ibd: sha256 differs from the manifest (altered)')
  } finally { flipByte(ibd, 50_000) }
  fs.writeFileSync(path.join(dir, 'physical/sakila/planted.ibd'), 'x')
  try {
    const e = await errorOf(loadPhysical(stack.cfg, stack.rt, dir, m))
    assert.is(e.message, 'snapshot "p1" is damaged: physical/sakila/planted.ibd: not in the manifest\'s file list')
  } finally { fs.rmSync(path.join(dir, 'physical/sakila/planted.ibd')) }
  assert.is(fs.statSync(dataDir(stack)).ino, inode, 'the live data directory was not swapped')
  assert.is(serverPid(stack), pid, 'the server was not restarted')
  assert.equal(besideData(stack), [])
  assert.equal(await stack.db((db) => fingerprint(db, 'sakila')), live)
})

t('another major.minor, another runtime, a logical manifest: refused (exit 2)', async ({ stack }) => {
  const dir = snapDir(stack, 'p1')
  const m = readManifest(dir) as unknown as PhysicalManifest
  const pid = serverPid(stack)
  const newer = await errorOf(loadPhysical(stack.cfg, stack.rt, dir, { ...m, engine: { flavor: 'mariadb', version: '11.4.2-MariaDB' } }))
  assert.is(newer.exitCode, 2)
  assert.is(newer.message, `a physical snapshot from mariadb 11.4.2-MariaDB cannot be loaded by mariadb ${m.engine.version}`)
  assert.is(newer.hint, 'on the 11.4 server it came from, take a logical one: make data_dump ARGS="--name p1"')
  // the safety snapshot covers the application database only: another one is never silently removed
  await sql(stack, 'CREATE DATABASE notes; CREATE TABLE notes.n (id INT); INSERT INTO notes.n VALUES (1)')
  const other = await errorOf(loadPhysical(stack.cfg, stack.rt, dir, m))
  assert.is(other.exitCode, 2)
  assert.is(other.message, 'loading physical snapshot "p1" would remove a database it does not hold: notes')
  assert.match(other.hint ?? '', 'or load a logical snapshot, which replaces only sakila')
  assert.is((await sql(stack, 'SELECT COUNT(*) FROM notes.n')).trim(), '1')
  await sql(stack, 'DROP DATABASE notes')
  const logical = await errorOf(loadPhysical(stack.cfg, stack.rt, dir, { ...m, kind: 'logical' } as unknown as Manifest))
  assert.is(logical.message, 'snapshot "p1" is not a physical snapshot')
  // no Docker engine here: both answers come before any docker command would run
  const dockerCfg = loadConfig({ env: { MYSQL_ROOT_PASSWORD: 'x', MYSQL_PASSWORD: 'y' }, projectDir: tempDir() })
  const docker = new DockerRuntime(dockerCfg)
  const onDocker = await errorOf(loadPhysical(stack.cfg, docker, dir, m))
  assert.is(onDocker.exitCode, 2)
  assert.is(onDocker.message, 'loading a physical snapshot is not supported on the docker runtime yet')
  assert.match(onDocker.hint ?? '', 'take a logical one: make data_dump ARGS="--name p1"')
  const support = await physicalSupported(dockerCfg, docker)
  assert.is(support.ok, false)
  assert.match(support.why ?? '', 'not supported on the docker runtime yet')
  const dump = await errorOf(dumpPhysical(stack.cfg, docker, { name: 'd1' }))
  assert.match(dump.message, 'cannot take a physical snapshot: physical snapshots are not supported on the docker runtime yet')
  assert.is(serverPid(stack), pid)
})

t('a server that will not start on the copy, or a count that differs: the old data goes back', async ({ stack }) => {
  const dir = snapDir(stack, 'p1')
  const m = readManifest(dir) as unknown as PhysicalManifest
  await sql(stack, 'DELETE FROM rental WHERE rental_id > 5000; CREATE TABLE kept (id INT); INSERT INTO kept VALUES (7)', 'sakila')
  const live = await stack.db((db) => fingerprint(db, 'sakila'))
  const corrupt = (d: string) => { // the system tablespace's first pages: InnoDB refuses to start
    const fd = fs.openSync(path.join(d, 'ibdata1'), 'r+')
    fs.writeSync(fd, Buffer.alloc(4 * 16384, 0xa5), 0, 4 * 16384, 0)
    fs.closeSync(fd)
  }
  const noStart = await errorOf(loadPhysical(stack.cfg, stack.rt, dir, m, { beforeStart: corrupt }))
  assert.is(noStart.exitCode, 1)
  assert.match(noStart.message, /^loading physical snapshot "p1" failed \(the database server exited during start .*\); the data directory was put back as it was and the server restarted$/)
  assert.equal(await stack.db((db) => fingerprint(db, 'sakila')), live)
  assert.equal(besideData(stack), [])

  const actor = m.tables.find((x) => x.name === 'actor')!
  const wrong = { ...m, tables: m.tables.map((x) => x === actor ? { ...x, rows: x.rows + 1 } : x) }
  const mismatch = await errorOf(loadPhysical(stack.cfg, stack.rt, dir, wrong))
  assert.match(mismatch.message, `(the loaded server does not match snapshot "p1": actor: ${actor.rows} rows, the manifest says ${actor.rows + 1})`)
  assert.equal(await stack.db((db) => fingerprint(db, 'sakila')), live)
  assert.equal(besideData(stack), [])
})

t('the counters that prove a quiet server move on every write and DDL, never on reads or the backup', async ({ stack }) => {
  const read = () => stack.db(changeCounters, null)
  await sql(stack, 'CREATE TABLE quiet_aria (id INT) ENGINE=Aria; CREATE TABLE quiet_inno (id INT) ENGINE=InnoDB', 'sakila')
  let last = await read()
  const moves = async (what: string, statement: string) => {
    await sql(stack, statement, 'sakila')
    const now = await read()
    assert.is.not(now, last, what)
    last = now
  }
  await moves('insert', 'INSERT INTO quiet_inno VALUES (1)')
  await moves('an update that keeps the count', 'UPDATE quiet_inno SET id = 5')
  await moves('delete', 'DELETE FROM quiet_inno')
  await moves('a write to an Aria table', 'INSERT INTO quiet_aria VALUES (1)')
  await moves('a write inside a procedure', "CREATE PROCEDURE quiet_p() INSERT INTO quiet_inno VALUES (2); CALL quiet_p(); DROP PROCEDURE quiet_p")
  await moves('truncate', 'TRUNCATE quiet_aria')
  await moves('alter', 'ALTER TABLE quiet_inno ADD COLUMN v INT')
  await moves('rename', 'RENAME TABLE quiet_inno TO quiet_inno2')
  await moves('drop', 'DROP TABLE quiet_inno2, quiet_aria')
  await sql(stack, "SELECT COUNT(*) FROM payment; CHECKSUM TABLE payment; SELECT * FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'sakila'", 'sakila')
  const opt = path.join(tempDir('datakeep-opt-'), 'o.cnf')
  writeOptionsFile(opt, stack.cfg.MYSQL_ROOT_PASSWORD)
  const target = path.join(tempDir('datakeep-raw-'), 'b')
  await run(HOST, backupArgv.backup({ optionsFile: opt, targetDir: target, socket: stack.rt.paths.socket, dataDir: dataDir(stack), parallel: 2 }))
  assert.is(await read(), last, 'reads and a backup move nothing')
  fs.rmSync(path.dirname(target), { recursive: true, force: true })
  fs.rmSync(path.dirname(opt), { recursive: true, force: true })
  // a transaction holding writes could commit later without moving a counter: then they do not suffice
  const tx = await connect(stack.rt.admin)
  const tables = [{ engine: 'InnoDB' }]
  try {
    await tx.query('BEGIN')
    await tx.query("UPDATE sakila.actor SET last_name = 'Y' WHERE actor_id = 1")
    assert.is(await stack.db((db) => countersSuffice(db, tables)), false)
    await tx.query('ROLLBACK')
  } finally { await tx.end() }
  assert.is(await stack.db((db) => countersSuffice(db, tables)), true)
  assert.is(await stack.db((db) => countersSuffice(db, [{ engine: 'MEMORY' }])), false)
})

/** Dumps while a connection inserts into `table` without pause. */
async function dumpWhileWriting(stack: TestStack, name: string, table: string, database: string): Promise<PhysicalManifest> {
  await sql(stack, `CREATE TABLE ${table} (id INT PRIMARY KEY AUTO_INCREMENT, at DATETIME(6))`, database)
  const db = await connect(stack.rt.admin, { database })
  let writing = true
  const writer = (async () => { while (writing) await db.query(`INSERT INTO ${table} (at) VALUES (NOW(6))`) })()
  try {
    return (await dumpPhysical(stack.cfg, stack.rt, { name })).manifest
  } finally {
    writing = false
    await writer
    await db.end()
  }
}

t('written elsewhere during the backup: the tables, read again, are equal', async ({ stack }) => {
  await sql(stack, 'CREATE DATABASE elsewhere')
  const m = await dumpWhileWriting(stack, 'elsewhere', 'log', 'elsewhere')
  assert.is(m.physical.tablesExact, true)
  assert.is(m.physical.exactBy, 'reread')
  assert.ok(m.tables.every((x) => x.checksum !== null))
  await sql(stack, 'DROP DATABASE elsewhere')
  fs.rmSync(snapDir(stack, 'elsewhere'), { recursive: true })
})

t('written during the backup: not exact, no checksums, and the load checks only that tables read', async ({ stack }) => {
  const busy = await dumpWhileWriting(stack, 'busy', 'ticks', 'sakila')
  assert.is(busy.physical.tablesExact, false)
  assert.is(busy.physical.exactBy, null)
  assert.ok(busy.tables.every((x) => x.checksum === null))
  const m = readManifest(snapDir(stack, 'busy'))
  assert.ok(m.tables.some((x) => x.name === 'ticks'))
  const r = await loadPhysical(stack.cfg, stack.rt, snapDir(stack, 'busy'), m)
  assert.is(r.tables, m.tables.length)
  const n = Number((await sql(stack, 'SELECT COUNT(*) FROM ticks', 'sakila')).trim())
  assert.ok(n > 0, 'the copy holds what was written before the backup')
})

t('a killed load is settled from the files alone, never losing a data directory', () => {
  const root = tempDir('datakeep-settle-')
  const live = path.join(root, 'mysqld')
  const dead = spawnSync('true').pid! // a process that has exited
  const mk = (n: string, file = 'x') => { fs.mkdirSync(path.join(root, n)); fs.writeFileSync(path.join(root, n, file), n) }
  mk(`mysqld.old-${dead}-100`, 'older')
  mk(`mysqld.old-${dead}-200`, 'newest')
  mk(`mysqld.partial-${dead}-300`)
  mk(`mysqld.partial-${process.pid}-300`) // a running load's copy is left alone
  const first = settleDataDir(live) // killed between the two renames: the newest old one comes back
  assert.is(first.restored, path.join(root, `mysqld.old-${dead}-200`))
  assert.ok(fs.existsSync(path.join(live, 'newest')))
  assert.equal(first.removed, [path.join(root, `mysqld.partial-${dead}-300`)])
  assert.equal(first.unsettled, [path.join(root, `mysqld.old-${dead}-100`)])
  assert.ok(fs.existsSync(path.join(root, `mysqld.partial-${process.pid}-300`)))
  const second = settleDataDir(live) // beside a data directory an old one is only reported
  assert.equal(second, { restored: null, removed: [], unsettled: [path.join(root, `mysqld.old-${dead}-100`)] })
  fs.rmSync(root, { recursive: true, force: true })
})

t.run()

const a = suite('physical snapshot argv')
const cfg = loadConfig({ env: { MYSQL_ROOT_PASSWORD: 'sekret-root-pw', MYSQL_PASSWORD: 'sekret-app-pw', COMPOSE_PROJECT_NAME: 'shop' }, projectDir: tempDir() })

a('local: the options file comes first and holds the password; argv never does', () => {
  const argv = backupArgv.backup({ optionsFile: '/p/run/b.cnf', targetDir: '/p/backups/x.partial-1-2/physical', socket: '/p/run/s.sock', dataDir: '/p/mysqld', parallel: 2 })
  assert.equal(argv, ['mariadb-backup', '--defaults-file=/p/run/b.cnf', '--backup', '--target-dir=/p/backups/x.partial-1-2/physical',
    '--socket=/p/run/s.sock', '--user=root', '--datadir=/p/mysqld', '--parallel=2'])
  assert.equal(backupArgv.prepare('/p/x/physical'), ['mariadb-backup', '--defaults-file=/p/x/physical/backup-my.cnf', '--prepare', '--target-dir=/p/x/physical'])
})

a('the options file: mode 0600, read back by the client library exactly, quotes and # included', async () => {
  const file = path.join(tempDir('datakeep-opt-'), 'run/b.cnf')
  const pw = 'a"b\\c #d e\'f'
  writeOptionsFile(file, pw)
  assert.is(fs.statSync(file).mode & 0o777, 0o600)
  const r = await run(HOST, ['my_print_defaults', `--defaults-file=${file}`, 'client'])
  assert.ok(r.stdout.split('\n').includes(`--password=${pw}`), r.stdout)
  assert.match(fs.readFileSync(file, 'utf8'), /^!include .*\/docker\/mysql\/conf\.d\/datakeep\.cnf\n/)
})

a('docker: the same steps inside the mysqld service, the password passed by name only', () => {
  const rt = new DockerRuntime(cfg)
  const exec = [...composeBase(cfg), 'exec', '-T']
  assert.equal(dockerBackupArgv.backup(rt.target, 'x.partial-1-2/physical', 2),
    [...exec, '-e', 'MYSQL_PWD', 'mysqld', 'mariadb-backup', '--backup', '--target-dir=/backup/x.partial-1-2/physical', '--user=root', '--parallel=2'])
  assert.equal(dockerBackupArgv.prepare(rt.target, 'x.partial-1-2/physical'),
    [...exec, 'mysqld', 'mariadb-backup', '--prepare', '--target-dir=/backup/x.partial-1-2/physical'])
  assert.equal(dockerBackupArgv.chown(rt.target, 'x/physical', { uid: 1000, gid: 1000 }), [...exec, 'mysqld', 'chown', '-R', '1000:1000', '/backup/x/physical'])
  assert.equal(dockerBackupArgv.version(rt.target), [...exec, 'mysqld', 'mariadb-backup', '--version'])
  for (const argv of [dockerBackupArgv.backup(rt.target, 'x', 1), dockerBackupArgv.prepare(rt.target, 'x')]) assert.not.match(argv.join(' '), 'sekret')
  assert.throws(() => dockerBackupArgv.backup(rt.target, '../etc', 1), /not a path inside the backup folder/)
  assert.throws(() => dockerBackupArgv.prepare(rt.target, '/etc'), /not a path inside the backup folder/)
})

a('versions: major.minor, and the server version mariadb-backup names', () => {
  assert.is(majorMinor('10.11.19-MariaDB-0+deb12u1'), '10.11')
  assert.is(majorMinor('11.4.2-MariaDB-ubu2404'), '11.4')
  assert.is(toolServerVersion('mariadb-backup based on MariaDB server 10.11.19-MariaDB debian-linux-gnu (x86_64)'), '10.11.19')
  assert.is(toolServerVersion('no version here'), null)
})

a.run()
