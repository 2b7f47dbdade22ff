// migrate: apply the pending migrations in data/migrations (MIGRATIONS_DIR), oldest first, each
// recorded in schema_migrations; or run MIGRATE_COMMAND instead when it is set.
// usage: make migrate   needs: the server running (make up).
import { parseFlags } from '../lib/args.ts'
import { loadConfig } from '../lib/config.ts'
import { main } from '../lib/errors.ts'
import { done, formatSeconds, result, warn } from '../lib/log.ts'
import { selectEngine } from '../lib/engines/index.ts'
import { commandSummary, withLock } from '../lib/safety/lock.ts'

main(async () => {
  parseFlags(process.argv.slice(2), {}, 'make migrate')
  const cfg = loadConfig()
  const engine = await selectEngine(cfg)
  const rt = engine.runtime
  const t0 = Date.now()
  const r = await withLock(cfg, commandSummary(), () => engine.lifecycle().migrate())
  for (const m of r.missing) warn(`migration ${m} is applied but its file is missing from ${cfg.MIGRATIONS_DIR}`)
  if (r.delegated) { done(`MIGRATE_COMMAND finished in ${formatSeconds(Date.now() - t0)}`); return }
  if (r.applied.length === 0 && (r.adopted ?? []).length) { result(r.adopted!.join('\n')); done(`recorded ${r.adopted!.length} baseline as applied to ${rt.admin.database}`); return }
  if (r.applied.length === 0) { done(`database ${rt.admin.database} is up to date: no pending migration`); return }
  result(r.applied.join('\n'))
  done(`applied ${r.applied.length} migration${r.applied.length === 1 ? '' : 's'} to ${rt.admin.database} in ${formatSeconds(Date.now() - t0)}`)
})
