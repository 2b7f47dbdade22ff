// PostgreSQL on the external runtime: DATABASE_URL=postgres://... of a server that already runs;
// datakeep only connects (nothing started, stopped or removed).
import type { Config } from '../../config.ts'
import type { Connection } from '../../db.ts'
import { UserError } from '../../errors.ts'
import { HOST } from '../../run.ts'
import type { DataLocation, Runtime, ServerState } from '../../runtime/types.ts'
import { withPg } from './db.ts'

export function parsePgUrl(url: string): Connection {
  const u = new URL(url)
  const database = decodeURIComponent(u.pathname.replace(/^\//, ''))
  if (!database) throw new UserError('DATABASE_URL names no database (postgres://user:password@host:port/database)')
  return { host: u.hostname || '127.0.0.1', port: u.port ? Number(u.port) : 5432, user: decodeURIComponent(u.username || 'postgres'), password: decodeURIComponent(u.password), database }
}

export class PgExternalRuntime implements Runtime {
  readonly name = 'external' as const
  readonly sharesFiles = false
  readonly serverFiles = null
  readonly target = HOST
  readonly admin: Connection
  constructor(cfg: Config) { this.admin = parsePgUrl(cfg.DATABASE_URL) }

  clientArgs(): string[] { return ['-h', this.admin.host!, '-p', String(this.admin.port), '-U', this.admin.user] }
  clientEnv(): Record<string, string> { return { PGPASSWORD: this.admin.password } }

  async state(): Promise<ServerState> {
    try { await withPg(this.admin, async () => undefined); return { running: true, detail: 'answers' } } catch (e) { return { running: false, detail: (e as Error).message } }
  }
  async data(): Promise<DataLocation> { return { where: `external server ${this.admin.host}:${this.admin.port}`, exists: true } }
  async start(): Promise<void> { await withPg(this.admin, async () => undefined) }
  async stop(): Promise<void> { /* not ours to stop */ }
  async createVolume(): Promise<boolean> { return refuse('create') }
  async removeVolume(): Promise<boolean> { return refuse('remove') }
}

function refuse(what: string): never {
  throw new UserError(`the external runtime has no volume to ${what}: datakeep does not manage that server's storage`, {
    hint: 'use DATAKEEP_RUNTIME=local for a stack datakeep runs',
  })
}
