// data_load: restore a snapshot (database, files synced) atomically, verified against its manifest,
// then run pending migrations and rebuild the index; or import a plain SQL dump (--file) the same way.
// --latest picks the newest snapshot; --tables a,b restores only those tables (lib/snapshot/load-partial.ts).
// usage: make data_load ARGS="--name x [--tables a,b] [--until '<time>' | --until-gtid <g> | --before-gtid <g>]" (point-in-time
//   recovery, docs/recovery.md) | ARGS="--latest" | ARGS="--file dump.sql[.gz|.zst]"   needs: the server running.
import { parseFlags } from '../lib/args.ts'
import { loadConfig } from '../lib/config.ts'
import { UserError, main } from '../lib/errors.ts'
import { selectEngine } from '../lib/engines/index.ts'
import type { Recovery } from '../lib/engines/types.ts'
import { count, done, formatSeconds, info, warn } from '../lib/log.ts'
import { refuseNewerSchema } from '../lib/migrate/index.ts'
import { parseUntil, type RecoveryTarget } from '../lib/pitr/recover.ts'
import { commandSummary, withLock } from '../lib/safety/lock.ts'
import { latestSnapshot } from '../lib/snapshot/latest.ts'
import { checkSnapshotTables, loadSnapshotTables, parseTableList } from '../lib/snapshot/load-partial.ts'
import { requireSnapshot } from '../lib/snapshot/names.ts'
import { afterDestructive } from '../lib/safety/destructive.ts'
import { checkSqlFile } from '../lib/snapshot/sql-import.ts'

const USAGE = 'make data_load ARGS="--name <name> [--until \'YYYY-MM-DD HH:MM:SS\' | --until-gtid <gtid> | --before-gtid <gtid>] [--no-owner]" or ARGS="--latest" (the newest snapshot, not _init nor safety ones) or ARGS="--file dump.sql[.gz|.zst]"; '
  + '[--tables a,b (only those tables; the storage folder only with --with-storage)] [--confirm=<database>] [--no-safety]'

main(async () => {
  const { values } = parseFlags(process.argv.slice(2), {
    name: { type: 'string' }, file: { type: 'string' }, confirm: { type: 'string' }, 'no-safety': { type: 'boolean' },
    until: { type: 'string' }, 'until-gtid': { type: 'string' }, 'before-gtid': { type: 'string' }, 'no-owner': { type: 'boolean' },
    latest: { type: 'boolean' }, tables: { type: 'string' }, 'with-storage': { type: 'boolean' },
  }, USAGE)
  const sources = [values.name !== undefined && '--name', values.file !== undefined && '--file', values.latest && '--latest'].filter(Boolean)
  if (sources.length > 1) throw new UserError(`give one of --name, --latest or --file, not ${sources.join(' and ')}`, { hint: `usage: ${USAGE}` })
  if (values.file && values.tables !== undefined) throw new UserError('--tables restores tables of a snapshot, not of a --file import', { hint: `usage: ${USAGE}` })
  if (values['with-storage'] && values.tables === undefined) throw new UserError('--with-storage goes with --tables (a whole load always restores the storage folder)', { hint: `usage: ${USAGE}` })
  const tables = values.tables === undefined ? null : parseTableList(values.tables)
  const targets = [values.until, values['until-gtid'], values['before-gtid']].filter((v) => v !== undefined)
  if (targets.length > 1) throw new UserError('give one of --until, --until-gtid and --before-gtid', { hint: `usage: ${USAGE}` })
  if (targets.length && tables) throw new UserError('--tables restores tables as the snapshot has them; point-in-time recovery loads whole', { hint: `usage: ${USAGE}` })
  if (targets.length && !values.name) throw new UserError('point-in-time recovery starts from a snapshot: give --name', { hint: `usage: ${USAGE}` })
  const target: RecoveryTarget | null = values.until !== undefined ? { until: parseUntil(values.until) }
    : values['until-gtid'] !== undefined ? { untilGtid: values['until-gtid'] }
      : values['before-gtid'] !== undefined ? { beforeGtid: values['before-gtid'] } : null
  const cfg = loadConfig()
  const engine = await selectEngine(cfg)
  const rt = engine.runtime
  const name = values.latest ? latestSnapshot(cfg) : values.name
  if (values.latest) info(`--latest: snapshot ${name}`)
  if (!values.file) requireSnapshot(cfg, name, 'data_load')
  if (tables && engine.name !== 'mariadb') throw new UserError(`--tables is not available on ${engine.name} yet; nothing was changed`, { hint: `load the whole snapshot: make data_load ARGS="--name ${name}"` })
  // every check that needs no writing, before the safety snapshot
  if (tables) await checkSnapshotTables(cfg, rt, name!, tables)
  await withLock(cfg, commandSummary(), async () => {
    // all input checked whole before the safety snapshot: a bad file or snapshot takes none
    if (values.file !== undefined) await checkSqlFile(cfg, values.file)
    else await engine.checkSnapshot(name, 'data_load')
    // recovery: the snapshot whole and every binary log to the target present, before anything changes
    let recovery: Recovery | null = null
    if (target) {
      recovery = await engine.planRecovery(name!, target)
      info(recovery.summary)
    }
    await engine.protect({ op: { name: 'data_load', kind: 'replace', command: commandSummary() }, confirm: values.confirm, noSafety: values['no-safety'] })
    if (values.file) {
      const r = await engine.importSql(values.file)
      await engine.afterLoad()
      afterDestructive(cfg)
      done(`imported ${values.file} into ${rt.admin.database}: ${r.tables} tables in ${formatSeconds(r.ms)}`)
      return
    }
    if (tables) {
      const r = await loadSnapshotTables(cfg, rt, name!, tables, { withStorage: values['with-storage'], beforeSwap: (stage) => refuseNewerSchema(cfg, rt, stage) })
      for (const o of r.orphans) {
        warn(`${o.rows} row${o.rows === 1 ? '' : 's'} of ${o.child} refer${o.rows === 1 ? 's' : ''} to ${o.parent} rows that are not there (foreign key ${o.constraint}); `
          + `to restore both as the snapshot has them: make data_load ARGS="--name ${r.name} --tables ${[...new Set([...tables, o.child, o.parent])].join(',')}"`)
      }
      await engine.afterLoad()
      afterDestructive(cfg)
      done(`restored ${r.tables} table${r.tables === 1 ? '' : 's'} of snapshot ${r.name} into ${rt.admin.database}: ${tables.join(', ')}, ${r.rows} rows, verified; `
        + `${r.storage ? `storage folder restored (${count(r.files, 'file')})` : 'other tables and the storage folder untouched'}, in ${formatSeconds(r.ms)}`)
      return
    }
    const r = await engine.load(name, { noOwner: values['no-owner'], recovery })
    await engine.afterLoad()
    afterDestructive(cfg)
    if (recovery) {
      done(`recovered ${rt.admin.database} to ${recovery.reached()}: snapshot ${r.name} (${count(r.tables, 'table')}, ${count(r.rows, 'row')}) + ${count(recovery.events, 'event')} replayed, ${count(r.files, 'file')}, in ${formatSeconds(r.ms)}`)
      return
    }
    done(`loaded snapshot ${r.name} into ${rt.admin.database}: ${count(r.tables, 'table')}, ${count(r.rows, 'row')}, ${count(r.files, 'file')}, verified, in ${formatSeconds(r.ms)}`)
  })
})
