// Through make and through the `datakeep` command, as users run them: no make recipe echoes itself,
// so --json output parses; `datakeep` exits with the script's own code (postdeploy's loss 1, misuse 2,
// Ctrl-C 130) where make turns every failure into 2. The stack's folder is a project that depends on
// datakeep (npm install of this checkout: node_modules/.bin/datakeep), with the Makefile beside it.
import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { suite } from './support/uvu.ts'
import * as assert from 'uvu/assert'
import { lastLine, makeStack, REPO, runScript, type ScriptResult, type TestStack } from './support/stack.ts'

const t = suite('make and datakeep', { stack: null as unknown as TestStack })

t.before(async (ctx) => {
  const stack = ctx.stack = await makeStack()
  await stack.db(async (db) => {
    await db.query('CREATE TABLE orders (id INT PRIMARY KEY, total INT)')
    await db.query('INSERT INTO orders SELECT seq, seq FROM seq_1_to_50')
  })
  fs.writeFileSync(path.join(stack.dir, 'package.json'), '{ "name": "app", "private": true }\n')
  const npm = spawnSync('npm', ['install', '--offline', '--no-audit', '--no-fund', '--loglevel=error', '--cache', path.join(stack.dir, '.npm'), REPO],
    { cwd: stack.dir, env: stack.env, encoding: 'utf8' })
  if (npm.status !== 0) throw new Error(`npm install of this checkout failed: ${npm.stderr}`)
  for (const f of ['Makefile', 'lib']) fs.symlinkSync(path.join(REPO, f), path.join(stack.dir, f))
})
t.after(async (ctx) => { await ctx.stack?.destroy() })

function runIn(stack: TestStack, argv: string[], extraEnv: Record<string, string> = {}): Promise<ScriptResult & { signal?: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { cwd: stack.dir, env: { ...stack.env, npm_config_cache: path.join(stack.dir, '.npm'), ...extraEnv } })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => { stdout += d })
    child.stderr.on('data', (d) => { stderr += d })
    child.on('error', reject)
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }))
  })
}
const make = (stack: TestStack, ...args: string[]) => runIn(stack, ['make', ...args])
const bin = (stack: TestStack) => path.join(stack.dir, 'node_modules/.bin/datakeep')

t('make <target> ARGS=--json prints JSON alone: status, data_list, check, migrate_status', async ({ stack }) => {
  assert.is((await runScript(stack, 'data-dump', ['--name', 's1'])).code, 0)
  for (const target of ['status', 'data_list', 'check', 'migrate_status']) {
    const r = await make(stack, target, 'ARGS=--json')
    assert.is(r.code, 0, `${target}: ${r.stderr}`)
    let parsed: unknown
    assert.not.throws(() => { parsed = JSON.parse(r.stdout) }, `make ${target} ARGS=--json printed: ${r.stdout.slice(0, 200)}`)
    assert.ok(parsed && typeof parsed === 'object', target)
  }
  const list = JSON.parse((await make(stack, 'data_list', 'ARGS=--json')).stdout)
  assert.ok(JSON.stringify(list).includes('"s1"'), 'data_list names the snapshot')
})

t('a loss after predeploy: datakeep postdeploy exits 1 (npx and node_modules/.bin), make postdeploy 2', async ({ stack }) => {
  assert.is((await runScript(stack, 'predeploy')).code, 0)
  await stack.db((db) => db.query('DELETE FROM orders WHERE id > 10'))
  const viaBin = await runIn(stack, [bin(stack), 'postdeploy'])
  assert.is(viaBin.code, 1, viaBin.stderr)
  assert.match(viaBin.stdout + viaBin.stderr, /orders/)
  const viaNpx = await runIn(stack, ['npx', '--no-install', 'datakeep', 'postdeploy'])
  assert.is(viaNpx.code, 1, viaNpx.stderr)
  assert.is(lastLine(viaNpx.stderr), lastLine(viaBin.stderr))
  const viaMake = await make(stack, 'postdeploy')
  assert.is(viaMake.code, 2, 'GNU make reports any failed recipe as 2 (the README says so)')
  assert.is(lastLine(viaMake.stderr.replace(/^make: \*\*\*.*$/m, '')), lastLine(viaBin.stderr))
})

t('datakeep: target and script names both work; misuse exits 2; help lists the Makefile targets', async ({ stack }) => {
  const a = await runIn(stack, [bin(stack), 'data_list', '--json'])
  const b = await runIn(stack, [bin(stack), 'data-list', '--json'])
  assert.is(a.code, 0, a.stderr)
  assert.equal(JSON.parse(a.stdout), JSON.parse(b.stdout))
  const unknown = await runIn(stack, [bin(stack), 'nosuch'])
  assert.is(unknown.code, 2)
  assert.is(lastLine(unknown.stderr), 'datakeep: no command "nosuch" (test, bench and typecheck run through make); to see the commands: npx datakeep help')
  const bad = await runIn(stack, [bin(stack), 'data_load'])
  assert.is(bad.code, 2, bad.stderr)
  const help = await runIn(stack, [bin(stack), 'help'])
  assert.is(help.code, 0)
  for (const target of ['up', 'data_load', 'postdeploy', 'volume_remove']) assert.match(help.stdout, new RegExp(`^  ${target} `, 'm'))
})

t('datakeep interrupted with SIGINT exits 130 (make would say 2)', async ({ stack }) => {
  const child = spawn(bin(stack), ['migrate'], { cwd: stack.dir, env: { ...stack.env, MIGRATE_COMMAND: 'sleep 3' } })
  let stderr = ''
  child.stderr.on('data', (d) => { stderr += d })
  const code = new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)))
  // the hook runs once the script has started: its main() handles the signal from then on
  const deadline = Date.now() + 20_000
  while (!/MIGRATE_COMMAND|sleep 3|migrat/i.test(stderr) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
  child.kill('SIGINT')
  assert.is(await code, 130, stderr)
  assert.match(lastLine(stderr), /interrupted \(SIGINT\)/)
})

t.run()
