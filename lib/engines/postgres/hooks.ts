// The *_COMMAND hooks on PostgreSQL (MIGRATE_COMMAND, SEED_COMMAND, REINDEX_COMMAND, INDEX_CHECK_COMMAND),
// run by lib/hooks.ts with the connection libpq and frameworks read: PGHOST, PGPORT, PGUSER,
// PGDATABASE, the password in PGPASSWORD (environment only, never argv), the POSTGRES_* names the
// official image uses, and DATAKEEP_DATABASE_URL (its password, too, only in the environment).
import type { Config } from '../../config.ts'
import { hookInService, runHook, type HookConnection, type HookKey } from '../../hooks.ts'
import type { Runtime } from '../../runtime/types.ts'
import { PG_SERVICE, pgComposeBase } from './docker.ts'
import { PG_SUPERUSER } from './local.ts'

/**
 * Who the hook connects as and where: inside the compose network the `postgres` service on 5432; on
 * the local runtime the application role (owner of the database) over TCP with its password, or,
 * when that role is the superuser (which has no password there), through the private socket; on
 * docker and external the runtime's own connection.
 */
export function pgHookConnection(cfg: Config, rt: Pick<Runtime, 'name' | 'admin'>): HookConnection {
  const a = rt.admin
  if (hookInService(cfg, rt.name)) return { host: PG_SERVICE, port: 5432, user: a.user, password: a.password, database: a.database }
  if (rt.name === 'local') {
    if (cfg.POSTGRES_USER === PG_SUPERUSER) return { host: a.host!, port: a.port!, user: PG_SUPERUSER, password: '', database: a.database }
    return { host: '127.0.0.1', port: cfg.POSTGRES_PORT, user: cfg.POSTGRES_USER, password: cfg.POSTGRES_PASSWORD, database: a.database }
  }
  return { host: a.host ?? '127.0.0.1', port: a.port ?? 5432, user: a.user, password: a.password, database: a.database }
}

export function pgHookEnv(c: HookConnection): Record<string, string> {
  const enc = encodeURIComponent
  const socket = c.host.startsWith('/')
  const auth = `${enc(c.user)}${c.password ? `:${enc(c.password)}` : ''}`
  return {
    // a socket folder goes in ?host= (libpq's spelling)
    DATAKEEP_DATABASE_URL: socket ? `postgresql://${auth}@/${enc(c.database)}?host=${enc(c.host)}&port=${c.port}` : `postgresql://${auth}@${c.host}:${c.port}/${enc(c.database)}`,
    PGHOST: c.host,
    PGPORT: String(c.port),
    PGUSER: c.user,
    PGDATABASE: c.database,
    ...(c.password ? { PGPASSWORD: c.password, POSTGRES_PASSWORD: c.password } : {}),
    POSTGRES_HOST: c.host,
    POSTGRES_PORT: String(c.port),
    POSTGRES_USER: c.user,
    POSTGRES_DB: c.database,
  }
}

/** A hook run with PostgreSQL's connection environment; null when `key` is not set. */
export async function runPgHook(cfg: Config, rt: Runtime, key: HookKey, opts: { nothrow?: boolean } = {}): Promise<{ code: number } | null> {
  const r = await runHook(cfg, rt, key, { ...opts, env: pgHookEnv(pgHookConnection(cfg, rt)), compose: pgComposeBase(cfg) })
  return r ? { code: r.code } : null
}
