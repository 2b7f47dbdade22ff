// Before any operation that destroys or replaces data: the environment guard (staging and
// production need --confirm), then a fresh safety snapshot of what is about to go, recorded in the
// undo journal as the state before this operation.
// The caller has checked all of its input first (preflight.ts); after it succeeded, afterDestructive prunes.
import type { Config } from '../config.ts'
import { info } from '../log.ts'
import type { Runtime } from '../runtime/index.ts'
import { guardDestructive, type DestructiveOp } from './guard.ts'
import { markDone, recordOperation } from './journal.ts'
import { ensureSafetySnapshot, pruneSafety, type SafetyResult } from './snapshot.ts'

export async function beforeDestructive(cfg: Config, rt: Runtime, op: DestructiveOp,
  opts: { confirm?: string; noSafety?: boolean } = {}): Promise<SafetyResult> {
  guardDestructive(cfg, op, opts.confirm)
  const r = await ensureSafetySnapshot(cfg, rt, op.name, { skip: opts.noSafety })
  recordOperation(cfg, { operation: op.name, command: op.command, at: new Date().toISOString(), before: r.snapshot, reason: r.reason, done: false })
  // undo follows this record, so it restores exactly this snapshot (until another destructive operation)
  info(r.reason + (r.snapshot ? `; to go back: make undo (or make data_load ARGS="--name ${r.snapshot}")` : ''))
  return r
}

/** After the destructive command succeeded: only now are safety snapshots beyond SAFETY_KEEP removed. */
export function afterDestructive(cfg: Config): string[] {
  markDone(cfg) // undo follows this operation's record from now on
  return pruneSafety(cfg)
}
