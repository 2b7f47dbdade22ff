// The physical fast path of snapshots: a prepared mariadb-backup copy of the whole private server,
// loaded by swapping data directories (docs/snapshot-format.md, "Physical snapshots"). This file
// holds what dump and load share: the manifest shape, argv builders, and whether a runtime can.
import fs from 'node:fs'
import path from 'node:path'
import type { Config } from '../config.ts'
import { query, serverVersion, withDb, type Db } from '../db.ts'
import { onPath } from '../host-tools.ts'
import { HOST, run, targetArgv, type Target } from '../run.ts'
import type { Runtime } from '../runtime/index.ts'
import { SERVER_CNF } from '../runtime/local.ts'
import type { Manifest } from './manifest.ts'
import type { ChainInfo } from './physical-chain.ts'
import { TEMP_DB_PREFIX } from './names.ts'

export { listFiles } from '../fs-util.ts'

/** The folder of a physical snapshot that holds the prepared backup. */
export const PHYSICAL_DIR = 'physical'
export const BACKUP_TOOL = { cmd: 'mariadb-backup', pkg: 'mariadb-backup' }
/** Where docker-compose.yml would mount DATA_BACKUP_DIRNAME inside the mysqld service. */
export const CONTAINER_BACKUP_DIR = '/backup'

export interface PhysicalInfo {
  tool: 'mariadb-backup'
  toolVersion: string
  /** Bytes and files of physical/. */
  bytes: number
  files: number
  /**
   * True when the tables' rows and checksums read just before the backup were read again, equal,
   * just after it: nothing changed them meanwhile, so they describe the copy.
   */
  tablesExact: boolean
  /**
   * How that was known: `quiet`, no row written, updated or deleted and no DDL anywhere on the
   * server from the read to the end of the backup (the server's status counters, and no open
   * transaction holding writes at the read); `reread`, the tables read again after the backup
   * were equal; null when they were not.
   */
  exactBy: 'quiet' | 'reread' | null
  /** The server's databases (not its own, not datakeep's temporary ones): a load puts back exactly these. */
  databases: string[]
  /**
   * Its place in a chain (physical-chain.ts): `full` (prepared), or `incremental`/`differential`
   * (unprepared deltas since `base`); the LSN range from xtrabackup_checkpoints. Absent before chains: full.
   */
  chain?: ChainInfo
}

/** A physical snapshot's manifest: the logical one's fields, `kind: 'physical'`, and what the copy is. */
export type PhysicalManifest = Omit<Manifest, 'kind'> & { kind: 'physical'; note: string; physical: PhysicalInfo }

export const PHYSICAL_NOTE = 'physical snapshot: a prepared mariadb-backup copy of the whole server (every database, '
  + 'users and grants). tables[] (rows, CHECKSUM TABLE) were read in a consistent snapshot just before the backup; '
  + 'physical.tablesExact says whether they also describe the copy (nothing changed them until the backup ended: '
  + 'physical.exactBy); when not, the checksums are null. A load verifies every file sha256, that the server starts '
  + 'on the copy, that every table is readable and, when tablesExact, that its row count equals this manifest.'

export function isPhysical(m: { kind?: string }): m is PhysicalManifest {
  return m.kind === 'physical'
}

/** "10.11" of "10.11.19-MariaDB-0+deb12u1": what a physical copy must share with the server. */
export function majorMinor(version: string): string {
  return /^(\d+\.\d+)/.exec(version.trim())?.[1] ?? version.trim()
}

/** The server version a `mariadb-backup --version` line names ("based on MariaDB server 10.11.19-MariaDB"). */
export function toolServerVersion(versionText: string): string | null {
  return /server\s+(\d+\.\d+\.\d+)/i.exec(versionText)?.[1] ?? /(\d+\.\d+\.\d+)/.exec(versionText)?.[1] ?? null
}

const ESCAPES: Record<string, string> = { '\\': '\\\\', '"': '\\"', '\n': '\\n', '\r': '\\r', '\t': '\\t' }

/**
 * The options file mariadb-backup reads instead of the host's /etc/mysql: the private server's own
 * config (so it sees the same InnoDB settings as the server) and the root password, which never
 * goes on argv. Mode 0600, written before the file has any content.
 */
export function writeOptionsFile(file: string, password: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true })
  const fd = fs.openSync(file, 'w', 0o600)
  try {
    fs.fchmodSync(fd, 0o600)
    // option files take a value verbatim up to the end of the line; quotes keep spaces and #
    const value = `"${password.replace(/[\\"\n\r\t]/g, (c) => ESCAPES[c])}"`
    fs.writeSync(fd, `!include ${SERVER_CNF}\n[client]\npassword=${value}\n`)
  } finally { fs.closeSync(fd) }
}

