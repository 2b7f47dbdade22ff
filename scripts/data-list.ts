// data_list: the snapshots, newest first (name, created, size, bytes added, tables, rows, server, kind; chains drawn).
// usage: make data_list [ARGS="--json"]
// needs: nothing running.
import { parseFlags } from '../lib/args.ts'
import { loadConfig } from '../lib/config.ts'
import { main } from '../lib/errors.ts'
import { formatBytes, info, result, table, warn } from '../lib/log.ts'
import { listSnapshots } from '../lib/snapshot/catalog.ts'
import { backupRoot } from '../lib/snapshot/names.ts'
import { drawChains } from '../lib/snapshot/physical-chain.ts'
import { looseSnapshots } from '../lib/snapshot/private.ts'

const KIND = { logical: 'logical', tablespace: 'physical (tables)', physical: 'physical (server)', database: 'database copy (in the server)' }

main(async () => {
  const { values } = parseFlags(process.argv.slice(2), { json: { type: 'boolean' } }, 'make data_list [ARGS="--json"]')
  const cfg = loadConfig()
  // a snapshot other accounts can read (an older version's, one copied in by hand): one line each
  for (const w of looseSnapshots(cfg)) warn(w)
  const list = listSnapshots(cfg)
  if (values.json) { result(JSON.stringify(list, null, 2)); return }
  if (list.length === 0) { info(`no snapshots in ${backupRoot(cfg)}; make one with: make data_dump ARGS="--name <name>"`); return }
  const rows = (l: typeof list) => l.map((s) => [
    s.name + (s.init ? ' (seed)' : ''), s.created?.replace('T', ' ').slice(0, 19) ?? 'damaged', formatBytes(s.bytes), formatBytes(s.added),
    s.tables ?? '-', s.rows ?? '-', s.serverVersion ?? '', s.kind ? KIND[s.kind] + (s.chain && s.chain.type !== 'full' ? `, ${s.chain.type} on ${s.chain.base}` : '') : '',
  ])
  // a damaged entry's reason goes below the table, where its length cannot push the columns apart
  const damaged = list.filter((s) => s.error).map((s) => `damaged: ${s.name}: ${s.error!.replaceAll(`${backupRoot(cfg)}/${s.name}/`, '')}`)
  const headers = ['name', 'created', 'size', 'added', 'tables', 'rows', 'server', 'kind']
  const own = list.filter((s) => !s.safety)
  const safety = list.filter((s) => s.safety)
  const parts = [own.length ? table(headers, rows(own)) : 'no snapshots yet']
  if (safety.length) parts.push('', 'safety snapshots (taken before destructive operations; make undo restores the newest):', table(headers, rows(safety)))
  const chains = drawChains(own)
  if (chains.length) parts.push('', 'chains (whole-server; loading a snapshot needs every one above it):', ...chains)
  if (damaged.length) parts.push('', ...damaged)
  result(parts.join('\n'))
})
