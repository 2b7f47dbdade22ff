// data_load --latest: the newest snapshot a user took. Safety snapshots (_safety/...) are the
// tool's own, taken before destructive operations (make undo restores them); _init is the seed
// (make initialize INIT_LOAD=_init, or --name _init); neither is what "the latest" means.
import { UserError } from '../errors.ts'
import type { Config } from '../config.ts'
import { warn } from '../log.ts'
import { listSnapshots } from './catalog.ts'
import { backupRoot } from './names.ts'

/** The name of the newest snapshot by its manifest's creation time, reserved names (_init, _safety/) left out. */
export function latestSnapshot(cfg: Config): string {
  const own = listSnapshots(cfg).filter((s) => !s.reserved)
  const damaged = own.filter((s) => s.error !== null)
  if (damaged.length) warn(`--latest left out ${damaged.length === 1 ? 'a snapshot' : 'snapshots'} whose manifest cannot be read: ${damaged.map((s) => s.name).join(', ')}`)
  const newest = own.find((s) => s.error === null) // listSnapshots: newest first
  if (!newest) {
    throw new UserError(`there is no snapshot to load in ${backupRoot(cfg)} (--latest leaves out _init and safety snapshots)`, {
      hint: 'make one with: make data_dump ARGS="--name <name>"; the seed loads with: make data_load ARGS="--name _init"',
    })
  }
  return newest.name
}
