// data_list, data_verify and data_prune: what snapshots exist, whether they are whole, which go.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Config } from '../config.ts'
import { ident, serverVersion, withDb } from '../db.ts'
import { onInterrupt } from '../errors.ts'
import { removeDir } from '../fs-util.ts'
import type { Runtime } from '../runtime/index.ts'
import type { ArchivedLog } from '../pitr/archive.ts'
import { binlogPrunePlan } from '../pitr/prune.ts'
import { checkFiles, namedAsFolder, readManifest, type Manifest } from './manifest.ts'
import { isPhysical } from './physical.ts'
import { basesOf, chainOf } from './physical-chain.ts'
import { checkEngine, loadTables, openSnapshot, tempDbName } from './load.ts'
import { requireSnapshot, SAFETY_DIR, snapshotNames, snapshotPath } from './names.ts'
import { createTables } from './schema.ts'
import { snapshotUsage } from './share.ts'
import { restoreStorage } from './storage.ts'

export interface SnapshotEntry {
  name: string
  created: string | null
  /** Every file's size, shared ones included: what the folder holds. */
  bytes: number
  /** What it added: files no older snapshot shares with it (share.ts). */
  added: number
  tables: number | null
  rows: number | null
  serverVersion: string | null
  /** logical, tablespace (data_dump --physical), physical (--physical --whole-server) or database (held in the server); null when unreadable. */
  kind: Manifest['kind'] | null
  init: boolean
  /** A safety snapshot (_safety/...), taken before a destructive operation. */
  safety: boolean
  reserved: boolean
  /** A whole-server snapshot's place in its chain: full, or incremental/differential on `base`. */
  chain: { type: string; base: string | null } | null
  /** Why the manifest could not be read, if it could not. */
  error: string | null
}

/** Every complete snapshot, newest first. */
export function listSnapshots(cfg: Config): SnapshotEntry[] {
  const out = snapshotNames(cfg).map((name): SnapshotEntry => {
    const dir = snapshotPath(cfg, name)
    const base = { name, bytes: 0, added: 0, init: name === '_init', safety: name.startsWith(`${SAFETY_DIR}/`), reserved: name.startsWith('_') }
    try {
      const m = readManifest(dir)
      return { ...base, created: m.created, tables: m.tables.length, rows: m.tables.reduce((a, t) => a + t.rows, 0), serverVersion: m.engine.version, kind: m.kind,
        chain: isPhysical(m) ? { type: chainOf(m).type, base: chainOf(m).base } : null, error: null }
    } catch (e) {
      return { ...base, created: null, tables: null, rows: null, serverVersion: null, kind: null, chain: null, error: (e as Error).message }
    }
  })
  out.sort((a, b) => (b.created ?? '').localeCompare(a.created ?? '') || a.name.localeCompare(b.name))
  const oldestFirst = [...out].reverse()
  snapshotUsage(oldestFirst.map((s) => snapshotPath(cfg, s.name))).forEach((u, i) => Object.assign(oldestFirst[i], u))
  return out
}

/** Checks the manifest and every file; `deep` also loads it into a scratch database and compares. */
export async function verifySnapshot(cfg: Config, rt: Runtime | null, name: string | undefined, deep: boolean): Promise<string[]> {
  const dir = requireSnapshot(cfg, name, 'data_verify')
  const m = namedAsFolder(readManifest(dir), name!)
  const problems = await checkFiles(dir, m)
  // a physical snapshot is the server's own files: its deep check is every file's sha256 (done above)
  if (problems.length || !deep || !rt || isPhysical(m)) return problems
  const { schema } = await openSnapshot(cfg, name, 'data_verify')
  const scratch = tempDbName('scratch')
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'datakeep-verify-'))
  const off = onInterrupt(async () => {
    fs.rmSync(tmp, { recursive: true, force: true })
    await withDb(rt.admin, (d) => d.query(`DROP DATABASE IF EXISTS ${ident(scratch)}`), { database: null })
  })
  try {
    return await withDb(rt.admin, async (db) => {
      const { sameVersion } = checkEngine(m, await serverVersion(db), rt)
      try {
        await db.query(`CREATE DATABASE ${ident(scratch)} CHARACTER SET ${m.database.charset} COLLATE ${m.database.collation}`)
        await createTables(db, scratch, schema)
        const found = await loadTables(rt, cfg, dir, m, scratch, sameVersion)
        await restoreStorage(path.join(dir, m.storage.archive), path.join(tmp, 'storage'), m.storage.treeHash)
          .catch((e) => { found.push(`${m.storage.archive}: ${(e as Error).message}`) })
        return found
      } finally {
        await db.query(`DROP DATABASE IF EXISTS ${ident(scratch)}`)
      }
    }, { database: null })
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true })
    off()
  }
}

/**
 * What `data_prune --keep N` removes: the oldest snapshots beyond N, never the tool's own, and never
 * a snapshot that a kept incremental or differential one builds on; and the archived binary logs
 * that no kept snapshot's recovery needs (lib/pitr/prune.ts).
 */
export function prunePlan(cfg: Config, keep: number): { snapshots: SnapshotEntry[]; binlogs: ArchivedLog[] } {
  const all = listSnapshots(cfg)
  const own = all.filter((s) => !s.reserved)
  const kept = [...all.filter((s) => s.reserved), ...own.slice(0, keep)].map((s) => s.name)
  const needed = basesOf(cfg, kept)
  const snapshots = own.slice(keep).filter((s) => !needed.has(s.name))
  const gone = new Set(snapshots.map((s) => s.name))
  const keptManifests: Manifest[] = []
  for (const s of all.filter((x) => !gone.has(x.name))) {
    try { keptManifests.push(readManifest(snapshotPath(cfg, s.name))) } catch { /* damaged: it records no position to keep logs for */ }
  }
  return { snapshots, binlogs: binlogPrunePlan(cfg, keptManifests) }
}

export function removeSnapshot(cfg: Config, name: string): void {
  removeDir(snapshotPath(cfg, name))
}
