// rollback: run the down sections of the newest applied migrations, newest first (default 1),
// after a safety snapshot; a migration without a down section refuses.
// usage: make rollback [ARGS="--steps N [--confirm=<database>] [--no-safety]"]   needs: the server running.
import { parseFlags } from '../lib/args.ts'
import { loadConfig } from '../lib/config.ts'
import { UserError, main } from '../lib/errors.ts'
import { done, formatSeconds, result } from '../lib/log.ts'
import { selectEngine } from '../lib/engines/index.ts'
import { afterDestructive } from '../lib/safety/destructive.ts'
import { commandSummary, withLock } from '../lib/safety/lock.ts'

const USAGE = 'make rollback [ARGS="--steps N [--confirm=<database>] [--no-safety]"]'

main(async () => {
  const { values } = parseFlags(process.argv.slice(2), {
    steps: { type: 'string' }, confirm: { type: 'string' }, 'no-safety': { type: 'boolean' },
  }, USAGE)
  const raw = values.steps ?? '1'
  if (!/^\d+$/.test(raw) || Number(raw) < 1) throw new UserError(`--steps ${JSON.stringify(raw)} is not a whole number of at least 1`, { hint: `usage: ${USAGE}` })
  const cfg = loadConfig()
  const engine = await selectEngine(cfg)
  const t0 = Date.now()
  const r = await withLock(cfg, commandSummary(), () => engine.lifecycle().rollback(Number(raw), {
    beforeRun: async () => {
      await engine.protect({ op: { name: 'rollback', kind: 'replace' }, confirm: values.confirm, noSafety: values['no-safety'] })
    },
  }))
  afterDestructive(cfg)
  result(r.rolledBack.join('\n'))
  done(`rolled back ${r.rolledBack.length} migration${r.rolledBack.length === 1 ? '' : 's'} in ${engine.runtime.admin.database} in ${formatSeconds(Date.now() - t0)}`)
})
