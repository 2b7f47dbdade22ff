// The uploaded-files part of a snapshot: a tar.gz of a folder, and a restore that extracts beside
// the live folder, verifies its tree hash (storage-tree.ts), then swaps (never half-restored).
import fs from 'node:fs'
import path from 'node:path'
import * as tar from 'tar'
import { UserError, failure, onInterrupt } from '../errors.ts'
import { isProcessAlive, sha256File } from '../fs-util.ts'
import { HOST, run } from '../run.ts'
import { archiveTree, byPath, dirMode, entryChecker, sourceFolder, storageTree, walk, type Kind, type StorageInfo } from './storage-tree.ts'

export { EMPTY_TREE_HASH, storageTree, type StorageInfo } from './storage-tree.ts'

// Uploads are mostly already compressed (images, PDFs): a low level keeps dumps fast.
const GZIP_LEVEL = 1

function fsyncPath(p: string): void {
  const fd = fs.openSync(p, 'r')
  try { fs.fsyncSync(fd) } finally { fs.closeSync(fd) }
}

function isInside(child: string, parent: string): boolean {
  const r = path.relative(parent, child)
  return r === '' || (!r.startsWith('..') && !path.isAbsolute(r))
}

/** realpath of a path that may not exist yet: its nearest existing ancestor resolved. */
function realPathOf(p: string): string {
  try { return fs.realpathSync(p) } catch {
    const parent = path.dirname(p)
    return parent === p ? p : path.join(realPathOf(parent), path.basename(p))
  }
}

/**
 * A tar.gz of `dir` at `outFile` (written beside it, then renamed): paths relative to `dir`, modes
 * and mtimes kept, symlinks as symlinks. The tree info is read back from the archive itself.
 */
export async function archiveStorage(dir: string, outFile: string): Promise<StorageInfo & { archiveBytes: number; archiveSha256: string }> {
  const src = sourceFolder(dir)
  const out = realPathOf(path.resolve(outFile))
  if (src && isInside(out, src)) {
    throw new UserError(`the storage archive ${outFile} would be inside the folder it archives (${dir})`, { hint: 'keep backups outside the storage folder' })
  }
  fs.mkdirSync(path.dirname(out), { recursive: true })
  const tmp = `${out}.tmp-${process.pid}`
  // tar cannot read back an archive without entries, so a missing folder is archived as an empty one
  const empty = `${tmp}.empty`
  const cleanup = () => { fs.rmSync(tmp, { force: true }); fs.rmSync(empty, { recursive: true, force: true }) }
  const off = onInterrupt(cleanup)
  if (!src) fs.mkdirSync(empty, { mode: 0o755 })
  try {
    await new Promise<void>((resolve, reject) => {
      const pack = new tar.Pack({
        cwd: src ?? empty, gzip: { level: GZIP_LEVEL }, strict: true,
        filter: (_p, s) => { const st = s as fs.Stats; return st.isFile() || st.isDirectory() || st.isSymbolicLink() },
      })
      const ws = fs.createWriteStream(tmp)
      pack.on('error', (e: unknown) => { ws.destroy(); reject(e) })
      ws.on('error', reject)
      ws.on('close', resolve)
      pack.pipe(ws)
      pack.add('.')
      pack.end()
    })
    fsyncPath(tmp)
    // Hash what was archived (not the folder, which may change meanwhile); this also proves it reads back.
    const info = await archiveTree(tmp)
    const { bytes, sha256 } = await sha256File(tmp)
    fs.renameSync(tmp, out)
    fsyncPath(path.dirname(out))
    return { ...info, archiveBytes: bytes, archiveSha256: sha256 }
  } finally {
    off()
    cleanup()
  }
}

/** `p` with any chain of symlinks at its last component followed (the target may not exist). */
function followLinks(p: string): { real: string; viaLink: boolean } {
  let viaLink = false
  for (let i = 0; i < 40; i++) {
    let st: fs.Stats
    try { st = fs.lstatSync(p) } catch { break }
    if (!st.isSymbolicLink()) break
    viaLink = true
    p = path.resolve(path.dirname(p), fs.readlinkSync(p))
  }
  const parent = path.dirname(p)
  try { return { real: path.join(fs.realpathSync(parent), path.basename(p)), viaLink } } catch { return { real: p, viaLink } }
}

function isMountPoint(p: string): boolean {
  if (fs.statSync(p).dev !== fs.statSync(path.dirname(p)).dev) return true
  let text = ''
  try { text = fs.readFileSync('/proc/self/mountinfo', 'utf8') } catch { return false } // not Linux: dev check only
  const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)))
  return text.split('\n').some((line) => unescape(line.split(' ')[4] ?? '') === p) // bind mounts share the dev
}

/**
 * Where a restore swaps folders. A symlink is followed: the folder it points to is replaced and
 * the link stays, so the files stay on the disk the user chose (replacing the link with a folder
 * would silently move them). A mount point is refused: it cannot be renamed aside (EBUSY) and a
 * staging folder beside it would be on another filesystem; the fix is to point the storage path
 * at a folder inside the mount.
 */
