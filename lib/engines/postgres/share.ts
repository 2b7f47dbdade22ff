// Unchanged tables shared between PostgreSQL snapshots, as lib/snapshot/share.ts does on MariaDB:
// PostgreSQL has no CHECKSUM TABLE, so the per-table hash is the sha256 of the table's COPY text,
// read in the dump's exported snapshot (the manifest's checksum of every PostgreSQL table). Same
// table, same dumped columns, same row count and hash: the COPY text is the same bytes, so the
// earlier snapshot's file is this one's, hard-linked (a copy where links fail) and checked.
import { debug } from '../../log.ts'
import type { Config } from '../../config.ts'
import type { Progress } from '../../progress.ts'
import { readManifest, type Manifest, type ManifestTable } from '../../snapshot/manifest.ts'
import { snapshotNames, snapshotPath } from '../../snapshot/names.ts'
import { linkShared, type ShareCandidate } from '../../snapshot/share.ts'
import { copyDigest, type CopySpec } from './copy.ts'
import type { PgClient } from './db.ts'

type PgTable = CopySpec & { name: string }

const sameColumns = (a: string[], b: string[]) => a.length === b.length && a.every((c, i) => c === b[i])

/**
 * For each table, the earlier PostgreSQL snapshots holding it with the same dumped columns and a
 * hash, newest first, one per distinct content; unreadable snapshots and ones whose files the
 * manifest does not list are passed over.
 */
export function pgShareCandidates(cfg: Config, tables: PgTable[]): Map<string, ShareCandidate[]> {
  const snapshots: { name: string; dir: string; m: Manifest }[] = []
  for (const name of snapshotNames(cfg)) {
    const dir = snapshotPath(cfg, name)
    try {
      const m = readManifest(dir)
      if (m.engine.flavor === 'postgres' && m.kind === 'logical') snapshots.push({ name, dir, m })
    } catch (e) { debug(`not sharing from ${name}: ${(e as Error).message}`) }
  }
  snapshots.sort((a, b) => b.m.created.localeCompare(a.m.created))
  const found = new Map<string, ShareCandidate[]>()
  for (const t of tables) {
    for (const s of snapshots) {
      const old = s.m.tables.find((x) => x.name === t.name)
      if (!old || old.checksum === null || !sameColumns(old.columns, t.columns) || old.files.some((f) => !s.m.files[f.file])) continue
      const list = found.get(t.name) ?? []
      if (!list.some((c) => c.table.checksum === old.checksum && c.table.rows === old.rows)) list.push({ from: s.name, dir: s.dir, table: old })
      found.set(t.name, list)
    }
  }
  return found
}

/**
 * The sharing step of a PostgreSQL dump, on its readers (each inside the exported snapshot): every
 * table with a candidate hashed, the unchanged ones linked into `snapshotDir`. Returns their
 * manifest entries; the others are dumped.
 */
export async function pgShareUnchanged(cfg: Config, readers: PgClient[], o: { tables: PgTable[]; snapshotDir: string; progress: Progress }): Promise<ManifestTable[]> {
  const candidates = pgShareCandidates(cfg, o.tables)
  const queue = o.tables.filter((t) => candidates.has(t.name))
  const shared: ManifestTable[] = []
  const taken = new Set<string>()
  await Promise.all(readers.map(async (c) => {
    for (let t = queue.shift(); t; t = queue.shift()) {
      const d = await copyDigest(c, t)
      const match = candidates.get(t.name)!.find((x) => x.table.checksum === d.sha256 && x.table.rows === d.rows)
      // a file name is this snapshot's once: two tables whose names shorten alike are never linked over each other
      if (!match || match.table.files.some((f) => taken.has(f.file))) continue
      for (const f of match.table.files) taken.add(f.file)
      const entry = await linkShared(match, o.snapshotDir)
      if (!entry) { for (const f of match.table.files) taken.delete(f.file); continue }
      shared.push({ ...entry, columns: t.columns })
      const bar = o.progress.item(t.name, entry.rows)
      bar.update(entry.rows, entry.bytes)
      bar.done()
    }
  }))
  return shared
}
