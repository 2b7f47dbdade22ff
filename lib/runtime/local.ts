// The local runtime: a private MariaDB (or MySQL) server run from the host's binaries, its data
// directory under data/ playing the part of the docker volume.
import crypto from 'node:crypto'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import mysql from 'mysql2/promise'
import { projectPath, type Config } from '../config.ts'
import { connect, ident, withDb, type Connection } from '../db.ts'
import { UserError, failure } from '../errors.ts'
import { isDirEmpty, isProcessAlive, pidState, readPidFile, dataLocation, removeDir, stopAndWait, tailFile } from '../fs-util.ts'
import { step, warn } from '../log.ts'
import { toolPath } from '../paths.ts'
import { HOST, run, spawnDetached } from '../run.ts'
import { settleDataDir, unsettledAdvice } from '../snapshot/physical-swap.ts'
import { runInitFolder } from './initdb.ts'
import { localServerFiles, type ServerFiles } from './server-files.ts'
import type { DataLocation, Runtime, ServerState } from './types.ts'

/** The server config both runtimes share (the docker runtime mounts its folder). */
export const SERVER_CNF = toolPath('docker/mysql/conf.d/datakeep.cnf')

export interface LocalPaths { dataDir: string; runDir: string; socket: string; pidFile: string; logFile: string }

export function localPaths(cfg: Config): LocalPaths {
  const dataDir = projectPath(cfg, cfg.LOCAL_DATA_DIR)
  const runDir = projectPath(cfg, cfg.LOCAL_RUN_DIR)
  let socket = path.join(runDir, 'mysqld.sock')
  // A unix socket path is limited to 107 bytes; deep project folders get one in the temp dir.
  if (Buffer.byteLength(socket) > 100) {
    const h = crypto.createHash('sha1').update(runDir).digest('hex').slice(0, 12)
    socket = path.join(os.tmpdir(), `datakeep-${h}.sock`)
  }
  return { dataDir, runDir, socket, pidFile: path.join(runDir, 'mysqld.pid'), logFile: path.join(runDir, 'mysqld.err') }
}

/** Directories searched for a server binary: PATH, then the sbin folders Debian installs to. */
export function serverSearchDirs(pathVar: string): string[] {
  return [...pathVar.split(path.delimiter).filter(Boolean), '/usr/sbin', '/usr/local/sbin', '/usr/local/mysql/bin']
}

export function findServerBinary(dirs: string[]): string | null {
  for (const name of ['mariadbd', 'mysqld']) {
    for (const dir of dirs) {
      const p = path.join(dir, name)
      try { fs.accessSync(p, fs.constants.X_OK); return p } catch { /* next */ }
    }
  }
  return null
}

/** What to do when no server binary is installed: install it (root on Debian) or say how. */
export function installPlan(opts: { isRoot: boolean; hasApt: boolean }):
  { action: 'apt'; argv: string[][] } | { action: 'tell'; command: string } {
  const pkgs = ['mariadb-server', 'mariadb-client']
  if (opts.isRoot && opts.hasApt) {
    return { action: 'apt', argv: [['apt-get', 'update'], ['apt-get', 'install', '-y', '--no-install-recommends', ...pkgs]] }
  }
  return { action: 'tell', command: opts.hasApt ? `sudo apt-get install -y ${pkgs.join(' ')}` : 'install MariaDB server and client (mariadbd, mariadb-install-db, mariadb, mariadb-dump) with your package manager' }
}

export type Flavor = 'mariadb' | 'mysql'

/** argv that creates a new data directory. */
export function initArgv(bin: string, flavor: Flavor, dataDir: string, osUser: string | null, extraFile: string, tmpDir?: string): string[] {
  if (flavor === 'mariadb') {
    // the bootstrap's temporary tables go in our own folder: in a /tmp shared with other machines'
    // processes (containers), /tmp/#sql-temptable-<pid>-... of two bootstraps collide and one aborts
    return ['mariadb-install-db', `--defaults-file=${SERVER_CNF}`, `--datadir=${dataDir}`,
      '--auth-root-authentication-method=normal', '--skip-test-db', `--extra-file=${extraFile}`,
      ...(osUser ? [`--user=${osUser}`] : []), ...(tmpDir ? [`--tmpdir=${tmpDir}`] : [])]
  }
  return [bin, `--defaults-file=${SERVER_CNF}`, '--initialize-insecure', `--datadir=${dataDir}`,
    `--init-file=${extraFile}`, ...(osUser ? [`--user=${osUser}`] : [])]
}

