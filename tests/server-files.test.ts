// The server's data files, reached on the host (local runtime) or through `docker compose exec`
// (docker runtime). No Docker engine runs here: the docker path is checked as the argv it builds,
// and its streaming runs for real through a stand-in for `docker compose` that runs the command in
// the container's place (tests/support/compose-shim.sh), as far as a tablespace snapshot's round trip.
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { suite } from './support/uvu.ts'
import * as assert from 'uvu/assert'
import { loadConfig } from '../lib/config.ts'
import { crc32File, sha256File } from '../lib/fs-util.ts'
import { archiveBinlogs, archivedLogs, binlogArchive } from '../lib/pitr/archive.ts'
import { targetArgv, type Target } from '../lib/run.ts'
import { composeBase, composeEnv, CONTAINER_DATA_DIR, DockerRuntime } from '../lib/runtime/docker.ts'
import { composeServerFiles, serverFileArgv } from '../lib/runtime/server-files.ts'
import type { Runtime } from '../lib/runtime/index.ts'
import { dumpSnapshot } from '../lib/snapshot/dump.ts'
import { loadSnapshot } from '../lib/snapshot/load.ts'
import { readManifest } from '../lib/snapshot/manifest.ts'
import { snapshotPath } from '../lib/snapshot/names.ts'
import { fingerprint, sql } from './support/fingerprint.ts'
import { sakilaStack } from './support/sakila.ts'
import { REPO, tempDir, type TestStack } from './support/stack.ts'

const SHIM = path.join(REPO, 'tests/support/compose-shim.sh')

/** The message a promise rejects with ('' when it resolves). */
const errorOf = (p: Promise<unknown>) => p.then(() => '', (e: Error) => e.message)

const argvTest = suite('docker runtime: server files as argv')

argvTest('files leave as the service runs and come in as the server\'s user, one tar stream each way', () => {
  const cfg = loadConfig({ env: { DATAKEEP_RUNTIME: 'docker', MYSQL_ROOT_PASSWORD: 'pw', MYSQL_PASSWORD: 'apppw' }, projectDir: '/srv/app' })
  const rt = new DockerRuntime(cfg)
  const base = composeBase(cfg)
  assert.equal(targetArgv(rt.target, serverFileArgv.pack(`${CONTAINER_DATA_DIR}/app`, ['t.ibd', 't.cfg'])),
    [...base, 'exec', '-T', 'mysqld', 'tar', '-C', '/var/lib/mysql/app', '-cf', '-', '--', 't.ibd', 't.cfg'])
  assert.equal(targetArgv({ ...rt.target, user: 'mysql' }, serverFileArgv.unpack('/var/lib/mysql/_dk_stage_1_2')),
    [...base, 'exec', '-T', '-u', 'mysql', 'mysqld', 'tar', '-C', '/var/lib/mysql/_dk_stage_1_2', '-xf', '-', '--no-same-owner'])
  assert.equal(serverFileArgv.remove('/var/lib/mysql/x', ['t.cfg', '-odd.cfg']), ['rm', '-f', '--', '/var/lib/mysql/x/t.cfg', '/var/lib/mysql/x/-odd.cfg'])
})

argvTest('compose gets its interpolation variables in its own environment, never passed inside with -e', () => {
  const cfg = loadConfig({ env: { DATAKEEP_RUNTIME: 'docker', MYSQL_ROOT_PASSWORD: 'pw', MYSQL_PASSWORD: 'apppw' }, projectDir: '/srv/app' })
  const rt = new DockerRuntime(cfg)
  assert.equal(rt.target.env, composeEnv(cfg))
  const argv = targetArgv(rt.target, ['mariadb-dump', 'app'], ['MYSQL_PWD'])
  assert.equal(argv.filter((a, i) => argv[i - 1] === '-e'), ['MYSQL_PWD'])
  assert.not.ok(argv.some((a) => a.includes('pw')))
})

argvTest.run()

/** A compose target whose "container" is this machine, logging every command it runs. */
function shimTarget(log: string): Target & { kind: 'compose' } {
  return { kind: 'compose', compose: ['bash', SHIM, 'compose'], service: 'mysqld', env: { SHIM_LOG: log, MYSQL_ROOT_PASSWORD: 'from-target' } }
}

const streamTest = suite('docker runtime: server files streamed through compose exec')

