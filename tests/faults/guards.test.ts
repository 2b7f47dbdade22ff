// The environment guards, one destructive script each: on staging (and production) nothing runs
// without --confirm=<database>; the refusal is exit 2 with the exact command to go ahead, before
// any change and before any safety snapshot.
import fs from 'node:fs'
import path from 'node:path'
import { suite } from '../support/uvu.ts'
import * as assert from 'uvu/assert'
import { dumpOk, stateOf, unverified, type World } from '../support/faults.ts'
import { snapshotsOnDisk } from '../support/fault-points.ts'
import { faultCase } from '../support/fault-results.ts'
import { fingerprint } from '../support/fingerprint.ts'
import { lastLine, makeStack, runScript, type TestStack } from '../support/stack.ts'

const t = suite('faults: environment guards', { stack: null as unknown as TestStack, w: null as unknown as World })
t.before(async (ctx) => {
  const stack = ctx.stack = await makeStack({ env: { MYSQL_DATABASE: 'app' } })
  const data = path.join(stack.dir, 'data')
  fs.mkdirSync(path.join(data, 'migrations'), { recursive: true })
  fs.mkdirSync(path.join(data, 'seed'), { recursive: true })
  fs.writeFileSync(path.join(data, 'migrations/20260101000000_note.sql'),
    '-- migrate:up\nCREATE TABLE note (id INT PRIMARY KEY AUTO_INCREMENT, body VARCHAR(200) NOT NULL);\n-- migrate:down\nDROP TABLE note;\n')
  fs.writeFileSync(path.join(data, 'seed/001_note.sql'), "INSERT INTO note (body) VALUES ('one'), ('two');\n")
  for (const [name, args] of [['initialize', []], ['fixtures-dump', []]] as const) {
    const r = await runScript(stack, name, [...args])
    if (r.code !== 0) throw new Error(`${name}: ${r.stderr}`)
  }
  await dumpOk(stack, 'g')
  const live = await stack.db((db) => fingerprint(db, 'app'), null)
  ctx.w = { stack, database: 'app', known: { live }, snapshots: ['_init', 'g'], current: 'live' }
})
t.after(async (ctx) => { await ctx.stack?.destroy() })

const confirmHint = (command: string) => `to go ahead, name the database: ${command}`

async function refused(w: World, op: string, script: string, args: string[], env: Record<string, string>, line: string,
  opts: { serverDown?: boolean; name?: string } = {}) {
  const where = env.APP_ENV
  await faultCase({
    name: opts.name ?? `${op} on ${where} without --confirm`, operation: op, fault: `${where} guard`, point: 'before anything',
    expected: 'exit 2 with the command to go ahead; nothing changed, no safety snapshot taken',
  }, async (log) => {
    const before = snapshotsOnDisk(w.stack)
    if (opts.serverDown) await w.stack.stop()
    let r
    try { r = await runScript(w.stack, script, args, env) } finally {
      if (opts.serverDown) await w.stack.rt.start()
    }
    const state = await stateOf(w.stack, 'app', w.known)
    const bad = await unverified(w.stack, w.snapshots)
    log.lost(state === null || bad.length > 0)
    assert.is(state, 'live', 'the live database changed')
    assert.equal(bad, [])
    assert.is(r.code, 2, r.stderr)
    assert.is(lastLine(r.stderr), `datakeep: ${line}`)
    assert.equal(snapshotsOnDisk(w.stack), before, 'a snapshot was taken or removed')
    return `exit 2: "${lastLine(r.stderr)}"`
  })
}

const staging = { APP_ENV: 'staging' }
const onStaging = (op: string) => `refusing ${op} on staging database "app"`

t('data_load', async ({ w }) => {
  await refused(w, 'data_load', 'data-load', ['--name', 'g'], staging, `${onStaging('data_load')}; ${confirmHint('make data_load ARGS="--name g --confirm=app"')}`)
})

t('seed_data', async ({ w }) => {
  await refused(w, 'seed_data', 'seed-data', [], staging, `${onStaging('seed_data')}; ${confirmHint('make seed_data ARGS="--confirm=app"')}`)
})

t('initialize INIT_CLEAN=true', async ({ w }) => {
  await refused(w, 'initialize INIT_CLEAN=true', 'initialize', [], { ...staging, INIT_CLEAN: 'true' },
    `${onStaging('INIT_CLEAN')}; ${confirmHint('make initialize INIT_CLEAN=true ARGS="--confirm=app"')}`)
})

t('rollback', async ({ w }) => {
  await refused(w, 'rollback', 'rollback', [], staging, `${onStaging('rollback')}; ${confirmHint('make rollback ARGS="--confirm=app"')}`)
})

t('fixtures_load', async ({ w }) => {
  await refused(w, 'fixtures_load', 'fixtures-load', [], staging, `${onStaging('fixtures_load')}; ${confirmHint('make fixtures_load ARGS="--confirm=app"')}`)
})

t('docker_mysqld_volume_remove (server stopped, as it requires)', async ({ w }) => {
  await refused(w, 'docker_mysqld_volume_remove', 'volume-remove', [], staging,
    `${onStaging('volume_remove')}; ${confirmHint('make volume_remove ARGS="--confirm=app"')}`, { serverDown: true })
  assert.ok(fs.existsSync(w.stack.rt.paths.dataDir), 'the data directory is still there')
})

t('undo', async ({ w }) => {
  await refused(w, 'undo', 'undo', [], staging, `${onStaging('undo')}; ${confirmHint('make undo ARGS="--confirm=app"')}`)
})

t('seed_data on production: --confirm is not enough for a reset', async ({ w }) => {
  await refused(w, 'seed_data', 'seed-data', ['--confirm=app'], { APP_ENV: 'production' },
    'refusing seed_data on production database "app": it wipes the data, which production allows only with ALLOW_DESTRUCTIVE_IN_PRODUCTION=true in the environment (not .env); '
    + 'take a snapshot first (make data_dump), then if you really mean it: ALLOW_DESTRUCTIVE_IN_PRODUCTION=true make seed_data ARGS="--confirm=app"',
    { name: 'seed_data on production with --confirm, without ALLOW_DESTRUCTIVE_IN_PRODUCTION' })
})

t('every snapshot still verifies with the real data-verify script', async ({ w }) => {
  assert.equal(await unverified(w.stack, w.snapshots, true), [])
})

t.run()
