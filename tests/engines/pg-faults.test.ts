// PostgreSQL loads and dumps cut short: kill -9 and Ctrl-C early, in the middle of the rows and just
// before the swap leave the live database and its files one state (as before, or for a Ctrl-C that
// came during the swap, the snapshot's, as the last line says); what a killed run leaves is removed by
// the next one; a stopped server is one line.
import fs from 'node:fs'
import path from 'node:path'
import { suite } from '../support/uvu.ts'
import * as assert from 'uvu/assert'
import { projectPath } from '../../lib/config.ts'
import { pgQuery } from '../../lib/engines/postgres/db.ts'
import { storageTree } from '../../lib/snapshot/storage-tree.ts'
import { generateSql } from '../../bench/pg-generate.ts'
import { clientBinDir, psqlArgv } from '../../lib/engines/postgres/tools.ts'
import { HOST, run } from '../../lib/run.ts'
import { makePgStack, type PgTestStack } from '../support/pg-stack.ts'
import { faultCase } from '../support/faults.ts'
import { lastLine, runScript, spawnScript } from '../support/stack.ts'

interface World { stack: PgTestStack; before: State; loaded: State }
interface State { tables: unknown; files: string }
const s = suite('pg faults', { w: null as unknown as World })

const storageDir = (stack: PgTestStack) => projectPath(stack.cfg, stack.cfg.STORAGE_DIR)
const stateOf = async (stack: PgTestStack): Promise<State> => ({ tables: await stack.engine.tableStates(), files: (await storageTree(storageDir(stack))).treeHash })
const same = (a: State, b: State) => JSON.stringify(a) === JSON.stringify(b)
/** The writes that turn the snapshot's state into the live one the cases start from. */
async function writesAfterSnapshot(stack: PgTestStack): Promise<void> {
  await stack.pg((c) => c.query('DELETE FROM t0 WHERE id % 2 = 0; CREATE TABLE marker (a int)'))
  const dir = storageDir(stack)
  for (let i = 0; i < FILES; i += 2) fs.rmSync(path.join(dir, `f${i}.txt`))
  fs.writeFileSync(path.join(dir, 'after.txt'), 'written after the snapshot')
}
const FILES = 3000

s.before(async (ctx) => {
  const stack = await makePgStack()
  await run(HOST, psqlArgv(clientBinDir(stack.cfg), stack.engine.runtime.clientArgs(), 'app'), { input: generateSql(400_000) })
  // enough uploaded files that staging them (just before the swap) takes a moment
  fs.mkdirSync(storageDir(stack), { recursive: true })
  for (let i = 0; i < FILES; i++) fs.writeFileSync(path.join(storageDir(stack), `f${i}.txt`), `file ${i}\n`.repeat(20))
  const d = await runScript(stack, 'data-dump', ['--name', 'big'])
  assert.is(d.code, 0, d.stderr)
  await writesAfterSnapshot(stack)
  const l = await runScript(stack, 'data-load', ['--name', 'big', '--no-safety'])
  assert.is(l.code, 0, l.stderr)
  const loaded = await stateOf(stack)
  await writesAfterSnapshot(stack)
  ctx.w = { stack, before: await stateOf(stack), loaded }
  assert.not.equal(ctx.w.before, loaded)
})
s.after(async (ctx) => { await ctx.w?.stack.destroy() })

const sideDbs = (stack: PgTestStack) => stack.pg((c) => pgQuery<{ d: string }>(c, "SELECT datname AS d FROM pg_database WHERE datname LIKE '\\_dk\\_%'"), null)
const copying = (stack: PgTestStack) => stack.pg((c) => pgQuery(c,
  "SELECT 1 FROM pg_stat_activity WHERE datname LIKE '\\_dk\\_stage\\_%' AND query LIKE 'COPY %FROM STDIN%' AND state = 'active'"), null)
const staged = (stack: PgTestStack) => {
  const real = storageDir(stack)
  return fs.readdirSync(path.dirname(real)).some((n) => n.startsWith(`${path.basename(real)}.staging-`))
}

