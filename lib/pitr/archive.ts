// The binary logs outlive the volume: the closed ones are copied into <DATA_BACKUP_DIRNAME>/_binlog/
// (as WAL-G's binlog-push does), each with its sha256, before data_dump, down and volume removal.
// Recovery reads them from there (docs/recovery.md).
import fs from 'node:fs'
import path from 'node:path'
import type { Config } from '../config.ts'
import { query, withDb, type Db } from '../db.ts'
import { sha256File } from '../fs-util.ts'
import { debug, info, warn } from '../log.ts'
import { commandSummary, withLock } from '../safety/lock.ts'
import { HOST, run } from '../run.ts'
import type { Runtime } from '../runtime/index.ts'
import { backupRoot } from '../snapshot/names.ts'
import { backupModes, withBackupUmask } from '../snapshot/private.ts'
import { readBinlogHeader } from './binlog-file.ts'

export const BINLOG_DIR = '_binlog'

export function binlogArchive(cfg: Config): string {
  return path.join(backupRoot(cfg), BINLOG_DIR)
}

/** An archived binary log: the server's file name, when the server created it, its sha256. */
export interface ArchivedLog {
  /** The name in the archive: `<file>-<created, UTC YYYYMMDDTHHMMSS>` (a new volume starts at .000001 again). */
  name: string
  file: string
  created: number
  bytes: number
  sha256: string
  /** The GTID state the file starts from (its Gtid list event), e.g. "0-1-118"; "" for the first of a server. */
  startGtid: string
}

export function archiveName(file: string, created: number): string {
  return `${file}-${new Date(created * 1000).toISOString().replace(/[-:]/g, '').slice(0, 15)}`
}

/** Every archived log whose sha256 file is in place (a copy without one never finished). */
export function archivedLogs(cfg: Config): ArchivedLog[] {
  const dir = binlogArchive(cfg)
  let names: string[]
  try { names = fs.readdirSync(dir) } catch { return [] }
  const out: ArchivedLog[] = []
  for (const n of names.filter((x) => x.endsWith('.sha256'))) {
    const name = n.slice(0, -'.sha256'.length)
    const [sha256] = fs.readFileSync(path.join(dir, n), 'utf8').split(/\s+/)
    try {
      const h = readBinlogHeader(path.join(dir, name))
      out.push({ name, file: name.replace(/-\d{8}T\d{6}$/, ''), created: h.created, bytes: fs.statSync(path.join(dir, name)).size, sha256, startGtid: h.startGtid })
    } catch (e) { debug(`${name}: ${(e as Error).message}`) }
  }
  return out.sort((a, b) => a.created - b.created || a.file.localeCompare(b.file))
}

/** Copies `from` into the archive as `name`: a temporary name, the sha256 file, then the rename. */
async function store(cfg: Config, from: string, file: string): Promise<string> {
  const modes = backupModes(cfg)
  const dir = binlogArchive(cfg)
  fs.mkdirSync(dir, { recursive: true, mode: modes.dir })
  const name = archiveName(file, readBinlogHeader(from).created)
  const final = path.join(dir, name)
  if (fs.existsSync(`${final}.sha256`) && fs.statSync(final).size === fs.statSync(from).size) return name
  const tmp = `${final}.tmp-${process.pid}`
  // cp creates the copy under the snapshot umask before a byte is in (copyFile would give it the
  // server's 0660 until a chmod); the caller holds that umask (withBackupUmask)
  await run(HOST, ['cp', '--reflink=auto', '--', from, tmp])
  const sum = await sha256File(tmp)
  fs.renameSync(tmp, final)
  fs.writeFileSync(`${final}.sha256.tmp-${process.pid}`, `${sum.sha256}  ${name}\n`, { mode: modes.file })
  fs.renameSync(`${final}.sha256.tmp-${process.pid}`, `${final}.sha256`)
  return name
}

/** argv that copies binary logs byte for byte over the client protocol (REPLICATION SLAVE), into folder `to`. */
export function remoteFetchArgv(clientArgs: string[], names: string[], to: string): string[] {
  return ['mariadb-binlog', '--read-from-remote-server', '--raw', `--result-file=${to.endsWith('/') ? to : `${to}/`}`,
    ...clientArgs.filter((a) => !a.startsWith('--default-character-set')), ...names]
}

