// undo: restore the newest safety snapshot, after taking one of the current state (so undo can be undone).
import type { Config } from '../config.ts'
import { UserError } from '../errors.ts'
import type { Runtime } from '../runtime/index.ts'
import { loadSnapshot, type LoadResult } from '../snapshot/load.ts'
import { checkSnapshotInput } from './preflight.ts'
import { ensureSafetySnapshot, newestSafety } from './snapshot.ts'

export async function undo(cfg: Config, rt: Runtime, opts: { noSafety?: boolean } = {}): Promise<{ restored: string; kept: string | null; load: LoadResult }> {
  const target = newestSafety(cfg)
  if (!target) {
    throw new UserError('there is nothing to undo: no safety snapshots yet', {
      hint: 'safety snapshots are taken before data_load, seed_data, initialize INIT_CLEAN/INIT_LOAD and the other destructive operations',
    })
  }
  // checked whole before the snapshot of the current state: a damaged one costs nothing
  const opened = await checkSnapshotInput(cfg, target, 'undo')
  // always a new one (never a reused match), so the next undo comes back here
  const kept = await ensureSafetySnapshot(cfg, rt, 'undo', { skip: opts.noSafety, reuse: false })
  const load = await loadSnapshot(cfg, rt, target, { opened: opened ?? undefined })
  return { restored: target, kept: kept.snapshot, load }
}
