// data_verify: check a snapshot's manifest and every file's hash; --deep also loads it into a
// scratch database and compares counts and checksums, then drops it.
// usage: make data_verify ARGS="--name x [--deep]"   needs: the server running for --deep.
import { parseFlags } from '../lib/args.ts'
import { loadConfig } from '../lib/config.ts'
import { failure, main } from '../lib/errors.ts'
import { done } from '../lib/log.ts'
import { selectEngine } from '../lib/engines/index.ts'
import { verifySnapshot } from '../lib/snapshot/catalog.ts'

main(async () => {
  const { values } = parseFlags(process.argv.slice(2), { name: { type: 'string' }, deep: { type: 'boolean' } }, 'make data_verify ARGS="--name <name> [--deep]"')
  const cfg = loadConfig()
  const problems = values.deep ? await (await selectEngine(cfg)).verifyDeep(values.name) : await verifySnapshot(cfg, null, values.name, false)
  if (problems.length) throw failure(`snapshot "${values.name}" failed verification: ${problems.join('; ')}`)
  done(`snapshot ${values.name} verified${values.deep ? ' (deep: loaded and compared)' : ''}`)
})