function restoreTarget(dir: string): string {
  const { real, viaLink } = followLinks(path.resolve(dir))
  const parent = path.dirname(real)
  if (parent === real) throw new UserError(`refusing to restore storage over the root folder (${dir})`)
  if (viaLink && !fs.existsSync(parent)) {
    throw new UserError(`storage path ${dir} is a symlink to ${real}, but ${parent} does not exist`, { hint: 'mount or create that folder, then retry' })
  }
  if (!fs.existsSync(real)) return real
  if (!fs.statSync(real).isDirectory()) throw new UserError(`storage path ${dir} is not a folder`)
  if (isMountPoint(real)) {
    throw new UserError(`storage path ${dir} is a mount point; a restore swaps the folder itself, which a mount point cannot be`,
      { hint: `point the storage path at a folder inside the mount (e.g. ${path.join(dir, 'files')})` })
  }
  return real
}

interface Meta { rel: string; kind: Kind | 'link'; mode: number; mtime?: Date }

/** Extracts into `staging` (which exists and is empty); returns each entry's mode and mtime to apply. */
async function extract(archive: string, staging: string): Promise<Meta[]> {
  const check = entryChecker()
  const metas: Meta[] = []
  let refused: unknown
  await tar.x({
    file: archive, cwd: staging, strict: true, preservePaths: true, preserveOwner: false, maxDecompressionRatio: Infinity,
    filter: (p, e) => {
      const entry = e as tar.ReadEntry
      try {
        const c = check(p, entry.type, entry.linkpath)
        metas.push({ rel: c.rel, kind: c.kind, mode: (entry.mode ?? 0) & 0o7777, mtime: entry.mtime })
        return true
      } catch (err) { refused ??= err; return false }
    },
  })
  if (refused) throw refused
  return metas
}

/** Owner first (chown clears setuid bits), then modes and mtimes, children before their folder. */
async function applyMeta(staging: string, metas: Meta[], owner?: { uid: number; gid: number }): Promise<void> {
  if (owner) {
    fs.lchownSync(staging, owner.uid, owner.gid)
    await walk(staging, async (_rel, abs) => fs.promises.lchown(abs, owner.uid, owner.gid))
  }
  if (!metas.some((m) => m.rel === '')) fs.chmodSync(staging, 0o755) // archives made elsewhere may lack a root entry
  for (const m of byPath(metas, true)) {
    const abs = m.rel ? path.join(staging, m.rel) : staging
    if (m.kind !== 'symlink') fs.chmodSync(abs, m.kind === 'dir' ? dirMode(m.mode) : m.mode)
    if (!m.mtime) continue
    if (m.kind === 'symlink') fs.lutimesSync(abs, m.mtime, m.mtime)
    else fs.utimesSync(abs, m.mtime, m.mtime)
  }
}

/** Best effort: read-only folders (0555) block removal when not root, so open them up and retry. */
function removeTree(p: string): boolean {
  const open = (d: string): void => {
    fs.chmodSync(d, 0o700)
    for (const e of fs.readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) open(path.join(d, e.name))
  }
  for (let i = 0; i < 3; i++) {
    try { fs.rmSync(p, { recursive: true, force: true, maxRetries: 3 }); return !fs.existsSync(p) } catch {
      try { open(p) } catch { /* retry anyway */ }
    }
  }
  return false
}

/** Extracted files reach the disk before the old folder is deleted: one syncfs, not an fsync per file. */
async function flushToDisk(p: string): Promise<void> {
  try { await run(HOST, ['sync', '-f', p]) } catch { /* no GNU sync here: the kernel writes back soon */ }
}

/** Up to this many entries, each is fsynced; beyond, one syncfs costs less than an fsync each. */
const FSYNC_EACH_MAX = 256

/**
 * The extracted tree on disk before it is swapped in. A syncfs writes back the whole filesystem:
 * after a tablespace load that is the 690 MB just copied for InnoDB (a second here), which
 * InnoDB has already made durable its own way; a small tree's own files are fsynced instead.
 */
async function flushTree(staging: string, metas: Meta[]): Promise<void> {
  if (metas.length > FSYNC_EACH_MAX) return flushToDisk(staging)
  try {
    for (const m of metas) if (m.kind !== 'symlink') fsyncPath(m.rel ? path.join(staging, m.rel) : staging)
    fsyncPath(staging)
  } catch {
    await flushToDisk(staging) // an entry this user may not open (mode 0200, say)
  }
}

/** Storage extracted, checked and on disk beside its folder, ready to be put in place. */
export interface StagedStorage { staging: string; real: string; info: StorageInfo }

/** Storage put in place, its previous folder kept aside until `finish` (or put back by `undo`). */
export interface PlacedStorage { undo(): void; finish(): void }

