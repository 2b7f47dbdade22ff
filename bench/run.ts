// make bench: races datakeep's dump and load against mariadb-dump, mydumper/myloader, mariadb-backup
// and a raw copy of the data directory, on the shared sakila dataset and generated data of several sizes;
// every restore verified; then the incremental series (bench/incremental.ts) at the largest size, then
// the PostgreSQL series (bench/postgres-series.ts) in a cluster of its own.
// usage: tsx bench/run.ts [--sizes 100000,1000000,3000000] [--runs 3] [--tools a,b] [--seed s] [--no-sakila] [--no-incremental] [--incremental-rows N] [--no-postgres] [--postgres-sizes 300000,1000000] [--no-docs]
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseFlags } from '../lib/args.ts'
import { ident, query, withDb } from '../lib/db.ts'
import { UserError, main, onInterrupt } from '../lib/errors.ts'
import { result as printResult, step, warn } from '../lib/log.ts'
import { HOST, run } from '../lib/run.ts'
import { loadSakila } from '../tests/support/sakila.ts'
import { makeStack, REPO } from '../tests/support/stack.ts'
import { renderMarkdown } from './docs.ts'
import { runIncremental } from './incremental.ts'
import { incrementalText } from './incremental-report.ts'
import { PG_DEFAULT_SIZES, runPostgresSeries } from './postgres-series.ts'
import { checksumTables, DEFAULT_SEED, generateDatabase, type TableCheck } from './generate.ts'
import { renderSvg } from './plot.ts'
import { textReport, type BenchResult, type Machine, type SizeResult, type ToolResult } from './report.ts'
import { optionsFile, TOOLS, type BenchEnv, type Measure, type Tool } from './tools.ts'

const USAGE = 'tsx bench/run.ts [--sizes 100000,1000000,3000000] [--runs 3] [--tools datakeep,mydumper] [--seed s] [--no-sakila] [--no-incremental] [--incremental-rows N] [--no-postgres] [--postgres-sizes 300000,1000000] [--no-docs]'
const DEFAULT_SIZES = [100_000, 1_000_000, 3_000_000]
const SOURCE = 'bench'
const RESTORE = 'bench_restore'

/** The Debian packages of the tools that are missing; installed only as root with apt. */
async function installMissing(): Promise<void> {
  const has = (cmd: string) => (process.env.PATH ?? '').split(':').some((d) => fs.existsSync(path.join(d, cmd)))
  const pkgs = [!has('mydumper') && 'mydumper', !has('mariadb-backup') && 'mariadb-backup', !fs.existsSync('/usr/bin/time') && 'time']
    .filter((p): p is string => !!p)
  if (pkgs.length === 0) return
  if (process.getuid?.() !== 0 || !fs.existsSync('/usr/bin/apt-get')) {
    warn(`not installed: ${pkgs.join(', ')} (run as root on Debian/Ubuntu to install them); those tools are reported as missing`)
    return
  }
  step(`installing ${pkgs.join(', ')} with apt-get`)
  const env = { DEBIAN_FRONTEND: 'noninteractive' }
  try {
    await run(HOST, ['apt-get', 'update'], { env })
    await run(HOST, ['apt-get', 'install', '-y', '--no-install-recommends', ...pkgs], { env })
  } catch (e) {
    warn(`apt-get could not install ${pkgs.join(', ')}: ${(e as Error).message}`)
  }
}

async function machine(env: BenchEnv, loadAtStart: number): Promise<Machine> {
  const version = await withDb(env.stack.rt.admin, async (db) => (await query<{ v: string }>(db, 'SELECT VERSION() AS v'))[0].v, { database: null })
  const mydumper = await run(HOST, ['mydumper', '--version'], { nothrow: true }).then((r) => r.stdout.trim() || null, () => null)
  const osName = fs.existsSync('/etc/os-release') ? /PRETTY_NAME="([^"]+)"/.exec(fs.readFileSync('/etc/os-release', 'utf8'))?.[1] : undefined
  return { nproc: os.availableParallelism(), memoryMb: Math.round(os.totalmem() / 1048576), cpu: os.cpus()[0]?.model ?? 'unknown',
    os: osName ?? `${os.type()} ${os.release()}`, mariadb: version, node: process.version, mydumper,
    loadAverage: { start: loadAtStart, end: os.loadavg()[1] } }
}

/**
 * Reads every file of the data directory once, so each step starts with the same warm page cache:
 * InnoDB writes its files with O_DIRECT, so a table just written is not cached, and whichever
 * tool read it first (at 3M rows: 0.6 s of disk reads) paid for the others.
 */
