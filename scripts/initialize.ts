// initialize: make the database exist, migrated, seeded or loaded, and indexed; only what is missing.
// usage: make initialize [INIT_CLEAN=true] [INIT_LOAD=name] [INIT_SKIP_SEED=true] [INIT_SKIP_INDEX=true] [ARGS="--dry-run"]
// needs: the server running (make up runs this for you).
import { parseFlags } from '../lib/args.ts'
import { loadConfig } from '../lib/config.ts'
import { main } from '../lib/errors.ts'
import { selectEngine } from '../lib/engines/index.ts'
import { commandSummary, withLock } from '../lib/safety/lock.ts'

main(async () => {
  const { values } = parseFlags(process.argv.slice(2), {
    'dry-run': { type: 'boolean' }, confirm: { type: 'string' }, 'no-safety': { type: 'boolean' },
  }, 'make initialize [INIT_CLEAN=true] [INIT_LOAD=<name>] [INIT_SKIP_SEED=true] [INIT_SKIP_INDEX=true] [ARGS="--dry-run"]')
  const cfg = loadConfig()
  const engine = await selectEngine(cfg)
  const opts = { dryRun: values['dry-run'], confirm: values.confirm, noSafety: values['no-safety'] }
  if (opts.dryRun) { await engine.initialize(opts); return }
  await withLock(cfg, commandSummary(), () => engine.initialize(opts))
})