/** argv that runs the server on 127.0.0.1:port and the socket. */
export function serverArgv(bin: string, p: LocalPaths, port: number, osUser: string | null, binlogExpireDays = 14, binaryLog = true): string[] {
  return [bin, `--defaults-file=${SERVER_CNF}`, `--datadir=${p.dataDir}`, `--socket=${p.socket}`,
    `--port=${port}`, '--bind-address=127.0.0.1', `--pid-file=${p.pidFile}`, `--log-error=${p.logFile}`,
    binaryLog ? binlogExpiryArg(binlogExpireDays) : '--skip-log-bin',
    // its own temp dir: a shared /tmp cleaned by someone else must not break a running server
    `--tmpdir=${p.runDir}`,
    ...(osUser ? [`--user=${osUser}`] : [])]
}

/** How long the server keeps its binary logs (datakeep.cnf turns them on); both runtimes pass it. */
export function binlogExpiryArg(days: number): string {
  return `--expire-logs-days=${days}`
}

async function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer()
    srv.once('error', () => resolve(true))
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(false)))
  })
}

export class LocalRuntime implements Runtime {
  readonly name = 'local' as const
  readonly sharesFiles = true // the private server runs here, as this user
  readonly target = HOST
  readonly paths: LocalPaths
  readonly serverFiles: ServerFiles
  constructor(private readonly cfg: Config) {
    this.paths = localPaths(cfg)
    this.serverFiles = localServerFiles(this.paths.dataDir)
  }

  get admin(): Connection {
    return { socketPath: this.paths.socket, user: 'root', password: this.cfg.MYSQL_ROOT_PASSWORD, database: this.cfg.MYSQL_DATABASE }
  }

  clientArgs(): string[] { return [`--socket=${this.paths.socket}`, '--user=root', '--default-character-set=utf8mb4'] }
  clientEnv(): Record<string, string> { return { MYSQL_PWD: this.cfg.MYSQL_ROOT_PASSWORD } }

  private readPid(): number | null { return readPidFile(this.paths.pidFile) }

  async state(): Promise<ServerState> { return pidState(this.readPid()) }

  async data(): Promise<DataLocation> { return dataLocation(this.paths.dataDir) }

  private async serverBinary(): Promise<string> {
    if (this.cfg.MYSQLD_BIN) {
      const bin = projectPath(this.cfg, this.cfg.MYSQLD_BIN)
      if (!fs.existsSync(bin)) {
        const plan = installPlan({ isRoot: false, hasApt: fs.existsSync('/usr/bin/apt-get') })
        throw new UserError(`MYSQLD_BIN=${this.cfg.MYSQLD_BIN}: no such server binary`,
          { hint: `to fix: point MYSQLD_BIN at mariadbd or mysqld, or leave it empty and install the server: ${plan.action === 'tell' ? plan.command : 'sudo apt-get install -y mariadb-server mariadb-client'}` })
      }
      return bin
    }
    const found = findServerBinary(serverSearchDirs(this.cfg.hostPath))
    if (found) return found
    const plan = installPlan({ isRoot: process.getuid?.() === 0, hasApt: fs.existsSync('/usr/bin/apt-get') })
    if (plan.action === 'tell') {
      throw new UserError('no MariaDB or MySQL server is installed (looked for mariadbd and mysqld)', { hint: `to fix: ${plan.command}` })
    }
    step('no database server installed: installing mariadb-server and mariadb-client with apt-get')
    for (const argv of plan.argv) await run(HOST, argv, { env: { DEBIAN_FRONTEND: 'noninteractive' } })
    const after = findServerBinary(serverSearchDirs(this.cfg.hostPath))
    if (!after) throw failure('apt-get installed mariadb-server but no mariadbd was found')
    return after
  }

  private osUser(): string | null {
    // mariadbd refuses to run as root unless told to; as any other user it runs as that user.
    return process.getuid?.() === 0 ? 'root' : null
  }

  /** Creates the data directory beside its final place and renames it in when complete. */
  private async initDataDir(bin: string): Promise<void> {
    const { dataDir, runDir } = this.paths
    const version = (await run(HOST, [bin, '--version'])).stdout
    const flavor: Flavor = /mariadb/i.test(version) ? 'mariadb' : 'mysql'
    const partial = `${dataDir}.partial-${process.pid}`
    fs.rmSync(partial, { recursive: true, force: true })
    const extra = path.join(runDir, `init-${process.pid}.sql`)
    const pw = mysql.escape(this.cfg.MYSQL_ROOT_PASSWORD)
    // MariaDB bootstraps without grant tables, so the password goes straight into global_priv.
    const sql = flavor === 'mariadb'
      ? `UPDATE mysql.global_priv SET priv = JSON_SET(priv, '$.plugin', 'mysql_native_password', '$.authentication_string', PASSWORD(${pw})) WHERE User = 'root' AND Host = 'localhost';\n`
      : `ALTER USER 'root'@'localhost' IDENTIFIED BY ${pw};\n`
    fs.writeFileSync(extra, sql, { mode: 0o600 })
    step(`initializing a new data directory in ${dataDir}`)
    try {
      await run(HOST, initArgv(bin, flavor, partial, this.osUser(), extra, runDir))
      if (fs.existsSync(dataDir)) fs.rmdirSync(dataDir) // only ever an empty directory here
      fs.renameSync(partial, dataDir)
    } finally {
      fs.rmSync(extra, { force: true })
      fs.rmSync(partial, { recursive: true, force: true })
    }
  }

