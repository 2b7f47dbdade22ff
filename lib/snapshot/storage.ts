// The uploaded-files part of a snapshot: a deterministic tree hash of a folder, a tar.gz of it,
// and a restore that extracts beside the live folder, verifies, then swaps (never half-restored).
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import * as tar from 'tar'
import { UserError, failure, onInterrupt } from '../errors.ts'
import { isProcessAlive } from '../fs-util.ts'
import { HOST, run } from '../run.ts'

export interface StorageInfo { files: number; bytes: number; treeHash: string }
type Kind = 'file' | 'dir' | 'symlink'
interface Rec { rel: string; kind: Kind; mode: number; size: number; digest: string }

const TREE_VERSION = 'datakeep-storage-tree v1\n'
/** The tree hash of a missing or empty folder. */
export const EMPTY_TREE_HASH = crypto.createHash('sha256').update(TREE_VERSION).digest('hex')
// Files up to this size are read whole (fast for many small uploads); larger ones are streamed.
const SMALL_FILE = 1 << 20
// Uploads are mostly already compressed (images, PDFs): a low level keeps dumps fast.
const GZIP_LEVEL = 1

/** tar records a readable directory as listable too; the hash does the same so both sides agree. */
function dirMode(mode: number): number {
  let m = mode & 0o7777
  if (m & 0o400) m |= 0o100
  if (m & 0o40) m |= 0o10
  if (m & 0o4) m |= 0o1
  return m
}

/** Sorted by the UTF-8 bytes of `rel` (the same in every locale); descending puts children before their folder. */
function byPath<T extends { rel: string }>(items: T[], descending = false): T[] {
  const keyed = items.map((item) => ({ key: Buffer.from(item.rel), item }))
  keyed.sort((a, b) => (descending ? -1 : 1) * Buffer.compare(a.key, b.key))
  return keyed.map((k) => k.item)
}

/** One line per entry, sorted by path; mtimes and owners are not part of it. */
function summarize(recs: Rec[]): StorageInfo {
  const h = crypto.createHash('sha256').update(TREE_VERSION)
  let files = 0
  let bytes = 0
  for (const r of byPath(recs)) {
    const fields = r.kind === 'file' ? [r.mode.toString(8), r.size, r.digest] : r.kind === 'dir' ? [r.mode.toString(8)] : [r.digest]
    h.update(JSON.stringify([r.rel, r.kind, ...fields]) + '\n')
    if (r.kind === 'file') { files++; bytes += r.size }
  }
  return { files, bytes, treeHash: h.digest('hex') }
}

async function hashFile(file: string, size = Infinity): Promise<{ bytes: number; sha256: string }> {
  const h = crypto.createHash('sha256')
  let bytes = 0
  const add = (b: Buffer) => { h.update(b); bytes += b.length }
  if (size <= SMALL_FILE) add(await fs.promises.readFile(file))
  else for await (const chunk of fs.createReadStream(file)) add(chunk as Buffer)
  return { bytes, sha256: h.digest('hex') }
}

/** Every entry under `root` (not `root` itself), symlinks not followed; sockets, FIFOs and devices are skipped. */
async function walk(root: string, onEntry: (rel: string, abs: string, st: fs.Stats) => Promise<void>, rel = ''): Promise<void> {
  for (const name of await fs.promises.readdir(path.join(root, rel))) {
    const r = rel ? `${rel}/${name}` : name
    const abs = path.join(root, r)
    const st = await fs.promises.lstat(abs)
    if (!st.isFile() && !st.isDirectory() && !st.isSymbolicLink()) continue
    await onEntry(r, abs, st)
    if (st.isDirectory()) await walk(root, onEntry, r)
  }
}

/**
 * The real folder `dir` names, or null when there is none. A symlink to nothing is an error, not
 * an empty folder: it is likely an unmounted disk, and an empty snapshot would wipe it on load.
 */
