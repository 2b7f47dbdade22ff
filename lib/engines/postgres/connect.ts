// How a person or a program reaches PostgreSQL (make status): host, port, the socket folder, the
// database and each role with the config key its password is set in, never the password.
import type { Config } from '../../config.ts'
import { whereSet, type ConnectInfo } from '../../connect-info.ts'
import type { Runtime } from '../../runtime/types.ts'
import { PG_SUPERUSER } from './local.ts'

export function pgConnectInfo(cfg: Config, rt: Pick<Runtime, 'name' | 'admin'>): ConnectInfo {
  const a = rt.admin
  if (rt.name === 'external') {
    return { host: a.host ?? '127.0.0.1', port: a.port ?? 5432, socket: null, database: a.database,
      users: [{ user: a.user, password: `in ${whereSet(cfg, 'DATABASE_URL')}` }] }
  }
  const app = { user: cfg.POSTGRES_USER, password: whereSet(cfg, 'POSTGRES_PASSWORD') }
  // local: the cluster's superuser has no password; the private socket folder (owner-only) trusts it
  const local = rt.name === 'local'
  return {
    host: '127.0.0.1', port: cfg.POSTGRES_PORT, socket: local ? a.host ?? null : null, database: cfg.POSTGRES_DB,
    users: local && cfg.POSTGRES_USER !== PG_SUPERUSER ? [app, { user: PG_SUPERUSER, password: 'none (through the socket only)' }] : [app],
  }
}
