// One operation at a time: a lock file per stack, so two commands never change the same data at
// once. It lives at data/datakeep.lock in the project folder, beside the data it protects, for
// every runtime (LOCAL_RUN_DIR is the local runtime's own). Read-only commands do not take it.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { projectPath, type Config } from '../config.ts'
import { UserError, onInterrupt } from '../errors.ts'
import { isProcessAlive } from '../fs-util.ts'
import { warn } from '../log.ts'

export interface LockInfo { pid: number; host: string; command: string; started: string }

/** Frees the lock; safe to call more than once. */
export type Release = () => void

export function lockPath(cfg: Config): string {
  return path.join(projectPath(cfg, 'data'), 'datakeep.lock')
}

/** What the lock says is running: the make target and its ARGS, from this process's argv. */
export function commandSummary(argv: readonly string[] = process.argv): string {
  const script = argv.find((a) => /[\\/]scripts[\\/][^\\/]+\.ts$/.test(a))
  const args = argv.slice(script ? argv.indexOf(script) + 1 : 2).join(' ')
  const text = script
    ? `make ${path.basename(script, '.ts').replace(/-/g, '_')}${args ? ` ARGS="${args}"` : ''}`
    : argv.slice(1).map((a) => path.basename(a)).join(' ')
  return text.length > 200 ? text.slice(0, 197) + '...' : text
}

function parseLock(text: string): LockInfo | null {
  try {
    const j = JSON.parse(text)
    return Number.isInteger(j?.pid) && typeof j.host === 'string' && typeof j.started === 'string'
      ? { pid: j.pid, host: j.host, command: String(j.command ?? ''), started: j.started } : null
  } catch { return null }
}

/** The lock's content: null when there is none, 'unreadable' when it is empty or garbled. */
function readLock(file: string): LockInfo | null | 'unreadable' {
  let text: string
  try { text = fs.readFileSync(file, 'utf8') } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw e
  }
  return parseLock(text) ?? 'unreadable'
}

const sameLock = (a: LockInfo, b: LockInfo) => a.pid === b.pid && a.host === b.host && a.started === b.started

/**
 * When a process started, from /proc (Linux); null where that cannot be read. A pid alive but
 * started after the lock was written is a reused pid, not the holder: "kill N" would hit a stranger.
 */
export function processStartedAt(pid: number): Date | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    const ticks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19])
    const btime = Number(/^btime (\d+)$/m.exec(fs.readFileSync('/proc/stat', 'utf8'))?.[1])
    // USER_HZ is 100 on every Linux architecture node runs on
    return Number.isFinite(ticks) && Number.isFinite(btime) ? new Date((btime + ticks / 100) * 1000) : null
  } catch { return null }
}

/** Whether the process that wrote `lock` (on this host) still runs. */
export function holderAlive(lock: LockInfo): boolean {
  if (!isProcessAlive(lock.pid)) return false
  const started = processStartedAt(lock.pid)
  const written = Date.parse(lock.started)
  // 2 s of slack: boot time is whole seconds and clock ticks are coarse
  return !(started && Number.isFinite(written) && started.getTime() > written + 2000)
}

function refuse(lock: LockInfo, file: string): never {
  if (lock.host !== os.hostname()) {
    throw new UserError(`another datakeep operation is running on host ${lock.host}: ${lock.command} (pid ${lock.pid}) since ${lock.started}`, {
      hint: `wait for it; if ${lock.host} no longer runs it: rm ${file}`,
    })
  }
  throw new UserError(`another datakeep operation is running: ${lock.command} (pid ${lock.pid}) since ${lock.started}`, {
    hint: `wait for it, or if it is stuck: kill ${lock.pid}`,
  })
}

/**
 * Removes a stale lock, but only if it is still the one judged stale. A short-lived guard file
 * makes the check-and-remove one step, so two takers never remove each other's fresh lock.
 */
function removeStale(file: string, seen: LockInfo | 'unreadable'): void {
  const guard = `${file}.takeover`
  let fd: number
  try { fd = fs.openSync(guard, 'wx', 0o600) } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
    // a guard is held for milliseconds; an old one is left by a crash
    try { if (Date.now() - fs.statSync(guard).mtimeMs > 10_000) fs.unlinkSync(guard) } catch { /* gone */ }
    return
  }
  try {
    const now = readLock(file)
    const unchanged = seen === 'unreadable' ? now === 'unreadable' : now !== null && now !== 'unreadable' && sameLock(now, seen)
    if (unchanged) fs.unlinkSync(file)
  } finally {
    fs.closeSync(fd)
    fs.rmSync(guard, { force: true })
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
/** Lock files this process holds: a locked script calling a locked library function goes on. */
const held = new Set<string>()

/**
 * Takes the stack's lock, or throws (exit 2) naming the operation that holds it. A lock whose
 * process is gone is taken over with a warning; one from another host never is.
 */
export async function acquireLock(cfg: Config, command: string): Promise<Release> {
  const file = lockPath(cfg)
  if (held.has(file)) return () => undefined // the outer holder frees it
  fs.mkdirSync(path.dirname(file), { recursive: true })
  const mine: LockInfo = { pid: process.pid, host: os.hostname(), command, started: new Date().toISOString() }
  for (let attempt = 0; attempt < 100; attempt++) {
    try {
      const fd = fs.openSync(file, 'wx', 0o600) // owner-only: it names the command and host
      try { fs.writeSync(fd, JSON.stringify(mine) + '\n') } catch (e) {
        fs.rmSync(file, { force: true }) // an empty lock would stop everyone for nothing
        throw e
      } finally { fs.closeSync(fd) }
      return registerRelease(file, mine)
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
    }
    const lock = readLock(file)
    if (lock === null) continue // released meanwhile
    if (lock === 'unreadable') {
      // being written this very moment, or left empty by a crash between create and write
      let age = 0
      try { age = Date.now() - fs.statSync(file).mtimeMs } catch { continue }
      if (age < 5000) { await sleep(100); continue }
      warn(`taking over the unreadable lock file ${file} (left by a crashed operation)`)
      removeStale(file, lock)
      continue
    }
    if (lock.host !== mine.host || holderAlive(lock)) refuse(lock, file)
    warn(`taking over a stale lock: ${lock.command} (pid ${lock.pid}, since ${lock.started}) is no longer running`)
    removeStale(file, lock)
  }
  throw new UserError(`could not take the lock ${file}: other operations keep taking it`, { hint: 'try again' })
}

function registerRelease(file: string, mine: LockInfo): Release {
  held.add(file)
  let released = false
  const release: Release = () => {
    if (released) return
    released = true
    held.delete(file)
    off()
    // only ours: a lock taken over while we hung is someone else's now
    const now = readLock(file)
    if (now && now !== 'unreadable' && sameLock(now, mine)) fs.rmSync(file, { force: true })
  }
  const off = onInterrupt(release)
  return release
}

/** Runs `fn` holding the stack's lock; it is freed however `fn` ends (Ctrl-C included). */
export async function withLock<T>(cfg: Config, command: string, fn: () => Promise<T>): Promise<T> {
  const release = await acquireLock(cfg, command)
  try { return await fn() } finally { release() }
}
