// The docker runtime: `docker compose` with the repo's docker-compose.yml; the database lives in
// an external named volume the tool creates and labels, so `down` never touches it.
// No Docker engine runs on the test machines: the argv builders below are tested as data.
import path from 'node:path'
import type { Config } from '../config.ts'
import type { Connection } from '../db.ts'
import { UserError } from '../errors.ts'
import { HOST, run, type Target } from '../run.ts'
import { composeServerFiles, type ServerFiles } from './server-files.ts'
import type { DataLocation, Runtime, ServerState } from './types.ts'

export const VOLUME_LABEL = 'com.datakeep.managed=true'
/** Where the MariaDB and MySQL images keep the data (the volume's mount point), and the server's user there. */
export const CONTAINER_DATA_DIR = '/var/lib/mysql'
export const CONTAINER_SERVER_USER = 'mysql'

/** `docker compose` with this project's file, project name and profiles. */
export function composeBase(cfg: Config): string[] {
  return ['docker', 'compose', '--project-directory', cfg.projectDir,
    '-f', path.join(cfg.projectDir, 'docker-compose.yml'), '-p', cfg.COMPOSE_PROJECT_NAME,
    ...(cfg.SEARCH_ENABLED ? ['--profile', 'search'] : [])]
}

/**
 * The variables docker-compose.yml interpolates. They travel in the environment of the compose
 * process, never on its command line (passwords among them).
 */
export function composeEnv(cfg: Config): Record<string, string> {
  return {
    COMPOSE_PROJECT_NAME: cfg.COMPOSE_PROJECT_NAME,
    MYSQL_IMAGE: cfg.MYSQL_IMAGE,
    MYSQL_VOLUME: cfg.MYSQL_VOLUME,
    MYSQL_PORT: String(cfg.MYSQL_PORT),
    MYSQL_DATABASE: cfg.MYSQL_DATABASE,
    MYSQL_USER: cfg.MYSQL_USER,
    MYSQL_PASSWORD: cfg.MYSQL_PASSWORD,
    MYSQL_ROOT_PASSWORD: cfg.MYSQL_ROOT_PASSWORD,
    POSTGRES_IMAGE: cfg.POSTGRES_IMAGE,
    POSTGRES_VOLUME: cfg.POSTGRES_VOLUME,
    POSTGRES_PORT: String(cfg.POSTGRES_PORT),
    POSTGRES_DB: cfg.POSTGRES_DB,
    POSTGRES_USER: cfg.POSTGRES_USER,
    POSTGRES_PASSWORD: cfg.POSTGRES_PASSWORD,
    BINLOG_EXPIRE_DAYS: String(cfg.BINLOG_EXPIRE_DAYS),
    ELASTICSEARCH_IMAGE: cfg.ELASTICSEARCH_IMAGE,
    ELASTICSEARCH_PORT: String(cfg.ELASTICSEARCH_PORT),
    // compose reads a bind source without ./ as a volume name
    INITDB_DIR: bindSource(cfg.INITDB_DIR),
    POSTGRES_INITDB_DIR: bindSource(cfg.POSTGRES_INITDB_DIR),
  }
}

function bindSource(dir: string): string {
  return path.isAbsolute(dir) || dir.startsWith('.') ? dir : `./${dir}`
}

export const dockerArgv = {
  info: () => ['docker', 'info', '--format', '{{.ServerVersion}}'],
  volumeInspect: (cfg: Config) => ['docker', 'volume', 'inspect', '--format', '{{.Mountpoint}}', cfg.MYSQL_VOLUME],
  volumeCreate: (cfg: Config) => ['docker', 'volume', 'create', '--label', VOLUME_LABEL,
    '--label', `com.datakeep.project=${cfg.COMPOSE_PROJECT_NAME}`, cfg.MYSQL_VOLUME],
  volumeRemove: (cfg: Config) => ['docker', 'volume', 'rm', cfg.MYSQL_VOLUME],
  up: (cfg: Config) => [...composeBase(cfg), 'up', '-d', '--wait'],
  // Never `down -v`: the data volume outlives the containers (seed 000, seed 004).
  down: (cfg: Config) => [...composeBase(cfg), 'down'],
  ps: (cfg: Config) => [...composeBase(cfg), 'ps', '--format', 'json', cfg.MYSQL_SERVICE],
}

