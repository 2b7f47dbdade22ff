// undo and the checks before a destructive step, one suite run on each engine through the real
// scripts, on the example migration and seed a fresh clone ships: undo follows the record (an
// operation that reused a snapshot goes back to it), --no-safety leaves nothing to undo and undo
// says why, an edited migration stops INIT_CLEAN before anything is destroyed, a failing seed keeps
// the old _init, bad INIT_ values are refused. (initialize itself: tests/engines/initialize.test.ts.)
import fs from 'node:fs'
import path from 'node:path'
import { suite } from '../support/uvu.ts'
import * as assert from 'uvu/assert'
import { ENGINE_CASES, type AnyStack } from '../support/engine-cases.ts'
import { lastLine, REPO, runScript } from '../support/stack.ts'

for (const [engine, c] of Object.entries(ENGINE_CASES)) {
  const t = suite(`undo and preflight on ${engine}`, { stack: null as unknown as AnyStack })
  t.before(async (ctx) => {
    ctx.stack = await c.stack()
    // a fresh clone: the example migration(s) and seed exactly as the repository ships them
    for (const d of ['data/migrations', 'data/seed']) fs.cpSync(path.join(REPO, d), path.join(ctx.stack.dir, d), { recursive: true })
    const r = await runScript(ctx.stack, 'initialize')
    if (r.code !== 0) throw new Error(r.stderr)
  })
  t.after(async (ctx) => {
    if (ctx.stack) await c.close(ctx.stack)
    await ctx.stack?.destroy()
  })

  const state = (stack: AnyStack) => c.fingerprint(stack)
  const db = (stack: AnyStack) => c.database(stack)

  t('INIT_LOAD of a missing snapshot and an INIT_CLEAN that is no boolean: exit 2, nothing done', async ({ stack }) => {
    const before = await state(stack)
    let r = await runScript(stack, 'initialize', [], { INIT_LOAD: 'nope' })
    assert.is(r.code, 2)
    assert.match(lastLine(r.stderr), 'snapshot "nope" does not exist')
    r = await runScript(stack, 'initialize', [], { INIT_CLEAN: 'maybe' })
    assert.is(r.code, 2)
    assert.match(lastLine(r.stderr), 'INIT_CLEAN="maybe" is not a boolean')
    assert.equal(await state(stack), before)
  })

  t('undo follows the record: the snapshot that held the state before INIT_CLEAN (reused or new), not an older safety one', async ({ stack }) => {
    // an unrelated, older safety snapshot exists; par2 holds the state now
    await c.sql(stack, "INSERT INTO notes (title, body) VALUES ('old state', '')")
    assert.is((await runScript(stack, 'data-load', ['--name', '_init'])).code, 0)
    await c.sql(stack, "INSERT INTO notes (title, body) VALUES ('par2 state', '')")
    const par2 = await state(stack)
    assert.is((await runScript(stack, 'data-dump', ['--name', 'par2'])).code, 0)
    const clean = await runScript(stack, 'initialize', [], { INIT_CLEAN: 'true' })
    assert.is(clean.code, 0, clean.stderr)
    // MariaDB reuses par2 (proving it equal reads less than a new snapshot writes); PostgreSQL copies the
    // database in the server, which costs less than proving par2 equal (reading every row): the record names what holds the state
    const holder = engine === 'PostgreSQL' ? /_safety\/INIT_CLEAN-\d{14}/.exec(clean.stderr)?.[0] ?? '(none)' : 'par2'
    if (engine === 'PostgreSQL') assert.match(clean.stderr, `safety snapshot ${holder} taken (a copy of the database, held in the server)`)
    else assert.match(clean.stderr, 'snapshot par2 already holds the current state')
    assert.match(clean.stderr, `to go back: make undo (or make data_load ARGS="--name ${holder}")`)
    assert.not.equal(await state(stack), par2)
    const undo = await runScript(stack, 'undo')
    assert.is(undo.code, 0, undo.stderr)
    assert.match(undo.stderr, `undo: restoring ${holder}, the state before INIT_CLEAN at `)
    assert.equal(await state(stack), par2)
  })

  t('--no-safety: no "make undo" is offered, and undo refuses naming why; nothing changes', async ({ stack }) => {
    const load = await runScript(stack, 'data-load', ['--name', '_init', '--no-safety'])
    assert.is(load.code, 0, load.stderr)
    assert.not.match(load.stderr, 'make undo')
    const loaded = await state(stack)
    const undo = await runScript(stack, 'undo')
    assert.is(undo.code, 2)
    assert.match(lastLine(undo.stderr), /cannot undo data_load at .* UTC: no snapshot holds the state before it \(--no-safety: no safety snapshot taken\); nothing was changed/)
    assert.equal(await state(stack), loaded)
  })

  t('an edited migration stops INIT_CLEAN while inspecting, before anything is destroyed', async ({ stack }) => {
    await c.sql(stack, "INSERT INTO notes (title, body) VALUES ('kept', '')")
    const before = await state(stack)
    const safety = fs.readdirSync(path.join(stack.dir, 'data/backups/_safety')).sort()
    const dir = path.join(stack.dir, 'data/migrations')
    const file = path.join(dir, fs.readdirSync(dir).find((f) => f.endsWith(engine === 'PostgreSQL' ? '.postgres.sql' : '_notes.sql'))!)
    const text = fs.readFileSync(file, 'utf8')
    fs.writeFileSync(file, text.replace('-- migrate:up', '-- migrate:up\n-- edited after it was applied'))
    try {
      const r = await runScript(stack, 'initialize', [], { INIT_CLEAN: 'true' })
      assert.not.equal(r.code, 0)
      assert.match(lastLine(r.stderr), path.basename(file))
      assert.equal(await state(stack), before)
      assert.equal(fs.readdirSync(path.join(stack.dir, 'data/backups/_safety')).sort(), safety, 'no safety snapshot taken')
    } finally { fs.writeFileSync(file, text) }
  })

  t('seed_data whose new seed fails keeps the old _init and the live data', async ({ stack }) => {
    const r = await runScript(stack, 'seed-data')
    assert.is(r.code, 0, r.stderr)
    assert.match(lastLine(r.stderr), new RegExp(`seeded ${db(stack)} from a new _init: \\d+ tables?, \\d+ rows`))
    const seeded = await state(stack)
    const bad = path.join(stack.dir, 'data/seed/004_bad.sql')
    fs.writeFileSync(bad, 'INSERT INTO no_such_table VALUES (1);\n')
    const initBefore = fs.readFileSync(path.join(stack.dir, 'data/backups/_init/manifest.json'), 'utf8')
    try {
      const r2 = await runScript(stack, 'seed-data')
      assert.is(r2.code, 1)
      assert.match(lastLine(r2.stderr), 'seed 004_bad.sql failed')
      assert.is(fs.readFileSync(path.join(stack.dir, 'data/backups/_init/manifest.json'), 'utf8'), initBefore)
      assert.equal(await state(stack), seeded)
      assert.equal(await c.tempDatabases(stack), [])
    } finally { fs.rmSync(bad) }
  })

  t.run()
}
