// fixtures_dump: write FIXTURES_DIR/<table>.json for every base table (or the ones named), exact
// values, rows in primary-key order; files belong to the invoking user, also under sudo.
// usage: make fixtures_dump [ARGS="--tables a,b"]   needs: the server running (make up).
import path from 'node:path'
import { parseFlags } from '../lib/args.ts'
import { loadConfig } from '../lib/config.ts'
import { main } from '../lib/errors.ts'
import { count, done, formatSeconds, result } from '../lib/log.ts'
import { selectEngine } from '../lib/engines/index.ts'

const USAGE = 'make fixtures_dump [ARGS="--tables a,b"]'

main(async () => {
  const { values } = parseFlags(process.argv.slice(2), { tables: { type: 'string' } }, USAGE)
  const tables = values.tables?.split(',').map((t) => t.trim()).filter(Boolean)
  const cfg = loadConfig()
  const engine = await selectEngine(cfg)
  const t0 = Date.now()
  const written = await engine.dumpFixtures({ tables })
  for (const f of written) result(f.file)
  const rows = written.reduce((a, f) => a + f.rows, 0)
  done(`wrote ${count(written.length, 'fixture file')} (${count(rows, 'row')}) to ${path.relative(cfg.projectDir, path.resolve(cfg.projectDir, cfg.FIXTURES_DIR)) || '.'} in ${formatSeconds(Date.now() - t0)}`)
})
