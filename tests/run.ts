// The test runner behind `make test`: checks the real services the suite needs are installable,
// runs every tests/**/*.test.ts with uvu, each file in a process of its own, two at a time, and
// ends with one line "N passed, N failed".
// usage: make test [ARGS="<pattern>"]   (pattern: a part of the file names to run)
import fs from 'node:fs'
import path from 'node:path'
import { spawn } from 'node:child_process'
import os from 'node:os'
import { findPgBinDir, pgBinDirs, pgInstallPlan } from '../lib/engines/postgres/bin.ts'
import { findServerBinary, installPlan, serverSearchDirs } from '../lib/runtime/local.ts'
import { run as runCommand, HOST } from '../lib/run.ts'

const root = path.dirname(new URL(import.meta.url).pathname)
const DURATIONS = path.join(root, '.durations.json')
const pattern = process.argv[2]
// make test runs every suite on every engine: a narrowing left in the shell would skip half of them
if (process.env.DATAKEEP_TEST_ENGINE) {
  console.error(`make test runs the suites on every engine: ignoring DATAKEEP_TEST_ENGINE=${process.env.DATAKEEP_TEST_ENGINE} (it is for running one file by hand)`)
  delete process.env.DATAKEEP_TEST_ENGINE
}

async function ensureServerBinaries(): Promise<void> {
  const dirs = serverSearchDirs(process.env.PATH ?? '')
  const hasClient = dirs.some((d) => fs.existsSync(path.join(d, 'mariadb')) || fs.existsSync(path.join(d, 'mysql')))
  if (findServerBinary(dirs) && hasClient) return
  const plan = installPlan({ isRoot: process.getuid?.() === 0, hasApt: fs.existsSync('/usr/bin/apt-get') })
  if (plan.action === 'tell') {
    console.error(`the tests need a MariaDB server and client; to fix: ${plan.command}`)
    console.log('0 passed, 1 failed')
    process.exit(1)
  }
  console.error('installing mariadb-server and mariadb-client (the suite starts its own server from them)')
  for (const argv of plan.argv) await runCommand(HOST, argv, { env: { DEBIAN_FRONTEND: 'noninteractive' } })
}

/** The PostgreSQL suites (tests/engines/) start their own cluster from the host's binaries: installed, or one clear failure. */
async function ensurePostgres(): Promise<void> {
  if (findPgBinDir(pgBinDirs({ configured: '', pathVar: process.env.PATH ?? '' }), ['initdb', 'postgres', 'pg_dump', 'psql'])) return
  const plan = pgInstallPlan({ isRoot: process.getuid?.() === 0, hasApt: fs.existsSync('/usr/bin/apt-get') })
  if (plan.action === 'tell') {
    console.error(`the tests need PostgreSQL's server and client; to fix: ${plan.command}`)
    console.log('0 passed, 1 failed')
    process.exit(1)
  }
  console.error('installing postgresql and postgresql-client (the PostgreSQL suites start their own cluster from them)')
  for (const argv of plan.argv) await runCommand(HOST, argv, { env: { DEBIAN_FRONTEND: 'noninteractive' } })
}

await ensureServerBinaries()
await ensurePostgres()
const files = listTestFiles(root).filter((f) => !pattern || f.includes(pattern))
if (files.length === 0) {
  console.error(`no test file matches ${JSON.stringify(pattern)}`)
  console.log('0 passed, 1 failed')
  process.exit(1)
}

// Every file runs in a process of its own (each starts its own servers, on free ports, in its own
// folders: no two share anything), TEST_JOBS at a time (default 2), the longest first as the last
// run measured them (tests/.durations.json, not committed; the larger file first without it).
const jobs = Math.max(1, Number(process.env.TEST_JOBS) || Math.min(2, os.availableParallelism()))
const durations = readDurations()
const queue = [...files].sort((a, b) => (durations[b] ?? fs.statSync(path.join(root, b)).size / 100) - (durations[a] ?? fs.statSync(path.join(root, a)).size / 100) || (a < b ? -1 : 1))
let passed = 0
let failed = 0
let skipped = 0
const took: Record<string, number> = { ...durations }

async function worker(): Promise<void> {
  for (let file = queue.shift(); file; file = queue.shift()) {
    const r = await runFile(file)
    took[file] = r.ms
    const out = r.output.replace(/\x1b\[[0-9;]*m/g, '')
    const num = (label: string) => Number(new RegExp(`${label}:\\s+(\\d+)`).exec(out)?.[1] ?? NaN)
    const [total, ok, skip] = [num('Total'), num('Passed'), num('Skipped')]
    process.stdout.write(`\n${file} (${(r.ms / 1000).toFixed(1)} s)\n${r.output}`)
    if (!Number.isFinite(total) || !Number.isFinite(ok)) {
      // a file that died before uvu's totals (a crash, a syntax error) counts as one failure
      process.stdout.write(`${file}: exited ${r.code} without uvu's totals: counted as 1 failed\n`)
      failed += 1
      continue
    }
    passed += ok
    skipped += skip || 0
    const bad = total - ok - (skip || 0)
    // uvu exits 1 on a failure; an exit code it did not explain is a failure too
    failed += bad > 0 ? bad : r.code !== 0 ? 1 : 0
    if (total === 0) failed += 1 // a file with no test is a missing test
  }
}

await Promise.all(Array.from({ length: Math.min(jobs, files.length) }, () => worker()))
writeDurations(took)
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`)
process.exitCode = failed > 0 || skipped > 0 ? 1 : 0
setTimeout(() => process.exit(process.exitCode ?? 0), 2000).unref()

function listTestFiles(dir: string, rel = ''): string[] {
  return fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).flatMap((e) => {
    const r = rel ? `${rel}/${e.name}` : e.name
    if (e.isDirectory()) return e.name === 'node_modules' || e.name.startsWith('.') ? [] : listTestFiles(dir, r)
    return e.name.endsWith('.test.ts') ? [r] : []
  }).sort()
}

function runFile(file: string): Promise<{ code: number; output: string; ms: number }> {
  const t0 = Date.now()
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, file)], { cwd: path.dirname(root), env: process.env, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (d) => { output += d })
    child.stderr.on('data', (d) => { output += d })
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), output, ms: Date.now() - t0 }))
  })
}

function readDurations(): Record<string, number> {
  try { return JSON.parse(fs.readFileSync(DURATIONS, 'utf8')) as Record<string, number> } catch { return {} }
}

function writeDurations(d: Record<string, number>): void {
  const tmp = `${DURATIONS}.tmp-${process.pid}`
  try { fs.writeFileSync(tmp, JSON.stringify(d, Object.keys(d).sort(), 2) + '\n'); fs.renameSync(tmp, DURATIONS) } catch { /* a read-only checkout: the next run sorts by size */ }
}