function sourceFolder(dir: string): string | null {
  let real: string
  try { real = fs.realpathSync(dir) } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e
    let link = false
    try { link = fs.lstatSync(dir).isSymbolicLink() } catch { /* nothing there at all */ }
    if (link) throw new UserError(`storage path ${dir} is a symlink to a folder that does not exist`, { hint: 'mount or create that folder, then retry' })
    return null
  }
  if (!fs.statSync(real).isDirectory()) throw new UserError(`storage path ${dir} is not a folder`)
  return real
}

/**
 * A deterministic description of a folder: each entry's path, kind, mode, size and sha256 (a
 * symlink: its target). `files` counts regular files (a hard link counts again), `bytes` their size.
 */
export async function storageTree(dir: string): Promise<StorageInfo> {
  const src = sourceFolder(dir)
  if (!src) return summarize([])
  const recs: Rec[] = []
  await walk(src, async (rel, abs, s) => {
    if (s.isSymbolicLink()) recs.push({ rel, kind: 'symlink', mode: 0, size: 0, digest: await fs.promises.readlink(abs) })
    else if (s.isDirectory()) recs.push({ rel, kind: 'dir', mode: dirMode(s.mode), size: 0, digest: '' })
    else {
      const { bytes, sha256 } = await hashFile(abs, s.size) // the bytes read, in case the file changes meanwhile
      recs.push({ rel, kind: 'file', mode: s.mode & 0o7777, size: bytes, digest: sha256 })
    }
  })
  return summarize(recs)
}

const KINDS: Record<string, Kind | 'link'> = {
  File: 'file', OldFile: 'file', ContiguousFile: 'file', Directory: 'dir', SymbolicLink: 'symlink', Link: 'link',
}

/** A relative path inside the archive's root: '' for the root; refuses absolute paths and `..`. */
function safeRel(p: string, what: string): string {
  if (p.startsWith('/') || /^[A-Za-z]:/.test(p)) throw failure(`storage archive refused: ${what} ${JSON.stringify(p)} is absolute`)
  const parts = p.split('/').filter((s) => s !== '' && s !== '.')
  if (parts.includes('..')) throw failure(`storage archive refused: ${what} ${JSON.stringify(p)} contains '..'`)
  return parts.join('/')
}

/**
 * Checks entries one by one as they come: only files, dirs, symlinks and hard links to earlier
 * files; no path twice; nothing below a symlink. With these rules extraction can be done with
 * tar's `preservePaths` (needed to keep absolute or `../` symlink targets verbatim) and still
 * never write outside the staging folder.
 */
function entryChecker() {
  const kinds = new Map<string, Kind>()
  return (p: string, type: string, linkpath?: string): { rel: string; kind: Kind | 'link'; target?: string } => {
    const kind = KINDS[type]
    if (!kind) throw failure(`storage archive refused: ${JSON.stringify(p)} is a ${type} entry`)
    const rel = safeRel(p, 'path')
    if (rel === '' && kind !== 'dir') throw failure('storage archive refused: its root is not a folder')
    if (kinds.has(rel)) throw failure(`storage archive refused: ${JSON.stringify(rel)} appears twice`)
    const parts = rel.split('/')
    for (let i = 1; i < parts.length; i++) {
      if (kinds.get(parts.slice(0, i).join('/')) === 'symlink') throw failure(`storage archive refused: ${JSON.stringify(rel)} is below a symlink`)
    }
    let target: string | undefined
    if (kind === 'link') {
      target = safeRel(linkpath ?? '', 'hard link target')
      if (kinds.get(target) !== 'file') throw failure(`storage archive refused: hard link ${JSON.stringify(rel)} points to no earlier file`)
    }
    kinds.set(rel, kind === 'link' ? 'file' : kind)
    return { rel, kind, target }
  }
}