  async start(): Promise<void> {
    const { dataDir, runDir, logFile } = this.paths
    fs.mkdirSync(runDir, { recursive: true })
    if ((await this.state()).running) {
      await this.waitUntilReady(null)
      await this.ensureDatabase()
      return
    }
    // a physical load killed between its two renames must not look like an empty volume
    const settled = settleDataDir(dataDir)
    if (settled.restored) warn(`put back ${dataDir} from ${settled.restored} (an interrupted physical load)`)
    for (const old of settled.unsettled) warn(unsettledAdvice(dataDir, old))
    const bin = await this.serverBinary()
    let created = false
    if (!fs.existsSync(path.join(dataDir, 'mysql'))) {
      if (!isDirEmpty(dataDir)) {
        throw new UserError(`${dataDir} is not empty but holds no database server data`, {
          hint: 'to fix: point LOCAL_DATA_DIR at an empty or server data directory',
        })
      }
      await this.initDataDir(bin)
      created = true
    }
    if (await portInUse(this.cfg.MYSQL_PORT)) {
      throw new UserError(`port ${this.cfg.MYSQL_PORT} on 127.0.0.1 is already in use by another program`, {
        hint: 'to fix: set MYSQL_PORT in .env to a free port',
      })
    }
    fs.rmSync(this.paths.socket, { force: true })
    const logStart = fs.existsSync(logFile) ? fs.statSync(logFile).size : 0
    const child = spawnDetached(serverArgv(bin, this.paths, this.cfg.MYSQL_PORT, this.osUser(), this.cfg.BINLOG_EXPIRE_DAYS, this.cfg.BINARY_LOG), logFile)
    await this.waitUntilReady({ exited: child.exited, logStart })
    await this.ensureDatabase()
    if (created) {
      try {
        await runInitFolder(this.cfg, this)
      } catch (e) {
        // a volume whose init failed would never run it again: start over next time, as docker does not
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
      if (code !== null && code !== undefined) throw failure(`the database server exited during start (code ${code}).${logTail()}`)
      if (fs.existsSync(this.paths.socket)) {
        try {
          const db = await connect(this.admin, { database: null })
          await db.end()
          return
        } catch (e) {
          if (e instanceof UserError && e.exitCode === 2) throw e // access denied: waiting will not help
        }
      }
      if (Date.now() > deadline) {
        throw failure(`the database server did not answer within ${this.cfg.START_TIMEOUT} s.${logTail()}`,
          'to fix: read the log, or raise START_TIMEOUT')
      }
      await new Promise((r) => setTimeout(r, 150))
    }
  }

  /** The application database and user exist after every start (seed 000's trap). */
  private async ensureDatabase(): Promise<void> {
    const { MYSQL_DATABASE: name, MYSQL_USER: user, MYSQL_PASSWORD: pw } = this.cfg
    await withDb(this.admin, async (db) => {
      await db.query(`CREATE DATABASE IF NOT EXISTS ${ident(name)}`)
      if (user === 'root') return
      for (const host of ['localhost', '%']) {
        await db.query('CREATE USER IF NOT EXISTS ?@? IDENTIFIED BY ?', [user, host, pw])
        await db.query(`GRANT ALL ON ${ident(name)}.* TO ?@?`, [user, host])
      }
    }, { database: null })
  }

  async stop(): Promise<void> {
    const pid = this.readPid()
    if (!pid || !isProcessAlive(pid)) {
      if (pid) fs.rmSync(this.paths.pidFile, { force: true })
      return
    }
    await stopAndWait(pid, 'SIGTERM', 'the database server')
  }

  async createVolume(): Promise<boolean> {
    if (fs.existsSync(this.paths.dataDir)) return false
    fs.mkdirSync(this.paths.dataDir, { recursive: true })
    return true
  }

  async removeVolume(): Promise<boolean> {
    if ((await this.state()).running) {
      throw new UserError('the database server is running; its data directory cannot be removed', { hint: 'run make down first' })
    }
    if (!fs.existsSync(this.paths.dataDir)) return false
    removeDir(this.paths.dataDir)
    if (fs.existsSync(this.paths.pidFile)) { warn('removed a stale pid file'); fs.rmSync(this.paths.pidFile, { force: true }) }
    return true
  }
}