async function warmCache(dir: string): Promise<void> {
  const buf = Buffer.allocUnsafe(4 << 20)
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue
    const fd = await fs.promises.open(path.join(e.parentPath ?? e.path, e.name), 'r').catch(() => null)
    if (!fd) continue // removed meanwhile
    try { while ((await fd.read(buf, 0, buf.length, null)).bytesRead > 0) { /* reading is the point */ } } finally { await fd.close() }
  }
}

/** Waits until InnoDB has written its dirty pages, so one tool's writes do not slow the next; then warms the cache. */
async function settle(env: BenchEnv): Promise<void> {
  await withDb(env.stack.rt.admin, async (db) => {
    const [was] = await query<{ pct: string; io: string; ioMax: string }>(db,
      'SELECT @@GLOBAL.innodb_max_dirty_pages_pct AS pct, @@GLOBAL.innodb_io_capacity AS io, @@GLOBAL.innodb_io_capacity_max AS ioMax')
    // the default io capacity flushes a few MB/s: minutes after loading a large table
    await db.query('SET GLOBAL innodb_io_capacity_max = 100000, innodb_io_capacity = 50000, innodb_max_dirty_pages_pct = 0')
    try {
      for (const deadline = Date.now() + 120_000; Date.now() < deadline;) {
        const [s] = await query<{ Value: string }>(db, "SHOW GLOBAL STATUS LIKE 'Innodb_buffer_pool_pages_dirty'")
        if (Number(s.Value) < 50) break
        await new Promise((r) => setTimeout(r, 250))
      }
    } finally {
      await db.query(`SET GLOBAL innodb_max_dirty_pages_pct = ${Number(was.pct)}, innodb_io_capacity = ${Number(was.io)}, innodb_io_capacity_max = ${Number(was.ioMax)}`)
    }
  }, { database: null })
  await warmCache(env.stack.rt.paths.dataDir)
}

/** The server's CPU time so far (ms) and its pid, from /proc; null when it cannot be read. */
function serverCpu(env: BenchEnv): { pid: number; ms: number } | null {
  try {
    const pid = Number(fs.readFileSync(env.stack.rt.paths.pidFile, 'utf8').trim())
    // the command name, in parentheses, may hold spaces: count fields after its closing one
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
    return { pid, ms: ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS }
  } catch {
    return null
  }
}

/** USER_HZ: 100 on every Linux architecture in use. */
const CLOCK_TICKS = 100

/** Runs one step and adds the server's CPU time to its measure (unless the server was restarted). */
async function withServerCpu(env: BenchEnv, step: () => Promise<Measure>): Promise<Measure> {
  const before = serverCpu(env)
  const m = await step()
  const after = serverCpu(env)
  return before && after && before.pid === after.pid ? { ...m, serverCpuMs: after.ms - before.ms } : m
}

async function emptyRestoreDb(env: BenchEnv): Promise<void> {
  await withDb(env.stack.rt.admin, async (db) => {
    await db.query(`DROP DATABASE IF EXISTS ${ident(env.restore)}`)
    await db.query(`CREATE DATABASE ${ident(env.restore)} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`)
  }, { database: null })
}

/** What differs between the restored tables and the source's: empty when the restore is exact. */
function compareTables(want: Record<string, TableCheck>, got: Record<string, TableCheck>): string[] {
  const problems: string[] = []
  for (const [t, w] of Object.entries(want)) {
    const g = got[t]
    if (!g) problems.push(`${t} missing`)
    else if (g.rows !== w.rows) problems.push(`${t}: ${g.rows} rows, source ${w.rows}`)
    else if (g.checksum !== w.checksum) problems.push(`${t}: checksum ${g.checksum}, source ${w.checksum}`)
  }
  for (const t of Object.keys(got)) if (!want[t]) problems.push(`${t} is extra`)
  return problems
}

async function benchSize(env: BenchEnv, rows: number, runs: number, tools: Tool[], seed: string): Promise<SizeResult> {
  step(`generating ${rows.toLocaleString('en-US')} rows`)
  const t0 = performance.now()
  await generateDatabase(env.stack.rt.admin, env.source, { rows, seed })
  return raceTools(env, { generateMs: performance.now() - t0 }, runs, tools)
}

