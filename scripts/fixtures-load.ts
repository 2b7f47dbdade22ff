// fixtures_load: upsert every FIXTURES_DIR/*.json by primary key in one transaction, parents
// before children, the tables' triggers held off (the rows are the files' values; --with-triggers
// fires them); a bad file, row or value changes nothing and names the file and row. MariaDB or
// PostgreSQL (the engine's loadFixtures); datakeep's own files or Django's dumpdata files.
// usage: make fixtures_load [ARGS="--with-triggers --confirm=<database> --no-safety"]   needs: the server running.
import { parseFlags } from '../lib/args.ts'
import { loadConfig } from '../lib/config.ts'
import { main } from '../lib/errors.ts'
import { selectEngine } from '../lib/engines/index.ts'
import { fixturesDir } from '../lib/fixtures/index.ts'
import { done, formatSeconds, info } from '../lib/log.ts'
import { afterDestructive } from '../lib/safety/destructive.ts'
import { commandSummary, withLock } from '../lib/safety/lock.ts'

main(async () => {
  const { values } = parseFlags(process.argv.slice(2), {
    confirm: { type: 'string' }, 'no-safety': { type: 'boolean' }, 'with-triggers': { type: 'boolean' },
  }, 'make fixtures_load [ARGS="--with-triggers --confirm=<database> --no-safety"] (triggers are held off unless --with-triggers)')
  const cfg = loadConfig()
  const engine = await selectEngine(cfg)
  const t0 = Date.now()
  await withLock(cfg, commandSummary(), async () => {
    const r = await engine.loadFixtures({
      withTriggers: values['with-triggers'],
      beforeLoad: () => engine.protect({ op: { name: 'fixtures_load', kind: 'replace', command: commandSummary() }, confirm: values.confirm, noSafety: values['no-safety'] }),
    })
    afterDestructive(cfg)
    if (r.files === 0) { info(`no fixtures in ${fixturesDir(cfg)}; to make some: make fixtures_dump`); return }
    const held = new Set(r.heldTriggers.map((t) => t.table))
    if (values['with-triggers']) info('triggers fired for every row (--with-triggers): they may have changed what was loaded')
    else if (held.size) {
      info(`triggers held off: ${r.heldTriggers.length} trigger${r.heldTriggers.length === 1 ? '' : 's'} on ${[...held].join(', ')} did not fire for this load's session `
        + '(other sessions fired them throughout); --with-triggers fires them')
    }
    done(`loaded ${r.files} fixture file${r.files === 1 ? '' : 's'} into ${engine.runtime.admin.database}: ${r.rows} rows (${r.inserted} inserted, ${r.updated} updated) in ${formatSeconds(Date.now() - t0)}`)
  })
})
