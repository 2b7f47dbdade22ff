// PostgreSQL loads and dumps cut short: kill -9 and Ctrl-C in the middle of a load leave the live
// database as it was; what a killed run leaves is removed by the next one; a stopped server is one line.
import fs from 'node:fs'
import path from 'node:path'
import { suite } from '../support/uvu.ts'
import * as assert from 'uvu/assert'
import { pgQuery } from '../../lib/engines/postgres/db.ts'
import { generateSql } from '../../bench/pg-generate.ts'
import { clientBinDir, psqlArgv } from '../../lib/engines/postgres/tools.ts'
import { HOST, run } from '../../lib/run.ts'
import { makePgStack, type PgTestStack } from '../support/pg-stack.ts'
import { faultCase } from '../support/faults.ts'
import { lastLine, runScript, spawnScript } from '../support/stack.ts'

const s = suite('pg faults', { stack: null as unknown as PgTestStack, before: [] as unknown[] })
s.before(async (ctx) => {
  ctx.stack = await makePgStack()
  await run(HOST, psqlArgv(clientBinDir(ctx.stack.cfg), ctx.stack.engine.runtime.clientArgs(), 'app'), { input: generateSql(400_000) })
  const d = await runScript(ctx.stack, 'data-dump', ['--name', 'big'])
  assert.is(d.code, 0, d.stderr)
  await ctx.stack.pg((c) => c.query('DELETE FROM t0 WHERE id % 2 = 0; CREATE TABLE marker (a int)'))
  ctx.before = await ctx.stack.engine.tableStates()
})
s.after(async (ctx) => { await ctx.stack?.destroy() })

const sideDbs = (stack: PgTestStack) => stack.pg((c) => pgQuery<{ d: string }>(c, "SELECT datname AS d FROM pg_database WHERE datname LIKE '\\_dk\\_%'"), null)

/** Starts a load and waits until its side database exists (the load is under way). */
async function loadUnderWay(stack: PgTestStack) {
  const child = spawnScript(stack, 'data-load', ['--name', 'big', '--no-safety'])
  let stderr = ''
  child.stderr!.on('data', (d) => { stderr += d })
  const exited = new Promise<number>((resolve) => child.on('close', (code, signal) => resolve(code ?? (signal === 'SIGKILL' ? 137 : 128))))
  for (let i = 0; i < 400 && (await sideDbs(stack)).length === 0; i++) await new Promise((r) => setTimeout(r, 25))
  assert.ok((await sideDbs(stack)).length > 0, `the load never created its side database: ${stderr}`)
  await new Promise((r) => setTimeout(r, 300)) // into the rows
  return { child, exited, stderr: () => stderr }
}

/** Records the case for docs/reliability.md: operation, signal and point, what was expected. */
const recorded = (fault: string, op: string, point: string, expected: string, fn: (lost: (yes: boolean) => void) => Promise<string>) =>
  faultCase({ name: `postgres ${op} ${fault} ${point}`, operation: `${op} (PostgreSQL)`, fault, point, expected }, (log) => fn(log.lost))

s('kill -9 in the middle of a load: the live database is untouched; the next run removes the side database', ({ stack, before }) => recorded('kill -9', 'data_load', 'mid-data',
  'live database unchanged; the next run drops the side database', async (lost) => {
  const { child, exited } = await loadUnderWay(stack)
  child.kill('SIGKILL')
  assert.is(await exited, 137)
  const after = await stack.engine.tableStates()
  lost(JSON.stringify(after) !== JSON.stringify(before))
  assert.equal(after, before)
  assert.is((await sideDbs(stack)).length, 1, 'the killed run left its side database')
  const next = await runScript(stack, 'data-dump', ['--name', 'after-kill'])
  assert.is(next.code, 0, next.stderr)
  assert.match(next.stderr, /removed debris of an interrupted run: database _dk_stage_\d+_/)
  assert.equal(await sideDbs(stack), [])
  return 'live database unchanged; the next data_dump dropped the side database and said so'
}))

s('Ctrl-C in the middle of a load: exit 130, the live database untouched, no side database left', ({ stack, before }) => recorded('SIGINT', 'data_load', 'mid-data',
  'exit 130, live database unchanged, no side database left', async (lost) => {
  const { child, exited, stderr } = await loadUnderWay(stack)
  child.kill('SIGINT')
  assert.is(await exited, 130, stderr())
  const after = await stack.engine.tableStates()
  lost(JSON.stringify(after) !== JSON.stringify(before))
  assert.equal(after, before)
  assert.equal(await sideDbs(stack), [])
  assert.match(lastLine(stderr()), /interrupted \(SIGINT\) before the swap: nothing changed/)
  return `exit 130, "${lastLine(stderr()).replace(/^datakeep: /, '')}", live database unchanged`
}))

s('Ctrl-C in the middle of a dump: exit 130, no partial folder, no snapshot; kill -9: the next run removes the partial folder', ({ stack }) => recorded('SIGINT, kill -9', 'data_dump', 'mid-data (a data file written)',
  'no snapshot of that name; SIGINT leaves no partial folder; the next run removes a killed one', async (lost) => {
  const backups = path.join(stack.dir, 'data/backups')
  const partials = () => fs.readdirSync(backups).filter((n) => n.includes('.partial-'))
  for (const signal of ['SIGINT', 'SIGKILL'] as const) {
    const child = spawnScript(stack, 'data-dump', ['--name', `cut-${signal}`])
    const exited = new Promise<number>((resolve) => child.on('close', (code, sig) => resolve(code ?? (sig === 'SIGKILL' ? 137 : 128))))
    for (let i = 0; i < 400 && !fs.readdirSync(backups).some((n) => n.startsWith(`cut-${signal}.partial-`) && fs.existsSync(path.join(backups, n, 'data')) && fs.readdirSync(path.join(backups, n, 'data')).length > 0); i++) {
      await new Promise((r) => setTimeout(r, 10))
    }
    child.kill(signal)
    assert.is(await exited, signal === 'SIGINT' ? 130 : 137)
    assert.not.ok(fs.existsSync(path.join(backups, `cut-${signal}`)))
    if (signal === 'SIGINT') assert.equal(partials(), [])
  }
  assert.is(partials().length, 1, 'kill -9 leaves its partial folder')
  const next = await runScript(stack, 'data-dump', ['--name', 'after-cut'])
  assert.is(next.code, 0, next.stderr)
  assert.match(next.stderr, /removed debris of an interrupted run: .*cut-SIGKILL\.partial-/)
  assert.equal(partials(), [])
  lost(false) // a dump never writes the live database; the snapshots before it are checked by data_verify elsewhere
  return 'no snapshot named after the cut dump; SIGINT left nothing, the next run removed the killed run\'s partial folder'
}))

s('a stopped server: data_dump and data_load exit 1 with one line naming make up; nothing is written', async ({ stack }) => {
  await stack.stop()
  for (const [name, args] of [['data-dump', ['--name', 'down']], ['data-load', ['--name', 'big']]] as const) {
    const r = await runScript(stack, name, [...args])
    assert.is(r.code, 1, `${name}: ${r.stderr}`)
    assert.match(lastLine(r.stderr), /^datakeep: the database server does not answer at socket .*\.s\.PGSQL\.\d+ \((ECONNREFUSED|ENOENT)\); to fix: make up$/)
  }
  assert.not.ok(fs.existsSync(path.join(stack.dir, 'data/backups/down')))
  await stack.engine.runtime.start()
})

s.run()
