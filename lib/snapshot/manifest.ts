// manifest.json: what a snapshot holds and how to check it (docs/snapshot-format.md).
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { UserError, failure } from '../errors.ts'
import { crc32File, sha256File } from '../fs-util.ts'

export { sha256File }
import type { QuietMark } from './counters.ts'
import type { BinlogPosition } from '../pitr/position.ts'
import type { TableDump } from './table-data.ts'

export const FORMAT = 'datakeep-snapshot'
export const FORMAT_VERSION = 1

export interface ManifestTable {
  name: string
  rows: number
  /** CHECKSUM TABLE in the dump's snapshot; null where it does not describe the dumped rows. */
  checksum: string | null
  /** Compressed data bytes on disk. */
  bytes: number
  files: { file: string; rows: number; bytes: number; sha256: string }[]
  columns: string[]
  loadColumns: string
  /** The rows include a system-versioned table's history (row counts count them too). */
  history?: boolean
  /**
   * Tablespace snapshots: the table's InnoDB files (.ibd, and the .cfg FLUSH TABLES ... FOR EXPORT
   * wrote), imported instead of loading rows; `files` is then empty (tablespace.ts).
   */
  tablespace?: { files: TablespaceFile[] }
  /**
   * The table was unchanged since snapshot `from`: its data files are hard links to (or copies of)
   * that snapshot's, not dumped again (share.ts). Absent: written by this dump.
   */
  shared?: { from: string }
}

export interface TablespaceFile { file: string; bytes: number; crc32: string }

/** A file's size and its hash: sha256, or crc32 for tablespace files (hashing them at copy speed). */
export type FileSum = { bytes: number; sha256: string } | { bytes: number; crc32: string }

/** The table-data view of a manifest entry. */
export function tableDump(t: ManifestTable): TableDump {
  return { table: t.name, rows: t.rows, files: t.files, columns: t.columns, loadColumns: t.loadColumns, ...(t.history ? { history: true as const } : {}) }
}

export interface Manifest {
  format: typeof FORMAT
  formatVersion: number
  name: string
  /**
   * logical: schema + per-table data; tablespace: the same, with InnoDB tables as their own files
   * (data_dump --physical); physical: a mariadb-backup copy of the whole server (docs/snapshot-format.md);
   * database: a PostgreSQL safety snapshot held in the server as a copy of the database (lib/engines/postgres/held.ts).
   */
  kind: 'logical' | 'tablespace' | 'physical' | 'database'
  created: string
  datakeepVersion: string
  engine: { flavor: 'mariadb' | 'mysql' | 'postgres'; version: string }
  database: { name: string; charset: string; collation: string }
  git: { commit: string | null; dirty: boolean | null }
  schemaHash: string
  durationMs: number
  tables: ManifestTable[]
  storage: { files: number; bytes: number; treeHash: string; archive: string }
  /** Every file of the snapshot but manifest.json: size and sha256 (crc32 for tablespace files). */
  files: Record<string, FileSum>
  /** The server's write counters when it was taken (counters.ts): equal later, nothing changed since. */
  quiet?: QuietMark
  /** The binary log file, position and GTID of the snapshot's consistent point (point-in-time recovery). */
  binlog?: BinlogPosition
  /** _init only: sha256 of the migrations and seeders it was built from (initialize rebuilds it when they change). */
  seedHash?: string
  /** sha256 of this manifest without this field: an edited manifest is caught. */
  manifestSha256?: string
}

function selfHash(m: Manifest): string {
  const { manifestSha256: _, ...rest } = m
  return crypto.createHash('sha256').update(JSON.stringify(rest)).digest('hex')
}


/** Writes manifest.json under a temporary name, then renames it. */
export function writeManifest(dir: string, m: Manifest): void {
  const tmp = path.join(dir, `manifest.json.tmp-${process.pid}`)
  fs.writeFileSync(tmp, JSON.stringify({ ...m, manifestSha256: selfHash(m) }, null, 2) + '\n')
  fs.renameSync(tmp, path.join(dir, 'manifest.json'))
}

