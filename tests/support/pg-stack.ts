// A private PostgreSQL cluster for tests, started through the local runtime's own code in a temp
// project folder on a free port (DB_ENGINE=postgres); never the machine's own cluster.
import fs from 'node:fs'
import { loadConfig, type Config } from '../../lib/config.ts'
import { withPg, type PgClient } from '../../lib/engines/postgres/db.ts'
import { postgresEngine } from '../../lib/engines/postgres/index.ts'
import type { Engine } from '../../lib/engines/types.ts'
import { freePort, tempDir, watchServers } from './stack.ts'

export interface PgTestStack {
  dir: string
  env: Record<string, string>
  cfg: Config
  engine: Engine
  /** Runs `fn` as the cluster's superuser on `database` (default the application's). */
  pg<T>(fn: (c: PgClient) => Promise<T>, database?: string | null): Promise<T>
  stop(): Promise<void>
  destroy(): Promise<void>
}

export async function makePgStack(opts: { start?: boolean; env?: Record<string, string> } = {}): Promise<PgTestStack> {
  const dir = tempDir('datakeep-pg-test-')
  // as root the server runs as the postgres account, which must reach the data directory
  fs.chmodSync(dir, 0o755)
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? dir,
    DATAKEEP_RUNTIME: 'local',
    DB_ENGINE: 'postgres',
    POSTGRES_PORT: String(await freePort()),
    CI: 'true',
    ...opts.env,
  }
  const cfg = loadConfig({ env, projectDir: dir })
  const engine = await postgresEngine(cfg)
  const rt = engine.runtime
  const stack: PgTestStack = {
    dir, env, cfg, engine,
    pg: (fn, database) => withPg(rt.admin, fn, { database: database === undefined ? cfg.POSTGRES_DB : database }),
    stop: () => rt.stop(),
    destroy: async () => { await rt.stop(); fs.rmSync(dir, { recursive: true, force: true }) },
  }
  watchServers(dir) // the cluster never outlives its suite, however the test process ends
  if (opts.start !== false) await rt.start()
  return stack
}
