// undo: restore the state before the last destructive operation, as the undo journal recorded it
// (the safety snapshot it took, or the existing snapshot that already held that state). The
// current state is kept first and the undo recorded, so undo twice returns to where it started.
import fs from 'node:fs'
import type { Config } from '../config.ts'
import { UserError, failure } from '../errors.ts'
import { info } from '../log.ts'
import type { Engine, LoadResult } from '../engines/types.ts'
import { snapshotPath } from '../snapshot/names.ts'
import { lastOperation, recordOperation, type JournalEntry } from './journal.ts'

export interface UndoResult { restored: string; undone: JournalEntry; kept: string | null; load: LoadResult }

export async function undo(cfg: Config, engine: Engine, opts: { noSafety?: boolean } = {}): Promise<UndoResult> {
  const last = lastOperation(cfg)
  if (!last) {
    throw new UserError('there is nothing to undo: no destructive operation is recorded', {
      hint: 'undo returns to the state before data_load, seed_data, fixtures_load, rollback, initialize INIT_CLEAN/INIT_LOAD or a volume removal',
    })
  }
  const what = `${last.operation} at ${last.at.replace('T', ' ').slice(0, 19)} UTC`
  if (!last.before) {
    throw new UserError(`cannot undo ${what}: no snapshot holds the state before it (${last.reason}); nothing was changed`, {
      hint: 'pick a snapshot to load instead: make data_list, then make data_load ARGS="--name <name>"',
    })
  }
  if (!fs.existsSync(snapshotPath(cfg, last.before))) {
    throw failure(`cannot undo ${what}: snapshot ${last.before}, which held the state before it, no longer exists; nothing was changed`,
      'pick a snapshot to load instead: make data_list, then make data_load ARGS="--name <name>"')
  }
  info(`undo: restoring ${last.before}, the state before ${what}`)
  // checked whole before the snapshot of the current state: a damaged one costs nothing
  await engine.checkSnapshot(last.before, 'undo')
  // always a new one (never a reused match), so the next undo comes back here
  const kept = await engine.safetySnapshot('undo', { skip: opts.noSafety, reuse: false })
  const at = new Date().toISOString()
  const load = await engine.lifecycle().load(last.before)
  // recorded once it took effect: a failed undo changed nothing, and the next one still means the same
  recordOperation(cfg, { operation: 'undo', command: 'make undo', at, before: kept.snapshot, reason: kept.reason })
  return { restored: last.before, undone: last, kept: kept.snapshot, load }
}
