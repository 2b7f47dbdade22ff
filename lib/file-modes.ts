// Snapshots are private to their owner: everything under DATA_BACKUP_DIRNAME is created 0700/0600
// (0750/0640 with BACKUP_GROUP_READ), from the first byte. Files datakeep writes itself get the
// mode at creation (a umask for the duration of the write, which the tools it starts inherit);
// files another program makes (mariadb-backup's copy, a kernel file copy that keeps the source's
// mode, a TSV the server writes) appear inside a folder that is already private, and are brought
// to the same modes before the snapshot gets its name.
import fs from 'node:fs'
import path from 'node:path'
import type { Config } from './config.ts'

export interface Modes { dir: number; file: number; umask: number }

export function backupModes(cfg: Pick<Config, 'BACKUP_GROUP_READ'>): Modes {
  return cfg.BACKUP_GROUP_READ ? { dir: 0o750, file: 0o640, umask: 0o027 } : { dir: 0o700, file: 0o600, umask: 0o077 }
}

/** mkdir -p where every folder it creates has `mode` from the start. */
export function mkdirPrivate(dir: string, modes: Modes): void {
  if (fs.existsSync(dir)) return
  mkdirPrivate(path.dirname(dir), modes)
  try { fs.mkdirSync(dir, { mode: modes.dir }) } catch (e) { if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e }
}

let depth = 0
let saved = 0

/**
 * Runs `fn` with the process umask at least as strict as `modes` (programs started meanwhile
 * inherit it). Nested calls share one window; the previous umask comes back at the end.
 */
export async function withModes<T>(modes: Modes, fn: () => Promise<T>): Promise<T> {
  if (depth++ === 0) saved = process.umask(modes.umask)
  try { return await fn() } finally { if (--depth === 0) process.umask(saved) }
}

/** Brings every folder and file under `root` (inclusive) down to `modes`; never widens anything. */
export function tightenTree(root: string, modes: Modes): void {
  const st = fs.lstatSync(root)
  if (st.isSymbolicLink()) return
  const want = st.isDirectory() ? modes.dir : modes.file
  if ((st.mode & 0o777 & ~want) !== 0) fs.chmodSync(root, st.mode & 0o777 & want)
  if (st.isDirectory()) for (const e of fs.readdirSync(root)) tightenTree(path.join(root, e), modes)
}

/** Paths under `root` (inclusive) that give more than `modes` allow (others, or the group when not allowed). */
export function loosePaths(root: string, modes: Modes, limit = 1): string[] {
  const out: string[] = []
  const walk = (p: string) => {
    if (out.length >= limit) return
    let st: fs.Stats
    try { st = fs.lstatSync(p) } catch { return }
    if (st.isSymbolicLink()) return
    const allowed = st.isDirectory() ? modes.dir : modes.file
    if ((st.mode & 0o077 & ~allowed) !== 0) { out.push(p); return }
    if (st.isDirectory()) {
      let names: string[] = []
      try { names = fs.readdirSync(p) } catch { return }
      for (const e of names) walk(path.join(p, e))
    }
  }
  walk(root)
  return out
}

/** One warning line per snapshot (or other entry) under the backup folder that others can read. */
export function looseSnapshotWarnings(root: string, modes: Modes): string[] {
  if (!fs.existsSync(root)) return []
  const fix = (p: string) => `chmod -R ${modes.dir === 0o700 ? 'go-rwx' : 'o-rwx,g-w'} ${p}`
  const lines: string[] = []
  if ((fs.statSync(root).mode & 0o077 & ~modes.dir) !== 0) lines.push(`${root} is readable by other accounts; to fix: chmod ${modes.dir.toString(8)} ${root}`)
  const entries = fs.readdirSync(root).sort()
  for (const e of entries) {
    const p = path.join(root, e)
    // _safety holds snapshots of its own: each is named (and the folder itself when it is loose)
    if (e === '_safety' && (fs.statSync(p).mode & 0o077 & ~modes.dir) !== 0) lines.push(`${p} is readable by other accounts; to fix: ${fix(p)}`)
    const targets = e === '_safety' && fs.statSync(p).isDirectory() ? fs.readdirSync(p).sort().map((s) => path.join(p, s)) : [p]
    for (const t of targets) {
      const rel = path.relative(root, t)
      const what = rel === '_binlog' ? 'the archived binary logs' : /\.sql(\.gz|\.zst)?$/.test(rel) ? `SQL dump ${rel}` : `snapshot ${rel}`
      if (loosePaths(t, modes).length) lines.push(`${what} is readable by other accounts; to fix: ${fix(t)}`)
    }
  }
  return lines
}
