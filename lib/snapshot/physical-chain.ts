// Whole-server incremental and differential snapshots (mariadb-backup --incremental-basedir): which
// snapshot a new one builds on, the chain a load needs (checked whole before anything changes), and
// preparing it in a scratch copy so every member stays reusable (docs/snapshot-format.md).
import fs from 'node:fs'
import path from 'node:path'
import type { Config } from '../config.ts'
import { UserError, failure } from '../errors.ts'
import { HOST, run } from '../run.ts'
import { readManifest } from './manifest.ts'
import { snapshotNames, snapshotPath } from './names.ts'
import { backupArgv, isPhysical, PHYSICAL_DIR, type PhysicalManifest } from './physical.ts'

export type ChainType = 'full' | 'incremental' | 'differential'

/** What a whole-server snapshot is in its chain: its base (none for a full one) and the LSN range it covers. */
export interface ChainInfo { type: ChainType; base: string | null; fromLsn: string; toLsn: string }

/** mariadb-backup's xtrabackup_checkpoints: from_lsn and to_lsn of the copy. */
export function readCheckpoints(physicalDir: string): { fromLsn: string; toLsn: string } {
  const text = fs.readFileSync(path.join(physicalDir, 'xtrabackup_checkpoints'), 'utf8')
  const get = (k: string) => new RegExp(`^${k}\\s*=\\s*(\\d+)`, 'm').exec(text)?.[1]
  const fromLsn = get('from_lsn')
  const toLsn = get('to_lsn')
  if (fromLsn === undefined || toLsn === undefined) throw failure(`${physicalDir}/xtrabackup_checkpoints has no LSN range`)
  return { fromLsn, toLsn }
}

function readCheckpointsOr(physicalDir: string): string | null {
  try { return readCheckpoints(physicalDir).toLsn } catch { return null }
}

export function chainOf(m: PhysicalManifest): ChainInfo {
  return m.physical.chain ?? { type: 'full', base: null, fromLsn: '0', toLsn: '' }
}

/** Whole-server snapshots (not the tool's safety ones), newest first. */
function physicalSnapshots(cfg: Config): { name: string; m: PhysicalManifest }[] {
  const out: { name: string; m: PhysicalManifest }[] = []
  for (const name of snapshotNames(cfg).filter((n) => !n.startsWith('_'))) {
    try {
      const m = readManifest(snapshotPath(cfg, name))
      if (isPhysical(m)) out.push({ name, m })
    } catch { /* damaged: never a base */ }
  }
  return out.sort((a, b) => b.m.created.localeCompare(a.m.created))
}

/**
 * The base of a new incremental (the newest whole-server snapshot) or differential (the newest full
 * one) snapshot, or the one named by --base.
 */
export function chooseBase(cfg: Config, type: 'incremental' | 'differential', named?: string): { name: string; m: PhysicalManifest } {
  const all = physicalSnapshots(cfg)
  if (named) {
    const b = all.find((s) => s.name === named)
    if (!b) throw new UserError(`--base ${named}: no whole-server (physical) snapshot of that name`, { hint: `the whole-server snapshots: ${all.map((s) => s.name).join(', ') || 'none yet'}` })
    if (type === 'differential' && chainOf(b.m).type !== 'full') throw new UserError(`--base ${named} is ${chainOf(b.m).type}; a differential snapshot builds on a full one`)
    return b
  }
  const b = type === 'incremental' ? all[0] : all.find((s) => chainOf(s.m).type === 'full')
  if (!b) {
    throw new UserError(`no ${type === 'incremental' ? 'whole-server' : 'full whole-server'} snapshot to build an ${type} one on`, {
      hint: 'take a full one first: make data_dump ARGS="--name <name> --physical --whole-server"',
    })
  }
  return b
}

/**
 * The snapshots a load of `m` needs, full first, each present, readable and continuing the one
 * before it (its from_lsn is the previous one's to_lsn); a missing or broken member is refused
 * (exit 2) by name, before anything changes.
 */
