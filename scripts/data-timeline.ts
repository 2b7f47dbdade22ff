// data_timeline: what happened to the database since a snapshot, from the binary logs: time, GTID,
// statement, tables, rows; pick the moment for make data_load ARGS="--name x --until '<time>'".
// usage: make data_timeline ARGS="--since <snapshot> [--json]"   needs: the archive (and the server, to copy the newest logs).
import { parseFlags } from '../lib/args.ts'
import { loadConfig } from '../lib/config.ts'
import { main } from '../lib/errors.ts'
import { info, result, table, warn } from '../lib/log.ts'
import { archiveBinlogs } from '../lib/pitr/archive.ts'
import { chainSince, eventsFor } from '../lib/pitr/chain.ts'
import { selectRuntime } from '../lib/runtime/index.ts'
import { commandSummary, withLock } from '../lib/safety/lock.ts'
import { readManifest } from '../lib/snapshot/manifest.ts'
import { requireSnapshot } from '../lib/snapshot/names.ts'

const USAGE = 'make data_timeline ARGS="--since <snapshot> [--json]"'

/** This machine's local time, as --until takes it. */
function localTime(iso: string): string {
  const d = new Date(iso)
  const p = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`
}

main(async () => {
  const { values } = parseFlags(process.argv.slice(2), { since: { type: 'string' }, json: { type: 'boolean' } }, USAGE)
  const cfg = loadConfig()
  const m = readManifest(requireSnapshot(cfg, values.since, 'data_timeline'))
  const rt = await selectRuntime(cfg)
  // the newest logs first, when the server answers; the archive alone otherwise
  await withLock(cfg, commandSummary(), () => archiveBinlogs(cfg, rt))
    .catch((e: Error) => warn(`reading the archive only: the server's newest binary logs were not copied (${e.message.split('\n')[0]})`))
  const chain = await chainSince(cfg, m)
  const events = eventsFor(chain.events, rt.admin.database)
  if (values.json) {
    result(JSON.stringify({ snapshot: m.name, since: m.created, database: rt.admin.database, binlogs: chain.logs.map((l) => l.name),
      events: events.map(({ gtid, time, statements, tables, rows, ddl }) => ({ time, gtid, statements, tables, rows, ddl })) }, null, 2))
    return
  }
  info(`since snapshot ${m.name} (${localTime(m.created)}): ${events.length} transactions on ${rt.admin.database} in ${chain.files.length} binary logs`)
  const oneLine = (s: string) => s.replace(/\s+/g, ' ').slice(0, 100)
  result(events.length ? table(['time', 'gtid', 'statement', 'tables', 'rows'], events.map((e) => [
    localTime(e.time), e.gtid, e.statements.map(oneLine).join('; ') || (e.ddl ? '(DDL)' : '(rows)'), e.tables.join(' '), e.ddl ? '-' : e.rows,
  ])) : 'nothing happened since')
})
