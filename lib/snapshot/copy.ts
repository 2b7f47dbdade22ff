// data_copy and data_rename: a snapshot under another name. The copy is built beside the
// snapshots as `<to>.partial-*` (files hard-linked where the filesystem allows: a snapshot's files
// are never changed once written, every writer makes new ones and renames them into place), its
// manifest rewritten with the new name (and its self-hash), checked whole, then renamed into
// place. A rename is a copy whose source is then removed: at every instant at least one complete,
// checked copy exists under a snapshot name (a crash leaves debris the next run removes, or both).
import fs from 'node:fs'
import path from 'node:path'
import type { Config } from '../config.ts'
import { UserError, failure, onInterrupt } from '../errors.ts'
import { removeDir } from '../fs-util.ts'
import { cleanDebris } from './debris.ts'
import { replaceDir } from './dump.ts'
import { checkFiles, readManifest, writeManifest } from './manifest.ts'
import { checkName, partialPath, requireSnapshot, SAFETY_DIR, snapshotPath } from './names.ts'

export interface CopyResult { from: string; to: string; files: number; linked: number; bytes: number; replaced: boolean; ms: number }

/** Everything checked before a file is written: the names, the source whole, the target free (or --force). */
function plan(cfg: Config, from: string | undefined, to: string | undefined, verb: 'data_copy' | 'data_rename', force: boolean) {
  const src = requireSnapshot(cfg, from, verb)
  if (to === undefined) throw new UserError(`${verb} needs the new name`, { hint: `usage: make ${verb} ARGS="--name ${from} --to <new-name>"` })
  checkName(to)
  if (to === from) throw new UserError(`--to names snapshot "${from}" itself`, { hint: `pick another name: make ${verb} ARGS="--name ${from} --to <new-name>"` })
  if (verb === 'data_rename' && (from!.startsWith('_'))) {
    throw new UserError(`snapshot "${from}" belongs to datakeep (${from!.startsWith(`${SAFETY_DIR}/`) ? 'make undo restores safety snapshots' : 'initialize loads the seed from it'}) and keeps its name`, {
      hint: `copy it instead: make data_copy ARGS="--name ${from} --to ${to}"`,
    })
  }
  const dst = snapshotPath(cfg, to)
  const exists = fs.existsSync(dst)
  if (exists && !force) {
    throw new UserError(`snapshot "${to}" already exists; nothing was changed`, { hint: `to replace it: make ${verb} ARGS="--name ${from} --to ${to} --force"` })
  }
  return { src, dst, exists }
}

/** Hard link, or a copy where links do not work (another filesystem, a filesystem without them). */
function linkOrCopy(from: string, to: string): boolean {
  try {
    fs.linkSync(from, to)
    return true
  } catch (e) {
    if (!['EXDEV', 'EPERM', 'EMLINK', 'ENOTSUP', 'EOPNOTSUPP'].includes((e as { code?: string }).code ?? '')) throw e
    fs.copyFileSync(from, to, fs.constants.COPYFILE_EXCL)
    return false
  }
}

async function build(src: string, dst: string, from: string, to: string): Promise<Omit<CopyResult, 'replaced' | 'ms'>> {
  const m = readManifest(src)
  const damaged = await checkFiles(src, m)
  if (damaged.length) {
    throw failure(`snapshot "${from}" is damaged: ${damaged.join('; ')}; nothing was copied`, `check it with: make data_verify ARGS="--name ${from}"`)
  }
  const tmp = partialPath(dst)
  const off = onInterrupt(() => removeDir(tmp))
  try {
    fs.mkdirSync(tmp)
    let linked = 0
    let bytes = 0
    let files = 0
    // the whole tree, empty folders too (a physical snapshot's empty database is one)
    for (const e of fs.readdirSync(src, { recursive: true, withFileTypes: true })) {
      const rel = path.relative(src, path.join(e.parentPath, e.name))
      if (rel === 'manifest.json') continue
      if (e.isDirectory()) { fs.mkdirSync(path.join(tmp, rel), { recursive: true }); continue }
      if (!e.isFile()) throw failure(`snapshot "${from}" holds ${rel}, which is not a file or folder; nothing was copied`)
      fs.mkdirSync(path.dirname(path.join(tmp, rel)), { recursive: true })
      if (linkOrCopy(path.join(src, rel), path.join(tmp, rel))) linked++
      bytes += fs.statSync(path.join(src, rel)).size
      files++
    }
    writeManifest(tmp, { ...m, name: to })
    // the copy is checked as a load would check it: its manifest (self-hash), then every file
    const copied = readManifest(tmp)
    const problems = copied.name === to ? await checkFiles(tmp, copied) : [`manifest names "${copied.name}"`]
    if (problems.length) throw failure(`the copy of snapshot "${from}" does not match it: ${problems.join('; ')}; nothing was changed`, 'check the disk, then run it again')
    replaceDir(tmp, dst)
    return { from, to, files, linked, bytes }
  } catch (e) {
    removeDir(tmp)
    throw e
  } finally {
    off()
  }
}

/** Copies snapshot `from` to `to` (replacing `to` only with force). */
export async function copySnapshot(cfg: Config, from: string | undefined, to: string | undefined, opts: { force?: boolean } = {}): Promise<CopyResult> {
  const t0 = Date.now()
  // first: a run that died left `<to>.partial-*`, or a replaced target aside as `.old-*` (put back)
  await cleanDebris(cfg, null)
  const p = plan(cfg, from, to, 'data_copy', !!opts.force)
  const r = await build(p.src, p.dst, from!, to!)
  return { ...r, replaced: p.exists, ms: Date.now() - t0 }
}

/** Renames snapshot `from` to `to`: a checked copy, then the source removed. */
export async function renameSnapshot(cfg: Config, from: string | undefined, to: string | undefined, opts: { force?: boolean } = {}): Promise<CopyResult> {
  const t0 = Date.now()
  // first: a run that died left `<to>.partial-*`, or a replaced target aside as `.old-*` (put back)
  await cleanDebris(cfg, null)
  const p = plan(cfg, from, to, 'data_rename', !!opts.force)
  const r = await build(p.src, p.dst, from!, to!)
  removeDir(p.src)
  return { ...r, replaced: p.exists, ms: Date.now() - t0 }
}
