// Every snapshot complete, paying only for what changed: a table whose definition, row count and
// CHECKSUM TABLE (read in the dump's consistent snapshot) equal those of the same table in an
// existing snapshot gets hard links to that snapshot's data files (a copy where links cannot be
// made) instead of being dumped again. Each snapshot stays a self-contained folder: deleting the
// other one leaves the files (the inodes) in place.
import fs from 'node:fs'
import path from 'node:path'
import type { Config } from '../config.ts'
import { ident, query, type Db } from '../db.ts'
import { debug } from '../log.ts'
import type { Progress } from '../progress.ts'
import { readManifest, sha256File, type Manifest, type ManifestTable } from './manifest.ts'
import { snapshotNames, snapshotPath } from './names.ts'
import type { SchemaSnapshot } from './schema.ts'
import { withoutAutoIncrement } from './schema-text.ts'

/** A table of an existing snapshot that the new one may share. */
export interface ShareCandidate { from: string; dir: string; table: ManifestTable }

/** The definition a table's data files depend on (its AUTO_INCREMENT counter moves without its rows). */
export function tableDefinition(schema: SchemaSnapshot, table: string): string | null {
  const o = schema.tables.find((t) => t.kind === 'table' && t.name === table)
  return o ? withoutAutoIncrement(o.create) : null
}

/**
 * For each table of the new snapshot, the existing snapshots holding it with the same definition on
 * the same server version, dumped as rows with a checksum, newest first: what it could share (the
 * newest may hold other rows than an older one, e.g. after a load put older data back). Unreadable
 * or damaged snapshots are passed over.
 */
export function shareCandidates(cfg: Config, opts: { version: string; schema: SchemaSnapshot; tables: { name: string; versioned: boolean }[] }): Map<string, ShareCandidate[]> {
  const wanted = new Map<string, string>()
  for (const t of opts.tables) {
    const def = tableDefinition(opts.schema, t.name)
    if (def && !t.versioned) wanted.set(t.name, def)
  }
  const found = new Map<string, ShareCandidate[]>()
  if (wanted.size === 0) return found
  const snapshots: { name: string; dir: string; m: Manifest; schema: SchemaSnapshot }[] = []
  for (const name of snapshotNames(cfg)) {
    const dir = snapshotPath(cfg, name)
    try {
      const m = readManifest(dir)
      if (m.kind === 'physical' || m.engine.version !== opts.version) continue
      snapshots.push({ name, dir, m, schema: JSON.parse(fs.readFileSync(path.join(dir, 'schema/schema.json'), 'utf8')) })
    } catch (e) { debug(`not sharing from ${name}: ${(e as Error).message}`) }
  }
  snapshots.sort((a, b) => b.m.created.localeCompare(a.m.created))
  for (const [table, def] of wanted) {
    for (const s of snapshots) {
      const t = s.m.tables.find((x) => x.name === table)
      if (!t || t.checksum === null || t.tablespace || t.history || t.files.some((f) => !s.m.files[f.file])) continue
      if (tableDefinition(s.schema, table) !== def) continue
      // one per distinct content is enough: the newest holding it
      const list = found.get(table) ?? []
      if (!list.some((c) => c.table.checksum === t.checksum && c.table.rows === t.rows)) list.push({ from: s.name, dir: s.dir, table: t })
      found.set(table, list)
    }
  }
  return found
}

/**
 * CHECKSUM TABLE of `tables` on the readers (each inside the dump's consistent snapshot), and the
 * row count of those whose checksum equals their candidate's: the facts that decide sharing.
 */
export async function readShareFacts(workers: Db[], database: string, tables: string[], candidates: Map<string, ShareCandidate[]>): Promise<{ checksums: Map<string, string>; rows: Map<string, number> }> {
  const checksums = new Map<string, string>()
  const rows = new Map<string, number>()
  const queue = tables.map((t) => ({ t, count: false }))
  await Promise.all(workers.map(async (db) => {
    for (let job = queue.shift(); job; job = queue.shift()) {
      const q = `${ident(database)}.${ident(job.t)}`
      if (job.count) { rows.set(job.t, Number((await query<{ n: string }>(db, `SELECT COUNT(*) AS n FROM ${q}`))[0].n)); continue }
      const [k] = await query<{ Checksum: string | number | null }>(db, `CHECKSUM TABLE ${q}`)
      if (k.Checksum === null) continue
      checksums.set(job.t, String(k.Checksum))
      // the count only where the checksum already matches: a changed table costs one read, not two
      if (candidates.get(job.t)?.some((c) => c.table.checksum === String(k.Checksum))) queue.push({ t: job.t, count: true })
    }
  }))
  return { checksums, rows }
}

