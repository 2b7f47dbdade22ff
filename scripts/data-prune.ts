// data_prune: delete the oldest snapshots beyond --keep N (never _init or the tool's own, never the base
// of a kept chain), and the archived binary logs no kept snapshot's recovery needs.
// usage: make data_prune ARGS="--keep N [--yes]"   (without --yes it only prints the plan)
// needs: nothing running; with --yes it takes the lock (no dump, load or undo at the same time).
import { parseFlags } from '../lib/args.ts'
import { loadConfig, type Config } from '../lib/config.ts'
import { UserError, main } from '../lib/errors.ts'
import { done, formatBytes, info } from '../lib/log.ts'
import { removeArchivedLog } from '../lib/pitr/prune.ts'
import { commandSummary, withLock } from '../lib/safety/lock.ts'
import { prunePlan, removeSnapshot } from '../lib/snapshot/catalog.ts'

const USAGE = 'make data_prune ARGS="--keep <N> [--yes]"'
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`

main(async () => {
  const { values } = parseFlags(process.argv.slice(2), { keep: { type: 'string' }, yes: { type: 'boolean' } }, USAGE)
  if (values.keep === undefined || !/^\d+$/.test(values.keep)) throw new UserError('--keep needs a whole number', { hint: `usage: ${USAGE}` })
  const cfg = loadConfig()
  // deleting waits for no one: a dump, load or undo running now may be reading a snapshot this would delete
  if (values.yes) await withLock(cfg, commandSummary(), () => prune(cfg, values.keep!, true))
  else await prune(cfg, values.keep, false)
})

async function prune(cfg: Config, keep: string, yes: boolean): Promise<void> {
  const values = { keep, yes }
  const { snapshots, binlogs } = prunePlan(cfg, Number(values.keep))
  if (snapshots.length === 0 && binlogs.length === 0) { done(`nothing to prune: at most ${values.keep} snapshots besides the reserved ones, and every archived binary log is needed`); return }
  const verb = values.yes ? 'deleting' : 'would delete'
  for (const s of snapshots) info(`${verb} ${s.name} (${s.created ?? 'damaged'})`)
  const logBytes = binlogs.reduce((a, l) => a + l.bytes, 0)
  for (const l of binlogs) info(`${verb} binary log ${l.name} (${formatBytes(l.bytes)}; no kept snapshot's recovery reads it)`)
  if (!values.yes) { info(`to delete them: make data_prune ARGS="--keep ${values.keep} --yes"`); return }
  for (const s of snapshots) removeSnapshot(cfg, s.name)
  for (const l of binlogs) removeArchivedLog(cfg, l)
  done(`deleted ${plural(snapshots.length, 'snapshot')} and ${plural(binlogs.length, 'archived binary log')} (${formatBytes(logBytes)})`)
}
