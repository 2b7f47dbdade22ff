// Before any operation that destroys or replaces data: the environment guard (staging and
// production need --confirm), then a fresh safety snapshot of what is about to go, recorded in the
// undo journal as the state before this operation.
import type { Config } from '../config.ts'
import { info } from '../log.ts'
import type { Runtime } from '../runtime/index.ts'
import { guardDestructive, type DestructiveOp } from './guard.ts'
import { recordOperation } from './journal.ts'
import { ensureSafetySnapshot, type SafetyResult } from './snapshot.ts'

export async function beforeDestructive(cfg: Config, rt: Runtime, op: DestructiveOp,
  opts: { confirm?: string; noSafety?: boolean } = {}): Promise<SafetyResult> {
  guardDestructive(cfg, op, opts.confirm)
  const r = await ensureSafetySnapshot(cfg, rt, op.name, { skip: opts.noSafety })
  recordOperation(cfg, { operation: op.name, command: op.command, at: new Date().toISOString(), before: r.snapshot, reason: r.reason })
  // undo follows this record, so it restores exactly this snapshot (until another destructive operation)
  info(r.reason + (r.snapshot ? `; to go back: make undo (or make data_load ARGS="--name ${r.snapshot}")` : ''))
  return r
}
