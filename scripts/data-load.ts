// data_load: restore a snapshot (database, files synced) atomically, verified against its manifest,
// then run pending migrations and rebuild the index; or import a plain SQL dump (--file) the same way.
// usage: make data_load ARGS="--name x [--until '<time>' | --until-gtid <g> | --before-gtid <g>]" (point-in-time
//   recovery, docs/recovery.md) | ARGS="--file dump.sql[.gz|.zst]"   needs: the server running.
import { parseFlags } from '../lib/args.ts'
import { loadConfig } from '../lib/config.ts'
import { UserError, main } from '../lib/errors.ts'
import { afterLoad } from '../lib/initialize/after-load.ts'
import { recordLoad } from '../lib/initialize/marker.ts'
import { done, formatSeconds, info } from '../lib/log.ts'
import { archiveBinlogs } from '../lib/pitr/archive.ts'
import { describeTarget, parseUntil, prepareRecovery, replayInto, type RecoveryTarget, type ReplayPlan } from '../lib/pitr/recover.ts'
import { refuseNewerSchema } from '../lib/migrate/index.ts'
import { selectRuntime } from '../lib/runtime/index.ts'
import { beforeDestructive } from '../lib/safety/destructive.ts'
import { commandSummary, withLock } from '../lib/safety/lock.ts'
import { loadSnapshot, openSnapshot } from '../lib/snapshot/load.ts'
import { requireSnapshot } from '../lib/snapshot/names.ts'
import { importSqlFile } from '../lib/snapshot/sql-file.ts'

const USAGE = 'make data_load ARGS="--name <name> [--until \'YYYY-MM-DD HH:MM:SS\' | --until-gtid <gtid> | --before-gtid <gtid>]" or ARGS="--file dump.sql[.gz|.zst]" [--confirm=<database>] [--no-safety]'

main(async () => {
  const { values } = parseFlags(process.argv.slice(2), {
    name: { type: 'string' }, file: { type: 'string' }, confirm: { type: 'string' }, 'no-safety': { type: 'boolean' },
    until: { type: 'string' }, 'until-gtid': { type: 'string' }, 'before-gtid': { type: 'string' },
  }, USAGE)
  const targets = [values.until, values['until-gtid'], values['before-gtid']].filter((v) => v !== undefined)
  if (targets.length > 1) throw new UserError('give one of --until, --until-gtid and --before-gtid', { hint: `usage: ${USAGE}` })
  if (targets.length && !values.name) throw new UserError('point-in-time recovery starts from a snapshot: give --name', { hint: `usage: ${USAGE}` })
  const target: RecoveryTarget | null = values.until !== undefined ? { until: parseUntil(values.until) }
    : values['until-gtid'] !== undefined ? { untilGtid: values['until-gtid'] }
      : values['before-gtid'] !== undefined ? { beforeGtid: values['before-gtid'] } : null
  if (values.name && values.file) throw new UserError('give --name or --file, not both', { hint: `usage: ${USAGE}` })
  const cfg = loadConfig()
  const rt = await selectRuntime(cfg)
  if (!values.file) requireSnapshot(cfg, values.name, 'data_load')
  await withLock(cfg, commandSummary(), async () => {
    // recovery: the snapshot whole and every binary log to the target present, before anything changes
    let plan: ReplayPlan | null = null
    if (target) {
      await archiveBinlogs(cfg, rt)
      const { manifest } = await openSnapshot(cfg, values.name, 'data_load')
      plan = await prepareRecovery(cfg, manifest, target, rt.admin.database)
      info(`recovery ${describeTarget(target)}: snapshot ${manifest.name}, then ${plan.events.length} transaction${plan.events.length === 1 ? '' : 's'} of ${rt.admin.database} from ${plan.chain.files.length} binary log${plan.chain.files.length === 1 ? '' : 's'}`)
    }
    await beforeDestructive(cfg, rt, { name: 'data_load', kind: 'replace', command: commandSummary() }, { confirm: values.confirm, noSafety: values['no-safety'] })
    if (values.file) {
      const r = await importSqlFile(cfg, rt, values.file)
      await recordLoad(rt, { file: values.file }, r.tables)
      await afterLoad(cfg, rt)
      done(`imported ${values.file} into ${rt.admin.database}: ${r.tables} tables in ${formatSeconds(r.ms)}`)
      return
    }
    const r = await loadSnapshot(cfg, rt, values.name, {
      beforeSwap: async (stage) => {
        if (plan) await replayInto(rt, plan, rt.admin.database, stage)
        await refuseNewerSchema(cfg, rt, stage)
      },
    })
    await recordLoad(rt, { snapshot: r.name }, r.tables)
    await afterLoad(cfg, rt)
    if (plan) {
      done(`recovered ${rt.admin.database} to ${plan.reached}: snapshot ${r.name} (${r.tables} tables, ${r.rows} rows) + ${plan.events.length} events replayed, ${r.files} files, in ${formatSeconds(r.ms)}`)
      return
    }
    done(`loaded snapshot ${r.name} into ${rt.admin.database}: ${r.tables} tables, ${r.rows} rows, ${r.files} files, verified, in ${formatSeconds(r.ms)}`)
  })
})
