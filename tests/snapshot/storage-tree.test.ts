// The storage tree: its hash (stable, mtime-blind, byte- and mode-sensitive), how a source folder
// or symlink is resolved, and the entry checks that refuse an archive writing outside its folder.
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import * as tar from 'tar'
import { test } from '../support/uvu.ts'
import * as assert from 'uvu/assert'
import { archiveStorage } from '../../lib/snapshot/storage.ts'
import { EMPTY_TREE_HASH, storageTree } from '../../lib/snapshot/storage-tree.ts'
import { debrisBeside, errorOf, makeTree, refusedLeavesTargetAlone, removeScratch, scratch } from '../support/storage.ts'

test.after(removeScratch)

test('the tree hash is stable, ignores mtimes, and changes with one byte or one mode', async () => {
  const root = scratch()
  const src = makeTree(root)
  const first = await storageTree(src)
  assert.equal(await storageTree(src), first)
  fs.utimesSync(path.join(src, 'run.sh'), new Date(), new Date())
  assert.equal(await storageTree(src), first, 'mtime is not in the hash')
  const big = path.join(src, 'big.bin')
  const fd = fs.openSync(big, 'r+')
  const one = Buffer.alloc(1)
  fs.readSync(fd, one, 0, 1, 3_000_000)
  fs.writeSync(fd, Buffer.from([one[0] ^ 1]), 0, 1, 3_000_000)
  const flipped = await storageTree(src)
  assert.is.not(flipped.treeHash, first.treeHash)
  assert.is(flipped.bytes, first.bytes)
  fs.writeSync(fd, one, 0, 1, 3_000_000)
  fs.closeSync(fd)
  assert.equal(await storageTree(src), first, 'back to the same bytes, back to the same hash')
  fs.chmodSync(path.join(src, 'secret.txt'), 0o640)
  assert.is.not((await storageTree(src)).treeHash, first.treeHash)
})

test('a symlinked source is archived as the folder it points to; a dangling one is refused, not taken as empty', async () => {
  const root = scratch()
  const src = makeTree(root)
  const link = path.join(root, 'src-link')
  fs.symlinkSync(src, link)
  const made = await archiveStorage(link, path.join(root, 'via-link.tar.gz'))
  assert.is(made.treeHash, (await storageTree(src)).treeHash)
  assert.is((await storageTree(link)).treeHash, made.treeHash)
  const dangling = path.join(root, 'dangling')
  fs.symlinkSync(path.join(root, 'unmounted/disk'), dangling)
  assert.match((await errorOf(storageTree(dangling))).message, /symlink to a folder that does not exist/)
  assert.match((await errorOf(archiveStorage(dangling, path.join(root, 'd.tar.gz')))).message, /symlink to a folder that does not exist/)
  assert.not.ok(fs.existsSync(path.join(root, 'd.tar.gz')))
  assert.equal(debrisBeside(path.join(root, 'd.tar.gz')), [])
})

/** An archive whose one entry is renamed to `evil` (tar itself would never write these). */
async function evilArchive(root: string, evil: string, type?: 'Link'): Promise<string> {
  const src = path.join(root, 'evil-src')
  fs.mkdirSync(src, { recursive: true })
  fs.writeFileSync(path.join(src, 'x.txt'), 'payload')
  const file = path.join(root, `evil-${crypto.randomUUID()}.tar.gz`)
  await tar.c({ file, gzip: true, cwd: src, preservePaths: true, onWriteEntry: (e) => {
    if (e.path === 'x.txt') {
      if (type) { e.type = 'Link'; e.linkpath = evil } else e.path = evil
    }
  } }, ['x.txt'])
  return file
}

test('entries with absolute paths, .. or escaping hard links are refused', async () => {
  const root = scratch()
  const outside = path.join(root, 'outside.txt')
  for (const [evil, type] of [[outside, undefined], ['../outside.txt', undefined], ['a/../../outside.txt', undefined], ['/etc/hostname', 'Link']] as const) {
    const archive = await evilArchive(root, evil, type)
    await refusedLeavesTargetAlone(archive, EMPTY_TREE_HASH, /refused/)
    assert.not.ok(fs.existsSync(outside), `${evil} was written`)
  }
})

test('an entry below a symlink is refused (no writing through links)', async () => {
  const root = scratch()
  const src = path.join(root, 'evil-src')
  fs.mkdirSync(src)
  fs.symlinkSync(root, path.join(src, 'link'))
  fs.writeFileSync(path.join(src, 'y.txt'), 'payload')
  const archive = path.join(root, 'through.tar.gz')
  await tar.c({ file: archive, gzip: true, cwd: src, onWriteEntry: (e) => { if (e.path === 'y.txt') e.path = 'link/escaped.txt' } }, ['link', 'y.txt'])
  await refusedLeavesTargetAlone(archive, EMPTY_TREE_HASH, /below a symlink/)
  assert.not.ok(fs.existsSync(path.join(root, 'escaped.txt')))
})

test.run()
