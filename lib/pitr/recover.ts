// Point-in-time recovery: which transactions since the snapshot to replay (up to a time, up to and
// including a GTID, or up to one before it), checked before anything changes; then the replay into
// the staging database, rewritten to it, with binary logging off, through the stock tools.
import type { Config } from '../config.ts'
import { UserError } from '../errors.ts'
import { HOST, run, spawnPipe } from '../run.ts'
import type { Runtime } from '../runtime/index.ts'
import type { Manifest } from '../snapshot/manifest.ts'
import { chainSince, type Chain } from './chain.ts'
import type { BinlogEvent } from './events.ts'

export type RecoveryTarget = { until: Date } | { untilGtid: string } | { beforeGtid: string }

export interface ReplayPlan {
  chain: Chain
  /** The transactions replayed for the live database. */
  events: BinlogEvent[]
  /** Where the replay stops: the end of the last transaction included (any database); null: nothing to replay. */
  stop: { fileIndex: number; position: number } | null
  /** The time of the last transaction included (the snapshot's when none). */
  reached: string
}

/** "2026-12-04 10:14:00" is this machine's local time; an ISO time with Z or an offset is that. */
export function parseUntil(text: string): Date {
  const t = /^\d{4}-\d\d-\d\d[ T]\d\d:\d\d(:\d\d)?(\.\d+)?(Z|[+-]\d\d:?\d\d)?$/.test(text.trim()) ? new Date(text.trim().replace(' ', 'T')) : new Date(NaN)
  if (Number.isNaN(t.getTime())) {
    throw new UserError(`--until ${JSON.stringify(text)} is not a time`, { hint: "give it as 'YYYY-MM-DD HH:MM:SS' (this machine's local time), e.g. --until '2026-12-04 10:14:00'" })
  }
  return t
}

export function describeTarget(t: RecoveryTarget): string {
  return 'until' in t ? `until ${t.until.toISOString()}` : 'untilGtid' in t ? `up to and including GTID ${t.untilGtid}` : `up to GTID ${t.beforeGtid} (excluded)`
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** Picks the transactions to replay; refuses (exit 2) what cannot be replayed safely or is not there. */
export function planReplay(chain: Chain, target: RecoveryTarget, live: string, snapshot: Manifest): ReplayPlan {
  const all = chain.events
  let n: number
  if ('until' in target) {
    const t = target.until.getTime() / 1000
    n = all.findIndex((e) => e.unix >= t)
    if (n < 0) n = all.length
  } else {
    const g = 'untilGtid' in target ? target.untilGtid : target.beforeGtid
    const i = all.findIndex((e) => e.gtid === g)
    if (i < 0) {
      throw new UserError(`GTID ${g} is not in the binary logs since snapshot "${snapshot.name}"; nothing was changed`, {
        hint: `pick one from: make data_timeline ARGS="--since ${snapshot.name}"`,
      })
    }
    n = 'untilGtid' in target ? i + 1 : i
  }
  const included = all.slice(0, n)
  // a statement that names the live database explicitly would reach it, not the staging database
  const named = new RegExp(`(\`${escapeRe(live.replace(/`/g, '``'))}\`|\\b${escapeRe(live)})\\s*\\.`)
  const accounts = /^\s*(GRANT|REVOKE|CREATE\s+USER|ALTER\s+USER|DROP\s+USER|RENAME\s+USER|CREATE\s+ROLE|DROP\s+ROLE|SET\s+PASSWORD|FLUSH)\b/i
  for (const e of included) {
    const statements = e.statements.filter((s) => !accounts.test(s)) // accounts, not data
    if (!e.ddl || !e.databases.includes(live) && !statements.some((s) => named.test(s))) continue
    if (e.defaultDb !== live || statements.some((s) => named.test(s))) {
      throw new UserError(`the binary log holds a statement for ${live} that cannot be redirected into the staging database (GTID ${e.gtid} at ${e.time}: ${e.statements[0]?.slice(0, 80)}); nothing was changed`, {
        hint: `recover to a moment before it (--before-gtid ${e.gtid}), or from a snapshot taken after it (make data_list)`,
      })
    }
  }
  const last = included[included.length - 1]
  const mine = included.filter((e) => e.databases.includes(live))
  return {
    chain, events: mine,
    stop: last ? { fileIndex: last.fileIndex, position: last.end } : null,
    reached: mine.length ? mine[mine.length - 1].time : snapshot.created,
  }
}

/** Checks the snapshot's chain and the target: everything that can refuse, before anything changes. */
export async function prepareRecovery(cfg: Config, m: Manifest, target: RecoveryTarget, live: string): Promise<ReplayPlan> {
  return planReplay(await chainSince(cfg, m), target, live, m)
}

/** argv of the replay reader: only `live`'s events, rewritten to `stage`, binary logging off in the session. */
export function replayArgv(o: { files: string[]; start: number; stop: number; live: string; stage: string }): string[] {
  return ['mariadb-binlog', '--disable-log-bin', `--database=${o.live}`, `--rewrite-db=${o.live}->${o.stage}`,
    `--start-position=${o.start}`, `--stop-position=${o.stop}`, ...o.files]
}

/** Replays the plan's transactions into `stage`: mariadb-binlog on this machine, the client where the server's tools run. */
export async function replayInto(rt: Runtime, plan: ReplayPlan, live: string, stage: string): Promise<void> {
  if (!plan.stop) return
  const files = plan.chain.files.slice(0, plan.stop.fileIndex + 1)
  const reader = spawnPipe(HOST, replayArgv({ files, start: plan.chain.startPosition, stop: plan.stop.position, live, stage }))
  const client = run(rt.target, ['mariadb', ...rt.clientArgs(), '--binary-mode', stage], { env: rt.clientEnv(), input: reader.stdout })
  const [r, c] = await Promise.allSettled([reader.done, client])
  if (c.status === 'rejected') { reader.kill(); throw c.reason }
  if (r.status === 'rejected') throw r.reason
}
