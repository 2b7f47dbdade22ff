// make bench_incremental: the incremental series of make bench alone (bench/incremental.ts): a snapshot
// after 1% of one table's rows changed, against a full dump and mydumper -t 2; a recovery to a time
// against loading the snapshot alone. usage: tsx bench/incremental-cli.ts [--rows 3000000] [--seed s]
import { parseFlags } from '../lib/args.ts'
import { UserError, main } from '../lib/errors.ts'
import { result } from '../lib/log.ts'
import { DEFAULT_SEED, MIN_ROWS } from './generate.ts'
import { runIncremental } from './incremental.ts'
import { incrementalText } from './incremental-report.ts'

const USAGE = 'tsx bench/incremental-cli.ts [--rows 3000000] [--seed s]'

main(async () => {
  const { values } = parseFlags(process.argv.slice(2), { rows: { type: 'string' }, seed: { type: 'string' } }, USAGE)
  const rows = Number(values.rows ?? 3_000_000)
  if (!Number.isInteger(rows) || rows < MIN_ROWS) throw new UserError(`--rows ${values.rows}: a whole number, at least ${MIN_ROWS}`, { hint: `usage: ${USAGE}` })
  result(incrementalText(await runIncremental({ rows, seed: values.seed ?? DEFAULT_SEED })))
})
