// postdeploy: after deploying, compare row counts with the latest predeploy snapshot. A table gone,
// or one that lost more than POSTDEPLOY_MAX_LOSS percent of its rows, exits 1 with the restore command.
// usage: make postdeploy   needs: the server running and a snapshot from make predeploy.
import { parseFlags } from '../lib/args.ts'
import { loadConfig } from '../lib/config.ts'
import { DIFF_HEADERS, diffRows, postdeployCompare, postdeployFailure } from '../lib/deploy-compare.ts'
import { main } from '../lib/errors.ts'
import { done, result, table, warn } from '../lib/log.ts'
import { selectEngine } from '../lib/engines/index.ts'

main(async () => {
  parseFlags(process.argv.slice(2), {}, 'make postdeploy')
  const cfg = loadConfig()
  const r = await postdeployCompare(cfg, await selectEngine(cfg))
  for (const s of r.skipped) warn(`passed over the damaged snapshot ${s}`)
  const rows = diffRows(r.diffs, r.maxLossPct)
  const same = r.diffs.filter((d) => d.change === 'same').length
  if (rows.length) result(table(DIFF_HEADERS, rows))
  const err = postdeployFailure(r)
  if (err) throw err
  done(`postdeploy: no table lost rows since ${r.snapshot} (${r.created}); ${same} unchanged, ${rows.length} changed`)
})
