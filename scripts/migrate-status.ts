// migrate_status: every migration with its state (applied at, or pending) and flags (changed:
// its file was edited after it ran; missing: applied here but no file).
// usage: make migrate_status [ARGS="--json"]   needs: the server running.
import { parseFlags } from '../lib/args.ts'
import { loadConfig } from '../lib/config.ts'
import { main } from '../lib/errors.ts'
import { info, result, table, warn } from '../lib/log.ts'
import { compareVersions } from '../lib/migrate/files.ts'
import { selectEngine } from '../lib/engines/index.ts'

main(async () => {
  const { values } = parseFlags(process.argv.slice(2), { json: { type: 'boolean' } }, 'make migrate_status [ARGS="--json"]')
  const cfg = loadConfig()
  const engine = await selectEngine(cfg)
  const rt = engine.runtime
  const s = await engine.lifecycle().migrationState()
  if (values.json) { result(JSON.stringify({ database: rt.admin.database, migrateCommand: cfg.MIGRATE_COMMAND || null, ...s }, null, 2)); return }
  if (cfg.MIGRATE_COMMAND) warn(`MIGRATE_COMMAND is set (${cfg.MIGRATE_COMMAND}): it runs the migrations and keeps its own record; below is only what ${cfg.MIGRATIONS_DIR} and schema_migrations hold`)
  // changed and missing name files (`<version>_<name>.sql`, or a bare version): match by version
  const versionOf = (base: string) => base.split('_')[0]
  const changed = new Set(s.changed.map(versionOf))
  const missing = new Set(s.missing.map(versionOf))
  const rows = [
    ...s.applied.map((a) => {
      const flags = [changed.has(a.version) && 'changed', missing.has(a.version) && 'missing'].filter(Boolean).join(',')
      return { version: a.version, row: [a.version, a.name, a.appliedAt?.replace('T', ' ').replace('Z', ' UTC') ?? 'applied (time unknown)', flags] }
    }),
    ...s.pending.map((p) => ({ version: p.version, row: [p.version, p.name, 'pending', ''] })),
  ].sort((a, b) => compareVersions(a.version, b.version))
  if (rows.length === 0) { info(`no migrations in ${cfg.MIGRATIONS_DIR}; create one with: make migration NAME=<name>`); return }
  result(table(['version', 'name', 'applied', 'flags'], rows.map((r) => r.row)))
  info(`${rt.admin.database}: ${s.applied.length} applied, ${s.pending.length} pending, ${s.changed.length} changed, ${s.missing.length} missing`)
})
