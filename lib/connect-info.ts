// How a person or another program reaches the database: host, port, socket, database, users, and
// where each password is configured (never the password itself). `make status` prints it.
import type { Config } from './config.ts'
import type { Runtime } from './runtime/index.ts'

export interface ConnectInfo {
  host: string
  port: number
  /** The local server's socket (root connects only through it; PostgreSQL: the socket folder, for the superuser); null elsewhere. */
  socket: string | null
  database: string
  /** Each account and where its password is set: a config key and its source, never the value. */
  users: { user: string; password: string }[]
}

/** Where a key's value comes from, as `make status` prints it: `POSTGRES_PASSWORD (in .env)`. */
export function whereSet(cfg: Config, key: keyof Config & string): string {
  const source = (cfg.sources as Record<string, string>)[key]
  const where = source === '.env' ? 'in .env' : source === 'environment' ? 'in the environment'
    : source === 'flag' ? 'on the command line' : 'the default: set it in .env'
  return `${key} (${where})`
}

/** MariaDB/MySQL's (the PostgreSQL engine's is pgConnectInfo, lib/engines/postgres/connect.ts); each engine's connectInfo() returns its own. */
export function connectInfo(cfg: Config, rt: Pick<Runtime, 'name' | 'admin'>): ConnectInfo {
  const a = rt.admin
  if (rt.name === 'external') {
    return { host: a.host ?? '127.0.0.1', port: a.port ?? 3306, socket: null, database: a.database,
      users: [{ user: a.user, password: `in ${whereSet(cfg, 'DATABASE_URL')}` }] }
  }
  const users = [{ user: 'root', password: whereSet(cfg, 'MYSQL_ROOT_PASSWORD') }]
  if (cfg.MYSQL_USER !== 'root') users.unshift({ user: cfg.MYSQL_USER, password: whereSet(cfg, 'MYSQL_PASSWORD') })
  return {
    host: rt.name === 'local' ? '127.0.0.1' : cfg.MYSQL_HOST,
    port: cfg.MYSQL_PORT,
    socket: a.socketPath ?? null,
    database: cfg.MYSQL_DATABASE,
    users,
  }
}

/** The two lines `make status` prints. */
export function connectLines(c: ConnectInfo): string[] {
  return [
    `connect:   host ${c.host}, port ${c.port}${c.socket ? `, socket ${c.socket}` : ''}, database ${c.database}`,
    `           ${c.users.map((u) => `user ${u.user}, password ${u.password}`).join('; ')}`,
  ]
}
