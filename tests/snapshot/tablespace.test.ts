// Tablespace files placed into a staging database: an import that fails leaves no stray file, so
// the staging database still drops whole; an imported table keeps its file.
import fs from 'node:fs'
import path from 'node:path'
import { suite } from '../support/uvu.ts'
import * as assert from 'uvu/assert'
import { query } from '../../lib/db.ts'
import { readManifest } from '../../lib/snapshot/manifest.ts'
import { snapshotPath } from '../../lib/snapshot/names.ts'
import { clearPlaced, importTablespace, placeTablespaces } from '../../lib/snapshot/tablespace.ts'
import { sql } from '../support/fingerprint.ts'
import { makeStack, runScript, type TestStack } from '../support/stack.ts'

const t = suite('tablespace placement', { stack: null as unknown as TestStack })
t.before(async (ctx) => {
  ctx.stack = await makeStack({ env: { MYSQL_DATABASE: 'app' } })
  await sql(ctx.stack, `CREATE DATABASE IF NOT EXISTS app; USE app;
    CREATE TABLE good (id INT PRIMARY KEY, v VARCHAR(20)); INSERT INTO good VALUES (1, 'one'), (2, 'two');
    CREATE TABLE bad (id INT PRIMARY KEY, n BIGINT); INSERT INTO bad VALUES (1, 10);`)
  const r = await runScript(ctx.stack, 'data-dump', ['--name', 'ts', '--physical'])
  if (r.code !== 0) throw new Error(r.stderr)
})
t.after(async (ctx) => { await ctx.stack?.destroy() })

t('a failed import takes its files away; the imported table keeps its own; the staging database drops whole', async ({ stack }) => {
  const m = readManifest(snapshotPath(stack.cfg, 'ts'))
  const tables = m.tables.filter((x) => x.tablespace)
  assert.equal(tables.map((x) => x.name).sort(), ['bad', 'good'])
  const stageDir = path.join(stack.rt.paths.dataDir, 'stage_t')
  await stack.db(async (db) => {
    await db.query('CREATE DATABASE stage_t')
    await db.query('CREATE TABLE stage_t.good (id INT PRIMARY KEY, v VARCHAR(20))')
    // not the table the files were copied from: its import must fail
    await db.query('CREATE TABLE stage_t.bad (id INT PRIMARY KEY, n VARCHAR(5), extra INT)')
    const placed = await placeTablespaces(db, stack.rt.serverFiles, 'stage_t', tables, snapshotPath(stack.cfg, 'ts'))
    assert.equal(fs.readdirSync(stageDir).filter((f) => /\.(ibd|cfg)$/.test(f)).sort(), ['bad.cfg', 'bad.ibd', 'good.cfg', 'good.ibd'])
    await importTablespace(db, placed, tables.find((x) => x.name === 'good')!)
    let failed = ''
    await importTablespace(db, placed, tables.find((x) => x.name === 'bad')!).catch((e: Error) => { failed = e.message })
    assert.ok(failed !== '', 'importing files into another table definition fails')
    await clearPlaced(placed)
    assert.equal(fs.readdirSync(stageDir).filter((f) => /\.(ibd|cfg)$/.test(f)).sort(), ['good.ibd'])
    assert.equal(await query(db, 'SELECT id, v FROM stage_t.good ORDER BY id'), [{ id: 1, v: 'one' }, { id: 2, v: 'two' }])
    await db.query('DROP DATABASE stage_t')
  }, null)
  assert.not.ok(fs.existsSync(stageDir), 'the staging folder is gone')
})

t.run()