/**
 * Places a shared table's files in the new snapshot: a hard link to each, or a copy (a reflink
 * where the filesystem has them) when a link cannot be made; each checked against the manifest it
 * comes from (size, sha256), so a damaged file is never passed on. Returns the new manifest entry,
 * or null when a file is gone or differs (then the table is dumped instead).
 */
export async function linkShared(c: ShareCandidate, snapshotDir: string): Promise<ManifestTable | null> {
  const placed: string[] = []
  try {
    for (const f of c.table.files) {
      const from = path.join(c.dir, f.file)
      const to = path.join(snapshotDir, f.file)
      // data/ exists; never recreated here: after Ctrl-C took the folder away, nothing may bring it back
      try { fs.linkSync(from, to) } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw e
        fs.copyFileSync(from, to, fs.constants.COPYFILE_FICLONE)
      }
      placed.push(to)
      const sum = await sha256File(to)
      if (sum.bytes !== f.bytes || sum.sha256 !== f.sha256) throw new Error(`${f.file} of snapshot "${c.from}" differs from its manifest`)
    }
  } catch (e) {
    debug(`not sharing ${c.table.name} from ${c.from}: ${(e as Error).message}`)
    for (const p of placed) fs.rmSync(p, { force: true })
    return null
  }
  return { ...c.table, shared: { from: c.from } }
}

/**
 * The sharing step of a dump, on its readers: the tables unchanged since an existing snapshot get
 * that snapshot's files; returns their manifest entries, and the checksums read (a table dumped
 * after all needs no second CHECKSUM TABLE).
 */
export async function shareUnchanged(cfg: Config, workers: Db[], o: { database: string; version: string; schema: SchemaSnapshot;
  tables: { name: string; versioned: boolean; tablespace?: boolean }[]; snapshotDir: string; progress: Progress }): Promise<{ shared: ManifestTable[]; checksums?: Map<string, string> }> {
  const candidates = shareCandidates(cfg, { version: o.version, schema: o.schema, tables: o.tables.filter((t) => !t.tablespace) })
  if (candidates.size === 0) return { shared: [] }
  const facts = await readShareFacts(workers, o.database, [...candidates.keys()], candidates)
  const shared: ManifestTable[] = []
  for (const [table, list] of candidates) {
    const c = list.find((x) => facts.checksums.get(table) === x.table.checksum && facts.rows.get(table) === x.table.rows)
    const entry = c ? await linkShared(c, o.snapshotDir) : null
    if (!entry) continue
    shared.push(entry)
    const bar = o.progress.item(table, entry.rows)
    bar.update(entry.rows, entry.bytes)
    bar.done()
  }
  return { shared, checksums: facts.checksums }
}

/** Total bytes of each snapshot folder and the bytes it added: files whose inode no older snapshot holds. */
export function snapshotUsage(dirs: string[]): { bytes: number; added: number }[] {
  const seen = new Set<string>()
  const walk = (dir: string, acc: { bytes: number; added: number }, mine: Set<string>) => {
    let entries: fs.Dirent[]
    try { entries = fs.readdirSync(dir, { withFileTypes: true }) } catch { return }
    for (const e of entries) {
      const p = path.join(dir, e.name)
      if (e.isDirectory()) { walk(p, acc, mine); continue }
      if (!e.isFile()) continue
      let st: fs.Stats
      try { st = fs.statSync(p) } catch { continue }
      const key = `${st.dev}:${st.ino}`
      acc.bytes += st.size
      if (!seen.has(key) && !mine.has(key)) acc.added += st.size
      mine.add(key)
    }
  }
  return dirs.map((dir) => {
    const acc = { bytes: 0, added: 0 }
    const mine = new Set<string>()
    walk(dir, acc, mine)
    for (const k of mine) seen.add(k)
    return acc
  })
}
