// The only place a subprocess starts. Commands are argv arrays built by pure functions;
// a Target says whether they run on the host or inside a compose service.
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import type { Readable } from 'node:stream'
// zx's core alone: the full package also loads its globbing, YAML and fetch helpers (60 ms a start)
import { $, ProcessOutput } from 'zx/core'
import { UserError, failure, onInterrupt } from './errors.ts'
import { debug } from './log.ts'

$.verbose = false
$.quiet = true

/**
 * Where a command runs: the host, or `docker compose exec -T [-u user] <service>` with a compose
 * base argv (`user`: another than the service's own, e.g. the database server's). `env` is the
 * compose process's own environment (what docker-compose.yml interpolates), never passed inside.
 */
export type Target =
  | { kind: 'host' }
  | { kind: 'compose'; compose: readonly string[]; service: string; user?: string; env?: Readonly<Record<string, string>> }

/**
 * The environment of the process that runs a command on `target`. zx runs each command through
 * bash, and a bash whose stdin is a socket (node's pipes are) and whose SHLVL is unset or 0 takes
 * itself for an ssh session's shell and reads ~/.bashrc: 80 ms per command here (a cron job, CI, a
 * background job, a script that builds its own environment), and whatever that file prints or changes.
 */
function processEnv(target: Target, env: Record<string, string> | undefined): Record<string, string | undefined> {
  const all = { ...$.env, ...(target.kind === 'compose' ? target.env : {}), ...env }
  return { ...all, SHLVL: String(Math.max(1, Number(all.SHLVL) || 0)) }
}

export const HOST: Target = { kind: 'host' }

/**
 * The argv that runs `argv` on `target`. Environment variables named in `envNames` are passed
 * into the container by name only (`-e NAME`), so their values never appear on a command line.
 */
export function targetArgv(target: Target, argv: readonly string[], envNames: readonly string[] = []): string[] {
  if (target.kind === 'host') return [...argv]
  return [...target.compose, 'exec', '-T', ...(target.user ? ['-u', target.user] : []), ...envNames.flatMap((n) => ['-e', n]), target.service, ...argv]
}

export interface RunOptions {
  /** Extra environment for the command (passwords go here, e.g. MYSQL_PWD). */
  env?: Record<string, string>
  input?: string | Buffer | Readable
  /** Write stdout to this file instead of keeping it in memory. */
  stdoutFile?: string
  /** Return the result instead of throwing on a non-zero exit (when the exit code is the answer). */
  nothrow?: boolean
  timeoutMs?: number
  cwd?: string
}

export interface RunResult { code: number; stdout: string; stderr: string }

/** Runs a command to completion. A non-zero exit throws with the last line of its stderr. */
export async function run(target: Target, argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const full = targetArgv(target, argv, Object.keys(opts.env ?? {}))
  debug(full.join(' '))
  const fd = opts.stdoutFile ? fs.openSync(opts.stdoutFile, 'w') : undefined
  const p = $({
    env: processEnv(target, opts.env),
    input: opts.input,
    nothrow: true,
    cwd: opts.cwd,
    timeout: opts.timeoutMs,
    stdio: ['pipe', fd ?? 'pipe', 'pipe'],
  })`${full}`
  // a command that exits without reading its input (a client refusing to connect) makes the write
  // fail with EPIPE on its stdin, which nothing else listens to: it would end this process. Its
  // exit code and stderr say what happened.
  p.stdin?.on('error', () => undefined)
  // a command that ended just before the signal cannot be killed (zx throws): nothing to stop then
  const off = onInterrupt(async () => { try { await p.kill('SIGTERM') } catch { /* it had ended */ } })
  let out: ProcessOutput
  try {
    out = await p
  } finally {
    off()
    if (fd !== undefined) fs.closeSync(fd)
  }
  const res = { code: out.exitCode ?? -1, stdout: fd === undefined ? out.stdout : '', stderr: out.stderr }
  if (out.cause && (out.cause as NodeJS.ErrnoException).code === 'ENOENT') {
    throw new UserError(`${full[0]} is not installed (or not on PATH)`, { exitCode: 2, hint: installHint(full[0]) })
  }
  if (res.code === 127 && new RegExp(`${full[0].replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: (command )?not found`).test(res.stderr)) {
    throw new UserError(`${full[0]} is not installed (or not on PATH)`, { exitCode: 2, hint: installHint(full[0]) })
  }
  if (res.code !== 0 && !opts.nothrow) {
    const last = res.stderr.trim().split('\n').filter(Boolean).slice(-3).join(' | ') || `signal ${out.signal ?? 'none'}`
    throw failure(`${argv[0]} failed (exit ${res.code}): ${last}`)
  }
  return res
}

