// data_verify: check a snapshot's manifest and every file's hash; --deep also loads it into a
// scratch database and compares counts and checksums, then drops it.
// usage: make data_verify ARGS="--name x [--deep]"   needs: the server running for --deep (and for a
// PostgreSQL safety snapshot held in the server, whose database copy it checks).
import { parseFlags } from '../lib/args.ts'
import { loadConfig } from '../lib/config.ts'
import { failure, main } from '../lib/errors.ts'
import { done } from '../lib/log.ts'
import { selectEngine } from '../lib/engines/index.ts'
import { verifySnapshot } from '../lib/snapshot/catalog.ts'
import { requireSnapshot } from '../lib/snapshot/names.ts'
import { readManifest } from '../lib/snapshot/manifest.ts'

main(async () => {
  const { values } = parseFlags(process.argv.slice(2), { name: { type: 'string' }, deep: { type: 'boolean' } }, 'make data_verify ARGS="--name <name> [--deep]"')
  const cfg = loadConfig()
  const problems = values.deep ? await (await selectEngine(cfg)).verifyDeep(values.name) : await verifySnapshot(cfg, null, values.name, false)
  if (problems.length) throw failure(`snapshot "${values.name}" failed verification: ${problems.join('; ')}`)
  // a safety snapshot held in the server (PostgreSQL) is its database copy: that must still be there
  const held = !values.deep && readManifest(requireSnapshot(cfg, values.name, 'data_verify')).kind === 'database'
  if (held) await (await selectEngine(cfg)).checkSnapshot(values.name, 'data_verify')
  done(`snapshot ${values.name} verified${values.deep ? ' (deep: loaded and compared)' : held ? ' (its files, and its database copy is in the server)' : ''}`)
})