/** The shared sakila dataset (views, triggers, routines, FULLTEXT, spatial-free): a real schema, not a generated one. */
async function benchSakila(env: BenchEnv, runs: number, tools: Tool[]): Promise<SizeResult> {
  step('loading sakila (tests/datasets/sakila)')
  const t0 = performance.now()
  await loadSakila(env.stack)
  const sakila = { ...env, source: 'sakila' }
  try {
    return await raceTools(sakila, { dataset: 'sakila', generateMs: performance.now() - t0 }, runs, tools)
  } finally {
    // the generated sizes that follow copy the whole data directory: sakila must not be in it
    await withDb(env.stack.rt.admin, (db) => db.query('DROP DATABASE IF EXISTS sakila'), { database: null })
  }
}

/** Every tool, dump and restore, `runs` times on the source database as it is; every restore verified. */
async function raceTools(env: BenchEnv, meta: { dataset?: string; generateMs: number }, runs: number, tools: Tool[]): Promise<SizeResult> {
  const { reference, dataBytes } = await withDb(env.stack.rt.admin, async (db) => {
    const reference = await checksumTables(db, env.source)
    const [b] = await query<{ b: string }>(db, 'SELECT SUM(DATA_LENGTH + INDEX_LENGTH) AS b FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?', [env.source])
    return { reference, dataBytes: Number(b.b) }
  }, { database: null })
  const rows = Object.values(reference).reduce((a, t) => a + t.rows, 0)
  const label = meta.dataset ? `${meta.dataset} (${rows.toLocaleString('en-US')} rows)` : `${rows.toLocaleString('en-US')} rows`
  const results: Record<string, ToolResult> = {}
  for (const t of tools) {
    const reason = t.missing()
    results[t.name] = reason ? { status: 'missing', reason, dump: [], restore: [] } : { status: 'ok', dump: [], restore: [] }
  }
  for (let i = 0; i < runs; i++) {
    // each run starts with another tool, so none always runs first or last
    const order = tools.map((_, k) => tools[(k + i) % tools.length])
    for (const tool of order) {
      const r = results[tool.name]
      if (r.status !== 'ok' || (i > 0 && tool.onceFrom !== undefined && rows >= tool.onceFrom)) continue
      try {
        await emptyRestoreDb(env)
        await settle(env)
        const d = await withServerCpu(env, () => tool.dump(env))
        await settle(env)
        const l = await withServerCpu(env, () => tool.restore(env))
        const got = await withDb(env.stack.rt.admin, (db) => checksumTables(db, tool.physical ? env.source : env.restore), { database: null })
        const problems = compareTables(reference, got)
        if (problems.length) throw new Error(`restored data differs from the source: ${problems.slice(0, 3).join('; ')}`)
        r.dump.push(d)
        r.restore.push(l)
        step(`${label}, run ${i + 1}/${runs}, ${tool.name}: dump ${(d.ms / 1000).toFixed(2)} s, restore ${(l.ms / 1000).toFixed(2)} s, verified`)
      } catch (e) {
        r.status = 'failed'
        r.reason = (e as Error).message.split('\n')[0].slice(0, 300)
        warn(`${tool.name} failed at ${label}: ${r.reason}`)
      }
    }
  }
  await withDb(env.stack.rt.admin, (db) => db.query(`DROP DATABASE IF EXISTS ${ident(env.restore)}`), { database: null })
  return { ...(meta.dataset ? { dataset: meta.dataset } : {}), rows, tables: Object.keys(reference).length, dataBytes, generateMs: meta.generateMs, tools: results }
}

function parseSizes(text: string | undefined): number[] {
  if (!text) return DEFAULT_SIZES
  const sizes = text.split(',').map((s) => Number(s.trim().replace(/_/g, '')))
  if (sizes.some((n) => !Number.isInteger(n) || n < 1000)) throw new UserError(`--sizes ${text}: whole numbers of rows, at least 1000 each`, { hint: `usage: ${USAGE}` })
  return sizes.sort((a, b) => a - b)
}

