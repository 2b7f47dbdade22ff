// undo: restore the state before the last destructive operation (the undo journal's record), taking a
// safety snapshot of the current state first, so undo can be undone.
// usage: make undo [ARGS="--confirm=<db>"]
// needs: the server running.
import { parseFlags } from '../lib/args.ts'
import { loadConfig } from '../lib/config.ts'
import { main } from '../lib/errors.ts'
import { done, formatSeconds } from '../lib/log.ts'
import { selectEngine } from '../lib/engines/index.ts'
import { guardDestructive } from '../lib/safety/guard.ts'
import { commandSummary, withLock } from '../lib/safety/lock.ts'
import { afterDestructive } from '../lib/safety/destructive.ts'
import { undo } from '../lib/safety/undo.ts'

main(async () => {
  const { values } = parseFlags(process.argv.slice(2), { confirm: { type: 'string' } }, 'make undo [ARGS="--confirm=<database>"]')
  const cfg = loadConfig()
  const engine = await selectEngine(cfg)
  const rt = engine.runtime
  guardDestructive(cfg, { name: 'undo', kind: 'replace', command: commandSummary() }, values.confirm, rt.admin.database)
  await withLock(cfg, commandSummary(), async () => {
    const r = await undo(cfg, engine)
    await engine.afterLoad()
    afterDestructive(cfg)
    done(`undid ${r.undone.operation}: restored ${r.restored} into ${rt.admin.database} (${r.load.tables} tables, ${r.load.rows} rows, ${formatSeconds(r.load.ms)})`
      + (r.kept ? `; the state before the undo is in ${r.kept} (make undo again to return to it)` : ''))
  })
})
