// The local runtime for PostgreSQL: a private cluster run from the host's binaries (never the
// machine's own cluster), its data directory under data/ as the volume, its socket under data/run/,
// listening on 127.0.0.1 and POSTGRES_PORT. PostgreSQL refuses to run as root: as root the server
// runs as the `postgres` account (else the project folder's owner); datakeep's own files stay the user's.
import crypto from 'node:crypto'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { projectPath, type Config } from '../../config.ts'
import type { Connection } from '../../db.ts'
import { UserError, failure } from '../../errors.ts'
import { isDirEmpty, isProcessAlive, pidState, readPidFile, dataLocation, removeDir, stopAndWait, tailFile } from '../../fs-util.ts'
import { step, warn } from '../../log.ts'
import { HOST, run, spawnDetached } from '../../run.ts'
import type { DataLocation, Runtime, ServerState } from '../../runtime/types.ts'
import { settleDataDir, unsettledAdvice } from '../../snapshot/physical-swap.ts'
import { findPgBinDir, pgBinDirs, pgInstallPlan } from './bin.ts'
import { runPgInitFolder } from './initdb.ts'
import { pgQuery, qi, ql, withPg } from './db.ts'
import { recoverPhysicalSwap } from './physical.ts'

/** The cluster's superuser; the application works as POSTGRES_USER, datakeep as this one. */
export const PG_SUPERUSER = 'postgres'
const SERVER_PROGRAMS = ['initdb', 'postgres', 'pg_dump', 'psql']

export interface PgLocalPaths { dataDir: string; socketDir: string; logFile: string }

export function pgLocalPaths(cfg: Config): PgLocalPaths {
  const runDir = projectPath(cfg, cfg.LOCAL_RUN_DIR)
  let socketDir = path.join(runDir, 'pg')
  // a unix socket path is limited to 107 bytes (".s.PGSQL.65535" included)
  if (Buffer.byteLength(path.join(socketDir, '.s.PGSQL.65535')) > 100) {
    socketDir = path.join(os.tmpdir(), `datakeep-pg-${crypto.createHash('sha1').update(runDir).digest('hex').slice(0, 12)}`)
  }
  return { dataDir: projectPath(cfg, cfg.POSTGRES_DATA_DIR), socketDir, logFile: path.join(runDir, 'postgres.log') }
}

export interface OsAccount { uid: number; gid: number; name: string }

/** An account from /etc/passwd, or null. */
export function osAccount(name: string, passwd = '/etc/passwd'): OsAccount | null {
  try {
    for (const line of fs.readFileSync(passwd, 'utf8').split('\n')) {
      const f = line.split(':')
      if (f[0] === name && f.length >= 4) return { name, uid: Number(f[2]), gid: Number(f[3]) }
    }
  } catch { /* no passwd file */ }
  return null
}

/**
 * Who runs the server: null (this process's own user) unless root; as root the `postgres` account,
 * else the owner of the project folder; a root-owned project with no postgres account is refused.
 */
export function serverAccount(isRoot: boolean, postgresAccount: OsAccount | null, projectOwner: { uid: number; gid: number }): OsAccount | null {
  if (!isRoot) return null
  if (postgresAccount) return postgresAccount
  if (projectOwner.uid !== 0) return { name: String(projectOwner.uid), ...projectOwner }
  throw new UserError('PostgreSQL refuses to run as root, and there is no postgres account nor a project folder owned by another user', {
    hint: 'to fix: install PostgreSQL with apt-get (it creates the postgres account), or chown the project folder to a user',
  })
}

/** The argv prefix that runs a program as `account` (setpriv, util-linux), or none. */
export function asAccount(account: OsAccount | null): string[] {
  return account ? ['setpriv', `--reuid=${account.uid}`, `--regid=${account.gid}`, '--clear-groups', '--'] : []
}

export function initdbArgv(bin: string, dataDir: string, pwFile: string | null): string[] {
  return [path.join(bin, 'initdb'), '-D', dataDir, '-U', PG_SUPERUSER, '-E', 'UTF8', '--locale=C',
    // the socket folder is reachable by the server's account only (and root): trust there; TCP needs a password
    '--auth-local=trust', '--auth-host=scram-sha-256', ...(pwFile ? [`--pwfile=${pwFile}`] : [])]
}

export function postgresArgv(bin: string, p: PgLocalPaths, port: number, walLevel: 'minimal' | 'replica' = 'minimal'): string[] {
  return [path.join(bin, 'postgres'), '-D', p.dataDir, '-c', 'listen_addresses=127.0.0.1', '-c', `port=${port}`,
    '-c', `unix_socket_directories=${p.socketDir}`, '-c', 'unix_socket_permissions=0700',
    // minimal: a private development server's loads write no WAL for tables created in their own
    // transaction; replica: pg_basebackup can copy it (two WAL senders: the files and the WAL stream)
    '-c', `wal_level=${walLevel}`, '-c', `max_wal_senders=${walLevel === 'minimal' ? 0 : 4}`, '-c', 'logging_collector=off']
}

