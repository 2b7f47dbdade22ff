// check: is the data where it should be? Runtime, server, data directory or volume and its size,
// the database and its row counts, the newest snapshot and its age. Exit 1 when data is missing.
// usage: make check [ARGS="--json"]   needs: nothing (a stopped server is reported, exit 1).
import { parseFlags } from '../lib/args.ts'
import { loadConfig } from '../lib/config.ts'
import { formatAge } from '../lib/deploy.ts'
import { selectEngine } from '../lib/engines/index.ts'
import { failure, main } from '../lib/errors.ts'
import { describeMarker } from '../lib/initialize/marker.ts'
import { count, done, formatBytes, result, table, warn } from '../lib/log.ts'
import { looseSnapshots } from '../lib/snapshot/private.ts'
import { describeTables } from '../lib/stack.ts'

main(async () => {
  const { values } = parseFlags(process.argv.slice(2), { json: { type: 'boolean' } }, 'make check [ARGS="--json"]')
  const cfg = loadConfig()
  // a snapshot other accounts can read (an older version's, one copied in by hand): one line each
  for (const w of looseSnapshots(cfg)) warn(w)
  const r = await (await selectEngine(cfg)).check()
  if (values.json) {
    result(JSON.stringify({ ok: r.problems.length === 0, ...r }, null, 2))
  } else {
    const db = r.database
    const lines = [
      `runtime:   ${r.runtime}`,
      `server:    ${r.server.running ? 'up' : 'down'} (${r.server.detail})${r.server.version ? `, ${r.server.version}` : ''}`,
      `data:      ${r.data.where}${r.data.exists ? '' : ' (missing)'}${r.data.bytes !== null ? `, ${formatBytes(r.data.bytes)}` : ''}`,
      `database:  ${db.name}${db.exists === null ? ' (not checked: server down)' : db.exists ? `, ${describeTables(db.tables!)}, ${count(db.rows!, 'row')}` : ' (missing)'}`,
      `snapshot:  ${r.snapshot ? `${r.snapshot.name}, ${formatAge(r.snapshot.ageMs)} old (${r.snapshot.created})` : 'none'}`,
    ]
    if (r.marker) lines.push(`marker:    ${describeMarker(r.marker)}`)
    if (db.tables?.length) lines.push('', table(['table', 'type', 'rows'], db.tables.map((t) => [t.table, t.type, t.rows])))
    result(lines.join('\n'))
  }
  if (r.problems.length) {
    throw failure(`check failed: ${r.problems.map((p) => p.message).join('; ')}`, r.problems[0].hint)
  }
  done(`check passed: ${r.database.name} has ${describeTables(r.database.tables!)}, ${count(r.database.rows!, 'row')}`)
})
