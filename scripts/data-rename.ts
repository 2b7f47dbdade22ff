// data_rename: give a snapshot a new name (a checked copy under the new name, then the old name
// removed: at every moment one complete snapshot exists). _init and safety snapshots keep theirs.
// usage: make data_rename ARGS="--name x --to y [--force]"   needs: nothing running.
import { parseFlags } from '../lib/args.ts'
import { loadConfig } from '../lib/config.ts'
import { main } from '../lib/errors.ts'
import { count, done, formatSeconds } from '../lib/log.ts'
import { commandSummary, withLock } from '../lib/safety/lock.ts'
import { renameSnapshot } from '../lib/snapshot/copy.ts'

main(async () => {
  const { values } = parseFlags(process.argv.slice(2), { name: { type: 'string' }, to: { type: 'string' }, force: { type: 'boolean' } },
    'make data_rename ARGS="--name <snapshot> --to <new-name> [--force]" (--force replaces an existing <new-name>)')
  const cfg = loadConfig()
  await withLock(cfg, commandSummary(), async () => {
    const r = await renameSnapshot(cfg, values.name, values.to, { force: values.force })
    done(`renamed snapshot ${r.from} to ${r.to}${r.replaced ? ' (replacing the old one)' : ''}: ${count(r.files, 'file')}, verified, in ${formatSeconds(r.ms)}`)
  })
})