/** Folders on the way to `dir` that `account` cannot pass (no x bit for it). */
export function unreachable(dir: string, account: OsAccount): string[] {
  const out: string[] = []
  for (let d = path.dirname(dir); ; d = path.dirname(d)) {
    try {
      const st = fs.statSync(d)
      const bit = st.uid === account.uid ? 0o100 : st.gid === account.gid ? 0o010 : 0o001
      if (!(st.mode & bit)) out.push(d)
    } catch { /* not there yet */ }
    if (d === path.dirname(d)) break
  }
  return out
}

function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer()
    srv.once('error', () => resolve(true))
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(false)))
  })
}

export class PgLocalRuntime implements Runtime {
  readonly name = 'local' as const
  readonly sharesFiles = false // the server streams rows through COPY; it writes none of datakeep's files
  readonly serverFiles = null
  readonly target = HOST
  readonly paths: PgLocalPaths
  constructor(private readonly cfg: Config) { this.paths = pgLocalPaths(cfg) }

  get admin(): Connection {
    return { host: this.paths.socketDir, port: this.cfg.POSTGRES_PORT, user: PG_SUPERUSER, password: '', database: this.cfg.POSTGRES_DB }
  }
  /** The folder of initdb, postgres, pg_dump and psql; null when PostgreSQL is not installed. */
  binDir(): string | null {
    return findPgBinDir(pgBinDirs({ configured: this.cfg.POSTGRES_BIN_DIR ? projectPath(this.cfg, this.cfg.POSTGRES_BIN_DIR) : '', pathVar: this.cfg.hostPath }), SERVER_PROGRAMS)
  }
  clientArgs(): string[] { return ['-h', this.paths.socketDir, '-p', String(this.cfg.POSTGRES_PORT), '-U', PG_SUPERUSER] }
  clientEnv(): Record<string, string> { return {} }

  account(): OsAccount | null {
    const st = fs.statSync(this.cfg.projectDir)
    return serverAccount(process.getuid?.() === 0, osAccount('postgres'), { uid: st.uid, gid: st.gid })
  }

  private readPid(): number | null { return readPidFile(path.join(this.paths.dataDir, 'postmaster.pid')) }

  async state(): Promise<ServerState> { return pidState(this.readPid()) }

  async data(): Promise<DataLocation> { return dataLocation(this.paths.dataDir) }

  private async serverBinDir(): Promise<string> {
    const found = this.binDir()
    if (found) return found
    if (this.cfg.POSTGRES_BIN_DIR) {
      throw new UserError(`POSTGRES_BIN_DIR=${this.cfg.POSTGRES_BIN_DIR} does not hold ${SERVER_PROGRAMS.join(', ')}`, { hint: 'to fix: point POSTGRES_BIN_DIR at a PostgreSQL bin folder, or leave it empty' })
    }
    const plan = pgInstallPlan({ isRoot: process.getuid?.() === 0, hasApt: fs.existsSync('/usr/bin/apt-get') })
    if (plan.action === 'tell') throw new UserError('PostgreSQL is not installed (looked for initdb and postgres in /usr/lib/postgresql/*/bin and PATH)', { hint: `to fix: ${plan.command}` })
    step('PostgreSQL is not installed: installing postgresql and postgresql-client with apt-get')
    for (const argv of plan.argv) await run(HOST, argv, { env: { DEBIAN_FRONTEND: 'noninteractive' } })
    const after = this.binDir()
    if (!after) throw failure('apt-get installed postgresql but no initdb was found')
    return after
  }

  /** A new cluster, made beside its final place as the server's account and renamed in when complete. */
  private async initCluster(bin: string, account: OsAccount | null): Promise<void> {
    const { dataDir } = this.paths
    const partial = `${dataDir}.partial-${process.pid}`
    fs.rmSync(partial, { recursive: true, force: true })
    fs.mkdirSync(partial, { recursive: true, mode: 0o700 })
    if (account) fs.chownSync(partial, account.uid, account.gid)
    step(`initializing a new PostgreSQL cluster in ${dataDir}`)
    try {
      await run(HOST, [...asAccount(account), ...initdbArgv(bin, partial, null)], { cwd: os.tmpdir() })
      if (fs.existsSync(dataDir)) fs.rmdirSync(dataDir) // only ever an empty directory here
      fs.renameSync(partial, dataDir)
    } finally {
      fs.rmSync(partial, { recursive: true, force: true })
    }
  }

