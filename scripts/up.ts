// up: start the stack (database server, search when enabled), then initialize it.
// usage: make up [INIT_CLEAN=true] [INIT_LOAD=name] [INIT_SKIP_SEED=true] [INIT_SKIP_INDEX=true] [LOAD_FIXTURES=1]
// needs: nothing running; the local runtime installs the engine's server (MariaDB or PostgreSQL) with apt-get when root and missing.
import { parseFlags } from '../lib/args.ts'
import { loadConfig } from '../lib/config.ts'
import { main } from '../lib/errors.ts'
import { selectEngine } from '../lib/engines/index.ts'
import { ensureHostTools } from '../lib/host-tools.ts'
import { done, formatSeconds, step } from '../lib/log.ts'
import { commandSummary, withLock } from '../lib/safety/lock.ts'

main(async () => {
  const { values } = parseFlags(process.argv.slice(2), { confirm: { type: 'string' }, 'no-safety': { type: 'boolean' } }, 'make up [INIT_...=...]')
  const t0 = Date.now()
  const cfg = loadConfig()
  const engine = await selectEngine(cfg)
  const rt = engine.runtime
  await ensureHostTools(cfg, engine.hostTools())
  step(`starting the ${rt.name} runtime`)
  await rt.start()
  await withLock(cfg, commandSummary(), () => engine.initialize({ confirm: values.confirm, noSafety: values['no-safety'] }))
  done(`up: ${rt.name} runtime, database ${rt.admin.database} ready (${formatSeconds(Date.now() - t0)})`)
})
