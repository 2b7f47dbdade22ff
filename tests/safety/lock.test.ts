// The stack lock, with real processes: a holder spawned as its own node process, a stale lock left
// by a dead one, a reused pid, another host's lock, Ctrl-C on the holder.
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { test } from '../support/uvu.ts'
import * as assert from 'uvu/assert'
import { loadConfig, type Config } from '../../lib/config.ts'
import { UserError } from '../../lib/errors.ts'
import { acquireLock, commandSummary, lockPath, withLock, type LockInfo } from '../../lib/safety/lock.ts'
import { REPO, tempDir } from '../support/stack.ts'

const TSX_LOADER = path.join(REPO, 'node_modules/tsx/dist/loader.mjs')
const HOLDER_COMMAND = 'make data_load ARGS="--name x"'
const dir = tempDir('datakeep-lock-')
const cfg: Config = loadConfig({ env: { CI: 'true' }, projectDir: dir })
const file = lockPath(cfg)

/** A script that holds the lock for argv[3] ms, under main() like every datakeep script. */
const HOLDER = path.join(dir, 'holder.ts')
fs.writeFileSync(HOLDER, `
import { loadConfig } from ${JSON.stringify(path.join(REPO, 'lib/config.ts'))}
import { main } from ${JSON.stringify(path.join(REPO, 'lib/errors.ts'))}
import { withLock } from ${JSON.stringify(path.join(REPO, 'lib/safety/lock.ts'))}
main(async () => {
  const cfg = loadConfig({ env: { CI: 'true' }, projectDir: process.argv[2] })
  await withLock(cfg, ${JSON.stringify(HOLDER_COMMAND)}, async () => {
    process.stdout.write('locked\\n')
    await new Promise((r) => setTimeout(r, Number(process.argv[3])))
  })
  process.stdout.write('released\\n')
})
`)

interface Holder { child: ChildProcess; out: () => string; exit: Promise<number> }