export function chainMembers(cfg: Config, name: string, m: PhysicalManifest): { name: string; dir: string; m: PhysicalManifest }[] {
  const members = [{ name, dir: snapshotPath(cfg, name), m }]
  for (let cur = m; chainOf(cur).type !== 'full';) {
    const base = chainOf(cur).base!
    const dir = snapshotPath(cfg, base)
    let bm
    try { bm = readManifest(dir) } catch (e) {
      const why = fs.existsSync(dir) ? `unreadable (${(e as Error).message})` : 'missing'
      throw new UserError(`snapshot "${name}" needs "${base}", the ${chainOf(cur).type} base of "${members[0].name}", which is ${why}; nothing was changed`, {
        hint: 'load another snapshot (make data_list shows the chains), or put that snapshot folder back',
      })
    }
    // a full snapshot from before chains were recorded: its range is in its own files
    const baseTo = isPhysical(bm) ? (bm.physical.chain?.toLsn ?? readCheckpointsOr(path.join(dir, PHYSICAL_DIR))) : null
    if (!isPhysical(bm) || baseTo !== chainOf(cur).fromLsn) {
      throw new UserError(`snapshot "${base}" is not the base "${members[0].name}" was taken on (its LSN range does not continue into it); nothing was changed`, {
        hint: 'load another snapshot (make data_list shows the chains)',
      })
    }
    members.unshift({ name: base, dir, m: bm })
    cur = bm
  }
  return members
}

/**
 * Builds the prepared data directory of the chain in `target`: a copy of the full snapshot's
 * prepared files, then each incremental applied to it in order (`mariadb-backup --prepare
 * --incremental-dir`, on a scratch copy: a prepare changes the folder it reads).
 */
export async function prepareChain(members: { name: string; dir: string }[], target: string): Promise<void> {
  await run(HOST, backupArgv.copy(path.join(members[0].dir, PHYSICAL_DIR), target))
  for (const inc of members.slice(1)) {
    const scratch = `${target}.inc-${process.pid}-${Date.now()}`
    try {
      await run(HOST, backupArgv.copy(path.join(inc.dir, PHYSICAL_DIR), scratch))
      await run(HOST, [...backupArgv.prepare(target), `--incremental-dir=${scratch}`])
    } finally {
      fs.rmSync(scratch, { recursive: true, force: true })
    }
  }
}

/** Names of the snapshots the given ones build on, directly or through others. */
export function basesOf(cfg: Config, names: string[]): Set<string> {
  const need = new Set<string>()
  const todo = [...names]
  for (let n = todo.pop(); n !== undefined; n = todo.pop()) {
    try {
      const m = readManifest(snapshotPath(cfg, n))
      const base = isPhysical(m) ? chainOf(m).base : null
      if (base && !need.has(base)) { need.add(base); todo.push(base) }
    } catch { /* unreadable: it needs nothing we can know */ }
  }
  return need
}

/**
 * data_list's drawing of the chains, from snapshots listed newest first: each full snapshot that
 * others build on, its incrementals and differentials below it as a tree (oldest first); a member
 * whose base is gone starts its own line, marked. Empty when there is no chain.
 */
export function drawChains(list: { name: string; chain: { type: string; base: string | null } | null }[]): string[] {
  const members = [...list].reverse().filter((s) => s.chain)
  const names = new Set(members.map((s) => s.name))
  const children = (name: string) => members.filter((s) => s.chain!.base === name)
  const out: string[] = []
  const walk = (name: string, prefix: string) => {
    const kids = children(name)
    kids.forEach((k, i) => {
      const last = i === kids.length - 1
      out.push(`${prefix}${last ? '└─ ' : '├─ '}${k.name} (${k.chain!.type})`)
      walk(k.name, prefix + (last ? '   ' : '│  '))
    })
  }
  for (const root of members.filter((s) => s.chain!.type === 'full' || !names.has(s.chain!.base ?? ''))) {
    if (root.chain!.type === 'full' && children(root.name).length === 0) continue // a full snapshot alone is no chain
    out.push(root.chain!.type === 'full' ? root.name : `${root.name} (${root.chain!.type} on ${root.chain!.base}, which is missing)`)
    walk(root.name, '')
  }
  return out
}
