// Whole-server physical snapshots on PostgreSQL (data_dump --physical --whole-server): a plain
// pg_basebackup copy of the private cluster with its WAL, checked with pg_verifybackup, loaded by
// swapping the data directory (docs/snapshot-format.md, "Physical snapshots"). What dump and load
// share: the manifest's shape, argv builders, whether a runtime can, the cluster's databases.
import fs from 'node:fs'
import path from 'node:path'
import { projectPath, type Config } from '../../config.ts'
import { isProcessAlive } from '../../fs-util.ts'
import { onPath } from '../../host-tools.ts'
import type { Runtime } from '../../runtime/types.ts'
import type { Manifest } from '../../snapshot/manifest.ts'
import { TEMP_DB_PREFIX } from '../../snapshot/names.ts'
import { completeStoragePlacement } from '../../snapshot/storage.ts'
import { pgBinDirs, requirePgTools } from './bin.ts'
import { pgQuery, type PgClient } from './db.ts'

/** The folder of a physical snapshot that holds the copied data directory. */
export const PHYSICAL_DIR = 'physical'
/** datakeep's own database (the marker): no user data, replaced with the rest and written anew. */
export const MARKER_DB = '_datakeep'

export interface PgPhysicalInfo {
  tool: 'pg_basebackup'
  toolVersion: string
  /** Bytes and files of physical/. */
  bytes: number
  files: number
  /**
   * True when no transaction wrote anywhere in the cluster from the moment the tables were counted
   * to the end of the copy (`exactBy: 'quiet'`: none in progress then, no transaction id assigned
   * since), so the counts describe the copy; a load then refuses a copy whose counts differ.
   */
  tablesExact: boolean
  exactBy: 'quiet' | null
  /** The cluster's databases (not templates, not datakeep's temporary ones): a load puts back exactly these. */
  databases: string[]
  /** Unlogged tables: a base backup holds them empty (PostgreSQL never copies their rows). */
  unlogged: string[]
  /** The copy's own manifest (pg_basebackup's backup_manifest), checked by pg_verifybackup. */
  backupManifest: string
}

/** A physical snapshot's manifest: the logical one's fields, `kind: 'physical'`, and what the copy is. */
export type PgPhysicalManifest = Omit<Manifest, 'kind'> & { kind: 'physical'; note: string; physical: PgPhysicalInfo }

export const PG_PHYSICAL_NOTE = 'physical snapshot: a pg_basebackup copy (plain format, WAL streamed) of the whole PostgreSQL cluster '
  + '(every database, roles, settings), checked with pg_verifybackup. tables[] are the application database\'s tables with rows '
  + 'counted just before the copy; checksums are null (the copy is checked file by file). physical.tablesExact says whether '
  + 'the counts also describe the copy. A load verifies every file (sha256 and pg_verifybackup), that the server starts on the '
  + 'copy, that every database is there and every table readable with, when tablesExact, its row count.'

export function isPgPhysical(m: { kind?: string }): m is PgPhysicalManifest {
  return m.kind === 'physical'
}

/** "15" of "15.10" or "15.10 (Debian 15.10-0+deb12u1)"; "9.6" of "9.6.24": what a copy must share with the server. */
export function pgMajor(version: string): string {
  const m = /^(\d+)(?:\.(\d+))?/.exec(version.trim())
  if (!m) return version.trim()
  return Number(m[1]) >= 10 ? m[1] : `${m[1]}.${m[2] ?? '0'}`
}

/** The bin folder holding pg_basebackup and pg_verifybackup (with the server's own programs first). */
export function physicalToolsDir(cfg: Config): string {
  return requirePgTools(pgBinDirs({ configured: cfg.POSTGRES_BIN_DIR ? projectPath(cfg, cfg.POSTGRES_BIN_DIR) : '', pathVar: cfg.hostPath }),
    ['pg_basebackup', 'pg_verifybackup', 'pg_waldump'])
}

export const physicalArgv = {
  /**
   * The running cluster copied to `targetDir` (must not exist or be empty) over a replication
   * connection: a plain data directory, its WAL streamed alongside (-X stream) so it starts alone,
   * an immediate checkpoint (-c fast) rather than waiting for the next one. --no-sync: one syncfs
   * of the whole folder afterwards (`flush`) is faster than pg_basebackup's fsync of each file
   * (5.0-5.5 s against 3.2 s + 0.2 s for a new 39 MB cluster, measured side by side here).
   */
  backup: (bin: string, clientArgs: string[], targetDir: string, label: string) =>
    [path.join(bin, 'pg_basebackup'), ...clientArgs, '--no-password', '-D', targetDir, '-F', 'plain', '-X', 'stream',
      '-c', 'fast', '--no-sync', `--label=${label}`],
  /** syncfs (GNU coreutils): every file of the filesystem holding `dir` on disk. */
  flush: (dir: string) => ['sync', '-f', dir],
  /**
   * Every file against backup_manifest (present, size, and its checksum unless `skipChecksums`: where
   * the sha256 of every file is checked beside it), and the WAL from the backup's start to its end parsed.
   */
  verify: (bin: string, dir: string, opts: { skipChecksums?: boolean } = {}) =>
    [path.join(bin, 'pg_verifybackup'), '--quiet', ...(opts.skipChecksums ? ['--skip-checksums'] : []), dir],
  version: (bin: string) => [path.join(bin, 'pg_basebackup'), '--version'],
  /** `cp -a`: the copy keeps modes and times; ownership is set after for the server's account. */
  copy: (from: string, to: string) => ['cp', '-a', '--', from, to],
}

