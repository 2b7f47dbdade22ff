// tests/support/uvu.ts: a failing before hook says why and fails its suite's tests (uvu alone prints
// "(0 / N)" with no reason, and a file run alone exits 0); every test file takes suite/test from it.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { suite } from './support/uvu.ts'
import * as assert from 'uvu/assert'
import { REPO, TSX_LOADER } from './support/stack.ts'

const t = suite('uvu before hooks')

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

t.run()
