// docker_mysqld_volume_remove: hard reset. Removes the database's volume (or local data
// directory); the next `make up` starts with an empty one.
// usage: make down && make docker_mysqld_volume_remove    needs: the server stopped.
import { parseFlags } from '../lib/args.ts'
import { loadConfig } from '../lib/config.ts'
import { main } from '../lib/errors.ts'
import { done } from '../lib/log.ts'
import { selectRuntime } from '../lib/runtime/index.ts'

main(async () => {
  parseFlags(process.argv.slice(2), {}, 'make docker_mysqld_volume_remove')
  const rt = await selectRuntime(loadConfig())
  const where = (await rt.data()).where
  const removed = await rt.removeVolume()
  done(removed ? `removed ${where}; the next make up starts with an empty database` : `nothing to remove: ${where} does not exist`)
})
