// data_load: restore a snapshot (database, files synced) atomically, verified against its manifest,
// then run pending migrations and rebuild the index; or import a plain SQL dump (--file) the same way.
// usage: make data_load ARGS="--name x" | ARGS="--file dump.sql[.gz|.zst]"   needs: the server running.
import { parseFlags } from '../lib/args.ts'
import { loadConfig } from '../lib/config.ts'
import { UserError, main } from '../lib/errors.ts'
import { done, formatSeconds } from '../lib/log.ts'
import { selectEngine } from '../lib/engines/index.ts'
import { commandSummary, withLock } from '../lib/safety/lock.ts'
import { requireSnapshot } from '../lib/snapshot/names.ts'

const USAGE = 'make data_load ARGS="--name <name> [--no-owner]" or ARGS="--file dump.sql[.gz|.zst]" [--confirm=<database>] [--no-safety]'

main(async () => {
  const { values } = parseFlags(process.argv.slice(2), {
    name: { type: 'string' }, file: { type: 'string' }, confirm: { type: 'string' }, 'no-safety': { type: 'boolean' },
    'no-owner': { type: 'boolean' },
  }, USAGE)
  if (values.name && values.file) throw new UserError('give --name or --file, not both', { hint: `usage: ${USAGE}` })
  const cfg = loadConfig()
  const engine = await selectEngine(cfg)
  const rt = engine.runtime
  if (!values.file) requireSnapshot(cfg, values.name, 'data_load')
  await withLock(cfg, commandSummary(), async () => {
    await engine.protect({ op: { name: 'data_load', kind: 'replace', command: commandSummary() }, confirm: values.confirm, noSafety: values['no-safety'] })
    if (values.file) {
      const r = await engine.importSql(values.file)
      await engine.afterLoad()
      done(`imported ${values.file} into ${rt.admin.database}: ${r.tables} tables in ${formatSeconds(r.ms)}`)
      return
    }
    const r = await engine.load(values.name, { noOwner: values['no-owner'] })
    await engine.afterLoad()
    done(`loaded snapshot ${r.name} into ${rt.admin.database}: ${r.tables} tables, ${r.rows} rows, ${r.files} files, verified, in ${formatSeconds(r.ms)}`)
  })
})
