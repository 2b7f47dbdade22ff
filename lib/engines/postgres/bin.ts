// PostgreSQL's programs on this machine: POSTGRES_BIN_DIR, else the newest
// /usr/lib/postgresql/<version>/bin (Debian keeps them there, off PATH), else PATH.
import fs from 'node:fs'
import path from 'node:path'
import { UserError } from '../../errors.ts'

export const DEBIAN_PG_ROOT = '/usr/lib/postgresql'

function executable(p: string): boolean {
  try { fs.accessSync(p, fs.constants.X_OK); return fs.statSync(p).isFile() } catch { return false }
}

/** Candidate folders, best first: the configured one, Debian's versioned folders newest first, PATH. */
export function pgBinDirs(opts: { configured: string; pathVar: string; root?: string }): string[] {
  if (opts.configured) return [opts.configured]
  const root = opts.root ?? DEBIAN_PG_ROOT
  let versions: string[] = []
  try { versions = fs.readdirSync(root).filter((v) => /^\d+(\.\d+)?$/.test(v)) } catch { /* none */ }
  versions.sort((a, b) => Number(b) - Number(a))
  return [...versions.map((v) => path.join(root, v, 'bin')), ...opts.pathVar.split(path.delimiter).filter(Boolean)]
}

/** The first folder holding every one of `programs`, or null. */
export function findPgBinDir(dirs: string[], programs: string[]): string | null {
  return dirs.find((d) => programs.every((p) => executable(path.join(d, p)))) ?? null
}

/** What to do when PostgreSQL is missing: install it (root on Debian) or say how. */
export function pgInstallPlan(opts: { isRoot: boolean; hasApt: boolean }):
  { action: 'apt'; argv: string[][] } | { action: 'tell'; command: string } {
  const pkgs = ['postgresql', 'postgresql-client']
  if (opts.isRoot && opts.hasApt) {
    return { action: 'apt', argv: [['apt-get', 'update'], ['apt-get', 'install', '-y', '--no-install-recommends', ...pkgs]] }
  }
  return { action: 'tell', command: opts.hasApt ? `sudo apt-get install -y ${pkgs.join(' ')}` : 'install the PostgreSQL server and client (initdb, postgres, pg_dump, psql) with your package manager' }
}

/** The folder of the client tools, or an error naming the command that installs them. */
export function requirePgTools(dirs: string[], programs: string[]): string {
  const dir = findPgBinDir(dirs, programs)
  if (dir) return dir
  const plan = pgInstallPlan({ isRoot: false, hasApt: fs.existsSync('/usr/bin/apt-get') })
  throw new UserError(`PostgreSQL's ${programs.join(', ')} ${programs.length === 1 ? 'is' : 'are'} not installed (looked in ${dirs.slice(0, 3).join(', ')}${dirs.length > 3 ? ' and PATH' : ''})`,
    { hint: `to fix: ${plan.action === 'tell' ? plan.command : ''}` })
}
