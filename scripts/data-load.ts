// data_load: restore a snapshot (database, files synced) atomically, verified against its manifest,
// then run pending migrations and rebuild the index; or import a plain SQL dump (--file) the same way.
// usage: make data_load ARGS="--name x" | ARGS="--file dump.sql[.gz|.zst]"   needs: the server running.
import { parseFlags } from '../lib/args.ts'
import { loadConfig } from '../lib/config.ts'
import { UserError, main } from '../lib/errors.ts'
import { afterLoad } from '../lib/initialize/after-load.ts'
import { recordLoad } from '../lib/initialize/marker.ts'
import { done, formatSeconds } from '../lib/log.ts'
import { refuseNewerSchema } from '../lib/migrate/index.ts'
import { selectRuntime } from '../lib/runtime/index.ts'
import { beforeDestructive } from '../lib/safety/destructive.ts'
import { commandSummary, withLock } from '../lib/safety/lock.ts'
import { loadSnapshot } from '../lib/snapshot/load.ts'
import { requireSnapshot } from '../lib/snapshot/names.ts'
import { importSqlFile } from '../lib/snapshot/sql-file.ts'

const USAGE = 'make data_load ARGS="--name <name>" or ARGS="--file dump.sql[.gz|.zst]" [--confirm=<database>] [--no-safety]'

main(async () => {
  const { values } = parseFlags(process.argv.slice(2), {
    name: { type: 'string' }, file: { type: 'string' }, confirm: { type: 'string' }, 'no-safety': { type: 'boolean' },
  }, USAGE)
  if (values.name && values.file) throw new UserError('give --name or --file, not both', { hint: `usage: ${USAGE}` })
  const cfg = loadConfig()
  const rt = await selectRuntime(cfg)
  if (!values.file) requireSnapshot(cfg, values.name, 'data_load')
  await withLock(cfg, commandSummary(), async () => {
    await beforeDestructive(cfg, rt, { name: 'data_load', kind: 'replace', command: commandSummary() }, { confirm: values.confirm, noSafety: values['no-safety'] })
    if (values.file) {
      const r = await importSqlFile(cfg, rt, values.file)
      await recordLoad(rt, { file: values.file }, r.tables)
      await afterLoad(cfg, rt)
      done(`imported ${values.file} into ${rt.admin.database}: ${r.tables} tables in ${formatSeconds(r.ms)}`)
      return
    }
    const r = await loadSnapshot(cfg, rt, values.name, { beforeSwap: (stage) => refuseNewerSchema(cfg, rt, stage) })
    await recordLoad(rt, { snapshot: r.name }, r.tables)
    await afterLoad(cfg, rt)
    done(`loaded snapshot ${r.name} into ${rt.admin.database}: ${r.tables} tables, ${r.rows} rows, ${r.files} files, verified, in ${formatSeconds(r.ms)}`)
  })
})