/** Reads and checks a manifest's format; a snapshot from a newer datakeep is refused. */
export function readManifest(dir: string): Manifest {
  const file = path.join(dir, 'manifest.json')
  let m: Manifest
  try {
    m = JSON.parse(fs.readFileSync(file, 'utf8'))
  } catch (e) {
    throw failure(`${file} is unreadable (${(e as Error).message.split('\n')[0]})`, 'the snapshot is damaged; load another one')
  }
  if (m?.format !== FORMAT || typeof m.formatVersion !== 'number' || !Array.isArray(m.tables) || typeof m.files !== 'object') {
    throw failure(`${file} is not a datakeep manifest`, 'the snapshot is damaged; load another one')
  }
  if (m.manifestSha256 !== selfHash(m)) {
    throw failure(`${file} was edited or damaged (its own checksum does not match)`, 'the snapshot cannot be trusted; load another one')
  }
  if (m.formatVersion > FORMAT_VERSION) {
    throw new UserError(`snapshot "${m.name}" has format version ${m.formatVersion}; this datakeep reads up to ${FORMAT_VERSION}`, {
      hint: 'update datakeep (git pull) to load it',
    })
  }
  return m
}

/**
 * A snapshot's name is its folder's name (under the backups folder; safety ones as _safety/<name>).
 * A folder copied or renamed by hand (cp -r s1 t4) keeps its manifest, which names s1: read as t4,
 * so loading it says "loaded snapshot t4", not s1. The manifest's own name stays what was hashed.
 */
export function namedAsFolder<M extends { name: string }>(m: M, name: string): M {
  return m.name === name ? m : { ...m, name }
}

/**
 * Checks every file the manifest lists (size, then sha256) and that the manifest lists every file
 * it should (tables' data files, the storage archive). Returns the problems, one line each.
 */
export async function checkFiles(dir: string, m: Manifest): Promise<string[]> {
  const problems: string[] = []
  const listed = new Set(Object.keys(m.files))
  for (const t of m.tables) {
    for (const f of [...t.files, ...t.tablespace?.files ?? []]) if (!listed.has(f.file)) problems.push(`${f.file}: not in the manifest's file list`)
  }
  if (m.storage.archive && !listed.has(m.storage.archive)) problems.push(`${m.storage.archive}: not in the manifest's file list`)
  for (const [rel, want] of Object.entries(m.files)) {
    const problem = await fileProblem(dir, rel, want)
    if (problem) problems.push(problem)
  }
  return problems
}

/** One listed file checked (size, then its hash); the problem, or null. */
async function fileProblem(dir: string, rel: string, want: FileSum): Promise<string | null> {
  const p = path.join(dir, rel)
  if (rel.includes('..') || path.isAbsolute(rel)) return `${rel}: a path outside the snapshot`
  let size: number
  try { size = fs.statSync(p).size } catch { return `${rel}: missing` }
  if (size !== want.bytes) return `${rel}: ${size} bytes, the manifest says ${want.bytes} (truncated or altered)`
  if ('crc32' in want) return (await crc32File(p)).crc32 !== want.crc32 ? `${rel}: crc32 differs from the manifest (altered)` : null
  return (await sha256File(p)).sha256 !== want.sha256 ? `${rel}: sha256 differs from the manifest (altered)` : null
}

/** Only the files `rels` checked against the manifest (one not listed is a problem too): what a schema-only read needs. */
export async function checkSomeFiles(dir: string, m: Manifest, rels: readonly string[]): Promise<string[]> {
  const problems: string[] = []
  for (const rel of rels) {
    const want = m.files[rel]
    const problem = want ? await fileProblem(dir, rel, want) : `${rel}: not in the manifest's file list`
    if (problem) problems.push(problem)
  }
  return problems
}
