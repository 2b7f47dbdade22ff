// Snapshots are copies of the database: owner-only from their first byte (folders 0700, files
// 0600), or group-readable (0750/0640) with BACKUP_GROUP_READ. Everything under the backup folder
// is written while this process's umask says so, which also governs the tools it starts (zstd,
// tar, mariadb-dump's output, mariadb-backup); nothing is chmod-ed after its data is in.
import fs from 'node:fs'
import path from 'node:path'
import type { Config } from '../config.ts'
import { backupRoot, SAFETY_DIR } from './names.ts'

export interface BackupModes { dir: number; file: number; umask: number }

export function backupModes(cfg: Config): BackupModes {
  return cfg.BACKUP_GROUP_READ ? { dir: 0o750, file: 0o640, umask: 0o027 } : { dir: 0o700, file: 0o600, umask: 0o077 }
}

let depth = 0
let saved = 0

/**
 * Runs `fn` (which writes under the backup folder) with the process umask of the backup modes;
 * nested calls (a safety snapshot inside a load) share the outer one. The backup folder is made
 * first, with the folder mode.
 */
export async function withBackupUmask<T>(cfg: Config, fn: () => Promise<T>): Promise<T> {
  const modes = backupModes(cfg)
  if (depth++ === 0) saved = process.umask(modes.umask)
  try {
    fs.mkdirSync(backupRoot(cfg), { recursive: true, mode: modes.dir })
    return await fn()
  } finally {
    if (--depth === 0) process.umask(saved)
  }
}

const octal = (mode: number) => (mode & 0o777).toString(8).padStart(4, '0')

/** The first path under `p` (itself included) with any bit of `loose`, or null. */
function firstLoose(p: string, loose: number): { path: string; mode: number } | null {
  let st: fs.Stats
  try { st = fs.lstatSync(p) } catch { return null }
  if (st.isSymbolicLink()) return null
  if (st.mode & loose) return { path: p, mode: st.mode }
  if (!st.isDirectory()) return null
  let names: string[]
  try { names = fs.readdirSync(p).sort() } catch { return null }
  for (const n of names) {
    const found = firstLoose(path.join(p, n), loose)
    if (found) return found
  }
  return null
}

/**
 * One line per snapshot (folder or plain SQL file under the backup folder, safety ones included)
 * that other accounts can read or enter, naming the first such path and the command that fixes it.
 */
export function looseSnapshots(cfg: Config): string[] {
  const root = backupRoot(cfg)
  const loose = cfg.BACKUP_GROUP_READ ? 0o027 : 0o077
  const fix = cfg.BACKUP_GROUP_READ ? 'g-w,o-rwx' : 'go-rwx'
  const rel = (p: string) => path.relative(cfg.projectDir, p) || '.'
  const entries = (dir: string) => { try { return fs.readdirSync(dir).sort().map((n) => path.join(dir, n)) } catch { return [] } }
  const out: string[] = []
  const report = (p: string) => {
    const found = firstLoose(p, loose)
    if (found) out.push(`${rel(p)} is readable by other accounts (${rel(found.path)} is ${octal(found.mode)}); to fix: chmod -R ${fix} ${rel(p)}`)
  }
  // the backup folder and _safety/ hold snapshots: their own mode counts, then each snapshot's
  const folder = (p: string) => {
    const st = fs.lstatSync(p, { throwIfNoEntry: false })
    if (st?.isDirectory() && st.mode & loose) out.push(`${rel(p)} is open to other accounts (${octal(st.mode)}); to fix: chmod ${fix} ${rel(p)}`)
  }
  folder(root)
  for (const p of entries(root)) {
    if (path.basename(p) !== SAFETY_DIR) { report(p); continue }
    folder(p)
    for (const q of entries(p)) report(q)
  }
  return out
}
