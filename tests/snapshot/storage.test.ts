// Uploaded files in a snapshot: archive and restore round trips, refusals that leave the target
// untouched, ownership, symlinked and mount-point targets, and cleaning a crashed restore's debris.
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { test } from '../support/uvu.ts'
import * as assert from 'uvu/assert'
import { HOST, run } from '../../lib/run.ts'
import { EMPTY_TREE_HASH, archiveStorage, cleanStorageDebris, restoreStorage, storageTree } from '../../lib/snapshot/storage.ts'
import { debrisBeside, errorOf, makeTarget, makeTree, refusedLeavesTargetAlone, removeScratch, scratch } from '../support/storage.ts'

test.after(removeScratch)

const DEAD_PID = 4194305 // above Linux's pid_max: never a live process

interface Seen { type: string; mode: number; mtime: number; uid: number; gid: number; content: string }

/** Everything a restore must keep, per path; content is a sha256 (files) or the link target. */
function listing(dir: string): Record<string, Seen> {
  const out: Record<string, Seen> = {}
  const visit = (rel: string) => {
    const abs = path.join(dir, rel)
    const st = fs.lstatSync(abs)
    const type = st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : 'file'
    const content = type === 'file' ? crypto.createHash('sha256').update(fs.readFileSync(abs)).digest('hex')
      : type === 'symlink' ? fs.readlinkSync(abs) : ''
    out[rel || '.'] = { type, mode: type === 'symlink' ? 0 : st.mode & 0o7777, mtime: Math.floor(st.mtimeMs / 1000), uid: st.uid, gid: st.gid, content }
    if (type === 'dir') for (const n of fs.readdirSync(abs)) visit(rel ? `${rel}/${n}` : n)
  }
  visit('')
  return out
}

function without<T extends object>(o: Record<string, T>, keys: (keyof T)[]): Record<string, Partial<T>> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Object.fromEntries(Object.entries(v).filter(([f]) => !keys.includes(f as keyof T)))])) as Record<string, Partial<T>>
}

test('round trip keeps content, modes, mtimes, symlinks, empty dirs and the tree hash', async () => {
  const root = scratch()
  const src = makeTree(root)
  const before = listing(src)
  const archive = path.join(root, 'backup/storage.tar.gz')
  const made = await archiveStorage(src, archive)
  const tree = await storageTree(src)
  assert.equal({ files: made.files, bytes: made.bytes, treeHash: made.treeHash }, tree)
  assert.is(made.files, 8) // hard link counted as the file it is
  assert.ok(made.bytes > 5 << 20)
  assert.is(made.archiveBytes, fs.statSync(archive).size)
  assert.is(made.archiveSha256, crypto.createHash('sha256').update(fs.readFileSync(archive)).digest('hex'))
  assert.equal(debrisBeside(archive), [], 'no temporary archive left')
  assert.equal(listing(src), before, 'archiving changes nothing in the source')

  const target = path.join(root, 'restored')
  const info = await restoreStorage(archive, target, made.treeHash)
  assert.equal(info, tree)
  const after = listing(target)
  assert.equal(without(after, ['uid', 'gid']), without(before, ['uid', 'gid']))
  assert.is(after['secret.txt'].mode, 0o600)
  assert.is(after['run.sh'].mode, 0o755)
  assert.is(after['big.bin'].mtime, Date.parse('2001-02-03T04:05:06Z') / 1000)
  assert.is(after['link'].mtime, Date.parse('2005-05-05T05:05:05Z') / 1000)
  assert.is(after['a/abs-link'].content, '/nonexistent/absolute/target')
  assert.is(fs.statSync(path.join(target, 'hard-link.txt')).ino, fs.statSync(path.join(target, 'a/b/c/deep.txt')).ino)
  assert.is((await storageTree(target)).treeHash, made.treeHash)
  assert.equal(debrisBeside(target), [])
})

test('a tree of many files (flushed with one syncfs rather than an fsync each) round-trips whole', async () => {
  const root = scratch()
  const src = path.join(root, 'many')
  for (let d = 0; d < 6; d++) {
    fs.mkdirSync(path.join(src, `d${d}`), { recursive: true })
    for (let f = 0; f < 50; f++) fs.writeFileSync(path.join(src, `d${d}`, `f${f}.txt`), `${d}/${f}\n`)
  }
  const archive = path.join(root, 'many.tar.gz')
  const made = await archiveStorage(src, archive)
  assert.is(made.files, 300)
  const target = path.join(root, 'many-restored')
  const info = await restoreStorage(archive, target, made.treeHash)
  assert.is(info.treeHash, made.treeHash)
  assert.is(fs.readFileSync(path.join(target, 'd5/f49.txt'), 'utf8'), '5/49\n')
  assert.equal(debrisBeside(target), [])
})

