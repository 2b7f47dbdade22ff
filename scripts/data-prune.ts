// data_prune: delete the oldest snapshots beyond --keep N (never _init or the tool's own).
// usage: make data_prune ARGS="--keep N [--yes]"   (without --yes it only prints the plan)
// needs: nothing running.
import { parseFlags } from '../lib/args.ts'
import { loadConfig } from '../lib/config.ts'
import { UserError, main } from '../lib/errors.ts'
import { done, info } from '../lib/log.ts'
import { prunePlan, removeSnapshot } from '../lib/snapshot/catalog.ts'

const USAGE = 'make data_prune ARGS="--keep <N> [--yes]"'

main(async () => {
  const { values } = parseFlags(process.argv.slice(2), { keep: { type: 'string' }, yes: { type: 'boolean' } }, USAGE)
  if (values.keep === undefined || !/^\d+$/.test(values.keep)) throw new UserError('--keep needs a whole number', { hint: `usage: ${USAGE}` })
  const cfg = loadConfig()
  const plan = prunePlan(cfg, Number(values.keep))
  if (plan.length === 0) { done(`nothing to prune: at most ${values.keep} snapshots besides the reserved ones`); return }
  for (const s of plan) info(`${values.yes ? 'deleting' : 'would delete'} ${s.name} (${s.created ?? 'damaged'})`)
  if (!values.yes) { info(`to delete them: make data_prune ARGS="--keep ${values.keep} --yes"`); return }
  for (const s of plan) removeSnapshot(cfg, s.name)
  done(`deleted ${plan.length} snapshot${plan.length === 1 ? '' : 's'}`)
})
