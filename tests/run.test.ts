import fs from 'node:fs'
import path from 'node:path'
import { test } from './support/uvu.ts'
import * as assert from 'uvu/assert'
import { UserError } from '../lib/errors.ts'
import { HOST, run, spawnPipe, targetArgv, type Target } from '../lib/run.ts'
import { tempDir } from './support/stack.ts'

const compose: Target = { kind: 'compose', compose: ['docker', 'compose', '-p', 'x'], service: 'mysqld' }

test('host argv is the command itself', () => {
  assert.equal(targetArgv(HOST, ['mariadb', '-e', 'SELECT 1']), ['mariadb', '-e', 'SELECT 1'])
})

test('compose argv execs in the service and passes env by name only', () => {
  assert.equal(targetArgv(compose, ['mariadb-dump', 'app'], ['MYSQL_PWD']),
    ['docker', 'compose', '-p', 'x', 'exec', '-T', '-e', 'MYSQL_PWD', 'mysqld', 'mariadb-dump', 'app'])
})

test('run returns stdout and passes env and input', async () => {
  const r = await run(HOST, ['sh', '-c', 'printf "%s:" "$FOO"; cat'], { env: { FOO: 'bar' }, input: 'in' })
  assert.is(r.stdout, 'bar:in')
})

test('arguments are quoted, never interpreted by a shell', async () => {
  const r = await run(HOST, ['printf', '%s', 'a b; echo $HOME `id`'])
  assert.is(r.stdout, 'a b; echo $HOME `id`')
})

test('a command runs without the user\'s ~/.bashrc, even from an environment with SHLVL unset or 0', async () => {
  const home = tempDir()
  const marker = path.join(home, 'bashrc-was-read')
  fs.writeFileSync(path.join(home, '.bashrc'), `touch ${JSON.stringify(marker)}\necho from-bashrc\n`)
  const saved = { HOME: process.env.HOME, SHLVL: process.env.SHLVL }
  // what a cron job, a CI runner or the test stacks hand on: their own HOME, no SHLVL
  process.env.HOME = home
  delete process.env.SHLVL
  try {
    for (const level of [undefined, '0']) {
      if (level === undefined) delete process.env.SHLVL
      else process.env.SHLVL = level // a background job's
      const r = await run(HOST, ['cat'], { input: 'ok\n' }) // input: bash's stdin is node's socket
      assert.is(r.stdout, 'ok\n', `SHLVL ${level}`)
      assert.not.ok(fs.existsSync(marker), `~/.bashrc was read (SHLVL ${level})`)
    }
  } finally {
    process.env.HOME = saved.HOME
    if (saved.SHLVL === undefined) delete process.env.SHLVL
    else process.env.SHLVL = saved.SHLVL
    fs.rmSync(home, { recursive: true, force: true })
  }
})

test('a non-zero exit throws with the tail of stderr; nothrow returns it', async () => {
  try {
    await run(HOST, ['sh', '-c', 'echo first >&2; echo boom >&2; exit 3'])
    assert.unreachable('should throw')
  } catch (e) {
    assert.instance(e, UserError)
    assert.is((e as UserError).exitCode, 1)
    assert.match((e as Error).message, 'sh failed (exit 3): first | boom')
  }
  const r = await run(HOST, ['sh', '-c', 'exit 4'], { nothrow: true })
  assert.is(r.code, 4)
})

test('input a command never reads (it exits first): its exit is the answer, not a crash of this process', async () => {
  const input = 'x'.repeat(4 << 20) // more than a pipe holds: the write is still going when the command is gone
  const r = await run(HOST, ['true'], { input })
  assert.is(r.code, 0)
  try {
    await run(HOST, ['sh', '-c', 'echo refused >&2; exit 3'], { input })
    assert.unreachable('should throw')
  } catch (e) {
    assert.is((e as Error).message, 'sh failed (exit 3): refused')
  }
})

test('a missing command is a misuse error with an install hint', async () => {
  try {
    await run(HOST, ['mariadb-no-such-tool-xyz'])
    assert.unreachable('should throw')
  } catch (e) {
    assert.instance(e, UserError)
    assert.is((e as UserError).exitCode, 2)
    assert.match((e as Error).message, 'mariadb-no-such-tool-xyz is not installed')
  }
})

test('stdoutFile streams output to a file', async () => {
  const f = path.join(tempDir(), 'out.txt')
  await run(HOST, ['sh', '-c', 'seq 1 100000'], { stdoutFile: f })
  const lines = fs.readFileSync(f, 'utf8').trim().split('\n')
  assert.is(lines.length, 100000)
  assert.is(lines[99999], '100000')
})

test('spawnPipe streams through a command and reports its failure', async () => {
  const p = spawnPipe(HOST, ['tr', 'a-z', 'A-Z'])
  let out = ''
  p.stdout.on('data', (d) => { out += d })
  p.stdin.end('hello')
  await p.done
  assert.is(out, 'HELLO')
  const bad = spawnPipe(HOST, ['sh', '-c', 'cat >/dev/null; echo nope >&2; exit 5'])
  bad.stdin.end('x')
  try { await bad.done; assert.unreachable('should throw') } catch (e) { assert.match((e as Error).message, 'exit 5): nope') }
})

test.run()
