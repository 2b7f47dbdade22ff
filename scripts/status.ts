// status: runtime, server up or down and its version, where the data lives and its size, how to
// connect (never a password: where it is set), the database's tables with row counts.
// usage: make status [ARGS="--json"]   needs: nothing (reports a stopped server as down).
import { parseFlags } from '../lib/args.ts'
import { selectEngine } from '../lib/engines/index.ts'
import { loadConfig } from '../lib/config.ts'
import { connectLines } from '../lib/connect-info.ts'
import { main } from '../lib/errors.ts'
import { formatBytes, result, table } from '../lib/log.ts'
import { describeTables } from '../lib/stack.ts'

main(async () => {
  const { values } = parseFlags(process.argv.slice(2), { json: { type: 'boolean' } }, 'make status [ARGS="--json"]')
  const cfg = loadConfig()
  const engine = await selectEngine(cfg)
  const s = { ...await engine.status(), connect: engine.connectInfo() }
  if (values.json) { result(JSON.stringify(s, null, 2)); return }
  const lines = [
    `runtime:   ${s.runtime}`,
    `server:    ${s.server.running ? 'up' : 'down'} (${s.server.detail})${s.server.version ? `, ${s.server.version}` : ''}`,
    `data:      ${s.data.where}${s.data.exists ? '' : ' (missing)'}${s.data.bytes !== null ? `, ${formatBytes(s.data.bytes)}` : ''}`,
    ...connectLines(s.connect),
    `database:  ${s.database.name}${!s.server.running ? ' (server down)' : s.database.exists ? `, ${describeTables(s.database.tables ?? [])}` : ' (missing)'}`,
  ]
  if (s.database.tables?.length) {
    lines.push('', table(['table', 'type', 'rows'], s.database.tables.map((t) => [t.table, t.type, t.rows])))
  }
  result(lines.join('\n'))
})
