// The external runtime: a server that already runs (staging); datakeep only connects.
import type { Config } from '../config.ts'
import type { Connection } from '../db.ts'
import { withDb } from '../db.ts'
import { UserError } from '../errors.ts'
import { HOST } from '../run.ts'
import type { DataLocation, Runtime, ServerState } from './types.ts'

export function parseDatabaseUrl(url: string): Connection {
  const u = new URL(url)
  const database = decodeURIComponent(u.pathname.replace(/^\//, ''))
  if (!database) throw new UserError('DATABASE_URL names no database (mysql://user:password@host:port/database)')
  return {
    host: u.hostname || '127.0.0.1',
    port: u.port ? Number(u.port) : 3306,
    user: decodeURIComponent(u.username || 'root'),
    password: decodeURIComponent(u.password),
    database,
  }
}

export class ExternalRuntime implements Runtime {
  readonly name = 'external' as const
  readonly sharesFiles = false // the server may be on another machine
  readonly serverFiles = null
  readonly target = HOST
  readonly admin: Connection
  constructor(cfg: Config) { this.admin = parseDatabaseUrl(cfg.DATABASE_URL) }

  clientArgs(): string[] {
    return ['--protocol=tcp', `--host=${this.admin.host}`, `--port=${this.admin.port}`, `--user=${this.admin.user}`, '--default-character-set=utf8mb4']
  }
  clientEnv(): Record<string, string> { return { MYSQL_PWD: this.admin.password } }

  async state(): Promise<ServerState> {
    try {
      await withDb(this.admin, async () => undefined, { database: null })
      return { running: true, detail: 'answers' }
    } catch (e) {
      return { running: false, detail: (e as Error).message }
    }
  }

  async data(): Promise<DataLocation> {
    return { where: `external server ${this.admin.host}:${this.admin.port}`, exists: true }
  }

  /** Nothing to start: checks the server answers. */
  async start(): Promise<void> {
    await withDb(this.admin, async () => undefined, { database: null })
  }

  async stop(): Promise<void> { /* not ours to stop */ }

  async createVolume(): Promise<boolean> { return refuse('create') }
  async removeVolume(): Promise<boolean> { return refuse('remove') }
}

function refuse(what: string): never {
  throw new UserError(`the external runtime has no volume to ${what}: datakeep does not manage that server's storage`, {
    hint: 'use DATAKEEP_RUNTIME=docker or local for a stack datakeep runs',
  })
}
