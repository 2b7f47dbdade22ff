// data_prune and the binary log archive: the archived logs no kept snapshot needs for recovery, which
// are those older than the file the oldest kept snapshot's position is in (a recovery replays from a
// snapshot's position onward, never before it). When in doubt a log is kept.
import fs from 'node:fs'
import path from 'node:path'
import type { Config } from '../config.ts'
import type { Manifest } from '../snapshot/manifest.ts'
import { archivedLogs, binlogArchive, type ArchivedLog } from './archive.ts'
import { gtidMap } from './position.ts'

/** How far the server's clock (a log's creation time) may run ahead of this machine's (a snapshot's time). */
const CLOCK_SLACK_S = 600

/** The GTID state `start` is at or before `pos` in every domain it names (a log starting there can hold `pos`). */
function startsBefore(start: string, pos: string): boolean {
  const p = gtidMap(pos)
  return [...gtidMap(start)].every(([d, v]) => (p.get(d)?.seq ?? -1n) >= v.seq)
}

/**
 * Where a snapshot's recovery starts in the archive: the creation time of the log its position is
 * in. Several logs can bear that file name (a new volume starts at .000001 again): the oldest that
 * could be it counts. Null for a snapshot without a position (it needs no log); its own time when
 * the file is not in the archive (logs created after it cannot be before its position).
 */
export function firstLogTime(m: Manifest, logs: ArchivedLog[]): number | null {
  const pos = m.binlog
  if (!pos) return null
  const taken = Date.parse(m.created) / 1000
  const could = logs.filter((l) => l.file === pos.file && l.bytes >= pos.position && startsBefore(l.startGtid, pos.gtid) && l.created <= taken + CLOCK_SLACK_S)
  return could.length ? Math.min(...could.map((l) => l.created)) : taken - CLOCK_SLACK_S
}

/**
 * The archived logs that go when `kept` are what remains: every one created before the first log of
 * the oldest kept snapshot that has a position. None when no kept snapshot has one (nothing tells
 * which logs a later recovery needs).
 */
export function binlogPrunePlan(cfg: Config, kept: Manifest[]): ArchivedLog[] {
  const logs = archivedLogs(cfg)
  const starts = kept.map((m) => firstLogTime(m, logs)).filter((t): t is number => t !== null)
  if (starts.length === 0) return []
  const cutoff = Math.min(...starts)
  return logs.filter((l) => l.created < cutoff)
}

/** Removes an archived log: its sha256 first, so a log cut short by a crash is one the archive no longer lists. */
export function removeArchivedLog(cfg: Config, log: ArchivedLog): void {
  const file = path.join(binlogArchive(cfg), log.name)
  fs.rmSync(`${file}.sha256`, { force: true })
  fs.rmSync(file, { force: true })
}
