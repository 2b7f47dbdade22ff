// No destructive operation without a fresh safety snapshot: taken first, unless a verified snapshot
// of exactly the current state is younger than SAFETY_MAX_AGE. An empty database needs none.
import fs from 'node:fs'
import path from 'node:path'
import { projectPath, type Config } from '../config.ts'
import { databaseExists, ident, query, withDb } from '../db.ts'
import { step } from '../log.ts'
import type { Runtime } from '../runtime/index.ts'
import { listSnapshots, removeSnapshot } from '../snapshot/catalog.ts'
import { dumpSnapshot } from '../snapshot/dump.ts'
import { readManifest } from '../snapshot/manifest.ts'
import { defaultName, SAFETY_DIR, snapshotPath } from '../snapshot/names.ts'
import { storageTree } from '../snapshot/storage.ts'

export interface SafetyResult { snapshot: string | null; reason: string }

/** Row counts and checksums of the live tables, in the manifest's terms. */
async function liveState(rt: Runtime): Promise<Map<string, { rows: number; checksum: string }> | null> {
  return withDb(rt.admin, async (db) => {
    const name = rt.admin.database
    if (!(await databaseExists(db, name))) return null
    const tables = await query<{ t: string }>(db, `SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED')`, [name])
    const out = new Map<string, { rows: number; checksum: string }>()
    for (const { t } of tables) {
      const [c] = await query<{ n: string }>(db, `SELECT COUNT(*) AS n FROM ${ident(name)}.${ident(t)}`)
      const [k] = await query<{ Checksum: string }>(db, `CHECKSUM TABLE ${ident(name)}.${ident(t)}`)
      out.set(t, { rows: Number(c.n), checksum: String(k.Checksum) })
    }
    return out
  }, { database: null })
}

/** A snapshot younger than maxAge whose tables, checksums and files equal the live state. */
async function freshMatch(cfg: Config, rt: Runtime, live: Map<string, { rows: number; checksum: string }>): Promise<string | null> {
  const since = Date.now() - cfg.SAFETY_MAX_AGE * 60_000
  const candidates = listSnapshots(cfg).filter((s) => s.created && Date.parse(s.created) >= since && !s.error)
  if (candidates.length === 0) return null
  const storage = await storageTree(projectPath(cfg, cfg.STORAGE_DIR))
  for (const c of candidates) {
    const m = readManifest(snapshotPath(cfg, c.name))
    if (m.storage.treeHash !== storage.treeHash || m.tables.length !== live.size || m.tables.some((t) => t.history)) continue
    const same = m.tables.every((t) => {
      const l = live.get(t.name)
      return l !== undefined && l.rows === t.rows && t.checksum !== null && l.checksum === t.checksum
    })
    if (same) return c.name
  }
  return null
}

/**
 * Before `operation` destroys or replaces data: returns the snapshot that holds the current state,
 * taking one under _safety/ when no fresh one matches. `skip` (--no-safety) takes none.
 */
export async function ensureSafetySnapshot(cfg: Config, rt: Runtime, operation: string, opts: { skip?: boolean; reuse?: boolean } = {}): Promise<SafetyResult> {
  if (opts.skip) return { snapshot: null, reason: '--no-safety: no safety snapshot taken' }
  const live = await liveState(rt)
  if (!live || live.size === 0) return { snapshot: null, reason: `database ${rt.admin.database} is empty: nothing to keep` }
  const fresh = opts.reuse === false ? null : await freshMatch(cfg, rt, live)
  if (fresh) return { snapshot: fresh, reason: `snapshot ${fresh} already holds the current state` }
  const name = `${SAFETY_DIR}/${operation}-${defaultName()}`
  step(`taking safety snapshot ${name} before ${operation}`)
  await dumpSnapshot(cfg, rt, { name, reservedOk: true, force: true })
  pruneSafety(cfg)
  return { snapshot: name, reason: `safety snapshot ${name} taken` }
}

/** Keeps the newest SAFETY_KEEP safety snapshots. */
export function pruneSafety(cfg: Config): string[] {
  const old = listSnapshots(cfg).filter((s) => s.safety).slice(cfg.SAFETY_KEEP)
  for (const s of old) removeSnapshot(cfg, s.name)
  return old.map((s) => s.name)
}

/** The newest safety snapshot, for undo. */
export function newestSafety(cfg: Config): string | null {
  const dir = path.join(projectPath(cfg, cfg.DATA_BACKUP_DIRNAME), SAFETY_DIR)
  if (!fs.existsSync(dir)) return null
  return listSnapshots(cfg).find((s) => s.safety && !s.error)?.name ?? null
}