async function fetchRemote(rt: Runtime, names: string[], to: string): Promise<void> {
  await run(HOST, remoteFetchArgv(rt.clientArgs(), names, to), { env: rt.clientEnv() })
}

/** The server's binary logs (SHOW BINARY LOGS), oldest first; [] when binary logging is off. */
export async function serverLogs(db: Db): Promise<{ file: string; bytes: number }[]> {
  const [on] = await query<{ v: number }>(db, 'SELECT @@log_bin AS v')
  if (!Number(on.v)) return []
  return (await query<{ Log_name: string; File_size: string }>(db, 'SHOW BINARY LOGS')).map((r) => ({ file: r.Log_name, bytes: Number(r.File_size) }))
}

/**
 * With the server running: closes the current log (FLUSH BINARY LOGS) and copies every closed one
 * not yet in the archive. Returns the names copied. On the external runtime they travel over the
 * client protocol (`mariadb-binlog --read-from-remote-server --raw`, which needs REPLICATION SLAVE).
 */
export async function archiveBinlogs(cfg: Config, rt: Runtime): Promise<string[]> {
  // owner-only (or group-readable) from the first byte, like every snapshot
  return withBackupUmask(cfg, () => archiveBinlogsPrivately(cfg, rt))
}

async function archiveBinlogsPrivately(cfg: Config, rt: Runtime): Promise<string[]> {
  // the server's own files where datakeep reaches them; else (external) the replication protocol
  const fetch = rt.serverFiles ? rt.serverFiles.fetch.bind(rt.serverFiles, '.') : (names: string[], to: string) => fetchRemote(rt, names, to)
  return withDb(rt.admin, async (db) => {
    if ((await serverLogs(db)).length === 0) return []
    await db.query('FLUSH BINARY LOGS')
    const logs = (await serverLogs(db)).slice(0, -1) // the last one is open
    const have = new Set(archivedLogs(cfg).map((a) => `${a.file}:${a.bytes}`))
    const wanted = logs.filter((l) => !have.has(`${l.file}:${l.bytes}`))
    if (wanted.length === 0) return []
    const tmp = fs.mkdtempSync(path.join(binlogArchiveParent(cfg), '.binlog-copy-'))
    try {
      await fetch(wanted.map((l) => l.file), tmp)
      const out: string[] = []
      for (const l of wanted) out.push(await store(cfg, path.join(tmp, l.file), l.file))
      return out
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true })
    }
  }, { database: null })
}

function binlogArchiveParent(cfg: Config): string {
  const dir = binlogArchive(cfg)
  fs.mkdirSync(dir, { recursive: true, mode: backupModes(cfg).dir })
  return dir
}

/**
 * With the local server stopped: copies every binary log its data directory holds (all closed now),
 * for volume removal without a running server.
 */
export async function archiveFromDataDir(cfg: Config, dataDir: string): Promise<string[]> {
  return withBackupUmask(cfg, () => archiveDataDirPrivately(cfg, dataDir))
}

async function archiveDataDirPrivately(cfg: Config, dataDir: string): Promise<string[]> {
  let index: string[]
  try { index = fs.readFileSync(path.join(dataDir, 'binlog.index'), 'utf8').split('\n').filter(Boolean) } catch { return [] }
  const out: string[] = []
  for (const entry of index) {
    const file = path.basename(entry)
    const p = path.join(dataDir, file)
    if (fs.existsSync(p)) out.push(await store(cfg, p, file))
  }
  return out
}

/**
 * For data_dump and down: the binary logs closed and copied, its snapshot's own file included; a
 * failure is a warning (what was asked for is done, the logs stay on the server).
 */
export async function copyBinlogs(cfg: Config, rt: Runtime): Promise<void> {
  try {
    const copied = await withLock(cfg, commandSummary(), () => archiveBinlogs(cfg, rt))
    if (copied.length) info(`copied ${copied.length} binary log${copied.length === 1 ? '' : 's'} to ${binlogArchive(cfg)}`)
  } catch (e) {
    warn(`the binary logs were not copied to ${binlogArchive(cfg)} (${(e as Error).message.split('\n')[0]}); they stay on the server`)
  }
}
