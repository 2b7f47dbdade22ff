// The uploaded-files tree: a deterministic description and hash of a folder or of a tar archive,
// and the entry checks that keep an archive from writing outside the folder it is extracted into.
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { sha256File } from '../fs-util.ts'
import * as tar from 'tar'
import { UserError, failure } from '../errors.ts'

export interface StorageInfo { files: number; bytes: number; treeHash: string }
export type Kind = 'file' | 'dir' | 'symlink'
interface Rec { rel: string; kind: Kind; mode: number; size: number; digest: string }

const TREE_VERSION = 'datakeep-storage-tree v1\n'
/** The tree hash of a missing or empty folder. */
export const EMPTY_TREE_HASH = crypto.createHash('sha256').update(TREE_VERSION).digest('hex')

/** tar records a readable directory as listable too; the hash does the same so both sides agree. */
export function dirMode(mode: number): number {
  let m = mode & 0o7777
  if (m & 0o400) m |= 0o100
  if (m & 0o40) m |= 0o10
  if (m & 0o4) m |= 0o1
  return m
}

/** Sorted by the UTF-8 bytes of `rel` (the same in every locale); descending puts children before their folder. */
export function byPath<T extends { rel: string }>(items: T[], descending = false): T[] {
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


/** Every entry under `root` (not `root` itself), symlinks not followed; sockets, FIFOs and devices are skipped. */
export async function walk(root: string, onEntry: (rel: string, abs: string, st: fs.Stats) => Promise<void>, rel = ''): Promise<void> {
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
export function sourceFolder(dir: string): string | null {
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
      const { bytes, sha256 } = await sha256File(abs, s.size) // small files read whole; the bytes read, in case the file changes meanwhile
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
export function entryChecker() {
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
export async function archiveTree(file: string): Promise<StorageInfo> {
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
