// The test harness itself: a test process that dies (kill -9, Ctrl-C) leaves no server behind.
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { suite } from './support/uvu.ts'
import * as assert from 'uvu/assert'
import { REPO, TSX_LOADER } from './support/stack.ts'

const test = suite('test harness')

/** Pids of processes whose command line names `dir`. */
function processesOn(dir: string): number[] {
  return fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
    try { return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(`${dir}/`) } catch { return false }
  }).map(Number)
}

async function startProbe(): Promise<{ pid: number; dir: string }> {
  const child = spawn(process.execPath, ['--import', TSX_LOADER, path.join(REPO, 'tests/support/orphan-probe.ts')], { stdio: ['ignore', 'pipe', 'inherit'] })
  const dir = await new Promise<string>((resolve, reject) => {
    let out = ''
    child.stdout!.on('data', (d) => { out += d; if (out.includes('\n')) resolve(out.trim()) })
    child.on('exit', (code) => reject(new Error(`the probe exited (${code}) before its server started`)))
  })
  return { pid: child.pid!, dir }
}

async function gone(dir: string, ms = 15000): Promise<boolean> {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    if (processesOn(dir).length === 0 && !fs.existsSync(dir)) return true
    await new Promise((r) => setTimeout(r, 200))
  }
  return false
}

for (const signal of ['SIGKILL', 'SIGINT'] as const) {
  test(`${signal} to a test process: its server stops and its folder goes`, async () => {
    const probe = await startProbe()
    assert.ok(processesOn(probe.dir).length > 0, 'the probe\'s server runs')
    process.kill(probe.pid, signal)
    assert.ok(await gone(probe.dir), `left running: ${processesOn(probe.dir).join(', ')}`)
  })
}

test.run()
