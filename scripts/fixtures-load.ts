// fixtures_load: upsert every FIXTURES_DIR/*.json by primary key in one transaction, parents
// before children; a bad file, row or value changes nothing and names the file and row.
// usage: make fixtures_load [ARGS="--confirm=<database> --no-safety"]   needs: the server running.
import { parseFlags } from '../lib/args.ts'
import { loadConfig } from '../lib/config.ts'
import { main } from '../lib/errors.ts'
import { fixturesDir, loadFixtures } from '../lib/fixtures/index.ts'
import { done, formatSeconds, info } from '../lib/log.ts'
import { selectRuntime } from '../lib/runtime/index.ts'
import { afterDestructive, beforeDestructive } from '../lib/safety/destructive.ts'
import { commandSummary, withLock } from '../lib/safety/lock.ts'

main(async () => {
  const { values } = parseFlags(process.argv.slice(2), { confirm: { type: 'string' }, 'no-safety': { type: 'boolean' } },
    'make fixtures_load [ARGS="--confirm=<database> --no-safety"]')
  const cfg = loadConfig()
  const rt = await selectRuntime(cfg)
  const t0 = Date.now()
  await withLock(cfg, commandSummary(), async () => {
    const r = await loadFixtures(cfg, rt, {
      beforeLoad: () => beforeDestructive(cfg, rt, { name: 'fixtures_load', kind: 'replace' }, { confirm: values.confirm, noSafety: values['no-safety'] }),
    })
    afterDestructive(cfg)
    if (r.files === 0) { info(`no fixtures in ${fixturesDir(cfg)}; to make some: make fixtures_dump`); return }
    done(`loaded ${r.files} fixture file${r.files === 1 ? '' : 's'} into ${rt.admin.database}: ${r.rows} rows (${r.inserted} inserted, ${r.updated} updated) in ${formatSeconds(Date.now() - t0)}`)
  })
})
