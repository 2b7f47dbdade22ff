// The project's own commands (MIGRATE_COMMAND, SEED_COMMAND, REINDEX_COMMAND, INDEX_CHECK_COMMAND),
// run with `sh -c` on the host or, on the docker runtime with HOOK_SERVICE set, inside that compose
// service. They get the database connection as environment, the password only there (the names
// of the engine's own clients: MYSQL_* here, PG* for PostgreSQL in lib/engines/postgres/hooks.ts).
import type { Config } from './config.ts'
import { UserError, failure } from './errors.ts'
import { info, step } from './log.ts'
import { HOST, run, type RunResult, type Target } from './run.ts'
import { composeBase, composeEnv } from './runtime/docker.ts'
import type { Runtime } from './runtime/index.ts'

export type HookKey = 'MIGRATE_COMMAND' | 'SEED_COMMAND' | 'REINDEX_COMMAND' | 'INDEX_CHECK_COMMAND'

export interface HookConnection { host: string; port: number; user: string; password: string; database: string; socket?: string }

/** True when hooks run inside a compose service rather than on the host. */
export function hookInService(cfg: Config, runtimeName: string): boolean {
  return runtimeName === 'docker' && cfg.HOOK_SERVICE !== ''
}

/** `compose`: the engine's compose argv (PostgreSQL's adds its profile, so a service that depends on it loads). */
export function hookTarget(cfg: Config, runtimeName: string, compose: string[] = composeBase(cfg)): Target {
  return hookInService(cfg, runtimeName) ? { kind: 'compose', compose, service: cfg.HOOK_SERVICE } : HOST
}

/**
 * How the hook reaches the database: inside the compose network the server is its service on 3306;
 * on the host, the runtime's address. The local server's root account exists for localhost only,
 * so there the hook gets the socket (host `localhost`, MYSQL_UNIX_PORT, `?socket=` in the URL, as
 * Rails and dbmate spell it).
 */
export function hookConnection(cfg: Config, rt: Pick<Runtime, 'name' | 'admin'>): HookConnection {
  const a = rt.admin
  const base = { user: a.user, password: a.password, database: a.database }
  if (hookInService(cfg, rt.name)) return { ...base, host: cfg.MYSQL_SERVICE, port: 3306 }
  if (a.socketPath) return { ...base, host: 'localhost', port: cfg.MYSQL_PORT, socket: a.socketPath }
  return { ...base, host: a.host ?? '127.0.0.1', port: a.port ?? 3306 }
}

/**
 * DATAKEEP_DATABASE_URL plus the MYSQL_* names frameworks and the mariadb/mysql clients read
 * (MYSQL_PWD, MYSQL_HOST, MYSQL_TCP_PORT, MYSQL_UNIX_PORT are the clients' own).
 */
export function hookEnv(c: HookConnection): Record<string, string> {
  const enc = encodeURIComponent
  return {
    DATAKEEP_DATABASE_URL: `mysql://${enc(c.user)}:${enc(c.password)}@${c.host}:${c.port}/${enc(c.database)}${c.socket ? `?socket=${enc(c.socket)}` : ''}`,
    MYSQL_HOST: c.host,
    MYSQL_PORT: String(c.port),
    MYSQL_TCP_PORT: String(c.port),
    MYSQL_USER: c.user,
    MYSQL_PASSWORD: c.password,
    MYSQL_PWD: c.password,
    MYSQL_DATABASE: c.database,
    ...(c.socket ? { MYSQL_UNIX_PORT: c.socket } : {}),
  }
}

/**
 * Runs the command configured under `key`; null when it is empty. A non-zero exit throws (naming
 * the key) unless `nothrow`, where the exit code is the answer (INDEX_CHECK_COMMAND). The command's
 * output is echoed to stderr unless `quiet` (default: quiet when nothrow). `env` and `compose`: the
 * engine's connection environment and compose argv (default MariaDB/MySQL's, hookEnv above;
 * PostgreSQL's are in lib/engines/postgres/hooks.ts).
 */
export async function runHook(cfg: Config, rt: Runtime, key: HookKey,
  opts: { nothrow?: boolean; quiet?: boolean; env?: Record<string, string>; compose?: string[] } = {}): Promise<RunResult | null> {
  const cmd = cfg[key]
  if (!cmd) return null
  const target = hookTarget(cfg, rt.name, opts.compose)
  const inService = target.kind === 'compose'
  const quiet = opts.quiet ?? !!opts.nothrow
  if (!quiet) step(`${key}${inService ? ` (in service ${cfg.HOOK_SERVICE})` : ''}: ${cmd}`)
  // docker compose needs its file's variables to parse it; the hook's own values win where names meet
  const env = { ...(inService ? composeEnv(cfg) : {}), ...(opts.env ?? hookEnv(hookConnection(cfg, rt))) }
  const r = await run(target, ['sh', '-c', cmd], { env, nothrow: true, cwd: inService ? undefined : cfg.projectDir })
    .catch((e) => {
      // run() reads exit 127 + "not found" as sh itself missing; here it is the command's own word
      if (e instanceof UserError && /^sh is not installed/.test(e.message)) return { code: 127, stdout: '', stderr: `command not found in: ${cmd}` }
      throw e
    })
  if (!quiet) {
    const out = (r.stdout + r.stderr).trimEnd()
    if (out) info(out.split('\n').map((l) => `  ${l}`).join('\n'))
  }
  if (r.code !== 0 && !opts.nothrow) {
    const tail = r.stderr.trim().split('\n').filter(Boolean).slice(-3).join(' | ')
    throw failure(`${key} failed (exit ${r.code})${tail ? `: ${tail}` : ''}`, `to fix: run it yourself to see why: ${cmd}`)
  }
  return r
}
