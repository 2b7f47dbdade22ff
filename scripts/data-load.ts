// data_load: restore a snapshot (database, files synced) atomically, verified against its manifest,
// then run pending migrations and rebuild the index; or import a plain SQL dump (--file) the same way.
// usage: make data_load ARGS="--name x [--until '<time>' | --until-gtid <g> | --before-gtid <g>]" (point-in-time
//   recovery, docs/recovery.md) | ARGS="--file dump.sql[.gz|.zst]"   needs: the server running.
import { parseFlags } from '../lib/args.ts'
import { loadConfig } from '../lib/config.ts'
import { UserError, main } from '../lib/errors.ts'
import { selectEngine } from '../lib/engines/index.ts'
import type { Recovery } from '../lib/engines/types.ts'
import { done, formatSeconds, info } from '../lib/log.ts'
import { parseUntil, type RecoveryTarget } from '../lib/pitr/recover.ts'
import { commandSummary, withLock } from '../lib/safety/lock.ts'
import { requireSnapshot } from '../lib/snapshot/names.ts'

const USAGE = 'make data_load ARGS="--name <name> [--until \'YYYY-MM-DD HH:MM:SS\' | --until-gtid <gtid> | --before-gtid <gtid>] [--no-owner]" or ARGS="--file dump.sql[.gz|.zst]" [--confirm=<database>] [--no-safety]'

main(async () => {
  const { values } = parseFlags(process.argv.slice(2), {
    name: { type: 'string' }, file: { type: 'string' }, confirm: { type: 'string' }, 'no-safety': { type: 'boolean' },
    until: { type: 'string' }, 'until-gtid': { type: 'string' }, 'before-gtid': { type: 'string' }, 'no-owner': { type: 'boolean' },
  }, USAGE)
  const targets = [values.until, values['until-gtid'], values['before-gtid']].filter((v) => v !== undefined)
  if (targets.length > 1) throw new UserError('give one of --until, --until-gtid and --before-gtid', { hint: `usage: ${USAGE}` })
  if (targets.length && !values.name) throw new UserError('point-in-time recovery starts from a snapshot: give --name', { hint: `usage: ${USAGE}` })
  const target: RecoveryTarget | null = values.until !== undefined ? { until: parseUntil(values.until) }
    : values['until-gtid'] !== undefined ? { untilGtid: values['until-gtid'] }
      : values['before-gtid'] !== undefined ? { beforeGtid: values['before-gtid'] } : null
  if (values.name && values.file) throw new UserError('give --name or --file, not both', { hint: `usage: ${USAGE}` })
  const cfg = loadConfig()
  const engine = await selectEngine(cfg)
  const rt = engine.runtime
  if (!values.file) requireSnapshot(cfg, values.name, 'data_load')
  await withLock(cfg, commandSummary(), async () => {
    // recovery: the snapshot whole and every binary log to the target present, before anything changes
    let recovery: Recovery | null = null
    if (target) {
      recovery = await engine.planRecovery(values.name!, target)
      info(recovery.summary)
    }
    await engine.protect({ op: { name: 'data_load', kind: 'replace', command: commandSummary() }, confirm: values.confirm, noSafety: values['no-safety'] })
    if (values.file) {
      const r = await engine.importSql(values.file)
      await engine.afterLoad()
      done(`imported ${values.file} into ${rt.admin.database}: ${r.tables} tables in ${formatSeconds(r.ms)}`)
      return
    }
    const r = await engine.load(values.name, { noOwner: values['no-owner'], recovery })
    await engine.afterLoad()
    if (recovery) {
      done(`recovered ${rt.admin.database} to ${recovery.reached()}: snapshot ${r.name} (${r.tables} tables, ${r.rows} rows) + ${recovery.events} events replayed, ${r.files} files, in ${formatSeconds(r.ms)}`)
      return
    }
    done(`loaded snapshot ${r.name} into ${rt.admin.database}: ${r.tables} tables, ${r.rows} rows, ${r.files} files, verified, in ${formatSeconds(r.ms)}`)
  })
})