/** The points of a load, each seen from outside: the side database created; rows being copied; the files staged beside their folder (the swap is next). */
const POINTS = [
  ['early', 'early (side database just created)', async (stack: PgTestStack) => (await sideDbs(stack)).length > 0],
  ['mid-data', 'in the middle of the rows', async (stack: PgTestStack) => (await copying(stack)).length > 0],
  ['just before the swap', 'just before the swap (files staged)', async (stack: PgTestStack) => staged(stack)],
] as const

/** Records the case for docs/reliability.md: operation, signal and point, what was expected. */
const recorded = (fault: string, op: string, point: string, expected: string, fn: (lost: (yes: boolean) => void) => Promise<string>) =>
  faultCase({ name: `postgres ${op} ${fault} ${point}`, operation: `${op} (PostgreSQL)`, fault, point, expected }, (log) => fn(log.lost))

for (const [signal, label] of [['SIGKILL', 'kill -9'], ['SIGINT', 'SIGINT']] as const) {
  for (const [point, title, at] of POINTS) {
    const expected = signal === 'SIGKILL'
      ? 'live database and files unchanged; the next run drops the side database and the staged files'
      : 'exit 130; the last line says which state is live (before the swap: nothing changed), and it is; no side database left'
    s(`${label} ${title}: database and files are one state, nothing left behind`, ({ w }) => recorded(label, 'data_load', point, expected, async (lost) => {
      const { stack } = w
      const child = spawnScript(stack, 'data-load', ['--name', 'big', '--no-safety'])
      let stderr = ''
      child.stderr!.on('data', (d) => { stderr += d })
      const exited = new Promise<number>((resolve) => child.on('close', (code, sig) => resolve(code ?? (sig === 'SIGKILL' ? 137 : 128))))
      let hit = false
      for (let i = 0; i < 3000 && !hit && child.exitCode === null; i++) {
        hit = await at(stack)
        if (!hit) await new Promise((r) => setTimeout(r, 5))
      }
      assert.ok(hit, `the load never reached the point "${point}": ${stderr}`)
      child.kill(signal)
      const code = await exited
      const after = await stateOf(stack)
      const isBefore = same(after, w.before)
      lost(!isBefore && !same(after, w.loaded))
      let outcome: string
      if (signal === 'SIGKILL') {
        assert.is(code, 137)
        assert.ok(isBefore, 'live database and files as before the load')
        const next = await runScript(stack, 'data-dump', ['--name', `after-${point.replace(/ /g, '-')}`])
        assert.is(next.code, 0, next.stderr)
        assert.match(next.stderr, /removed debris of an interrupted run: database _dk_stage_\d+_/)
        outcome = 'killed; live database and files unchanged; the next data_dump removed the side database' + (point === 'just before the swap' ? ' and the staged files' : '')
      } else {
        assert.is(code, 130, stderr)
        const line = lastLine(stderr)
        if (isBefore) assert.match(line, /interrupted \(SIGINT\) before the swap: nothing changed/)
        else {
          assert.ok(same(after, w.loaded), 'the database and its files are the snapshot\'s')
          assert.match(line, /interrupted \(SIGINT\) after the swap: snapshot big is loaded/)
          await writesAfterSnapshot(stack) // back to the state the next case starts from
        }
        outcome = `exit 130, "${line.replace(/^datakeep: /, '')}", and so it is`
      }
      assert.equal(await sideDbs(stack), [])
      assert.not.ok(staged(stack), 'no staged files left')
      assert.equal(await stateOf(stack), w.before)
      return outcome
    }))
  }
}

s('Ctrl-C in the middle of a dump: exit 130, no partial folder, no snapshot; kill -9: the next run removes the partial folder', ({ w: { stack } }) => recorded('SIGINT, kill -9', 'data_dump', 'mid-data (a data file written)',
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

s('a stopped server: data_dump and data_load exit 1 with one line naming make up; nothing is written', async ({ w: { stack } }) => {
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