/**
 * `argv` made to die with this process (setpriv --pdeathsig, util-linux) where setpriv is on PATH: a
 * kill -9 of datakeep must not leave a copy still writing into the folder the next run removes.
 */
export function diesWithUs(argv: string[], pathVar: string): string[] {
  return onPath('setpriv', pathVar) ? ['setpriv', '--pdeathsig', 'KILL', '--', ...argv] : argv
}

const LOGICAL = (name: string) => `take a logical one: make data_dump ARGS="--name ${name}"`

/**
 * Why a physical snapshot cannot be taken or loaded on this runtime, or null when it can: only the
 * local runtime's data directory is datakeep's to swap. The docker runtime would need the snapshots
 * folder mounted in the postgres service and pg_basebackup run there; an external server needs a
 * role with REPLICATION, a `replication` line in its pg_hba.conf, wal_level=replica and
 * max_wal_senders >= 2 for the copy, and its data directory (not reachable from here) for a load.
 */
export function physicalBlocker(rt: Runtime, name: string): string | null {
  if (rt.name === 'docker') {
    return `physical snapshots are not supported on the docker runtime yet (the postgres service has no snapshots folder mounted, and its data directory is a volume datakeep does not swap); ${LOGICAL(name)}`
  }
  if (rt.name !== 'local') {
    return `physical snapshots need the server's data directory, which the ${rt.name} runtime cannot reach (a copy would also need a role with REPLICATION, `
      + `a pg_hba.conf "replication" line, wal_level=replica and max_wal_senders >= 2 on the server); ${LOGICAL(name)}`
  }
  return null
}

/** The server's WAL settings refused for a base backup, or null: wal_level replica or logical, WAL senders for the copy and its stream. */
export async function walBlocker(c: PgClient): Promise<string | null> {
  const [s] = await pgQuery<{ level: string; senders: string }>(c,
    "SELECT current_setting('wal_level') AS level, current_setting('max_wal_senders') AS senders")
  if (s.level === 'minimal' || Number(s.senders) < 2) {
    return `the server runs with wal_level=${s.level} and max_wal_senders=${s.senders}; pg_basebackup needs wal_level=replica and at least 2 WAL senders`
  }
  return null
}

/** The cluster's databases a physical copy carries: not the templates, not datakeep's temporary ones. */
export async function clusterDatabases(c: PgClient): Promise<string[]> {
  const rows = await pgQuery<{ name: string }>(c,
    'SELECT datname AS name FROM pg_database WHERE NOT datistemplate AND NOT starts_with(datname, $1) ORDER BY 1', [TEMP_DB_PREFIX])
  return rows.map((r) => r.name)
}

/** A physical load's journal, written into the copy before the renames (it becomes the data directory's). */
export const SWAP_JOURNAL = 'datakeep-swap.json'
export interface SwapJournal { pid: number; storage: { staging: string; real: string } }

export function writeSwapJournal(dir: string, j: SwapJournal): void {
  const file = path.join(dir, SWAP_JOURNAL)
  const fd = fs.openSync(file, 'w', 0o600)
  try { fs.writeSync(fd, JSON.stringify(j) + '\n'); fs.fsyncSync(fd) } finally { fs.closeSync(fd) }
}

/**
 * Finishes a physical load killed after its data directory was swapped in and before its files were
 * placed (the live data directory still holds the journal): the staged folder is put in place. File
 * operations only (the local runtime runs it before it starts the server, the debris cleanup before it
 * removes staged folders). Returns what it did, or null.
 */
export function recoverPhysicalSwap(dataDir: string): string | null {
  const file = path.join(dataDir, SWAP_JOURNAL)
  let j: SwapJournal
  try { j = JSON.parse(fs.readFileSync(file, 'utf8')) as SwapJournal } catch { return null }
  if (isProcessAlive(j.pid)) return null // its own run (this one, starting the server on the copy) places them
  const files = completeStoragePlacement(j.storage)
  fs.rmSync(file, { force: true })
  return `finished an interrupted physical load: its data directory was in place${files ? `; ${files}` : ' with its files'}`
}
