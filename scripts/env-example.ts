// env-example: rewrite .env.example from the config schema in lib/config.ts.
// usage: make env_example
// needs: nothing.
import fs from 'node:fs'
import { renderEnvExample } from '../lib/config.ts'
import { main } from '../lib/errors.ts'
import { done } from '../lib/log.ts'

main(async () => {
  fs.writeFileSync('.env.example.tmp', renderEnvExample())
  fs.renameSync('.env.example.tmp', '.env.example')
  done('wrote .env.example')
})