streamTest('fetch, put and remove move the exact bytes, in one exec each, and say where they ran', async () => {
  const dir = tempDir()
  try {
    const data = path.join(dir, 'datadir')
    fs.mkdirSync(path.join(data, 'app'), { recursive: true })
    fs.mkdirSync(path.join(data, 'stage'), { recursive: true })
    const a = crypto.randomBytes(5 << 20)
    const b = crypto.randomBytes(1000)
    fs.writeFileSync(path.join(data, 'app/t.ibd'), a)
    fs.writeFileSync(path.join(data, 'app/t.cfg'), b)
    const log = path.join(dir, 'shim.log')
    const files = composeServerFiles(shimTarget(log), data, 'mysql')
    const to = path.join(dir, 'snap')
    fs.mkdirSync(to)
    const got = await files.fetch('app', ['t.ibd', 't.cfg'], to)
    assert.ok(fs.readFileSync(path.join(to, 't.ibd')).equals(a))
    assert.ok(fs.readFileSync(path.join(to, 't.cfg')).equals(b))
    assert.equal(got.get('t.ibd'), await crc32File(path.join(data, 'app/t.ibd')))
    assert.equal(got.get('t.cfg'), await crc32File(path.join(data, 'app/t.cfg')))
    await files.put(to, ['t.ibd', 't.cfg'], 'stage')
    assert.ok(fs.readFileSync(path.join(data, 'stage/t.ibd')).equals(a))
    assert.ok(fs.readFileSync(path.join(data, 'stage/t.cfg')).equals(b))
    await files.remove('stage', ['t.ibd', 't.cfg', 'never-there.cfg'])
    assert.equal(fs.readdirSync(path.join(data, 'stage')), [])
    const missing = await errorOf(files.fetch('app', ['none.ibd'], to))
  assert.match(missing, /^tar failed \(exit 2\): .*none\.ibd/, missing)
    const lines = fs.readFileSync(log, 'utf8').trim().split('\n')
    const calls = lines.filter((l) => l.startsWith('compose '))
    assert.equal(calls, [
      `compose exec -T mysqld tar -C ${data}/app -cf - -- t.ibd t.cfg`,
      `compose exec -T -u mysql mysqld tar -C ${data}/stage -xf - --no-same-owner`,
      `compose exec -T -u mysql mysqld rm -f -- ${data}/stage/t.ibd ${data}/stage/t.cfg ${data}/stage/never-there.cfg`,
      `compose exec -T mysqld tar -C ${data}/app -cf - -- none.ibd`,
    ])
    assert.equal(lines.filter((l) => l.startsWith('env: ')), calls.map(() => 'env: MYSQL_ROOT_PASSWORD=from-target'), 'compose ran with the target\'s environment')
  } finally { fs.rmSync(dir, { recursive: true, force: true }) }
})

streamTest.run()

const roundTrip = suite('tablespace snapshot through compose exec', { stack: null as unknown as TestStack })
roundTrip.before(async (ctx) => {
  ctx.stack = await sakilaStack()
})
roundTrip.after(async (ctx) => { await ctx.stack?.destroy() })

roundTrip('dump --physical and load with every file streamed through the stand-in: the data comes back equal', async ({ stack }) => {
  const log = path.join(stack.dir, 'shim.log')
  // the local server, with its files reached as the docker runtime reaches a container's
  const rt: Runtime = Object.create(stack.rt, { serverFiles: { value: composeServerFiles(shimTarget(log), stack.rt.paths.dataDir, 'mysql') } })
  const before = await stack.db((db) => fingerprint(db, 'sakila'))
  const { manifest } = await dumpSnapshot(stack.cfg, rt, { name: 'via-exec', physical: true })
  assert.is(manifest.kind, 'tablespace')
  const copied = manifest.tables.filter((t) => t.tablespace).map((t) => t.name)
  assert.ok(copied.includes('payment') && copied.includes('rental'))
  for (const t of copied) {
    const file = path.join(snapshotPath(stack.cfg, 'via-exec'), `data/${t}.ibd`)
    assert.equal((await crc32File(file)).crc32, (readManifest(snapshotPath(stack.cfg, 'via-exec')).files[`data/${t}.ibd`] as { crc32: string }).crc32, t)
  }
  await sql(stack, 'DELETE FROM payment; UPDATE rental SET return_date = NULL', 'sakila')
  assert.not.equal(await stack.db((db) => fingerprint(db, 'sakila')), before)
  await loadSnapshot(stack.cfg, rt, 'via-exec')
  assert.equal(await stack.db((db) => fingerprint(db, 'sakila')), before)
  const calls = fs.readFileSync(log, 'utf8').split('\n').filter((l) => l.startsWith('compose '))
  // one exec out for every copied file, one in, one to remove the .cfg files after the imports
  assert.is(calls.length, 3, calls.join('\n'))
  assert.match(calls[0], new RegExp(`^compose exec -T mysqld tar -C ${stack.rt.paths.dataDir}/sakila -cf - -- .*payment\\.ibd payment\\.cfg`))
  assert.match(calls[1], /^compose exec -T -u mysql mysqld tar -C .*\/_dk_stage_[^ ]+ -xf - --no-same-owner$/)
  assert.match(calls[2], /^compose exec -T -u mysql mysqld rm -f -- .*\/_dk_stage_[^/]+\/\w+\.cfg /)
  assert.not.match(calls[2], /\.ibd/, 'an imported table keeps its file')
})

roundTrip('the closed binary logs leave the container in one tar stream, byte for byte, each with its sha256', async ({ stack }) => {
  const log = path.join(stack.dir, 'shim-binlog.log')
  const rt: Runtime = Object.create(stack.rt, { serverFiles: { value: composeServerFiles(shimTarget(log), stack.rt.paths.dataDir, 'mysql') } })
  const copied = await archiveBinlogs(stack.cfg, rt)
  assert.ok(copied.length >= 1, 'the logs closed by the flush are copied')
  for (const a of archivedLogs(stack.cfg)) {
    const original = (await sha256File(path.join(stack.rt.paths.dataDir, a.file))).sha256
    assert.is(a.sha256, original, a.name)
    assert.is((await sha256File(path.join(binlogArchive(stack.cfg), a.name))).sha256, original, a.name)
  }
  const calls = fs.readFileSync(log, 'utf8').split('\n').filter((l) => l.startsWith('compose '))
  assert.is(calls.length, 1, calls.join('\n'))
  assert.match(calls[0], new RegExp(`^compose exec -T mysqld tar -C ${stack.rt.paths.dataDir} -cf - -- binlog\\.\\d{6}`))
  // a second call copies only the log its own flush closed, nothing twice
  const open = (await sql(stack, 'SHOW MASTER STATUS')).split('\t')[0]
  const again = await archiveBinlogs(stack.cfg, rt)
  assert.is(again.length, 1)
  assert.ok(again[0].startsWith(`${open}-`), again[0])
})

roundTrip.run()
