// Fixtures for the uploaded-files tests (tests/snapshot/storage*.test.ts): scratch folders, a tree
// with every kind of thing uploads hold, a marked target folder, and the check that a refused
// restore left that target exactly as it was.
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import * as assert from 'uvu/assert'
import { restoreStorage, storageTree } from '../../lib/snapshot/storage.ts'
import { tempDir } from './stack.ts'

const roots: string[] = []
/** A temp folder removed by removeScratch (the trees hold 5 MB each). */
export function scratch(): string {
  const d = tempDir('datakeep-storage-')
  roots.push(d)
  return d
}

/** Removes every scratch folder; each test file registers it with `test.after(removeScratch)`. */
export function removeScratch(): void {
  for (const d of roots.splice(0)) fs.rmSync(d, { recursive: true, force: true })
}

const at = (iso: string) => new Date(iso)

/** A folder with every kind of thing uploads hold; returns its path. */
export function makeTree(root: string): string {
  const dir = path.join(root, 'src')
  fs.mkdirSync(path.join(dir, 'a/b/c'), { recursive: true })
  fs.mkdirSync(path.join(dir, 'empty dir'))
  fs.writeFileSync(path.join(dir, 'a/b/c/deep.txt'), 'deep\n')
  fs.writeFileSync(path.join(dir, 'a/empty.txt'), '')
  fs.writeFileSync(path.join(dir, 'big.bin'), crypto.randomBytes(5 << 20))
  fs.writeFileSync(path.join(dir, 'ünïcødé 文件 ☃.txt'), 'snow\n')
  fs.writeFileSync(path.join(dir, 'a/with space.txt'), 'space\n')
  fs.writeFileSync(path.join(dir, 'secret.txt'), 'secret\n', { mode: 0o600 })
  fs.chmodSync(path.join(dir, 'secret.txt'), 0o600)
  fs.writeFileSync(path.join(dir, 'run.sh'), '#!/bin/sh\necho hi\n')
  fs.chmodSync(path.join(dir, 'run.sh'), 0o755)
  fs.linkSync(path.join(dir, 'a/b/c/deep.txt'), path.join(dir, 'hard-link.txt'))
  fs.symlinkSync('a/b/c/deep.txt', path.join(dir, 'link'))
  fs.symlinkSync('/nonexistent/absolute/target', path.join(dir, 'a/abs-link'))
  fs.symlinkSync('../../outside', path.join(dir, 'a/up-link'))
  fs.utimesSync(path.join(dir, 'big.bin'), at('2001-02-03T04:05:06Z'), at('2001-02-03T04:05:06Z'))
  fs.utimesSync(path.join(dir, 'secret.txt'), at('2010-01-01T00:00:01Z'), at('2010-01-01T00:00:01Z'))
  fs.utimesSync(path.join(dir, 'ünïcødé 文件 ☃.txt'), at('1999-12-31T23:59:59Z'), at('1999-12-31T23:59:59Z'))
  fs.lutimesSync(path.join(dir, 'link'), at('2005-05-05T05:05:05Z'), at('2005-05-05T05:05:05Z'))
  // folders last, deepest first: writing into a folder changes its mtime
  for (const [d, t] of [['a/b/c', '2002-01-01T00:00:00Z'], ['a/b', '2003-01-01T00:00:00Z'], ['a', '2004-01-01T00:00:00Z'],
    ['empty dir', '2006-06-06T06:06:06Z'], ['.', '2007-07-07T07:07:07Z']]) fs.utimesSync(path.join(dir, d), at(t), at(t))
  return dir
}

/** Names next to `dir` that start with its name and a dot: staging, old or temporary leftovers. */
export function debrisBeside(dir: string): string[] {
  const base = path.basename(dir)
  return fs.readdirSync(path.dirname(dir)).filter((n) => n.startsWith(`${base}.`))
}

/** The error `p` rejects with; fails the test if it resolves. */
export async function errorOf(p: Promise<unknown>): Promise<Error> {
  try { await p } catch (e) { return e as Error }
  throw new Error('expected a rejection')
}

/** A target folder with a marker, to prove a refused restore left it alone. */
export function makeTarget(root: string): { dir: string; marker: string } {
  const dir = path.join(root, 'target')
  fs.mkdirSync(path.join(dir, 'old'), { recursive: true })
  const marker = `marker ${crypto.randomUUID()}\n`
  fs.writeFileSync(path.join(dir, 'old/marker.txt'), marker)
  return { dir, marker }
}

/** Restores `archive` over a fresh marked target and asserts it is refused with `message` and changes nothing. */
export async function refusedLeavesTargetAlone(archive: string, expected: string, message: RegExp): Promise<void> {
  const root = path.dirname(archive)
  const { dir, marker } = makeTarget(root)
  const hashBefore = (await storageTree(dir)).treeHash
  const err = await errorOf(restoreStorage(archive, dir, expected))
  assert.match(err.message, message)
  assert.is(fs.readFileSync(path.join(dir, 'old/marker.txt'), 'utf8'), marker)
  assert.is((await storageTree(dir)).treeHash, hashBefore)
  assert.equal(debrisBeside(dir), [], 'no staging or old folder left')
}
