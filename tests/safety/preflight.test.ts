// Every destructive command checks all of its input before its safety snapshot, on each engine: a
// damaged snapshot (INIT_LOAD, undo) or a seed that fails (seed_data) costs nothing and takes no
// safety snapshot.
import fs from 'node:fs'
import path from 'node:path'
import { suite } from '../support/uvu.ts'
import * as assert from 'uvu/assert'
import { ENGINE_CASES, type AnyStack } from '../support/engine-cases.ts'
import { lastLine, runScript } from '../support/stack.ts'

const safetyDirs = (stack: AnyStack) => {
  try { return fs.readdirSync(path.join(stack.dir, 'data/backups/_safety')).sort() } catch { return [] }
}

/** One byte of the snapshot's first data file flipped (a safety copy held in the server has only its files archive). */
function damage(stack: AnyStack, name: string): void {
  const dir = path.join(stack.dir, 'data/backups', name)
  const data = path.join(dir, 'data')
  const f = fs.existsSync(data) ? path.join(data, fs.readdirSync(data).sort()[0]) : path.join(dir, 'storage.tar.gz')
  const bytes = fs.readFileSync(f)
  bytes[bytes.length - 1] ^= 0xff // same size: only the hash finds it
  fs.rmSync(f) // a file of its own: snapshots share unchanged files (hard links)
  fs.writeFileSync(f, bytes)
}

for (const [engine, c] of Object.entries(ENGINE_CASES)) {
  const t = suite(`input checked before the safety snapshot on ${engine}`, { stack: null as unknown as AnyStack })
  t.before(async (ctx) => {
    ctx.stack = await c.stack()
    await c.sql(ctx.stack, 'CREATE TABLE keep (id INT PRIMARY KEY); INSERT INTO keep VALUES (1), (2)')
  })
  t.after(async (ctx) => {
    if (ctx.stack) await c.close(ctx.stack)
    await ctx.stack?.destroy()
  })

  /** A new live state, so a safety snapshot would be due. */
  const touch = (stack: AnyStack) => c.sql(stack, 'CREATE TABLE IF NOT EXISTS touched (n INT); INSERT INTO touched VALUES (1)')

  async function noSafetySnapshot(stack: AnyStack, script: string, args: string[], env: Record<string, string>, message: RegExp): Promise<void> {
    await touch(stack)
    const safety = safetyDirs(stack)
    const live = await c.fingerprint(stack)
    const r = await runScript(stack, script, args, env)
    assert.is(r.code, 1, r.stderr)
    assert.match(lastLine(r.stderr), message)
    assert.not.match(r.stderr, /taking (physical )?safety snapshot/)
    assert.equal(safetyDirs(stack), safety)
    assert.equal(await c.fingerprint(stack), live)
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
}
