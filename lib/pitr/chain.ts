// The binary logs since a snapshot, from the archive: the file its position is in (the right one
// of several with that name: a new volume starts at .000001 again), then each following file whose
// starting GTID state is where the previous one ended. A missing link is a gap, refused by name.
import path from 'node:path'
import type { Config } from '../config.ts'
import { UserError } from '../errors.ts'
import { sha256File } from '../fs-util.ts'
import type { Manifest } from '../snapshot/manifest.ts'
import { archivedLogs, binlogArchive, type ArchivedLog } from './archive.ts'
import { readEvents, type BinlogEvent } from './events.ts'
import { gtidMap } from './position.ts'

export interface Chain {
  /** Archive paths, in order; events' fileIndex points into it. */
  files: string[]
  logs: ArchivedLog[]
  /** Where the snapshot stands in files[0]. */
  startPosition: number
  /** Every transaction after the snapshot's point, all databases, in binary log order. */
  events: BinlogEvent[]
}

const sameState = (a: string, b: string) => canonicalGtid(a) === canonicalGtid(b)
function canonicalGtid(s: string): string {
  return [...gtidMap(s)].sort((x, y) => x[0] - y[0]).map(([d, v]) => `${d}-${v.server}-${v.seq}`).join(',')
}

/** The GTID state after `events`, starting from `start`. */
function advance(start: string, events: BinlogEvent[]): string {
  const m = gtidMap(start)
  for (const e of events) { const [d, s, q] = e.gtid.split('-'); m.set(Number(d), { server: Number(s), seq: BigInt(q) }) }
  return [...m].map(([d, v]) => `${d}-${v.server}-${v.seq}`).join(',')
}

export function nextFileName(file: string): string {
  const m = /^(.*\.)(\d+)$/.exec(file)
  if (!m) throw new Error(`${file}: not a numbered binary log`)
  return `${m[1]}${String(Number(m[2]) + 1).padStart(m[2].length, '0')}`
}

function gap(cfg: Config, what: string, snapshot: string): UserError {
  return new UserError(`the binary logs since snapshot "${snapshot}" have a gap: ${what}; nothing was changed`, {
    hint: `put the missing file back into ${binlogArchive(cfg)} (its .sha256 beside it), or load the snapshot alone: make data_load ARGS="--name ${snapshot}"`,
  })
}

/** The chain of archived binary logs from snapshot `m`'s position to the newest one that follows. */
export async function chainSince(cfg: Config, m: Manifest): Promise<Chain> {
  const pos = m.binlog
  if (!pos) {
    throw new UserError(`snapshot "${m.name}" has no binary log position (taken before binary logging was on)`, {
      hint: `take a new snapshot to recover from later: make data_dump ARGS="--name <name>"; or load this one alone: make data_load ARGS="--name ${m.name}"`,
    })
  }
  const dir = binlogArchive(cfg)
  const archived = archivedLogs(cfg)
  // the snapshot's own file: the one whose events up to its position end at its GTID state
  let first: { log: ArchivedLog; events: BinlogEvent[] } | null = null
  for (const log of archived.filter((a) => a.file === pos.file).reverse()) {
    if (log.bytes < pos.position) continue
    const events = await readEvents([path.join(dir, log.name)])
    if (events.some((e) => e.start < pos.position && e.end > pos.position)) continue // not a transaction boundary
    const before = events.filter((e) => e.end <= pos.position)
    const state = advance(log.startGtid, before)
    const want = gtidMap(pos.gtid)
    if ([...gtidMap(state)].every(([d, v]) => want.get(d)?.seq === v.seq)) { first = { log, events }; break }
  }
  if (!first) throw gap(cfg, `${pos.file}, where the snapshot's position is (GTID ${pos.gtid || 'none'}), is not in ${dir}`, m.name)
  const logs = [first.log]
  const events = first.events.filter((e) => e.start >= pos.position).map((e) => ({ ...e, fileIndex: 0 }))
  let state = advance(first.log.startGtid, first.events)
  let last = first.log
  for (;;) {
    const name = nextFileName(last.file)
    const next = archived.find((a) => a.file === name && sameState(a.startGtid, state) && a.created >= last.created)
    if (!next) {
      // a later file of the same server: the one between is missing
      const later = archived.find((a) => a.created >= last.created && a.file > last.file && a.file.replace(/\d+$/, '') === last.file.replace(/\d+$/, '')
        && gtidMap(a.startGtid).size > 0 && [...gtidMap(a.startGtid)].some(([d, v]) => (gtidMap(state).get(d)?.seq ?? -1n) < v.seq))
      if (later) throw gap(cfg, `${name} is missing (after ${last.file}, which ends at GTID ${state}; ${later.file} starts at ${later.startGtid})`, m.name)
      break
    }
    const evs = await readEvents([path.join(dir, next.name)])
    events.push(...evs.map((e) => ({ ...e, fileIndex: logs.length })))
    logs.push(next)
    state = advance(next.startGtid, evs)
    last = next
  }
  for (const l of logs) {
    if ((await sha256File(path.join(dir, l.name))).sha256 !== l.sha256) throw gap(cfg, `${l.name} differs from its sha256 (damaged)`, m.name)
  }
  return { files: logs.map((l) => path.join(dir, l.name)), logs, startPosition: pos.position, events }
}

/** Only the transactions that touched `database`. */
export function eventsFor(events: BinlogEvent[], database: string): BinlogEvent[] {
  return events.filter((e) => e.databases.includes(database))
}
