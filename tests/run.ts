// The test runner behind `make test`: checks the real services the suite needs are installable,
// runs every tests/**/*.test.ts with uvu, and ends with one line "N passed, N failed".
// usage: make test [ARGS="<pattern>"]   (pattern: a part of the file names to run)
import fs from 'node:fs'
import path from 'node:path'
import { parse } from 'uvu/parse'
import { run } from 'uvu/run'
import { findPgBinDir, pgBinDirs, pgInstallPlan } from '../lib/engines/postgres/bin.ts'
import { findServerBinary, installPlan, serverSearchDirs } from '../lib/runtime/local.ts'
import { run as runCommand, HOST } from '../lib/run.ts'

const root = path.dirname(new URL(import.meta.url).pathname)
const pattern = process.argv[2]

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
const { suites } = await parse(root, /\.test\.ts$/, { cwd: root })
const chosen = suites.filter((s) => !pattern || s.name.includes(pattern))
if (chosen.length === 0) {
  console.error(`no test file matches ${JSON.stringify(pattern)}`)
  console.log('0 passed, 1 failed')
  process.exit(1)
}

// uvu prints its own totals; read them to print the one line CI recognises. A suite whose
// `before` hook throws counts its tests as not passed (uvu would only leave them uncounted).
let captured = ''
const write = process.stdout.write.bind(process.stdout)
process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
  captured += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString()
  return (write as (...a: unknown[]) => boolean)(chunk, ...rest)
}) as typeof process.stdout.write

await run(chosen, { bail: false })
process.stdout.write = write
const plain = captured.replace(/\x1b\[[0-9;]*m/g, '')
const num = (label: string) => Number(new RegExp(`${label}:\\s+(\\d+)`).exec(plain)?.[1] ?? NaN)
const total = num('Total')
const passed = num('Passed')
const skipped = num('Skipped')
if (!Number.isFinite(total) || !Number.isFinite(passed)) {
  console.log('0 passed, 1 failed')
  process.exit(1)
}
const failed = total - passed - (skipped || 0)
const missing = total === 0 ? 1 : 0
console.log(`${passed} passed, ${failed + missing} failed${skipped ? `, ${skipped} skipped` : ''}`)
process.exitCode = failed + missing > 0 || (skipped ?? 0) > 0 ? 1 : 0
// Servers started by suites are stopped in their `after` hooks; nothing should keep us alive.
setTimeout(() => process.exit(process.exitCode ?? 0), 2000).unref()