/** Puts `staging` at `real`: the old folder is renamed aside first, and back if the second rename fails. */
export function placeStorage(s: { staging: string; real: string }): PlacedStorage {
  const { staging, real } = s
  const old = `${real}.old-${process.pid}-${Date.now()}`
  const had = fs.existsSync(real)
  if (had) fs.renameSync(real, old)
  try { fs.renameSync(staging, real) } catch (e) {
    if (had) fs.renameSync(old, real)
    throw e
  }
  fsyncPath(path.dirname(real))
  return {
    undo: () => {
      removeTree(real)
      if (had) fs.renameSync(old, real)
      fsyncPath(path.dirname(real))
    },
    finish: () => { if (had) removeTree(old) }, // if this fails, cleanStorageDebris finds it next time
  }
}

/**
 * Makes `dir`'s replacement ready beside it: checks the archive whole, extracts it, applies modes,
 * mtimes and (when given) the owner, verifies the tree hash on disk and flushes it. `dir` itself is
 * untouched: the caller puts it in place (placeStorage) in the same step as the database swap, or
 * drops it (discardStorage).
 */
export async function stageStorage(archive: string, dir: string, expectedTreeHash: string,
  opts: { owner?: { uid: number; gid: number } } = {}): Promise<StagedStorage> {
  const real = restoreTarget(dir)
  // Check the whole archive before touching anything: a damaged, unsafe or wrong archive changes nothing.
  const listed = await archiveTree(archive)
  if (listed.treeHash !== expectedTreeHash) {
    throw failure(`storage archive ${archive} holds tree ${listed.treeHash}, not the expected ${expectedTreeHash}; the folder was left as it was`)
  }
  fs.mkdirSync(path.dirname(real), { recursive: true })
  const staging = `${real}.staging-${process.pid}-${Date.now()}`
  fs.mkdirSync(staging, { mode: 0o700 })
  try {
    const metas = await extract(archive, staging)
    await applyMeta(staging, metas, opts.owner)
    const info = await storageTree(staging) // what is on disk now, not what the archive said
    if (info.treeHash !== expectedTreeHash) throw failure(`extracted storage has tree ${info.treeHash}, not the expected ${expectedTreeHash}`)
    await flushTree(staging, metas)
    return { staging, real, info }
  } catch (e) {
    // tar may still be finishing a write after it rejected; removeTree retries
    if (!removeTree(staging)) throw failure(`${(e as Error).message}; could not remove ${staging}`, 'remove it by hand')
    throw e
  }
}

/** Removes a staged storage folder that will not be used. */
export function discardStorage(s: { staging: string } | null | undefined): void {
  if (s && fs.existsSync(s.staging)) removeTree(s.staging)
}

/**
 * Makes `dir` equal to the archive on its own (no database swap with it): stage, then place. Any
 * failure before the swap leaves `dir` as it was.
 */
export async function restoreStorage(archive: string, dir: string, expectedTreeHash: string,
  opts: { owner?: { uid: number; gid: number } } = {}): Promise<StorageInfo> {
  let staged: StagedStorage | null = null
  const off = onInterrupt(() => { discardStorage(staged) })
  try {
    staged = await stageStorage(archive, dir, expectedTreeHash, opts)
    placeStorage(staged).finish()
    return staged.info
  } catch (e) {
    discardStorage(staged)
    throw e
  } finally {
    off()
  }
}

/**
 * After a crash between a load's database swap and its storage rename (the swap journal names
 * both): the staged folder, if still there, is put in place. Returns what it did, or null.
 */
export function completeStoragePlacement(s: { staging: string; real: string }): string | null {
  if (!fs.existsSync(s.staging)) return null // placed already (or never staged)
  placeStorage(s).finish()
  return `put the snapshot's files in place: ${s.staging} became ${s.real}`
}

/**
 * Removes `<dir>.staging-*` and `<dir>.old-*` left by a crashed restore, except those of a live
 * process. If the crash came between the two renames of the swap, `dir` is missing: the newest
 * `.old-*` (the folder as it was before that restore) is renamed back first, and not listed.
 */
export function cleanStorageDebris(dir: string): string[] {
  const { real } = followLinks(path.resolve(dir))
  const base = path.basename(real)
  let names: string[]
  try { names = fs.readdirSync(path.dirname(real)) } catch { return [] }
  const found = names.flatMap((n) => {
    const m = n.startsWith(`${base}.`) ? /^\.(staging|old)-(\d+)-(\d+)$/.exec(n.slice(base.length)) : null
    return m && !isProcessAlive(Number(m[2])) ? [{ path: path.join(path.dirname(real), n), kind: m[1], time: Number(m[3]) }] : []
  })
  let debris = found
  const olds = found.filter((d) => d.kind === 'old').sort((a, b) => b.time - a.time)
  if (!fs.existsSync(real) && olds.length > 0) {
    fs.renameSync(olds[0].path, real)
    debris = found.filter((d) => d !== olds[0])
  }
  return debris.filter((d) => removeTree(d.path)).map((d) => d.path)
}
