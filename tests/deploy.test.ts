// make check, make predeploy and make postdeploy against a real server, through the real scripts,
// one suite run on each engine: healthy, emptied after a load, data directory missing, database
// dropped, server down; row losses within and beyond POSTDEPLOY_MAX_LOSS, a dropped table, no
// predeploy snapshot.
import fs from 'node:fs'
import path from 'node:path'
import { suite } from './support/uvu.ts'
import * as assert from 'uvu/assert'
import { compareCounts, diffRows } from '../lib/deploy-compare.ts'
import { formatAge } from '../lib/deploy.ts'
import { selectEngine } from '../lib/engines/index.ts'
import type { Marker } from '../lib/initialize/marker.ts'
import { ENGINE_CASES, type AnyStack } from './support/engine-cases.ts'
import { lastLine, runScript } from './support/stack.ts'

/** What check prints of each engine's server and where its local runtime keeps the data (the key that moves it). */
const SERVER: Record<string, { version: RegExp; data: string; dataKey: string }> = {
  MariaDB: { version: /\d+\.\d+\.\d+-MariaDB/, data: 'data/mysqld', dataKey: 'LOCAL_DATA_DIR' },
  PostgreSQL: { version: /PostgreSQL \d+\.\d+/, data: 'data/postgres', dataKey: 'POSTGRES_DATA_DIR' },
}

const values = (n: number, row: (i: number) => string) => Array.from({ length: n }, (_, i) => `(${row(i + 1)})`).join(', ')