  async start(): Promise<void> {
    const { dataDir, socketDir, logFile } = this.paths
    // a physical load killed after its swap (the server may be running on the copy): its files placed
    const finished = recoverPhysicalSwap(dataDir)
    if (finished) warn(finished)
    if ((await this.state()).running) { await this.waitUntilReady(null); await this.ensureDatabase(); return }
    // a physical load killed between its two renames must not look like an empty volume (physical-load.ts)
    const settled = settleDataDir(dataDir)
    if (settled.restored) warn(`put back ${dataDir} from ${settled.restored} (an interrupted physical load)`)
    for (const old of settled.unsettled) warn(unsettledAdvice(dataDir, old))
    const bin = await this.serverBinDir()
    const account = this.account()
    if (account) {
      const blocked = unreachable(dataDir, account)
      if (blocked.length) {
        throw new UserError(`the account that runs PostgreSQL (${account.name}) cannot reach ${dataDir}: ${blocked.join(', ')} ${blocked.length === 1 ? 'is' : 'are'} closed to it`,
          { hint: `to fix: chmod o+x ${blocked.join(' ')} (or set POSTGRES_DATA_DIR to a folder it can reach)` })
      }
    }
    fs.mkdirSync(path.dirname(logFile), { recursive: true })
    fs.mkdirSync(socketDir, { recursive: true, mode: 0o700 })
    if (account) fs.chownSync(socketDir, account.uid, account.gid)
    let created = false
    if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) {
      if (!isDirEmpty(dataDir)) {
        throw new UserError(`${dataDir} is not empty but holds no PostgreSQL cluster`, { hint: 'to fix: point POSTGRES_DATA_DIR at an empty folder or a cluster' })
      }
      await this.initCluster(bin, account)
      created = true
    }
    if (await portInUse(this.cfg.POSTGRES_PORT)) {
      throw new UserError(`port ${this.cfg.POSTGRES_PORT} on 127.0.0.1 is already in use by another program`, { hint: 'to fix: set POSTGRES_PORT in .env to a free port' })
    }
    const logStart = fs.existsSync(logFile) ? fs.statSync(logFile).size : 0
    const child = spawnDetached([...asAccount(account), ...postgresArgv(bin, this.paths, this.cfg.POSTGRES_PORT, this.cfg.POSTGRES_WAL_LEVEL as 'minimal' | 'replica')], logFile)
    await this.waitUntilReady({ exited: child.exited, logStart })
    await this.ensureDatabase()
    if (created) {
      try {
        await runPgInitFolder(this.cfg, { host: socketDir, port: this.cfg.POSTGRES_PORT, bin })
      } catch (e) {
        // a cluster whose init failed would never run it again: start over next time, as the image does
        await this.stop()
        removeDir(dataDir)
        throw e
      }
    }
  }

  private async waitUntilReady(child: { exited: () => number | null; logStart: number } | null): Promise<void> {
    const deadline = Date.now() + this.cfg.START_TIMEOUT * 1000
    const logTail = () => {
      const tail = tailFile(this.paths.logFile, 8).split('\n').slice(-8).join(' | ')
      return tail ? ` Server log (${this.paths.logFile}): ${tail}` : ''
    }
    for (;;) {
      const code = child?.exited()
      if (code !== null && code !== undefined) throw failure(`the PostgreSQL server exited during start (code ${code}).${logTail()}`)
      try {
        await withPg(this.admin, async () => undefined, { database: null })
        return
      } catch (e) {
        if (e instanceof UserError && e.exitCode === 2) throw e
      }
      if (Date.now() > deadline) throw failure(`the PostgreSQL server did not answer within ${this.cfg.START_TIMEOUT} s.${logTail()}`, 'to fix: read the log, or raise START_TIMEOUT')
      await new Promise((r) => setTimeout(r, 150))
    }
  }

  /** The application role (owner) and database exist after every start. */
  private async ensureDatabase(): Promise<void> {
    const { POSTGRES_DB: name, POSTGRES_USER: role, POSTGRES_PASSWORD: pw } = this.cfg
    await withPg(this.admin, async (c) => {
      if (role !== PG_SUPERUSER && !(await pgQuery(c, 'SELECT 1 FROM pg_roles WHERE rolname = $1', [role])).length) {
        await c.query(`CREATE ROLE ${qi(role)} LOGIN PASSWORD ${ql(pw)}`)
      }
      if (!(await pgQuery(c, 'SELECT 1 FROM pg_database WHERE datname = $1', [name])).length) {
        await c.query(`CREATE DATABASE ${qi(name)} OWNER ${qi(role)}`)
      }
    }, { database: null })
  }

  async stop(): Promise<void> {
    const pid = this.readPid()
    if (!pid || !isProcessAlive(pid)) return
    await stopAndWait(pid, 'SIGINT', 'the PostgreSQL server') // fast shutdown: open sessions end, nothing is lost
  }

  async createVolume(): Promise<boolean> {
    if (fs.existsSync(this.paths.dataDir)) return false
    fs.mkdirSync(this.paths.dataDir, { recursive: true })
    return true
  }

  async removeVolume(): Promise<boolean> {
    if ((await this.state()).running) {
      throw new UserError('the PostgreSQL server is running; its data directory cannot be removed', { hint: 'run make down first' })
    }
    if (!fs.existsSync(this.paths.dataDir)) return false
    removeDir(this.paths.dataDir)
    return true
  }
}