function startHolder(holdMs: number): Holder {
  const child = spawn(process.execPath, ['--import', TSX_LOADER, HOLDER, dir, String(holdMs)], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout!.on('data', (d) => { out += d })
  child.stderr!.on('data', (d) => { out += d })
  const exit = new Promise<number>((resolve) => child.on('close', (code, sig) => resolve(code ?? (sig ? 128 : -1))))
  return { child, out: () => out, exit }
}

async function until(cond: () => boolean, what: string, ms = 15000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

/** A pid that is surely not running: a process that has already exited. */
async function deadPid(): Promise<number> {
  const c = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' })
  await new Promise((r) => c.on('close', r))
  return c.pid!
}

function readLockFile(): LockInfo { return JSON.parse(fs.readFileSync(file, 'utf8')) }
function writeLockFile(l: LockInfo): void { fs.mkdirSync(path.dirname(file), { recursive: true }); fs.writeFileSync(file, JSON.stringify(l)) }

async function refusal(p: Promise<unknown>): Promise<UserError> {
  try { await p } catch (e) { if (e instanceof UserError) return e; throw e }
  throw new Error('expected the lock to be refused')
}

/** Runs `fn` and returns what it wrote to stderr (warnings). */
async function stderrOf(fn: () => Promise<void>): Promise<string> {
  let text = ''
  const write = process.stderr.write.bind(process.stderr)
  process.stderr.write = ((chunk: string | Uint8Array) => { text += String(chunk); return true }) as typeof process.stderr.write
  try { await fn() } finally { process.stderr.write = write }
  return text
}

test.after(() => { fs.rmSync(dir, { recursive: true, force: true }) })

test('a lock held by another process refuses with what runs, its pid and since when; Ctrl-C on it frees it', async () => {
  const h = startHolder(30000)
  try {
    await until(() => h.out().includes('locked'), 'the holder to lock')
    const held = readLockFile()
    assert.equal({ pid: held.pid, host: held.host, command: held.command }, { pid: h.child.pid, host: os.hostname(), command: HOLDER_COMMAND })
    const err = await refusal(acquireLock(cfg, 'make initialize'))
    assert.is(err.exitCode, 2)
    assert.is(err.message, `another datakeep operation is running: ${HOLDER_COMMAND} (pid ${h.child.pid}) since ${held.started}`)
    assert.is(err.hint, `wait for it, or if it is stuck: kill ${h.child.pid}`)
    assert.equal(readLockFile(), held, 'a refused acquisition leaves the lock alone')
    h.child.kill('SIGINT')
    assert.is(await h.exit, 130)
    assert.not.ok(fs.existsSync(file), 'the interrupted holder removed its lock')
  } finally { h.child.kill('SIGKILL') }
  const release = await acquireLock(cfg, 'make initialize')
  assert.is(readLockFile().pid, process.pid)
  release()
  assert.not.ok(fs.existsSync(file))
})

test('a holder that finishes releases the lock', async () => {
  const h = startHolder(200)
  assert.is(await h.exit, 0, h.out())
  assert.match(h.out(), /locked\nreleased/)
  assert.not.ok(fs.existsSync(file))
})

test('a stale lock (its process gone) is taken over with a warning', async () => {
  const pid = await deadPid()
  writeLockFile({ pid, host: os.hostname(), command: 'make seed_data', started: '2024-05-01T10:00:00.000Z' })
  let release = () => {}
  const warned = await stderrOf(async () => { release = await acquireLock(cfg, 'make up') })
  assert.is(warned, `warning: taking over a stale lock: make seed_data (pid ${pid}, since 2024-05-01T10:00:00.000Z) is no longer running\n`)
  const mine = readLockFile()
  assert.equal({ pid: mine.pid, command: mine.command }, { pid: process.pid, command: 'make up' })
  release()
  assert.not.ok(fs.existsSync(file))
})

test('a live pid that started after the lock was written is a reused pid: stale', async () => {
  const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' })
  try {
    await new Promise((r) => setTimeout(r, 200))
    writeLockFile({ pid: other.pid!, host: os.hostname(), command: 'make undo', started: new Date().toISOString() })
    const err = await refusal(acquireLock(cfg, 'make up'))
    assert.is(err.hint, `wait for it, or if it is stuck: kill ${other.pid}`)
    writeLockFile({ pid: other.pid!, host: os.hostname(), command: 'make undo', started: '2001-01-01T00:00:00.000Z' })
    let release = () => {}
    const warned = await stderrOf(async () => { release = await acquireLock(cfg, 'make up') })
    assert.match(warned, `taking over a stale lock: make undo (pid ${other.pid}`)
    release()
  } finally { other.kill('SIGKILL') }
})

test('a lock from another host is never taken over, even with a pid that is dead here', async () => {
  const pid = await deadPid()
  const theirs = { pid, host: 'build-server-7', command: 'make data_load', started: '2024-05-01T10:00:00.000Z' }
  writeLockFile(theirs)
  const err = await refusal(acquireLock(cfg, 'make up'))
  assert.is(err.exitCode, 2)
  assert.is(err.message, `another datakeep operation is running on host build-server-7: make data_load (pid ${pid}) since 2024-05-01T10:00:00.000Z`)
  assert.is(err.hint, `wait for it; if build-server-7 no longer runs it: rm ${file}`)
  assert.equal(readLockFile(), theirs)
  fs.rmSync(file)
})

test('release removes the lock only while it is still ours', async () => {
  const release = await acquireLock(cfg, 'make up')
  const theirs = { pid: process.pid, host: os.hostname(), command: 'make other', started: new Date(Date.now() + 1000).toISOString() }
  writeLockFile(theirs) // taken over while we hung
  release()
  assert.equal(readLockFile(), theirs)
  fs.rmSync(file)
})

test('a lock file left empty by a crash is taken over once old; a fresh one is waited for', async () => {
  fs.mkdirSync(path.dirname(file), { recursive: true })
  fs.writeFileSync(file, '')
  const old = new Date(Date.now() - 60_000)
  fs.utimesSync(file, old, old)
  let release = () => {}
  const warned = await stderrOf(async () => { release = await acquireLock(cfg, 'make up') })
  assert.is(warned, `warning: taking over the unreadable lock file ${file} (left by a crashed operation)\n`)
  release()
  // a fresh empty file is a lock being written: the next read sees its content and refuses
  fs.writeFileSync(file, '')
  const writer = setTimeout(() => writeLockFile({ pid: process.ppid, host: 'elsewhere', command: 'make up', started: new Date().toISOString() }), 300)
  const err = await refusal(acquireLock(cfg, 'make up'))
  clearTimeout(writer)
  assert.match(err.message, /^another datakeep operation is running on host elsewhere: make up/)
  fs.rmSync(file)
})

test('withLock frees the lock when its work throws; nested use in one process does not deadlock', async () => {
  const boom = await withLock(cfg, 'make up', async () => {
    assert.ok(fs.existsSync(file))
    await withLock(cfg, 'inner', async () => { assert.is(readLockFile().command, 'make up') })
    assert.ok(fs.existsSync(file), 'the inner release leaves the outer lock')
    throw new Error('boom')
  }).catch((e: Error) => e.message)
  assert.is(boom, 'boom')
  assert.not.ok(fs.existsSync(file))
})

test('commandSummary names the make target and its ARGS', () => {
  assert.is(commandSummary(['/usr/bin/node', '/home/dev/project/scripts/data-load.ts', '--name', 'x']), 'make data_load ARGS="--name x"')
  assert.is(commandSummary(['/usr/bin/node', '/home/dev/project/scripts/up.ts']), 'make up')
  assert.is(commandSummary(['/usr/bin/node', '/tmp/other.ts', 'a']), 'other.ts a')
})

test.run()