for (const [engine, c] of Object.entries(ENGINE_CASES)) {
  const t = suite(`deploy checks on ${engine}`, { stack: null as unknown as AnyStack, predeploy: '' })
  t.before(async (ctx) => {
    ctx.stack = await c.stack()
    await c.sql(ctx.stack, `CREATE TABLE customer (id INT PRIMARY KEY, name VARCHAR(40));
      CREATE TABLE orders (id INT PRIMARY KEY, customer_id INT);
      CREATE TABLE notes (id INT PRIMARY KEY, body TEXT);
      CREATE TABLE audit (id INT PRIMARY KEY);
      CREATE VIEW big_orders AS SELECT * FROM orders WHERE id > 100;
      INSERT INTO customer VALUES ${values(10, (i) => `${i}, 'c${i}'`)};
      INSERT INTO orders VALUES ${values(200, (i) => `${i}, ${1 + i % 10}`)};
      INSERT INTO notes VALUES ${values(4, (i) => `${i}, 'note'`)};`)
  })
  t.after(async (ctx) => {
    if (ctx.stack) await c.close(ctx.stack)
    await ctx.stack?.destroy()
  })

  const server = SERVER[engine]
  /** The marker as initialize and data_load write it, through the engine seam. */
  const writeMarker = async (stack: AnyStack, m: Omit<Marker, 'database' | 'at'>) => (await selectEngine(stack.cfg)).lifecycle().writeMarker(m)

  t('check on a healthy stack: exit 0, what runs, where the data is, row counts, no snapshot yet', async ({ stack }) => {
    const r = await runScript(stack, 'check')
    assert.is(r.code, 0, r.stderr)
    const lines = r.stdout.trimEnd().split('\n')
    assert.is(lines[0], 'runtime:   local')
    assert.match(lines[1], new RegExp(`^server: {4}up \\(pid \\d+\\), ${server.version.source}`))
    assert.match(lines[2], new RegExp(`^data: {6}${path.join(stack.dir, server.data)}, [\\d.]+ MiB$`))
    assert.is(lines[3], 'database:  app, 4 tables, 1 view, 214 rows')
    assert.is(lines[4], 'snapshot:  none')
    assert.equal(lines.slice(6), [
      'table       type   rows',
      '----------  -----  ----',
      'audit       table     0',
      'big_orders  view      0',
      'customer    table    10',
      'notes       table     4',
      'orders      table   200',
    ])
    assert.is(lastLine(r.stderr), 'done: check passed: app has 4 tables, 1 view, 214 rows')
    const j = JSON.parse((await runScript(stack, 'check', ['--json'])).stdout)
    assert.is(j.ok, true)
    assert.equal(j.problems, [])
    assert.is(j.database.rows, 214)
    assert.is(j.data.exists, true)
    assert.ok(j.data.bytes > 0)
  })

  t('check: the data directory missing exits 1', async ({ stack }) => {
    const r = await runScript(stack, 'check', [], { [server.dataKey]: 'data/moved-away' })
    assert.is(r.code, 1)
    assert.match(r.stdout, /^data: {6}.*data\/moved-away \(missing\)$/m)
    // (PostgreSQL's local runtime finds its running server through the data directory: that one is down too)
    assert.match(lastLine(r.stderr), new RegExp(`^datakeep: check failed: the server's data \\(${path.join(stack.dir, 'data/moved-away')}\\) is missing; (the database server is not running \\(not started\\); )?for a new stack: make up$`))
  })

  t('postdeploy without a predeploy snapshot exits 2 and says to run make predeploy first', async ({ stack }) => {
    const r = await runScript(stack, 'postdeploy')
    assert.is(r.code, 2)
    assert.is(lastLine(r.stderr), `datakeep: no predeploy snapshot in ${path.join(stack.dir, 'data/backups')}; run make predeploy first, before the next deploy`)
  })

  t('predeploy snapshots predeploy-<UTC time> and prints its row counts', async (ctx) => {
    const before = new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14)
    const r = await runScript(ctx.stack, 'predeploy')
    assert.is(r.code, 0, r.stderr)
    const m = /snapshot (predeploy-(\d{14})): 4 tables, 214 rows, 0 files in [\d.]+ s; after deploying: make postdeploy$/.exec(lastLine(r.stderr))
    assert.ok(m, r.stderr)
    assert.ok(m![2] >= before)
    ctx.predeploy = m![1]
    assert.is(r.stdout, ['table     rows', '--------  ----', 'audit        0', 'customer    10', 'notes        4', 'orders     200', ''].join('\n'))
    const manifest = JSON.parse(fs.readFileSync(path.join(ctx.stack.dir, 'data/backups', ctx.predeploy, 'manifest.json'), 'utf8'))
    assert.equal(manifest.tables.map((x: { name: string; rows: number }) => [x.name, x.rows]), [['audit', 0], ['customer', 10], ['notes', 4], ['orders', 200]])
    const check = await runScript(ctx.stack, 'check')
    assert.match(check.stdout, new RegExp(`^snapshot:  ${ctx.predeploy}, \\d+ s old \\(${manifest.created}\\)$`, 'm'))
  })

  t('postdeploy right after predeploy: nothing changed, exit 0', async ({ stack, predeploy }) => {
    const r = await runScript(stack, 'postdeploy')
    assert.is(r.code, 0, r.stderr)
    assert.is(r.stdout, '')
    assert.match(lastLine(r.stderr), `done: postdeploy: no table lost rows since ${predeploy} (`)
    assert.match(lastLine(r.stderr), '; 4 unchanged, 0 changed')
  })

  t('rows deleted: postdeploy prints the differences and exits 1 with the restore command; growth is fine', async ({ stack, predeploy }) => {
    await c.sql(stack, "DELETE FROM orders WHERE id <= 50; INSERT INTO customer VALUES (11, 'new'), (12, 'newer'); CREATE TABLE invoices (id INT PRIMARY KEY); INSERT INTO invoices VALUES (1), (2), (3)")
    const r = await runScript(stack, 'postdeploy')
    assert.is(r.code, 1, r.stderr)
    assert.is(r.stdout, [
      'table     before  after  change      result',
      '--------  ------  -----  ----------  ------',
      'customer      10     12  +2          ok',
      'invoices       -      3  new         ok',
      'orders       200    150  -50 (-25%)  FAIL',
      '',
    ].join('\n'))
    assert.is(lastLine(r.stderr), `datakeep: 1 table lost rows since ${predeploy}: orders (-25%); to restore: make data_load ARGS="--name ${predeploy}"`)
  })

  t('POSTDEPLOY_MAX_LOSS=50: a small loss passes; a dropped table still fails', async ({ stack, predeploy }) => {
    const ok = await runScript(stack, 'postdeploy', [], { POSTDEPLOY_MAX_LOSS: '50' })
    assert.is(ok.code, 0, ok.stderr)
    assert.match(ok.stdout, /^orders +200 +150 +-50 \(-25%\) +ok \(within 50%\)$/m)
    assert.match(lastLine(ok.stderr), '; 2 unchanged, 3 changed')
    const tight = await runScript(stack, 'postdeploy', [], { POSTDEPLOY_MAX_LOSS: '24' })
    assert.is(tight.code, 1)
    assert.is(lastLine(tight.stderr), `datakeep: 1 table lost rows more than POSTDEPLOY_MAX_LOSS=24% since ${predeploy}: orders (-25%); to restore: make data_load ARGS="--name ${predeploy}"`)

    await c.sql(stack, 'DROP TABLE notes')
    const gone = await runScript(stack, 'postdeploy', [], { POSTDEPLOY_MAX_LOSS: '50' })
    assert.is(gone.code, 1)
    assert.match(gone.stdout, /^notes +4 +- +gone +FAIL$/m)
    assert.is(lastLine(gone.stderr), `datakeep: 1 table lost rows more than POSTDEPLOY_MAX_LOSS=50% since ${predeploy}: notes (gone); to restore: make data_load ARGS="--name ${predeploy}"`)
  })

  t('postdeploy compares with the latest predeploy snapshot', async (ctx) => {
    await new Promise((r) => setTimeout(r, 1100)) // names carry the second
    const p = await runScript(ctx.stack, 'predeploy')
    assert.is(p.code, 0, p.stderr)
    const latest = /snapshot (predeploy-\d{14})/.exec(p.stderr)![1]
    assert.ok(latest > ctx.predeploy)
    const r = await runScript(ctx.stack, 'postdeploy')
    assert.is(r.code, 0, r.stderr)
    assert.match(lastLine(r.stderr), `no table lost rows since ${latest}`)
    // a damaged newest one is passed over, with a warning, for the one before it
    const file = path.join(ctx.stack.dir, 'data/backups', latest, 'manifest.json')
    const good = fs.readFileSync(file, 'utf8')
    fs.writeFileSync(file, good.replace('"rows": 150', '"rows": 15000'))
    const older = await runScript(ctx.stack, 'postdeploy')
    assert.is(older.code, 1)
    assert.match(older.stderr, `warning: passed over the damaged snapshot ${latest} (${file} was edited or damaged`)
    assert.match(lastLine(older.stderr), `since ${ctx.predeploy}: notes (gone), orders (-25%); to restore`)
    fs.writeFileSync(file, good)
    ctx.predeploy = latest
  })

  t('check: a database emptied after datakeep loaded it exits 1; one that was only created does not', async ({ stack, predeploy }) => {
    await c.sql(stack, 'DELETE FROM orders; DELETE FROM customer; DELETE FROM invoices')
    await writeMarker(stack, { action: 'created', snapshot: null, seedHash: null, tables: 0 })
    const created = await runScript(stack, 'check')
    assert.is(created.code, 0, created.stderr)
    assert.match(created.stdout, /^marker: {4}created at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/m)
    await writeMarker(stack, { action: 'loaded', snapshot: predeploy, seedHash: null, tables: 4 })
    const r = await runScript(stack, 'check')
    assert.is(r.code, 1)
    assert.match(r.stdout, /^database: {2}app, 4 tables, 1 view, 0 rows$/m)
    assert.match(lastLine(r.stderr), new RegExp(`^datakeep: check failed: database app is empty, but it was loaded from snapshot ${predeploy} at \\S+Z \\(the datakeep marker says so\\); `
      + `to restore the newest snapshot with data: make data_load ARGS="--name ${predeploy}"$`))
    const j = JSON.parse((await runScript(stack, 'check', ['--json'])).stdout)
    assert.is(j.ok, false)
    assert.is(j.marker.action, 'loaded')
    // loaded from a snapshot that was empty itself: empty is what was loaded
    assert.is((await runScript(stack, 'data-dump', ['--name', 'empty'])).code, 0)
    await writeMarker(stack, { action: 'loaded', snapshot: 'empty', seedHash: null, tables: 4 })
    const fromEmpty = await runScript(stack, 'check')
    assert.is(fromEmpty.code, 0, fromEmpty.stderr)
    assert.match(fromEmpty.stdout, /^snapshot:  empty, /m)
  })

  t('check and postdeploy: the database dropped exits 1', async ({ stack, predeploy }) => {
    await c.dropDatabase(stack)
    const r = await runScript(stack, 'check')
    assert.is(r.code, 1)
    assert.match(r.stdout, /^database: {2}app \(missing\)$/m)
    assert.is(lastLine(r.stderr), `datakeep: check failed: database app does not exist; to restore the newest snapshot with data: make data_load ARGS="--name ${predeploy}"`)
    const p = await runScript(stack, 'postdeploy')
    assert.is(p.code, 1)
    assert.is(lastLine(p.stderr), `datakeep: database app does not exist (it had 4 tables, 165 rows at ${predeploy}); to restore: make data_load ARGS="--name ${predeploy}"`)
  })

  t('check with the server down exits 1 and says make up', async ({ stack }) => {
    await stack.stop()
    const r = await runScript(stack, 'check')
    assert.is(r.code, 1)
    assert.match(r.stdout, /^server: {4}down \(/m)
    assert.match(r.stdout, /^database: {2}app \(not checked: server down\)$/m)
    assert.match(lastLine(r.stderr), /^datakeep: check failed: the database server is not running \(.+\); to fix: make up$/)
  })

  t.run()
}

