// data_dump: snapshot the database + uploaded files as one named, verified unit.
// usage: make data_dump [ARGS="--name x --force"]  (--full: every table written, none shared with an
//   earlier snapshot; --physical: InnoDB tables as their files; --physical --whole-server: mariadb-backup or pg_basebackup of the server; --format sql [--gzip]: one plain SQL file)
// needs: the server running (make up).
import { parseFlags } from '../lib/args.ts'
import { loadConfig } from '../lib/config.ts'
import { UserError, main } from '../lib/errors.ts'
import { count, done, formatBytes, formatSeconds, info, result, warn } from '../lib/log.ts'
import { selectEngine } from '../lib/engines/index.ts'
import { defaultName } from '../lib/snapshot/names.ts'
import { commandSummary, withLock } from '../lib/safety/lock.ts'

const USAGE = 'make data_dump [ARGS="--name <name> [--force] [--full] [--physical [--whole-server [--incremental | --differential] [--base <name>]] | --format sql [--gzip]]"]'

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`

main(async () => {
  const { values } = parseFlags(process.argv.slice(2), {
    name: { type: 'string' }, force: { type: 'boolean' }, format: { type: 'string' }, gzip: { type: 'boolean' }, physical: { type: 'boolean' },
    'whole-server': { type: 'boolean' }, full: { type: 'boolean' }, incremental: { type: 'boolean' }, differential: { type: 'boolean' },
    base: { type: 'string' },
  }, USAGE)
  if ((values.incremental || values.differential || values.base) && !values['whole-server']) throw new UserError('--incremental, --differential and --base go with --physical --whole-server', { hint: `usage: ${USAGE}` })
  if (values.incremental && values.differential) throw new UserError('give --incremental or --differential, not both', { hint: `usage: ${USAGE}` })
  if (values.base && !values.incremental && !values.differential) throw new UserError('--base goes with --incremental or --differential', { hint: `usage: ${USAGE}` })
  const chain = values.incremental ? { type: 'incremental' as const, base: values.base } : values.differential ? { type: 'differential' as const, base: values.base } : undefined
  if (values.full && (values['whole-server'] || values.format === 'sql')) throw new UserError('--full goes with a snapshot of the database (a whole-server or SQL dump is always written whole)', { hint: `usage: ${USAGE}` })
  if (values['whole-server'] && !values.physical) throw new UserError('--whole-server goes with --physical', { hint: `usage: ${USAGE}` })
  if (values.physical && values.format === 'sql') throw new UserError('--physical and --format sql do not go together', { hint: `usage: ${USAGE}` })
  const format = values.format ?? 'snapshot'
  if (!['snapshot', 'sql'].includes(format)) throw new UserError(`unknown --format ${JSON.stringify(format)}: snapshot or sql`, { hint: `usage: ${USAGE}` })
  if (values.gzip && format !== 'sql') throw new UserError('--gzip goes with --format sql (snapshots are always compressed)', { hint: `usage: ${USAGE}` })
  const cfg = loadConfig()
  const engine = await selectEngine(cfg)
  const name = values.name ?? defaultName()
  const t0 = Date.now()
  if (format === 'sql') {
    const { file, restoreCommand } = await withLock(cfg, commandSummary(), () => engine.dumpSql({ name, gzip: !!values.gzip, force: !!values.force }))
    done(`wrote ${file} (${formatSeconds(Date.now() - t0)}); restore with: ${restoreCommand}`)
    result(file)
    return
  }
  // --physical: the database's InnoDB tables as their files; --whole-server: every database (mariadb-backup, pg_basebackup)
  const { dir, manifest: m } = await engine.dump({ name, force: !!values.force, physical: !!values.physical, wholeServer: !!values['whole-server'], full: !!values.full, chain })
  if (values.physical && m.kind === 'logical') warn('no table here can be copied as its files (InnoDB, no FULLTEXT index, not partitioned): the snapshot is a logical one')
  await engine.copyLogs()
  const asFiles = m.tables.filter((t) => t.tablespace).length
  if (m.kind === 'tablespace' && asFiles < m.tables.length) info(`${asFiles} of ${m.tables.length} tables copied as their files, the others as rows`)
  if (!values['whole-server']) {
    const shared = m.tables.filter((t) => t.shared)
    const sharedBytes = shared.reduce((a, t) => a + t.bytes, 0)
    info(`${plural(m.tables.length - shared.length, 'table')} written, ${shared.length} shared${shared.length ? ` (${formatBytes(sharedBytes)} linked to earlier snapshots, not written again)` : ''}`)
  }
  const rows = m.tables.reduce((a, t) => a + t.rows, 0)
  const bytes = Object.values(m.files).reduce((a, f) => a + f.bytes, 0)
  done(`${values.physical ? 'physical ' : ''}snapshot ${m.name}: ${count(m.tables.length, 'table')}, ${count(rows, 'row')}, ${count(m.storage.files, 'file')}, ${formatBytes(bytes)} in ${formatSeconds(Date.now() - t0)}`)
  result(dir)
})
