// initialize: make the database exist (and, as it grows, migrated, seeded or loaded, indexed).
// usage: make initialize
// needs: the server running (make up runs this for you).
import { parseFlags } from '../lib/args.ts'
import { loadConfig } from '../lib/config.ts'
import { main } from '../lib/errors.ts'
import { selectRuntime } from '../lib/runtime/index.ts'
import { initialize } from '../lib/initialize.ts'

main(async () => {
  parseFlags(process.argv.slice(2), {}, 'make initialize')
  const cfg = loadConfig()
  const rt = await selectRuntime(cfg)
  await initialize(cfg, rt)
})