export class DockerRuntime implements Runtime {
  readonly name = 'docker' as const
  readonly sharesFiles = false // the server sees the container's files, not these
  readonly target: Target & { kind: 'compose' }
  readonly serverFiles: ServerFiles
  constructor(private readonly cfg: Config) {
    // compose interpolates docker-compose.yml on every exec too: its variables go with the target
    this.target = { kind: 'compose', compose: composeBase(cfg), service: cfg.MYSQL_SERVICE, env: composeEnv(cfg) }
    this.serverFiles = composeServerFiles(this.target, CONTAINER_DATA_DIR, CONTAINER_SERVER_USER)
  }

  get admin(): Connection {
    return { host: this.cfg.MYSQL_HOST, port: this.cfg.MYSQL_PORT, user: 'root', password: this.cfg.MYSQL_ROOT_PASSWORD, database: this.cfg.MYSQL_DATABASE }
  }

  // Inside the container the client reaches the server over its default socket.
  clientArgs(): string[] { return ['--user=root', '--default-character-set=utf8mb4'] }
  clientEnv(): Record<string, string> { return { MYSQL_PWD: this.cfg.MYSQL_ROOT_PASSWORD } }

  private compose(argv: string[], nothrow = false) {
    return run(HOST, argv, { env: composeEnv(this.cfg), nothrow })
  }

  async state(): Promise<ServerState> {
    const r = await this.compose(dockerArgv.ps(this.cfg), true)
    if (r.code !== 0) return { running: false, detail: r.stderr.trim().split('\n').pop() ?? 'docker compose ps failed' }
    const rows = parseComposePs(r.stdout)
    const row = rows.find((x) => x.Service === this.cfg.MYSQL_SERVICE)
    if (!row) return { running: false, detail: 'no container' }
    return { running: row.State === 'running', detail: `container ${row.Name} ${row.Status ?? row.State}` }
  }

  async data(): Promise<DataLocation> {
    const r = await run(HOST, dockerArgv.volumeInspect(this.cfg), { nothrow: true })
    return { where: `docker volume ${this.cfg.MYSQL_VOLUME}`, exists: r.code === 0 }
  }

  async createVolume(): Promise<boolean> {
    if ((await this.data()).exists) return false
    await run(HOST, dockerArgv.volumeCreate(this.cfg))
    return true
  }

  async start(): Promise<void> {
    await this.createVolume()
    await this.compose(dockerArgv.up(this.cfg))
  }

  async stop(): Promise<void> {
    await this.compose(dockerArgv.down(this.cfg))
  }

  async removeVolume(): Promise<boolean> {
    if ((await this.state()).running) {
      throw new UserError(`the ${this.cfg.MYSQL_SERVICE} container is running; its volume cannot be removed`, { hint: 'run make down first' })
    }
    if (!(await this.data()).exists) return false
    await run(HOST, dockerArgv.volumeRemove(this.cfg))
    return true
  }
}

/** `docker compose ps --format json` prints one object per line (v2.21+) or one array (older). */
export function parseComposePs(out: string): { Name: string; Service: string; State: string; Status?: string }[] {
  const text = out.trim()
  if (!text) return []
  if (text.startsWith('[')) return JSON.parse(text)
  return text.split('\n').filter(Boolean).map((l) => JSON.parse(l))
}

/** auto: docker when an engine answers within a few seconds. */
export async function dockerEngineAnswers(): Promise<boolean> {
  try {
    const r = await run(HOST, dockerArgv.info(), { nothrow: true, timeoutMs: 4000 })
    return r.code === 0 && r.stdout.trim() !== ''
  } catch { return false }
}
