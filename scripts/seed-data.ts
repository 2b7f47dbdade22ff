// seed_data: rebuild the seed in a scratch database, store it as the snapshot _init (the old one
// stays until the new one is complete), then (after a safety snapshot) load it into the live database atomically.
// usage: make seed_data [ARGS="--confirm=<db> --no-safety"]   needs: the server running.
import { parseFlags } from '../lib/args.ts'
import { loadConfig } from '../lib/config.ts'
import { main } from '../lib/errors.ts'
import { selectEngine } from '../lib/engines/index.ts'
import { INIT, seedHash } from '../lib/initialize/seed.ts'
import { done, formatSeconds } from '../lib/log.ts'
import { afterDestructive } from '../lib/safety/destructive.ts'
import { guardDestructive } from '../lib/safety/guard.ts'
import { commandSummary, withLock } from '../lib/safety/lock.ts'

main(async () => {
  const { values } = parseFlags(process.argv.slice(2), { confirm: { type: 'string' }, 'no-safety': { type: 'boolean' } },
    'make seed_data [ARGS="--confirm=<database> --no-safety"]')
  const cfg = loadConfig()
  const engine = await selectEngine(cfg)
  const rt = engine.runtime
  const lc = engine.lifecycle()
  await withLock(cfg, commandSummary(), async () => {
    guardDestructive(cfg, { name: 'seed_data', kind: 'reset', command: commandSummary() }, values.confirm, rt.admin.database)
    // the seed is built first, in a scratch database (the live one untouched): a seed that fails
    // takes no safety snapshot
    await lc.buildInit()
    await engine.protect({ op: { name: 'seed_data', kind: 'reset', command: commandSummary() }, confirm: values.confirm, noSafety: values['no-safety'] })
    const r = await lc.load(INIT)
    await engine.afterLoad()
    afterDestructive(cfg)
    await lc.writeMarker({ action: 'seeded', snapshot: INIT, seedHash: seedHash(cfg), tables: r.tables })
    done(`seeded ${rt.admin.database} from a new ${INIT}: ${r.tables} tables, ${r.rows} rows in ${formatSeconds(r.ms)}`)
  })
})
