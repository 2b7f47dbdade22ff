// Environment guards: in staging and production a destructive operation goes ahead only when the
// user names the database it destroys (ARGS="--confirm=<database>"); in production, the ones that
// wipe everything (INIT_CLEAN, seed_data, volume removal) also need
// ALLOW_DESTRUCTIVE_IN_PRODUCTION=true set in the environment itself, never from a committed .env.
import type { Config } from '../config.ts'
import { UserError } from '../errors.ts'
import { parseDatabaseUrl } from '../runtime/external.ts'

export interface DestructiveOp {
  /** What is refused, as the user knows it: a make target or a setting (data_load, INIT_CLEAN). */
  name: string
  /** replace: swaps the data for other data (a load); reset: wipes it (clean, seed, volume removal). */
  kind: 'replace' | 'reset'
  /** The command the user ran, without --confirm (default `make <name>`); the hint repeats it. */
  command?: string
}

type GuardConfig = Pick<Config, 'APP_ENV' | 'ALLOW_DESTRUCTIVE_IN_PRODUCTION' | 'DATAKEEP_RUNTIME' | 'DATABASE_URL' | 'MYSQL_DATABASE'>
  & { readonly sources: Pick<Config['sources'], 'ALLOW_DESTRUCTIVE_IN_PRODUCTION'> }

/** The application database, as the runtime will name it (the external one's is in DATABASE_URL). */
export function guardedDatabase(cfg: GuardConfig): string {
  return cfg.DATAKEEP_RUNTIME === 'external' && cfg.DATABASE_URL ? parseDatabaseUrl(cfg.DATABASE_URL).database : cfg.MYSQL_DATABASE
}

/** `command` with --confirm=<db> added to its ARGS (or an ARGS added). */
export function withConfirm(command: string, database: string): string {
  const flag = `--confirm=${database}`
  const m = /\bARGS="([^"]*)"/.exec(command)
  if (!m) return `${command} ARGS="${flag}"`
  const args = m[1].split(/\s+/).filter((a) => a && !a.startsWith('--confirm')).concat(flag).join(' ')
  return command.slice(0, m.index) + `ARGS="${args}"` + command.slice(m.index + m[0].length)
}

/**
 * Throws (exit 2) unless `op` may run here. Pure: the decision depends only on the config and
 * `confirm`; callers run it before they change anything.
 */
export function guardDestructive(cfg: GuardConfig, op: DestructiveOp, confirm: string | undefined, database?: string): void {
  const env = cfg.APP_ENV
  if (env === 'development') return
  // the engine's database (its runtime's connection) where the caller knows it; else MariaDB's config
  const db = database ?? guardedDatabase(cfg)
  const command = op.command ?? `make ${op.name}`
  const what = `refusing ${op.name} on ${env} database "${db}"`
  if (env === 'production' && op.kind === 'reset') {
    const allowed = cfg.ALLOW_DESTRUCTIVE_IN_PRODUCTION && cfg.sources.ALLOW_DESTRUCTIVE_IN_PRODUCTION === 'environment'
    if (!allowed) {
      throw new UserError(`${what}: it wipes the data, which production allows only with ALLOW_DESTRUCTIVE_IN_PRODUCTION=true in the environment (not .env)`, {
        hint: `take a snapshot first (make data_dump), then if you really mean it: ALLOW_DESTRUCTIVE_IN_PRODUCTION=true ${withConfirm(command, db)}`,
      })
    }
  }
  if (confirm === db) return
  const wrong = confirm === undefined ? '' : ` (--confirm=${confirm} names another database)`
  throw new UserError(`${what}${wrong}`, { hint: `to go ahead, name the database: ${withConfirm(command, db)}` })
}