test('a restore removes files that are not in the archive', async () => {
  const root = scratch()
  const src = makeTree(root)
  const { treeHash } = await archiveStorage(src, path.join(root, 's.tar.gz'))
  const { dir } = makeTarget(root)
  fs.writeFileSync(path.join(dir, 'extra.txt'), 'extra')
  fs.mkdirSync(path.join(dir, 'a/b/c'), { recursive: true })
  fs.writeFileSync(path.join(dir, 'a/b/c/extra.txt'), 'extra')
  await restoreStorage(path.join(root, 's.tar.gz'), dir, treeHash)
  assert.not.ok(fs.existsSync(path.join(dir, 'extra.txt')))
  assert.not.ok(fs.existsSync(path.join(dir, 'a/b/c/extra.txt')))
  assert.not.ok(fs.existsSync(path.join(dir, 'old')))
  assert.equal(without(listing(dir), ['uid', 'gid']), without(listing(src), ['uid', 'gid']))
  assert.equal(debrisBeside(dir), [])
})

test('a missing source folder round-trips to an empty folder', async () => {
  const root = scratch()
  const archive = path.join(root, 'none.tar.gz')
  const made = await archiveStorage(path.join(root, 'missing'), archive)
  assert.equal({ files: made.files, bytes: made.bytes, treeHash: made.treeHash }, { files: 0, bytes: 0, treeHash: EMPTY_TREE_HASH })
  assert.ok(made.archiveBytes > 0)
  assert.equal(await storageTree(path.join(root, 'missing')), { files: 0, bytes: 0, treeHash: EMPTY_TREE_HASH })
  const { dir } = makeTarget(root)
  const info = await restoreStorage(archive, dir, EMPTY_TREE_HASH)
  assert.is(info.treeHash, EMPTY_TREE_HASH)
  assert.equal(fs.readdirSync(dir), [])
  assert.ok(fs.statSync(dir).isDirectory())
})

test('a corrupted archive (one byte flipped) is refused and the target is untouched', async () => {
  const root = scratch()
  const archive = path.join(root, 's.tar.gz')
  const { treeHash } = await archiveStorage(makeTree(root), archive)
  const buf = fs.readFileSync(archive)
  buf[Math.floor(buf.length / 2)] ^= 0xff
  fs.writeFileSync(archive, buf)
  await refusedLeavesTargetAlone(archive, treeHash, /damaged|not the expected/)
})

test('a truncated archive is refused and the target is untouched', async () => {
  const root = scratch()
  const archive = path.join(root, 's.tar.gz')
  const { treeHash } = await archiveStorage(makeTree(root), archive)
  fs.truncateSync(archive, Math.floor(fs.statSync(archive).size * 0.6))
  await refusedLeavesTargetAlone(archive, treeHash, /damaged/)
})

test('a wrong expected tree hash is refused and the target is untouched', async () => {
  const root = scratch()
  const archive = path.join(root, 's.tar.gz')
  await archiveStorage(makeTree(root), archive)
  await refusedLeavesTargetAlone(archive, EMPTY_TREE_HASH, /not the expected/)
})


test('ownership: owner given -> every entry chowned; not given -> the running user, not the archive', async () => {
  const root = scratch()
  const src = makeTree(root)
  const archive = path.join(root, 's.tar.gz')
  const me = { uid: process.getuid!(), gid: process.getgid!() }
  if (me.uid === 0) fs.chownSync(path.join(src, 'run.sh'), 4321, 4321) // as it might be in an archive from elsewhere
  const { treeHash } = await archiveStorage(src, archive)
  const plain = path.join(root, 'plain')
  await restoreStorage(archive, plain, treeHash)
  for (const [rel, s] of Object.entries(listing(plain))) assert.equal([rel, s.uid, s.gid], [rel, me.uid, me.gid])

  const owned = path.join(root, 'owned')
  if (me.uid === 0) {
    await restoreStorage(archive, owned, treeHash, { owner: { uid: 1234, gid: 1234 } })
    const seen = listing(owned)
    assert.ok(Object.keys(seen).length > 10)
    for (const [rel, s] of Object.entries(seen)) assert.equal([rel, s.uid, s.gid], [rel, 1234, 1234])
    assert.is(seen['secret.txt'].mode, 0o600, 'modes survive the chown')
  } else {
    // without root, chown to another user fails and must leave nothing behind
    const err = await errorOf(restoreStorage(archive, owned, treeHash, { owner: { uid: 1234, gid: 1234 } }))
    assert.match(err.message, /EPERM|not permitted/)
    assert.not.ok(fs.existsSync(owned))
    assert.equal(debrisBeside(owned), [])
  }
})

