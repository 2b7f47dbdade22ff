// make bench_postgres: the PostgreSQL series of make bench alone (bench/postgres-series.ts).
// usage: tsx bench/postgres.ts [--sizes 300000,1000000] [--runs 1]
import { parseFlags } from '../lib/args.ts'
import { UserError, main } from '../lib/errors.ts'
import { result } from '../lib/log.ts'
import { PG_DEFAULT_SIZES, runPostgresSeries } from './postgres-series.ts'

const USAGE = 'tsx bench/postgres.ts [--sizes 300000,1000000] [--runs 1]'

main(async () => {
  const { values } = parseFlags(process.argv.slice(2), { sizes: { type: 'string' }, runs: { type: 'string' } }, USAGE)
  const sizes = values.sizes ? values.sizes.split(',').map((x) => Number(x.trim().replace(/_/g, ''))) : PG_DEFAULT_SIZES
  const runs = Number(values.runs ?? 1)
  if (sizes.some((n) => !Number.isInteger(n) || n < 1000)) throw new UserError(`--sizes ${values.sizes}: whole numbers of rows, at least 1000 each`, { hint: `usage: ${USAGE}` })
  if (!Number.isInteger(runs) || runs < 1) throw new UserError(`--runs ${values.runs}: a whole number, 1 or more`, { hint: `usage: ${USAGE}` })
  result(await runPostgresSeries({ sizes, runs }))
})
