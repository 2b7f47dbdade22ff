// Every destructive command checks all of its input before its safety snapshot: a damaged snapshot
// (INIT_LOAD, undo) or a seed that fails (seed_data) costs nothing and takes no safety snapshot.
import fs from 'node:fs'
import path from 'node:path'
import { suite } from '../support/uvu.ts'
import * as assert from 'uvu/assert'
import { fingerprint, sql } from '../support/fingerprint.ts'
import { lastLine, makeStack, runScript, type TestStack } from '../support/stack.ts'

const t = suite('input checked before the safety snapshot', { stack: null as unknown as TestStack })
t.before(async (ctx) => {
  ctx.stack = await makeStack({ env: { MYSQL_DATABASE: 'app' } })
  await sql(ctx.stack, 'CREATE DATABASE IF NOT EXISTS app; CREATE TABLE app.keep (id INT PRIMARY KEY); INSERT INTO app.keep VALUES (1), (2);')
})
t.after(async (ctx) => { await ctx.stack?.destroy() })

const safetyDirs = (stack: TestStack) => {
  try { return fs.readdirSync(path.join(stack.dir, 'data/backups/_safety')).sort() } catch { return [] }
}
/** A new live state, so a safety snapshot would be due. */
const touch = (stack: TestStack) => sql(stack, 'CREATE TABLE IF NOT EXISTS app.touched (id INT AUTO_INCREMENT PRIMARY KEY); INSERT INTO app.touched () VALUES ()')
function damage(stack: TestStack, name: string): void {
  const data = path.join(stack.dir, 'data/backups', name, 'data')
  const f = path.join(data, fs.readdirSync(data).sort()[0])
  const bytes = fs.readFileSync(f)
  bytes[bytes.length - 1] ^= 0xff // same size: only the hash finds it
  fs.writeFileSync(f, bytes)
}

async function noSafetySnapshot(stack: TestStack, script: string, args: string[], env: Record<string, string>, message: RegExp): Promise<void> {
  await touch(stack)
  const safety = safetyDirs(stack)
  const live = await stack.db((db) => fingerprint(db, 'app'), null)
  const r = await runScript(stack, script, args, env)
  assert.is(r.code, 1, r.stderr)
  assert.match(lastLine(r.stderr), message)
  assert.not.match(r.stderr, /taking (physical )?safety snapshot/)
  assert.equal(safetyDirs(stack), safety)
  assert.equal(await stack.db((db) => fingerprint(db, 'app'), null), live)
}

t('initialize INIT_CLEAN + INIT_LOAD of a damaged snapshot: refused before the safety snapshot', async ({ stack }) => {
  const d = await runScript(stack, 'data-dump', ['--name', 'bad'])
  assert.is(d.code, 0, d.stderr)
  damage(stack, 'bad')
  await noSafetySnapshot(stack, 'initialize', [], { INIT_CLEAN: 'true', INIT_LOAD: 'bad' }, /snapshot "bad" is damaged: data\/.*sha256 differs.*nothing was changed/)
})

t('undo whose safety snapshot is damaged: refused before the snapshot of the current state', async ({ stack }) => {
  const d = await runScript(stack, 'data-dump', ['--name', 'good'])
  assert.is(d.code, 0, d.stderr)
  await touch(stack)
  const l = await runScript(stack, 'data-load', ['--name', 'good'])
  assert.is(l.code, 0, l.stderr)
  const [newest] = safetyDirs(stack).slice(-1)
  assert.ok(newest, 'the load took a safety snapshot')
  damage(stack, `_safety/${newest}`)
  await noSafetySnapshot(stack, 'undo', [], {}, /snapshot "_safety\/.*" is damaged: .*sha256 differs.*nothing was changed/)
})

t('seed_data whose seed fails: no safety snapshot', async ({ stack }) => {
  fs.mkdirSync(path.join(stack.dir, 'data/seed'), { recursive: true })
  fs.writeFileSync(path.join(stack.dir, 'data/seed/001_bad.sql'), 'INSERT INTO nosuch_table VALUES (1);\n')
  await noSafetySnapshot(stack, 'seed-data', [], {}, /nosuch_table/)
})

t.run()
