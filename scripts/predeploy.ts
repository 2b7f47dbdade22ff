// predeploy: before deploying, snapshot predeploy-<UTC time> and print its row counts; make
// postdeploy compares with it afterwards.
// usage: make predeploy   needs: the server running (make up).
import { parseFlags } from '../lib/args.ts'
import { loadConfig } from '../lib/config.ts'
import { predeploy } from '../lib/deploy.ts'
import { main } from '../lib/errors.ts'
import { count, done, formatSeconds, result, table } from '../lib/log.ts'
import { selectEngine } from '../lib/engines/index.ts'

main(async () => {
  parseFlags(process.argv.slice(2), {}, 'make predeploy')
  const cfg = loadConfig()
  const t0 = Date.now()
  const { manifest: m } = await predeploy(await selectEngine(cfg))
  const rows = m.tables.reduce((a, t) => a + t.rows, 0)
  result(table(['table', 'rows'], m.tables.map((t) => [t.name, t.rows])))
  done(`snapshot ${m.name}: ${count(m.tables.length, 'table')}, ${count(rows, 'row')}, ${count(m.storage.files, 'file')} in ${formatSeconds(Date.now() - t0)}; after deploying: make postdeploy`)
})
