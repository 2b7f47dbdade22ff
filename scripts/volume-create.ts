// docker_mysqld_volume_create: create the database's persistent volume (idempotent).
// usage: make docker_mysqld_volume_create
// needs: docker runtime: a Docker engine; local: nothing (creates the data directory).
import { parseFlags } from '../lib/args.ts'
import { loadConfig } from '../lib/config.ts'
import { main } from '../lib/errors.ts'
import { done } from '../lib/log.ts'
import { selectEngine } from '../lib/engines/index.ts'

main(async () => {
  parseFlags(process.argv.slice(2), {}, 'make docker_mysqld_volume_create')
  const rt = (await selectEngine(loadConfig())).runtime
  const created = await rt.createVolume()
  done(`${created ? 'created' : 'already exists'}: ${(await rt.data()).where}`)
})
