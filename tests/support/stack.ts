// Real-service fixtures: a private MariaDB started through the local runtime's own code, in a
// temp project folder on a free port; never the machine's shared server.
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadConfig, type Config } from '../../lib/config.ts'
import { withDb, type Db } from '../../lib/db.ts'
import { LocalRuntime } from '../../lib/runtime/local.ts'

export const REPO = fileURLToPath(new URL('../../', import.meta.url))
/** Scripts run as one node process (tsx as a loader), so a signal reaches the script itself. */
/** tsx as node's loader: `node --import <this> script.ts`, as `make` runs the scripts. */
export const TSX_LOADER = path.join(REPO, 'node_modules/tsx/dist/loader.mjs')
/** What make runs a script with (the bundle of scripts/<name>.ts): tests run the scripts as users do. */
export const LAUNCHER = path.join(REPO, 'lib/launch.mjs')

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port
      srv.close(() => resolve(port))
    })
  })
}

/** Every folder tempDir made in this process; removed when it exits, whatever a test left there. */
const made = new Set<string>()

/**
 * A new folder under the temp dir, removed at this process's exit (a test that ends early, or never
 * cleans up, leaves nothing behind: a stack's data directory is 150 MB).
 */
export function tempDir(prefix = 'datakeep-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix))
  if (made.size === 0) process.once('exit', () => { for (const d of made) fs.rmSync(d, { recursive: true, force: true }) })
  made.add(dir)
  return dir
}

export interface TestStack {
  dir: string
  /** The environment a script run in this project gets (the test's own, not the developer's). */
  env: Record<string, string>
  cfg: Config
  rt: LocalRuntime
  db<T>(fn: (db: Db) => Promise<T>, database?: string | null): Promise<T>
  stop(): Promise<void>
  /** Stops the server and deletes the project folder. */
  destroy(): Promise<void>
}

/** A project folder with its own config; `start` (default) also starts its server. */
export async function makeStack(opts: { start?: boolean; env?: Record<string, string> } = {}): Promise<TestStack> {
  const dir = tempDir()
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? dir,
    DATAKEEP_RUNTIME: 'local',
    MYSQL_PORT: String(await freePort()),
    MYSQL_ROOT_PASSWORD: 'test-root-pw',
    CI: 'true',
    ...opts.env,
  }
  const cfg = loadConfig({ env, projectDir: dir })
  const rt = new LocalRuntime(cfg)
  const stack: TestStack = {
    dir, env, cfg, rt,
    db: (fn, database) => withDb(rt.admin, fn, { database: database === undefined ? cfg.MYSQL_DATABASE : database }),
    stop: () => rt.stop(),
    destroy: async () => { await rt.stop(); fs.rmSync(dir, { recursive: true, force: true }) },
  }
  watchServers(dir)
  if (opts.start !== false) await rt.start()
  return stack
}

/**
 * A watchdog for a test project's servers: a small detached shell that, once this test process is
 * gone however it ended (a failed suite, Ctrl-C, kill -9), kills every process still running on the
 * project folder (its mariadbd, also one a script started), so none outlives its suite on a deleted
 * data directory, then removes the folder (exit hooks do not run on a signal). The folder is a fresh
 * temp path, so nothing else matches it.
 */
export function watchServers(dir: string): void {
  const script = 'while kill -0 "$0" 2>/dev/null; do sleep 0.5; done; pkill -KILL -f -- "$1/"; sleep 0.5; rm -rf -- "$1"'
  spawn('sh', ['-c', script, String(process.pid), dir], { detached: true, stdio: 'ignore' }).unref()
}

export interface ScriptResult { code: number; stdout: string; stderr: string }

/** Starts a real script (scripts/<name>.ts) in the stack's project folder. */
export function spawnScript(stack: { dir: string; env: Record<string, string> }, name: string, args: string[] = [],
  extraEnv: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, [LAUNCHER, name, ...args], {
    cwd: stack.dir, env: { ...stack.env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'],
  })
}

/** Runs a real script to its end. */
export function runScript(stack: { dir: string; env: Record<string, string> }, name: string, args: string[] = [],
  extraEnv: Record<string, string> = {}): Promise<ScriptResult> {
  return new Promise((resolve, reject) => {
    const child = spawnScript(stack, name, args, extraEnv)
    let stdout = ''
    let stderr = ''
    child.stdout!.on('data', (d) => { stdout += d })
    child.stderr!.on('data', (d) => { stderr += d })
    child.on('error', reject)
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : -1), stdout, stderr }))
  })
}

/** The last non-empty line a script printed to stderr: its one error line. */
export function lastLine(text: string): string {
  return text.trim().split('\n').filter(Boolean).pop() ?? ''
}