main(async () => {
  const { values } = parseFlags(process.argv.slice(2), {
    sizes: { type: 'string' }, runs: { type: 'string' }, tools: { type: 'string' }, seed: { type: 'string' }, 'no-docs': { type: 'boolean' },
    'no-sakila': { type: 'boolean' }, 'no-incremental': { type: 'boolean' }, 'incremental-rows': { type: 'string' },
    'no-postgres': { type: 'boolean' }, 'postgres-sizes': { type: 'string' },
  }, USAGE)
  if (values['no-postgres'] && values['postgres-sizes'] !== undefined) throw new UserError('--postgres-sizes goes without --no-postgres', { hint: `usage: ${USAGE}` })
  const pgSizes = values['no-postgres'] ? null : values['postgres-sizes'] === undefined ? PG_DEFAULT_SIZES : parseSizes(values['postgres-sizes'])
  const sizes = parseSizes(values.sizes)
  if (values['no-incremental'] && values['incremental-rows'] !== undefined) throw new UserError('--incremental-rows goes without --no-incremental', { hint: `usage: ${USAGE}` })
  // the series runs at the largest size unless told otherwise
  const incrementalRows = values['no-incremental'] ? null : values['incremental-rows'] === undefined ? sizes[sizes.length - 1] : parseSizes(values['incremental-rows'])[0]
  const runs = Number(values.runs ?? 3)
  if (!Number.isInteger(runs) || runs < 1) throw new UserError(`--runs ${values.runs}: a whole number, 1 or more`, { hint: `usage: ${USAGE}` })
  const wanted = values.tools?.split(',').map((s) => s.trim())
  const tools = wanted ? TOOLS.filter((t) => wanted.some((w) => t.name.startsWith(w))) : TOOLS
  if (tools.length === 0) throw new UserError(`--tools ${values.tools}: none of ${TOOLS.map((t) => t.name).join(', ')}`, { hint: `usage: ${USAGE}` })
  const seed = values.seed ?? DEFAULT_SEED
  const t0 = performance.now()
  const loadAtStart = os.loadavg()[1]
  await installMissing()
  // no binary log: the other tools' restores would write one (datakeep's loads do not), which is no race
  let race: { sizes: SizeResult[]; datasets: SizeResult[]; machine: Machine }
  {
    // no binary log: the other tools' restores would write one (datakeep's loads do not), which is no race
    const stack = await makeStack({ env: { BINARY_LOG: 'false' } })
    const off = onInterrupt(() => stack.destroy())
    try {
      const work = path.join(stack.dir, 'bench-work')
      fs.mkdirSync(work, { recursive: true })
      const cnf = path.join(work, 'client.cnf')
      fs.writeFileSync(cnf, optionsFile(stack), { mode: 0o600 })
      const env: BenchEnv = { stack, source: SOURCE, restore: RESTORE, work, cnf }
      const datasets = values['no-sakila'] ? [] : [await benchSakila(env, runs, tools)]
      const out: SizeResult[] = []
      for (const rows of sizes) out.push(await benchSize(env, rows, runs, tools, seed))
      race = { sizes: out, datasets, machine: await machine(env, loadAtStart) }
    } finally {
      await stack.destroy()
      off()
    }
  }
  // its own server (binary logging on), once the race's is gone
  const incremental = incrementalRows === null ? undefined : await runIncremental({ rows: incrementalRows, seed })
  // the PostgreSQL series: a cluster of its own, after the MariaDB servers are gone; at most 2 rounds (best kept)
  const postgres = pgSizes === null ? undefined : await runPostgresSeries({ sizes: pgSizes, runs: Math.min(runs, 2) })
  const date = new Date().toISOString().slice(0, 10)
  const result: BenchResult = { date, seed, runs, command: `tsx bench/run.ts ${process.argv.slice(2).join(' ')}`.trim(),
    machine: { ...race.machine, loadAverage: { ...race.machine.loadAverage, end: os.loadavg()[1] } }, totalMs: performance.now() - t0, sizes: race.sizes,
    ...(race.datasets.length ? { datasets: race.datasets } : {}), ...(incremental ? { incremental } : {}) }
  // a trial (--no-docs) leaves the day's results alone
  const resultsFile = values['no-docs'] ? path.join(os.tmpdir(), `datakeep-bench-${date}.json`) : `bench/results/${date}.json`
  writeAtomic(path.resolve(REPO, resultsFile), JSON.stringify(result, null, 2) + '\n')
  if (!values['no-docs']) {
    writeAtomic(path.join(REPO, 'docs/performance.svg'), renderSvg(result))
    writeAtomic(path.join(REPO, 'docs/performance.md'), renderMarkdown(result, resultsFile))
  }
  const pgFile = `bench/results/postgres-${date}.txt`
  if (postgres && !values['no-docs']) writeAtomic(path.resolve(REPO, pgFile), postgres + '\n')
  printResult(textReport(result) + (incremental ? `\n\n${incrementalText(incremental)}` : '') + (postgres ? `\n\n${postgres}` : ''))
  step(`wrote ${resultsFile}${values['no-docs'] ? '' : `, docs/performance.md and docs/performance.svg${postgres ? `, ${pgFile}` : ''}`} in ${((performance.now() - t0) / 60000).toFixed(1)} min`)
})

/** Writes to a temporary name and renames: a crash never leaves half a file. */
function writeAtomic(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true })
  const tmp = `${file}.tmp-${process.pid}`
  fs.writeFileSync(tmp, text)
  fs.renameSync(tmp, file)
}
