// data_copy: copy a snapshot under a new name (files hard-linked where possible, the manifest
// renamed, the copy checked whole before it appears under its name).
// usage: make data_copy ARGS="--name x --to y [--force]"   needs: nothing running.
import { parseFlags } from '../lib/args.ts'
import { loadConfig } from '../lib/config.ts'
import { main } from '../lib/errors.ts'
import { count, done, formatBytes, formatSeconds } from '../lib/log.ts'
import { commandSummary, withLock } from '../lib/safety/lock.ts'
import { copySnapshot } from '../lib/snapshot/copy.ts'

main(async () => {
  const { values } = parseFlags(process.argv.slice(2), { name: { type: 'string' }, to: { type: 'string' }, force: { type: 'boolean' } },
    'make data_copy ARGS="--name <snapshot> --to <new-name> [--force]" (--force replaces an existing <new-name>)')
  const cfg = loadConfig()
  await withLock(cfg, commandSummary(), async () => {
    const r = await copySnapshot(cfg, values.name, values.to, { force: values.force })
    done(`copied snapshot ${r.from} to ${r.to}${r.replaced ? ' (replacing the old one)' : ''}: ${count(r.files, 'file')}, ${formatBytes(r.bytes)}`
      + `${r.linked ? ` (${r.linked === r.files ? 'all' : r.linked} hard-linked)` : ''}, verified, in ${formatSeconds(r.ms)}`)
  })
})
