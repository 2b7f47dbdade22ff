// The tools the benchmark races, each as a dump and a restore run the way a user would: datakeep's
// real scripts, mariadb-dump | zstd, mydumper/myloader, mariadb-backup, and a raw copy of the
// stopped server's data directory as the floor. Argv are built by pure functions.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { dirSize } from '../lib/fs-util.ts'
import { SERVER_CNF } from '../lib/runtime/local.ts'
import { HOST, run } from '../lib/run.ts'
import { LAUNCHER, type TestStack } from '../tests/support/stack.ts'

const GNU_TIME = '/usr/bin/time'

/** Where one size's benchmark works: the stack, the source and restore databases, scratch space. */
export interface BenchEnv {
  stack: TestStack
  source: string
  restore: string
  work: string
  /** An options file with the root password (for tools that do not read MYSQL_PWD), mode 0600. */
  cnf: string
}

/**
 * One timed step: wall time; the command's peak RSS (kB) and CPU time (its processes and their
 * children, user + system), when GNU time is installed; the server's CPU time (when it kept
 * running); the output's size. CPU time is what stays comparable on a machine others share.
 */
export interface Measure {
  ms: number
  rssKb?: number
  cpuMs?: number
  serverCpuMs?: number
  bytes?: number
  extra?: Record<string, number>
}

export interface Tool {
  name: string
  /** Physical tools restore the whole server: verify the source database after them. */
  physical: boolean
  /** Why it cannot run here, or null. */
  missing(): string | null
  dump(env: BenchEnv): Promise<Measure>
  restore(env: BenchEnv): Promise<Measure>
  /** From this many rows on, one run only (a slow reference that no target is measured against). */
  onceFrom?: number
}

export const hasCommand = (cmd: string) => (process.env.PATH ?? '').split(':').some((d) => fs.existsSync(path.join(d, cmd)))

/** Runs argv under GNU time (when present): wall time, peak RSS and CPU time. */
export async function timed(argv: string[], opts: { env?: Record<string, string>; cwd?: string; stdoutFile?: string } = {}): Promise<Measure> {
  const useTime = fs.existsSync(GNU_TIME)
  const rssFile = path.join(os.tmpdir(), `datakeep-bench-time-${process.pid}`)
  const full = useTime ? [GNU_TIME, '-f', '%M %U %S', '-o', rssFile, ...argv] : argv
  const t0 = performance.now()
  try {
    await run(HOST, full, opts)
    const ms = performance.now() - t0
    if (!useTime) return { ms }
    const [rssKb, user, sys] = fs.readFileSync(rssFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number)
    return { ms, rssKb, cpuMs: (user + sys) * 1000 }
  } finally {
    fs.rmSync(rssFile, { force: true })
  }
}

/** The options file mydumper and mariadb-backup read: the server's config, its datadir, the root login. */
export function optionsFile(stack: TestStack): string {
  const p = stack.rt.paths
  return `${fs.readFileSync(SERVER_CNF, 'utf8')}\n[mysqld]\ndatadir=${p.dataDir}\nsocket=${p.socket}\n\n` +
    `[client]\nuser=root\npassword=${stack.cfg.MYSQL_ROOT_PASSWORD}\nsocket=${p.socket}\n`
}

// ---- argv builders (pure) ----

export function datakeepArgv(script: 'data-dump' | 'data-load', name: string, extra: string[] = []): string[] {
  return [process.execPath, LAUNCHER, script, '--name', name,
    ...(script === 'data-dump' ? ['--force'] : []), ...extra]
}

/** mariadb-dump piped through zstd; `$@` keeps the arguments out of the shell text. */
export function mariadbDumpArgv(client: string[], database: string): string[] {
  return ['bash', '-c', 'set -o pipefail; mariadb-dump "$@" | zstd -q -3 -T2 -c', 'bash', ...client,
    '--single-transaction', '--quick', '--routines', '--triggers', '--events', '--default-character-set=utf8mb4', database]
}

export function mariadbRestoreArgv(client: string[], database: string, file: string): string[] {
  return ['bash', '-c', 'set -o pipefail; zstd -dcq -- "$1" | mariadb "${@:2}"', 'bash', file, ...client, '--default-character-set=utf8mb4', database]
}

export function mydumperArgv(cnf: string, database: string, dir: string, threads: number): string[] {
  return ['mydumper', '--defaults-file', cnf, '-B', database, '-o', dir, '-t', String(threads), '-v', '1']
}

export function myloaderArgv(cnf: string, database: string, dir: string, threads: number): string[] {
  return ['myloader', '--defaults-file', cnf, '-d', dir, '-B', database, '-t', String(threads), '--overwrite-tables', '-v', '1']
}

export function backupArgv(cnf: string, step: 'backup' | 'prepare' | 'copy-back', dir: string): string[] {
  return ['mariadb-backup', `--defaults-file=${cnf}`, `--${step}`, `--target-dir=${dir}`]
}

// ---- the tools ----

/**
 * datakeep's own scripts as a tool: data_dump of snapshot `name` (with `dumpArgs`), then data_load
 * of it into `into` (the restore database, or the source for a physical snapshot of the whole server).
 */
function datakeepTool(name: string, snapshot: string, opts: { dumpArgs: string[]; physical: boolean; missing: () => string | null }): Tool {
  const dir = (e: BenchEnv) => path.join(e.stack.dir, e.stack.cfg.DATA_BACKUP_DIRNAME, snapshot)
  return {
    name,
    physical: opts.physical,
    missing: opts.missing,
    async dump(e) {
      // the previous run's snapshot goes first, untimed, as the other tools' output folders do
      fs.rmSync(dir(e), { recursive: true, force: true })
      const m = await timed(datakeepArgv('data-dump', snapshot, opts.dumpArgs), { cwd: e.stack.dir, env: { ...e.stack.env, MYSQL_DATABASE: e.source } })
      return { ...m, bytes: dirSize(dir(e)) }
    },
    // a physical snapshot holds the source database as it was: loading it puts the same data back
    restore: (e) => timed(datakeepArgv('data-load', snapshot),
      { cwd: e.stack.dir, env: { ...e.stack.env, MYSQL_DATABASE: opts.physical ? e.source : e.restore } }),
  }
}

