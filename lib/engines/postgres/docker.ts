// PostgreSQL on the docker runtime: the `postgres` service of docker-compose.yml (official image,
// behind the "postgres" profile so a MariaDB stack never starts it), its data in the external named
// volume POSTGRES_VOLUME, created by make up and never removed by make down. The client tools run
// inside the container (the server's own version); rows travel over the published port.
// No Docker engine runs on the test machines: the argv below is tested as data.
import type { Config } from '../../config.ts'
import type { Connection } from '../../db.ts'
import { UserError } from '../../errors.ts'
import { HOST, run, type Target } from '../../run.ts'
import { composeBase, composeEnv, parseComposePs, VOLUME_LABEL } from '../../runtime/docker.ts'
import type { DataLocation, Runtime, ServerState } from '../../runtime/types.ts'

export const PG_SERVICE = 'postgres'

export function pgComposeBase(cfg: Config): string[] {
  return [...composeBase(cfg), '--profile', PG_SERVICE]
}

export const pgDockerArgv = {
  volumeInspect: (cfg: Config) => ['docker', 'volume', 'inspect', '--format', '{{.Mountpoint}}', cfg.POSTGRES_VOLUME],
  volumeCreate: (cfg: Config) => ['docker', 'volume', 'create', '--label', VOLUME_LABEL, '--label', `com.datakeep.project=${cfg.COMPOSE_PROJECT_NAME}`, cfg.POSTGRES_VOLUME],
  volumeRemove: (cfg: Config) => ['docker', 'volume', 'rm', cfg.POSTGRES_VOLUME],
  up: (cfg: Config) => [...pgComposeBase(cfg), 'up', '-d', '--wait', PG_SERVICE],
  // Never `down -v`: the data volume outlives the containers.
  down: (cfg: Config) => [...pgComposeBase(cfg), 'down'],
  ps: (cfg: Config) => [...pgComposeBase(cfg), 'ps', '--format', 'json', PG_SERVICE],
}

export class PgDockerRuntime implements Runtime {
  readonly name = 'docker' as const
  readonly sharesFiles = false
  readonly serverFiles = null
  readonly target: Target & { kind: 'compose' }
  constructor(private readonly cfg: Config) {
    this.target = { kind: 'compose', compose: pgComposeBase(cfg), service: PG_SERVICE, env: composeEnv(cfg) }
  }

  /** The image makes POSTGRES_USER the superuser: datakeep works as that role over the published port. */
  get admin(): Connection {
    return { host: '127.0.0.1', port: this.cfg.POSTGRES_PORT, user: this.cfg.POSTGRES_USER, password: this.cfg.POSTGRES_PASSWORD, database: this.cfg.POSTGRES_DB }
  }
  // inside the container the tools reach the server over its socket
  clientArgs(): string[] { return ['-U', this.cfg.POSTGRES_USER] }
  clientEnv(): Record<string, string> { return { PGPASSWORD: this.cfg.POSTGRES_PASSWORD } }

  private compose(argv: string[], nothrow = false) { return run(HOST, argv, { env: composeEnv(this.cfg), nothrow }) }

  async state(): Promise<ServerState> {
    const r = await this.compose(pgDockerArgv.ps(this.cfg), true)
    if (r.code !== 0) return { running: false, detail: r.stderr.trim().split('\n').pop() ?? 'docker compose ps failed' }
    const row = parseComposePs(r.stdout).find((x) => x.Service === PG_SERVICE)
    if (!row) return { running: false, detail: 'no container' }
    return { running: row.State === 'running', detail: `container ${row.Name} ${row.Status ?? row.State}` }
  }
  async data(): Promise<DataLocation> {
    const r = await run(HOST, pgDockerArgv.volumeInspect(this.cfg), { nothrow: true })
    return { where: `docker volume ${this.cfg.POSTGRES_VOLUME}`, exists: r.code === 0 }
  }
  async createVolume(): Promise<boolean> {
    if ((await this.data()).exists) return false
    await run(HOST, pgDockerArgv.volumeCreate(this.cfg))
    return true
  }
  async start(): Promise<void> {
    await this.createVolume()
    await this.compose(pgDockerArgv.up(this.cfg))
  }
  async stop(): Promise<void> { await this.compose(pgDockerArgv.down(this.cfg)) }
  async removeVolume(): Promise<boolean> {
    if ((await this.state()).running) throw new UserError(`the ${PG_SERVICE} container is running; its volume cannot be removed`, { hint: 'run make down first' })
    if (!(await this.data()).exists) return false
    await run(HOST, pgDockerArgv.volumeRemove(this.cfg))
    return true
  }
}