/** Checks and hashes an archive without extracting it: its tree info, or a throw if it is damaged or unsafe. */
async function archiveTree(file: string): Promise<StorageInfo> {
  const check = entryChecker()
  const recs = new Map<string, Rec>()
  const links: [string, string][] = []
  const pending: Promise<void>[] = []
  let refused: unknown
  await tar.t({
    file, strict: true, noResume: true, maxDecompressionRatio: Infinity,
    onReadEntry: (e) => {
      let c: ReturnType<ReturnType<typeof entryChecker>>
      try { c = check(e.path, e.type, e.linkpath) } catch (err) { refused ??= err; e.resume(); return }
      const mode = (e.mode ?? 0) & 0o7777
      if (c.rel === '') { /* the root's mode is restored but not hashed: an empty folder is an empty tree */ }
      else if (c.kind === 'link') links.push([c.rel, c.target!])
      else if (c.kind === 'dir') recs.set(c.rel, { rel: c.rel, kind: 'dir', mode: dirMode(mode), size: 0, digest: '' })
      else if (c.kind === 'symlink') recs.set(c.rel, { rel: c.rel, kind: 'symlink', mode: 0, size: 0, digest: e.linkpath ?? '' })
      if (c.kind !== 'file') { e.resume(); return }
      const h = crypto.createHash('sha256')
      let size = 0
      e.on('data', (d: Buffer) => { h.update(d); size += d.length })
      pending.push(new Promise((resolve) => e.on('end', () => {
        recs.set(c.rel, { rel: c.rel, kind: 'file', mode, size, digest: h.digest('hex') })
        resolve()
      })))
    },
  }).catch((err: Error) => { throw failure(`storage archive ${file} is damaged or unreadable: ${err.message}`) })
  if (refused) throw refused
  await Promise.all(pending)
  for (const [rel, target] of links) recs.set(rel, { ...recs.get(target)!, rel })
  return summarize([...recs.values()])
}

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
    const { bytes, sha256 } = await hashFile(tmp)
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

/** Puts `staging` at `real`: the old folder is renamed aside first, and back if the second rename fails. */
function swapIn(staging: string, real: string): void {
  const old = `${real}.old-${process.pid}-${Date.now()}`
  const had = fs.existsSync(real)
  if (had) fs.renameSync(real, old)
  try { fs.renameSync(staging, real) } catch (e) {
    if (had) fs.renameSync(old, real)
    throw e
  }
  fsyncPath(path.dirname(real))
  if (had) removeTree(old) // if this fails, cleanStorageDebris finds it next time
}

/**
 * Makes `dir` equal to the archive: checks it whole, extracts beside `dir`, applies modes, mtimes
 * and (when given) the owner, verifies the tree hash on disk, then swaps. Any failure before the
 * swap leaves `dir` as it was.
 */
export async function restoreStorage(archive: string, dir: string, expectedTreeHash: string,
  opts: { owner?: { uid: number; gid: number } } = {}): Promise<StorageInfo> {
  const real = restoreTarget(dir)
  // Check the whole archive before touching anything: a damaged, unsafe or wrong archive changes nothing.
  const listed = await archiveTree(archive)
  if (listed.treeHash !== expectedTreeHash) {
    throw failure(`storage archive ${archive} holds tree ${listed.treeHash}, not the expected ${expectedTreeHash}; the folder was left as it was`)
  }
  fs.mkdirSync(path.dirname(real), { recursive: true })
  const staging = `${real}.staging-${process.pid}-${Date.now()}`
  fs.mkdirSync(staging, { mode: 0o700 })
  const off = onInterrupt(() => { removeTree(staging) })
  try {
    await applyMeta(staging, await extract(archive, staging), opts.owner)
    const info = await storageTree(staging) // what is on disk now, not what the archive said
    if (info.treeHash !== expectedTreeHash) throw failure(`extracted storage has tree ${info.treeHash}, not the expected ${expectedTreeHash}`)
    await flushToDisk(staging)
    swapIn(staging, real)
    return info
  } catch (e) {
    // tar may still be finishing a write after it rejected; removeTree retries
    if (!removeTree(staging)) throw failure(`${(e as Error).message}; could not remove ${staging}`, 'remove it by hand')
    throw e
  } finally {
    off()
  }
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
