// Snapshot names and where snapshots live. Names become folder names, so they are checked strictly.
import fs from 'node:fs'
import path from 'node:path'
import { projectPath, type Config } from '../config.ts'
import { UserError } from '../errors.ts'

export const NAME_RULE = 'letters, digits, ".", "_" and "-", at most 64 characters, not starting with "." or "-"'
const NAME_RE = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}$/

/** The folder of safety snapshots, taken before every destructive operation. */
export const SAFETY_DIR = '_safety'

/** Prefix of the tool's own temporary databases (staging, scratch, old); debris is found by it. */
export const TEMP_DB_PREFIX = '_dk_'

/**
 * Throws (exit 2) unless `name` is a valid snapshot name. Names starting with "_" are the tool's
 * own (`_init`, safety snapshots): users may load them but not write them.
 */
export function checkName(name: string | undefined, opts: { reservedOk?: boolean } = {}): string {
  const shown = JSON.stringify(name ?? '')
  // the tool's safety snapshots live one level down: _safety/<operation>-<time>
  if (opts.reservedOk && name?.startsWith(`${SAFETY_DIR}/`)) {
    const rest = name.slice(SAFETY_DIR.length + 1)
    if (NAME_RE.test(rest) && !rest.includes('..')) return name
    throw new UserError(`invalid snapshot name ${shown}: names are ${NAME_RULE}`)
  }
  if (!name || !NAME_RE.test(name) || name === '..' || name.includes('..')) {
    throw new UserError(`invalid snapshot name ${shown}: names are ${NAME_RULE}`)
  }
  if (name.startsWith('_') && !opts.reservedOk) {
    throw new UserError(`snapshot name ${shown} is reserved: names starting with "_" belong to datakeep (_init is the seed)`, {
      hint: 'pick a name without the leading "_"',
    })
  }
  return name
}

/** The default name: the UTC time, YYYYMMDDHHMMSS. */
export function defaultName(now = new Date()): string {
  return now.toISOString().replace(/[-:T]/g, '').slice(0, 14)
}

export function backupRoot(cfg: Config): string {
  return projectPath(cfg, cfg.DATA_BACKUP_DIRNAME)
}

export function snapshotPath(cfg: Config, name: string): string {
  return path.join(backupRoot(cfg), name)
}

/** A temporary sibling of `final`: written there, renamed into place when complete. */
export function partialPath(final: string): string {
  return `${final}.partial-${process.pid}-${Date.now()}`
}

function completeIn(dir: string): string[] {
  let entries: fs.Dirent[]
  try { entries = fs.readdirSync(dir, { withFileTypes: true }) } catch { return [] }
  return entries
    .filter((e) => e.isDirectory() && NAME_RE.test(e.name) && !/\.(partial|old|removing)-/.test(e.name)
      && fs.existsSync(path.join(dir, e.name, 'manifest.json')))
    .map((e) => e.name)
}

/** Names of complete snapshots (folders with a manifest), sorted; safety ones as _safety/<name>. Partial folders are never listed. */
export function snapshotNames(cfg: Config): string[] {
  const root = backupRoot(cfg)
  const safety = completeIn(path.join(root, SAFETY_DIR)).map((n) => `${SAFETY_DIR}/${n}`)
  return [...completeIn(root), ...safety].sort()
}

/** Throws (exit 2, listing what exists) unless snapshot `name` exists. */
export function requireSnapshot(cfg: Config, name: string | undefined, verb: string): string {
  // --name "" is a name given empty: the same refusal as data_dump's (checkName), not "needs a name"
  if (name === undefined) {
    throw new UserError(`${verb} needs a snapshot name`, { hint: `usage: make ${verb} ARGS="--name <name>"; ${available(cfg)}` })
  }
  checkName(name, { reservedOk: true })
  const dir = snapshotPath(cfg, name)
  if (!fs.existsSync(path.join(dir, 'manifest.json'))) {
    throw new UserError(`snapshot "${name}" does not exist in ${backupRoot(cfg)}`, { hint: available(cfg) })
  }
  return dir
}

function available(cfg: Config): string {
  const names = snapshotNames(cfg)
  return names.length ? `available: ${names.join(', ')}` : 'there are no snapshots yet; make one with: make data_dump ARGS="--name <name>"'
}