const datakeep = datakeepTool('datakeep', 'b', { dumpArgs: [], physical: false, missing: () => null })

/** The physical fast path: data_dump --physical (the tables as their files), and data_load of it into the source. */
const datakeepPhysical = datakeepTool('datakeep --physical', 'p', { dumpArgs: ['--physical'], physical: true, missing: () => null })

const mariadbDump: Tool = {
  name: 'mariadb-dump+zstd',
  physical: false,
  // its restore replays every INSERT on one connection: a minute per run at 3,000,000 rows on two
  // cores, a third of the whole benchmark at three runs; the targets compare with mydumper and cp
  onceFrom: 1_000_000,
  missing: () => (hasCommand('mariadb-dump') ? null : 'mariadb-dump is not installed'),
  async dump(e) {
    const file = path.join(e.work, 'dump.sql.zst')
    const m = await timed(mariadbDumpArgv(e.stack.rt.clientArgs(), e.source), { env: e.stack.rt.clientEnv(), stdoutFile: file })
    return { ...m, bytes: fs.statSync(file).size }
  },
  restore: (e) => timed(mariadbRestoreArgv(e.stack.rt.clientArgs(), e.restore, path.join(e.work, 'dump.sql.zst')), { env: e.stack.rt.clientEnv() }),
}

const mydumper: Tool = {
  name: 'mydumper -t 2',
  physical: false,
  missing: () => (hasCommand('mydumper') && hasCommand('myloader') ? null : 'mydumper is not installed (apt-get install mydumper)'),
  async dump(e) {
    const dir = path.join(e.work, 'mydumper')
    fs.rmSync(dir, { recursive: true, force: true })
    const m = await timed(mydumperArgv(e.cnf, e.source, dir, 2))
    return { ...m, bytes: dirSize(dir) }
  },
  restore: (e) => timed(myloaderArgv(e.cnf, e.restore, path.join(e.work, 'mydumper'), 2)),
}

/** Stops the server, runs `fn`, starts it again; the stop and start are timed apart from `fn`. */
async function withServerStopped(e: BenchEnv, fn: () => Promise<Measure>): Promise<Measure> {
  const t0 = performance.now()
  await e.stack.rt.stop()
  const stopMs = performance.now() - t0
  let m: Measure
  try {
    m = await fn()
  } catch (err) {
    await e.stack.rt.start() // the old data directory is back in place: keep benchmarking
    throw err
  }
  const t1 = performance.now()
  await e.stack.rt.start()
  return { ...m, extra: { ...m.extra, stopMs, startMs: performance.now() - t1 } }
}

/** Replaces the data directory by `fill`'s output: the old one is kept aside until it succeeds. */
async function replaceDataDir(e: BenchEnv, fill: (dataDir: string) => Promise<Measure>): Promise<Measure> {
  const dataDir = e.stack.rt.paths.dataDir
  const aside = `${dataDir}.aside`
  fs.rmSync(aside, { recursive: true, force: true })
  fs.renameSync(dataDir, aside)
  try {
    const m = await fill(dataDir)
    fs.rmSync(aside, { recursive: true, force: true })
    return m
  } catch (err) {
    fs.rmSync(dataDir, { recursive: true, force: true })
    fs.renameSync(aside, dataDir)
    throw err
  }
}

const copy: Tool = {
  name: 'cp -a datadir',
  physical: true,
  missing: () => null,
  async dump(e) {
    const dir = path.join(e.work, 'datadir-copy')
    fs.rmSync(dir, { recursive: true, force: true })
    const m = await withServerStopped(e, () => timed(['cp', '-a', e.stack.rt.paths.dataDir, dir]))
    return { ...m, bytes: dirSize(dir) }
  },
  restore: (e) => withServerStopped(e, () => replaceDataDir(e, (to) => timed(['cp', '-a', path.join(e.work, 'datadir-copy'), to]))),
}

const backup: Tool = {
  name: 'mariadb-backup',
  physical: true,
  missing: () => (hasCommand('mariadb-backup') ? null : 'mariadb-backup is not installed (apt-get install mariadb-backup)'),
  async dump(e) {
    const dir = path.join(e.work, 'mariadb-backup')
    fs.rmSync(dir, { recursive: true, force: true })
    const b = await timed(backupArgv(e.cnf, 'backup', dir))
    const p = await timed(backupArgv(e.cnf, 'prepare', dir))
    const sum = (k: 'rssKb' | 'cpuMs', f: (a: number, b: number) => number) => (b[k] === undefined || p[k] === undefined ? undefined : f(b[k]!, p[k]!))
    return { ms: b.ms + p.ms, rssKb: sum('rssKb', Math.max), cpuMs: sum('cpuMs', (x, y) => x + y), bytes: dirSize(dir), extra: { backupMs: b.ms, prepareMs: p.ms } }
  },
  restore: (e) => withServerStopped(e, () => replaceDataDir(e, (to) => timed([...backupArgv(e.cnf, 'copy-back', path.join(e.work, 'mariadb-backup')), `--datadir=${to}`]))),
}

export const TOOLS: Tool[] = [datakeep, mariadbDump, mydumper, datakeepPhysical, copy, backup]
