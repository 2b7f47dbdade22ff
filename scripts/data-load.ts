// data_load: restore a snapshot (database, files synced) atomically, verified against its manifest,
// then run pending migrations and rebuild the index; or import a plain SQL dump (--file) the same way.
// usage: make data_load ARGS="--name x" | ARGS="--file dump.sql[.gz|.zst]"   needs: the server running.
import { parseFlags } from '../lib/args.ts'
import { loadConfig } from '../lib/config.ts'
import { UserError, main } from '../lib/errors.ts'
import { afterLoad } from '../lib/initialize/after-load.ts'
import { done, formatSeconds } from '../lib/log.ts'
import { refuseNewerSchema } from '../lib/migrate/index.ts'
import { selectRuntime } from '../lib/runtime/index.ts'
import { afterDestructive, beforeDestructive } from '../lib/safety/destructive.ts'
import { checkSnapshotInput } from '../lib/safety/preflight.ts'
import { commandSummary, withLock } from '../lib/safety/lock.ts'
import { loadSnapshot } from '../lib/snapshot/load.ts'
import { importSqlFile } from '../lib/snapshot/sql-file.ts'
import { checkSqlFile } from '../lib/snapshot/sql-import.ts'

const USAGE = 'make data_load ARGS="--name <name>" or ARGS="--file dump.sql[.gz|.zst]" [--confirm=<database>] [--no-safety]'

main(async () => {
  const { values } = parseFlags(process.argv.slice(2), {
    name: { type: 'string' }, file: { type: 'string' }, confirm: { type: 'string' }, 'no-safety': { type: 'boolean' },
  }, USAGE)
  if (values.name && values.file) throw new UserError('give --name or --file, not both', { hint: `usage: ${USAGE}` })
  const cfg = loadConfig()
  const rt = await selectRuntime(cfg)
  await withLock(cfg, commandSummary(), async () => {
    // all input checked whole before the safety snapshot: a bad file or snapshot takes none
    const plan = values.file !== undefined ? await checkSqlFile(cfg, values.file) : null
    const opened = plan ? null : await checkSnapshotInput(cfg, values.name, 'data_load')
    await beforeDestructive(cfg, rt, { name: 'data_load', kind: 'replace', command: commandSummary() }, { confirm: values.confirm, noSafety: values['no-safety'] })
    if (plan) {
      const r = await importSqlFile(cfg, rt, plan)
      await afterLoad(cfg, rt)
      afterDestructive(cfg)
      done(`imported ${values.file} into ${rt.admin.database}: ${r.tables} tables in ${formatSeconds(r.ms)}`)
      return
    }
    const r = await loadSnapshot(cfg, rt, values.name, { beforeSwap: (stage) => refuseNewerSchema(cfg, rt, stage), opened: opened ?? undefined })
    await afterLoad(cfg, rt)
    afterDestructive(cfg)
    done(`loaded snapshot ${r.name} into ${rt.admin.database}: ${r.tables} tables, ${r.rows} rows, ${r.files} files, verified, in ${formatSeconds(r.ms)}`)
  })
})
