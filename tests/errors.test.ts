// main(): how a script ends. Work that waits for something that can no longer come (node would
// end the process with exit 0 and no last line) ends as a failure that says so.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { test } from './support/uvu.ts'
import * as assert from 'uvu/assert'
import { REPO, tempDir, TSX_LOADER } from './support/stack.ts'

function runMain(body: string): { code: number | null; stderr: string } {
  const dir = tempDir('datakeep-main-')
  const file = path.join(dir, 'script.ts')
  fs.writeFileSync(file, `import { main, UserError } from ${JSON.stringify(path.join(REPO, 'lib/errors.ts'))}\n${body}\n`)
  const r = spawnSync(process.execPath, ['--import', TSX_LOADER, file], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } })
  fs.rmSync(dir, { recursive: true, force: true })
  return { code: r.status, stderr: r.stderr }
}

test('work that never finishes is a failure, not a silent exit 0', () => {
  const r = runMain('main(() => new Promise<void>(() => undefined))')
  assert.is(r.code, 1)
  assert.match(r.stderr, /^datakeep: internal error: the operation stopped before it finished/m)
})

test('work that finishes exits 0 and prints nothing more', () => {
  const r = runMain('main(async () => { await new Promise((res) => setTimeout(res, 10)) })')
  assert.is(r.code, 0)
  assert.is(r.stderr, '')
})

test('a UserError ends with its own line and exit code', () => {
  const r = runMain("main(async () => { throw new UserError('no such snapshot', { exitCode: 2 }) })")
  assert.is(r.code, 2)
  assert.match(r.stderr, /^datakeep: no such snapshot$/m)
  assert.not.match(r.stderr, /internal error/)
})

test.run()
