// Real-service fixtures: a private MariaDB started through the local runtime's own code, in a
// temp project folder on a free port; never the machine's shared server.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
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
const REAPER = path.join(REPO, 'tests/support/reaper.mjs')

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
let reaper: ChildProcess | null = null

/**
 * Servers (and any process) still running in this process's temp folders are killed and the folders
 * removed however the process ends: at its exit, on SIGINT/SIGTERM (exit 130/143), and after a
 * SIGKILL or crash by tests/support/reaper.mjs, a detached process that acts when our pipe to it
 * closes. Before, a suite that failed before it held its stack, or a killed test run, left its
 * mariadbd running on a deleted data directory.
 */
function guardFolders(): void {
  reaper = spawn(process.execPath, [REAPER], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] })
  reaper.unref()
  reaper.stdin!.on('error', () => undefined) // a reaper that died early: the exit handler still acts
  ;(reaper.stdin as unknown as { unref?: () => void }).unref?.()
  process.once('exit', () => {
    if (made.size > 0) spawnSync(process.execPath, [REAPER, '--now', ...made], { stdio: 'ignore' })
  })
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    // a script's main() (the benchmark) handles its own signals, then exits: the exit handler follows
    process.on(signal, () => { if (process.listenerCount(signal) === 1) process.exit(code) })
  }
}

/**
 * A new folder under the temp dir, removed at this process's exit (a test that ends early, or never
 * cleans up, leaves nothing behind: a stack's data directory is 150 MB), with what still runs in it.
 */
export function tempDir(prefix = 'datakeep-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix))
  if (!reaper) guardFolders()
  made.add(dir)
  reaper!.stdin!.write(`${dir}\n`)
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
  if (opts.start !== false) await rt.start()
  return stack
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
