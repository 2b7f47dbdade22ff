// docker_mysqld_volume_remove: hard reset. Removes the database's volume (or local data
// directory); the next `make up` starts with an empty one.
// usage: make down && make docker_mysqld_volume_remove    needs: the server stopped.
import { parseFlags } from '../lib/args.ts'
import { loadConfig } from '../lib/config.ts'
import { main } from '../lib/errors.ts'
import { done, step } from '../lib/log.ts'
import { afterDestructive } from '../lib/safety/destructive.ts'
import { guardDestructive } from '../lib/safety/guard.ts'
import { commandSummary, withLock } from '../lib/safety/lock.ts'
import { selectEngine } from '../lib/engines/index.ts'

main(async () => {
  const { values } = parseFlags(process.argv.slice(2), { confirm: { type: 'string' }, 'no-safety': { type: 'boolean' } },
    'make docker_mysqld_volume_remove [ARGS="--confirm=<database> --no-safety"]')
  const cfg = loadConfig()
  const engine = await selectEngine(cfg)
  const rt = engine.runtime
  const data = await rt.data()
  const where = data.where
  if ((await rt.state()).running) await rt.removeVolume() // refuses: run make down first
  guardDestructive(cfg, { name: 'volume_remove', kind: 'reset', command: commandSummary() }, values.confirm, rt.admin.database)
  const removed = await withLock(cfg, commandSummary(), async () => {
    if (data.exists && !values['no-safety']) {
      // the server is down, so a snapshot needs it up for a moment
      step('starting the server briefly for a safety snapshot of the volume')
      await rt.start()
      try {
        await engine.protect({ op: { name: 'volume_remove', kind: 'reset', command: commandSummary() }, confirm: values.confirm })
        await engine.keepLogs(true) // the logs outlive the volume
      } finally { await rt.stop() }
    } else if (data.exists) {
      await engine.keepLogs(false)
    }
    const gone = await rt.removeVolume()
    afterDestructive(cfg)
    return gone
  })
  done(removed ? `removed ${where}; the next make up starts with an empty database` : `nothing to remove: ${where} does not exist`)
})