// --defaults-file must be the first option: mariadb-backup ignores it anywhere else.
export const backupArgv = {
  /** Copies the running server's files to `targetDir` (which must not exist or be empty). */
  backup: (o: { optionsFile: string; targetDir: string; socket: string; dataDir: string; parallel: number; incrementalBase?: string }) =>
    ['mariadb-backup', `--defaults-file=${o.optionsFile}`, '--backup', `--target-dir=${o.targetDir}`,
      `--socket=${o.socket}`, '--user=root', `--datadir=${o.dataDir}`, `--parallel=${o.parallel}`,
      ...(o.incrementalBase ? [`--incremental-basedir=${o.incrementalBase}`] : [])],
  /** Applies the copied redo log: the folder becomes a data directory a server starts on. */
  prepare: (targetDir: string) =>
    // the settings the backup recorded, not the host's /etc/mysql
    ['mariadb-backup', `--defaults-file=${path.join(targetDir, 'backup-my.cnf')}`, '--prepare', `--target-dir=${targetDir}`],
  version: () => ['mariadb-backup', '--version'],
  /** `cp -a`, not --copy-back: as fast (both measured side by side when this was chosen), and a load needs no mariadb-backup. */
  copy: (from: string, to: string) => ['cp', '-a', '--', from, to],
}

/**
 * The same steps inside the docker runtime's `mysqld` service: `docker compose exec -T -e MYSQL_PWD`
 * (mariadb-backup reads MYSQL_PWD; the container's own config is the right one there), run as
 * `run(HOST, argv, { env: { ...composeEnv(cfg), MYSQL_PWD } })`. Not wired yet: they need the
 * snapshots folder bind-mounted at /backup in the service, which docker-compose.yml does not do:
 * `- ${DATA_BACKUP_DIRNAME:-./data/backups}:/backup` (composeEnv passing DATA_BACKUP_DIRNAME made
 * ./-relative, as INITDB_DIR is).
 */
export const dockerBackupArgv = {
  /** `rel`: the snapshot folder relative to DATA_BACKUP_DIRNAME, e.g. "x.partial-12-34/physical". */
  backup: (target: Target, rel: string, parallel: number) => targetArgv(target,
    ['mariadb-backup', '--backup', `--target-dir=${containerPath(rel)}`, '--user=root', `--parallel=${parallel}`], ['MYSQL_PWD']),
  prepare: (target: Target, rel: string) => targetArgv(target,
    ['mariadb-backup', '--prepare', `--target-dir=${containerPath(rel)}`]),
  version: (target: Target) => targetArgv(target, ['mariadb-backup', '--version']),
  /** The files belong to the container's mysql user: hand them to the host user that hashes them. */
  chown: (target: Target, rel: string, owner: { uid: number; gid: number }) => targetArgv(target,
    ['chown', '-R', `${owner.uid}:${owner.gid}`, containerPath(rel)]),
}

function containerPath(rel: string): string {
  const clean = path.posix.normalize(rel)
  if (clean.startsWith('..') || path.posix.isAbsolute(clean)) throw new Error(`not a path inside the backup folder: ${rel}`)
  return path.posix.join(CONTAINER_BACKUP_DIR, clean)
}

/** `mariadb-backup --version` on the host, or null when it is not installed. */
export async function hostToolVersion(cfg: Config): Promise<string | null> {
  if (!onPath(BACKUP_TOOL.cmd, cfg.hostPath)) return null
  const r = await run(HOST, backupArgv.version(), { nothrow: true })
  return toolServerVersion(`${r.stdout}\n${r.stderr}`)
}

const LOGICAL_HINT = 'take a logical one instead: make data_dump ARGS="--name <name>"'

/**
 * Whether physical snapshots work here: the local runtime (its data directory is ours to swap),
 * a MariaDB server, and a mariadb-backup of the same major.minor (or apt to install it).
 */
export async function physicalSupported(cfg: Config, rt: Runtime): Promise<{ ok: boolean; why?: string }> {
  if (rt.name === 'docker') {
    return { ok: false, why: `physical snapshots are not supported on the docker runtime yet (the ${cfg.MYSQL_SERVICE} service has no backup folder mounted); ${LOGICAL_HINT}` }
  }
  if (rt.name !== 'local') {
    return { ok: false, why: `physical snapshots need the server's files, which the ${rt.name} runtime cannot reach; ${LOGICAL_HINT}` }
  }
  const version = await withDb(rt.admin, serverVersion, { database: null })
  if (!/mariadb/i.test(version)) {
    return { ok: false, why: `physical snapshots need MariaDB (mariadb-backup); this server is MySQL ${version}; ${LOGICAL_HINT}` }
  }
  const tool = await hostToolVersion(cfg)
  if (tool === null) {
    const canInstall = process.getuid?.() === 0 && fs.existsSync('/usr/bin/apt-get')
    return canInstall ? { ok: true } : { ok: false, why: `mariadb-backup is not installed; to fix: sudo apt-get install -y ${BACKUP_TOOL.pkg}` }
  }
  if (majorMinor(tool) !== majorMinor(version)) {
    return { ok: false, why: `mariadb-backup ${tool} cannot copy a MariaDB ${majorMinor(version)} server (it needs the same major.minor); install the mariadb-backup that matches the server, or ${LOGICAL_HINT}` }
  }
  return { ok: true }
}

/** The server's databases a physical copy carries: all but the server's own schemas and datakeep's temporary ones. */
export async function userDatabases(db: Db): Promise<string[]> {
  const rows = await query<{ name: string }>(db, `SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA
    WHERE SCHEMA_NAME NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys') AND SCHEMA_NAME NOT LIKE ?
    ORDER BY SCHEMA_NAME`, [`${TEMP_DB_PREFIX.replace(/_/g, '\\_')}%`])
  return rows.map((r) => r.name)
}

