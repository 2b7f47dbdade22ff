// up: start the stack (database server, search when enabled), then initialize it.
// usage: make up
// needs: nothing running; the local runtime installs MariaDB with apt-get when root and missing.
import { parseFlags } from '../lib/args.ts'
import { loadConfig } from '../lib/config.ts'
import { main } from '../lib/errors.ts'
import { done, formatSeconds, step } from '../lib/log.ts'
import { selectRuntime } from '../lib/runtime/index.ts'
import { initialize } from '../lib/initialize.ts'

main(async () => {
  parseFlags(process.argv.slice(2), {}, 'make up')
  const t0 = Date.now()
  const cfg = loadConfig()
  const rt = await selectRuntime(cfg)
  step(`starting the ${rt.name} runtime`)
  await rt.start()
  await initialize(cfg, rt)
  done(`up: ${rt.name} runtime, database ${rt.admin.database} ready (${formatSeconds(Date.now() - t0)})`)
})
