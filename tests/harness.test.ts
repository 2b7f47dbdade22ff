// The test harness itself: a test server never outlives its test process (SIGKILL, SIGINT, a before
// hook that fails after the server started), the sakila copy is the repository's own, and a failing
// before hook says why and fails the file.
import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { suite } from './support/uvu.ts'
import * as assert from 'uvu/assert'
// @ts-expect-error plain JavaScript, no declarations
import { holders } from './support/reaper.mjs'
import { REPO, TSX_LOADER } from './support/stack.ts'
import { SAKILA, SAKILA_FILES } from './support/sakila.ts'

const t = suite('test harness')
const CHILD = path.join(REPO, 'tests/support/harness-child.ts')

/** Starts harness-child.ts; resolves with its process and the stack folder it printed once its server answers. */
function startChild(mode: 'wait' | 'throw'): Promise<{ child: ReturnType<typeof spawn>; dir: string; exited: Promise<number | string> }> {
  const child = spawn(process.execPath, ['--import', TSX_LOADER, CHILD, mode], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] })
  const exited = new Promise<number | string>((resolve) => child.on('close', (code, signal) => resolve(code ?? String(signal))))
  return new Promise((resolve, reject) => {
    let out = ''
    let err = ''
    child.stderr!.on('data', (d) => { err += d })
    child.stdout!.on('data', (d) => {
      out += d
      if (out.includes('\n')) resolve({ child, dir: out.trim(), exited })
    })
    void exited.then((code) => reject(new Error(`the child ended (${code}) before its stack started: ${err}`)))
  })
}

/** Waits (20 s at most) until no process names `dir` and the folder is gone. */
async function assertReaped(dir: string): Promise<void> {
  const deadline = Date.now() + 20_000
  while ((holders([dir]).length > 0 || fs.existsSync(dir)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
  const left = holders([dir]).map((pid: number) => `${pid}: ${fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ')}`)
  assert.equal(left, [], 'no process still runs in the test folder')
  assert.not.ok(fs.existsSync(dir), 'the test folder is removed')
}

for (const signal of ['SIGKILL', 'SIGINT'] as const) {
  t(`a test process killed with ${signal} leaves no server running on its data directory`, async () => {
    const { child, dir, exited } = await startChild('wait')
    const running = holders([dir])
    assert.ok(running.length > 0, 'the server runs in the stack folder before the kill')
    assert.ok(running.every((pid: number) => /mariadbd|mysqld/.test(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8'))), 'what names the folder is the server')
    child.kill(signal)
    assert.is(await exited, signal === 'SIGINT' ? 130 : 'SIGKILL')
    await assertReaped(dir)
  })
}

t('a test process that fails after its server started (a before hook) leaves no server running', async () => {
  const { dir, exited } = await startChild('throw')
  assert.is(await exited, 1)
  await assertReaped(dir)
})

t('a before hook that fails prints its reason and fails the file (run alone: exit 1)', () => {
  const r = spawnSync(process.execPath, ['--import', TSX_LOADER, path.join(REPO, 'tests/support/before-fails.ts')], { cwd: REPO, encoding: 'utf8' })
  const out = `${r.stdout}\n${r.stderr}`
  assert.is(r.status, 1, out)
  assert.match(r.stderr, /before hook of suite "a suite whose before hook fails" failed: Error: the fixture could not be built: reason-7f3a/)
  assert.match(out, /Total:\s+2/)
  assert.match(out, /Passed:\s+0/)
  assert.match(out, /not run: the suite's before hook failed \(the fixture could not be built: reason-7f3a\)/)
})

t('every test file takes suite/test from tests/support/uvu.ts (uvu alone hides a failing before hook)', () => {
  const files = fs.readdirSync(path.join(REPO, 'tests'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.test.ts'))
  const direct = files.filter((f) => /^import \{[^}]*\b(suite|test)\b[^}]*\} from 'uvu'$/m.test(fs.readFileSync(path.join(REPO, 'tests', f), 'utf8')))
  assert.equal(direct, [], `import { suite } / { test } from tests/support/uvu.ts in: ${direct.join(', ')}`)
})

t('the sakila dataset is the repository\'s own: gzip files and their license, nothing from outside', () => {
  assert.ok(SAKILA.startsWith(path.join(REPO, 'tests')), SAKILA)
  for (const f of [...SAKILA_FILES, path.join(SAKILA, 'LICENSE')]) assert.ok(fs.existsSync(f), f)
  assert.match(fs.readFileSync(path.join(SAKILA, 'LICENSE'), 'utf8'), /Copyright \(c\) 2006, 2019, Oracle/)
  const geo = fs.readFileSync(path.join(SAKILA, 'sakila-geo.sh'), 'utf8')
  assert.not.match(geo, /\.\.\//, 'sakila-geo.sh reads only the files beside it')
})

t.run()