const pure = suite('deploy comparisons as data')

pure('compareCounts and diffRows as data: loss beyond the limit fails, growth and new tables never do', () => {
  const diffs = compareCounts([{ name: 'a', rows: 3 }, { name: 'b', rows: 0 }, { name: 'c', rows: 10 }],
    new Map([['a', 2], ['b', 0], ['d', 0]]), 33)
  assert.equal(diffs.map((d) => [d.table, d.change, d.fail]), [['a', 'lost', true], ['b', 'same', false], ['c', 'gone', true], ['d', 'new', false]])
  assert.equal(diffRows(diffs, 33), [['a', 3, 2, '-1 (-33.3%)', 'FAIL'], ['c', 10, '-', 'gone', 'FAIL'], ['d', '-', 0, 'new', 'ok']])
  assert.is(compareCounts([{ name: 'a', rows: 3 }], new Map([['a', 2]]), 34)[0].fail, false)
  assert.is(compareCounts([{ name: 'a', rows: 4 }], new Map([['a', 3]]), 25)[0].fail, false, 'exactly the limit is allowed')
  assert.equal([formatAge(59_000), formatAge(61_000), formatAge(3_900_000), formatAge(50 * 3600_000)], ['59 s', '1 min', '1 h 5 min', '2 d 2 h'])
})

pure.run()
