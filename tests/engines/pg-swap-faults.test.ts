// A PostgreSQL load whose process dies after the databases switched and before its files did: the
// live database carries the swap's journal (its comment), and the next run puts the staged files in
// place before anything removes them as debris; the database's own comment comes back.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { suite } from '../support/uvu.ts'
import * as assert from 'uvu/assert'
import { projectPath } from '../../lib/config.ts'
import { pgQuery, qi } from '../../lib/engines/postgres/db.ts'
import { makePgStack, type PgTestStack } from '../support/pg-stack.ts'
import { faultCase } from '../support/fault-results.ts'
import { REPO, TSX_LOADER, runScript } from '../support/stack.ts'

const s = suite('pg swap with files', { stack: null as unknown as PgTestStack })
s.before(async (ctx) => { ctx.stack = await makePgStack() })
s.after(async (ctx) => { await ctx.stack?.destroy() })

const comment = (stack: PgTestStack) => stack.pg(async (c) => (await pgQuery<{ c: string | null }>(c,
  "SELECT shobj_description(oid, 'pg_database') AS c FROM pg_database WHERE datname = $1", [stack.cfg.POSTGRES_DB]))[0].c, null)

s('killed between the database swap and the files: the next run places the files and clears the journal', ({ stack }) => faultCase({
  name: 'postgres data_load dies between the database swap and the files', operation: 'data_load (PostgreSQL)', fault: 'process dies',
  point: 'after the databases switched, before the files', expected: 'the next run puts the staged files in place: database and files of the snapshot',
}, async (log) => {
  const live = stack.cfg.POSTGRES_DB
  const real = projectPath(stack.cfg, stack.cfg.STORAGE_DIR)
  fs.mkdirSync(real, { recursive: true })
  fs.writeFileSync(path.join(real, 'old.txt'), 'before the load')
  await stack.pg(async (c) => {
    await c.query(`COMMENT ON DATABASE ${qi(live)} IS 'the app database'`)
    await c.query(`CREATE DATABASE ${qi('_dk_stage_1_x')}`)
  }, null)
  await stack.pg((c) => c.query('CREATE TABLE from_snapshot (a int)'), '_dk_stage_1_x')
  // a process that runs the real swap and dies right after the databases switched: its staged folder
  // is not there yet when it tries to place it (the folder is created below, as a dead run leaves it)
  const child = path.join(stack.dir, 'swap-child.mts')
  fs.writeFileSync(child, `
    import { loadConfig } from ${JSON.stringify(path.join(REPO, 'lib/config.ts'))}
    import { postgresEngine } from ${JSON.stringify(path.join(REPO, 'lib/engines/postgres/index.ts'))}
    import { withPg } from ${JSON.stringify(path.join(REPO, 'lib/engines/postgres/db.ts'))}
    import { swapDatabases } from ${JSON.stringify(path.join(REPO, 'lib/engines/postgres/swap.ts'))}
    const cfg = loadConfig({ env: process.env, projectDir: ${JSON.stringify(stack.dir)} })
    const rt = (await postgresEngine(cfg)).runtime
    const storage = { staging: ${JSON.stringify(real)} + '.staging-' + process.pid + '-1', real: ${JSON.stringify(real)} }
    console.log(storage.staging)
    await withPg(rt.admin, (c) => swapDatabases(c, { live: ${JSON.stringify(live)}, side: '_dk_stage_1_x', old: '_dk_old_1_x', storage }), { database: null })
  `)
  const r = spawnSync(process.execPath, ['--import', TSX_LOADER, child], { env: { ...process.env, ...stack.env }, encoding: 'utf8' })
  assert.is.not(r.status, 0, 'the swap was meant to fail placing its files')
  assert.match(r.stderr, /ENOENT/, r.stderr + r.stdout)
  const staging = r.stdout.trim()
  // the databases had switched: the live one is the snapshot's and carries the journal
  const tables = await stack.pg((c) => pgQuery<{ t: string }>(c, "SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public'"))
  assert.equal(tables.map((t) => t.t), ['from_snapshot'])
  assert.match(String(await comment(stack)), /^datakeep-swap:/)
  fs.mkdirSync(staging)
  fs.writeFileSync(path.join(staging, 'new.txt'), 'the snapshot file')

  const next = await runScript(stack, 'data-dump', ['--name', 'after'])
  assert.is(next.code, 0, next.stderr)
  assert.match(next.stderr, /finished the interrupted swap of app: .*put the snapshot's files in place/)
  assert.equal(fs.readdirSync(real), ['new.txt'])
  assert.not.ok(fs.existsSync(staging))
  assert.is(await comment(stack), 'the app database')
  // the dump that followed holds the files that belong with the database
  const m = JSON.parse(fs.readFileSync(path.join(stack.dir, stack.cfg.DATA_BACKUP_DIRNAME, 'after/manifest.json'), 'utf8'))
  assert.is(m.storage.files, 1)
  log.lost(false)
  return 'the next data_dump finished the swap: the snapshot\'s database with its files, the journal cleared'
}))

s('a load with files through the real path leaves no journal behind', async ({ stack }) => {
  const d = await runScript(stack, 'data-dump', ['--name', 'plain'])
  assert.is(d.code, 0, d.stderr)
  const l = await runScript(stack, 'data-load', ['--name', 'plain', '--no-safety'])
  assert.is(l.code, 0, l.stderr)
  assert.is(await comment(stack), 'the app database')
})

s.run()