test('a symlinked target: the folder it points to is replaced, the link stays', async () => {
  const root = scratch()
  const archive = path.join(root, 's.tar.gz')
  const { treeHash } = await archiveStorage(makeTree(root), archive)
  const { dir } = makeTarget(root)
  const link = path.join(root, 'storage-link')
  fs.symlinkSync(dir, link)
  await restoreStorage(archive, link, treeHash)
  assert.ok(fs.lstatSync(link).isSymbolicLink())
  assert.is(fs.readlinkSync(link), dir)
  assert.not.ok(fs.existsSync(path.join(dir, 'old/marker.txt')))
  assert.is((await storageTree(dir)).treeHash, treeHash)
})

test('an archive inside the folder it archives is refused', async () => {
  const root = scratch()
  const src = makeTree(root)
  const err = await errorOf(archiveStorage(src, path.join(src, 'backups/s.tar.gz')))
  assert.match(err.message, /inside the folder/)
  assert.not.ok(fs.existsSync(path.join(src, 'backups')), 'nothing created in the source')
})

test('a mount point is refused (it cannot be renamed aside) and left alone', async () => {
  const root = scratch()
  const archive = path.join(root, 's.tar.gz')
  const { treeHash } = await archiveStorage(makeTree(root), archive)
  assert.match((await errorOf(restoreStorage(archive, '/proc', treeHash))).message, /is a mount point/)
  if (process.getuid!() !== 0) return
  // as root: a bind mount has the same device as its parent, so only the mount table tells
  const { dir, marker } = makeTarget(root)
  const other = path.join(root, 'other')
  fs.mkdirSync(other)
  fs.writeFileSync(path.join(other, 'keep.txt'), marker)
  await run(HOST, ['mount', '--bind', other, dir])
  try {
    assert.match((await errorOf(restoreStorage(archive, dir, treeHash))).message, /is a mount point/)
    assert.equal(fs.readdirSync(dir), ['keep.txt'])
    assert.equal(debrisBeside(dir), [])
  } finally {
    await run(HOST, ['umount', dir])
  }
})

test('cleanStorageDebris removes a crashed run\'s folders, keeps a live one, and puts a lost folder back', async () => {
  const root = scratch()
  const { dir } = makeTarget(root)
  const staging = `${dir}.staging-${DEAD_PID}-1`
  const old = `${dir}.old-${DEAD_PID}-2`
  const live = `${dir}.staging-${process.pid}-3`
  for (const d of [staging, old, live]) fs.mkdirSync(path.join(d, 'sub'), { recursive: true })
  fs.chmodSync(path.join(staging, 'sub'), 0o555)
  assert.equal(cleanStorageDebris(dir).sort(), [old, staging].sort())
  assert.ok(fs.existsSync(live))
  assert.ok(fs.existsSync(path.join(dir, 'old/marker.txt')))
  fs.rmSync(live, { recursive: true })

  // a crash between the two renames of a swap: the folder is only in .old-*
  const { marker } = { marker: fs.readFileSync(path.join(dir, 'old/marker.txt'), 'utf8') }
  fs.renameSync(dir, `${dir}.old-${DEAD_PID}-20`)
  fs.mkdirSync(`${dir}.old-${DEAD_PID}-10`)
  fs.mkdirSync(`${dir}.staging-${DEAD_PID}-20`)
  assert.equal(cleanStorageDebris(dir).sort(), [`${dir}.old-${DEAD_PID}-10`, `${dir}.staging-${DEAD_PID}-20`])
  assert.is(fs.readFileSync(path.join(dir, 'old/marker.txt'), 'utf8'), marker)
  assert.equal(debrisBeside(dir), [])
})

test.run()