/** The Debian package that provides a command, for the hint when it is missing. */
export function installHint(cmd: string): string {
  const pkg: Record<string, string> = {
    docker: 'install Docker Engine with the compose plugin, or use DATAKEEP_RUNTIME=local',
    mariadbd: 'sudo apt-get install -y mariadb-server mariadb-client',
    'mariadb-install-db': 'sudo apt-get install -y mariadb-server',
    mariadb: 'sudo apt-get install -y mariadb-client',
    'mariadb-dump': 'sudo apt-get install -y mariadb-client',
    zstd: 'sudo apt-get install -y zstd',
  }
  return pkg[cmd] ? `to fix: ${pkg[cmd]}` : `install ${cmd}`
}

/**
 * Starts a long-running process (a database server) detached from this one, its output
 * appended to `logFile`. Returns its pid; the caller waits for it to answer.
 */
export function spawnDetached(argv: readonly string[], logFile: string): { pid: number; exited: () => number | null } {
  debug(argv.join(' '))
  const log = fs.openSync(logFile, 'a')
  const child = spawn(argv[0], argv.slice(1), { detached: true, stdio: ['ignore', log, log] })
  fs.closeSync(log)
  let exitCode: number | null = null
  child.on('exit', (code, signal) => { exitCode = code ?? (signal ? 128 : -1) })
  child.on('error', () => { exitCode = 127 })
  child.unref()
  return { pid: child.pid ?? -1, exited: () => exitCode }
}

export interface Pipe {
  stdin: NodeJS.WritableStream
  stdout: Readable
  /** Resolves when the command exits 0; rejects with the tail of its stderr otherwise. */
  done: Promise<void>
  kill(): void
}

/**
 * Starts a command to stream through (zstd, a client reading a dump): write to `stdin`, read
 * `stdout` (or let it go to `stdoutFile`). Nothing is buffered in memory.
 */
export function spawnPipe(target: Target, argv: readonly string[], opts: { env?: Record<string, string>; stdoutFile?: string } = {}): Pipe {
  const full = targetArgv(target, argv, Object.keys(opts.env ?? {}))
  debug(full.join(' '))
  const fd = opts.stdoutFile ? fs.openSync(opts.stdoutFile, 'w') : undefined
  const child = spawn(full[0], full.slice(1), { env: processEnv(target, opts.env), stdio: ['pipe', fd ?? 'pipe', 'pipe'] })
  if (fd !== undefined) fs.closeSync(fd)
  let stderr = ''
  child.stderr!.on('data', (d) => { stderr = (stderr + d).slice(-4000) })
  const kill = () => { if (child.exitCode === null) child.kill('SIGTERM') }
  const off = onInterrupt(kill)
  const done = new Promise<void>((resolve, reject) => {
    child.on('error', (e) => {
      off()
      reject((e as NodeJS.ErrnoException).code === 'ENOENT'
        ? new UserError(`${full[0]} is not installed (or not on PATH)`, { hint: installHint(full[0]) })
        : e)
    })
    child.on('close', (code, signal) => {
      off()
      if (code === 0) resolve()
      else reject(failure(`${argv[0]} failed (${code === null ? `signal ${signal}` : `exit ${code}`}): ${stderr.trim().split('\n').slice(-3).join(' | ')}`))
    })
  })
  done.catch(() => undefined) // callers await it; never an unhandled rejection meanwhile
  return { stdin: child.stdin!, stdout: child.stdout ?? (null as unknown as Readable), done, kill }
}
