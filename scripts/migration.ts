// migration: create data/migrations/<UTC YYYYMMDDHHMMSS>_<name>.sql from the template.
// usage: make migration NAME=add_users   (the script takes --name)
// needs: nothing running.
import { parseFlags } from '../lib/args.ts'
import { loadConfig } from '../lib/config.ts'
import { UserError, main } from '../lib/errors.ts'
import { done, result } from '../lib/log.ts'
import { createMigration } from '../lib/migrate/index.ts'

const USAGE = 'make migration NAME=<name>  (lower-case letters, digits and _)'

main(async () => {
  const { values } = parseFlags(process.argv.slice(2), { name: { type: 'string' } }, USAGE)
  if (!values.name) throw new UserError('a migration needs a name', { hint: 'for example: make migration NAME=add_users' })
  const cfg = loadConfig()
  const file = createMigration(cfg, values.name)
  done(`created ${file}; write the up and down sections, then: make migrate`)
  result(file)
})
