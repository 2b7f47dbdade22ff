// lib/launch.mjs, the entry make runs scripts through: a bundle per version of the sources, the
// script's own argv, and a clear refusal of a script that does not exist.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { suite } from './support/uvu.ts'
import * as assert from 'uvu/assert'
// @ts-expect-error plain JavaScript, no declarations
import { sourceKey } from '../lib/launch.mjs'
import { LAUNCHER, lastLine, tempDir } from './support/stack.ts'

const t = suite('launch')

function tree(): string {
  const root = tempDir('datakeep-launch-')
  fs.mkdirSync(path.join(root, 'lib/snapshot'), { recursive: true })
  fs.mkdirSync(path.join(root, 'scripts'))
  fs.writeFileSync(path.join(root, 'lib/snapshot/a.ts'), 'export const a = 1\n')
  fs.writeFileSync(path.join(root, 'scripts/b.ts'), "import '../lib/snapshot/a.ts'\n")
  fs.writeFileSync(path.join(root, 'package-lock.json'), '{}\n')
  return root
}

t('the bundle key follows the sources: same content same key; an edit, a new file or new packages another', () => {
  const root = tree()
  const first = sourceKey(root)
  assert.match(first, /^[0-9a-f]{16}$/)
  assert.is(sourceKey(root), first)
  fs.utimesSync(path.join(root, 'lib/snapshot/a.ts'), new Date(0), new Date(0))
  assert.is(sourceKey(root), first, 'a touched file with the same content keeps the bundle')
  const keys = new Set([first])
  fs.writeFileSync(path.join(root, 'lib/snapshot/a.ts'), 'export const a = 2\n')
  keys.add(sourceKey(root))
  fs.writeFileSync(path.join(root, 'lib/c.ts'), 'export {}\n')
  keys.add(sourceKey(root))
  fs.writeFileSync(path.join(root, 'package-lock.json'), '{"lockfileVersion": 3}\n')
  keys.add(sourceKey(root))
  fs.writeFileSync(path.join(root, 'lib/not-a-source.md'), 'ignored')
  keys.add(sourceKey(root))
  assert.is(keys.size, 4)
  fs.rmSync(root, { recursive: true, force: true })
})

t('a script that does not exist, or a path instead of a name: exit 2 and how to list the targets', () => {
  for (const name of ['nope', '../lib/config', 'data_dump', '']) {
    const r = spawnSync(process.execPath, [LAUNCHER, name], { encoding: 'utf8' })
    assert.is(r.status, 2, name)
    assert.is(lastLine(r.stderr), `datakeep: no script "${name}" in scripts/; to see the targets: make help`)
  }
})

t('the script gets its own arguments, as under tsx', () => {
  const r = spawnSync(process.execPath, [LAUNCHER, 'data-dump', '--bogus'], { encoding: 'utf8', cwd: tempDir() })
  assert.is(r.status, 2)
  assert.match(lastLine(r.stderr), /^datakeep: Unknown option '--bogus'; usage: make data_dump/)
})

t.run()
