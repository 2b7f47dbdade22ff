// Unchanged tables shared between PostgreSQL snapshots (lib/engines/postgres/share.ts), through the
// real scripts on a private cluster with the adversarial schema: after one table changed, data_dump
// writes only it; the others are the first snapshot's inodes (stat); the first snapshot deleted, the
// second still verifies --deep and loads back exactly; --full writes every table.
import fs from 'node:fs'
import path from 'node:path'
import { suite } from '../support/uvu.ts'
import * as assert from 'uvu/assert'
import { clientBinDir, psqlArgv } from '../../lib/engines/postgres/tools.ts'
import { HOST, run } from '../../lib/run.ts'
import { readManifest } from '../../lib/snapshot/manifest.ts'
import { PG_ADVERSARIAL, PG_ADVERSARIAL_ROWS } from '../support/pg-adversarial.ts'
import { makePgStack, type PgTestStack } from '../support/pg-stack.ts'
import { lastLine, runScript } from '../support/stack.ts'

const t = suite('pg: sharing unchanged tables', { s: null as unknown as PgTestStack })
const psql = (s: PgTestStack, sql: string) => run(HOST, psqlArgv(clientBinDir(s.cfg), s.engine.runtime.clientArgs(), 'app'), { input: sql })
const snap = (s: PgTestStack, name: string) => path.join(s.dir, 'data/backups', name)
const inode = (f: string) => fs.statSync(f).ino

async function dump(s: PgTestStack, args: string[]): Promise<string> {
  const r = await runScript(s, 'data-dump', args)
  assert.is(r.code, 0, r.stderr)
  return r.stderr
}

t.before(async (ctx) => {
  ctx.s = await makePgStack()
  await psql(ctx.s, PG_ADVERSARIAL + PG_ADVERSARIAL_ROWS)
})
t.after(async (ctx) => { await ctx.s?.destroy() })

t('one table changed: only it is written, the others are hard links to s1, and s2 outlives s1', async ({ s }) => {
  const first = await dump(s, ['--name', 's1'])
  const m1 = readManifest(snap(s, 's1'))
  const n = m1.tables.length
  assert.ok(n >= 8, `${n} tables`)
  assert.match(first, new RegExp(`${n} tables written, 0 shared`))
  await psql(s, "UPDATE kinds SET txt = 'changed' WHERE id = 1")
  const expected = await s.engine.tableStates()

  const second = await dump(s, ['--name', 's2'])
  assert.match(second, new RegExp(`1 table written, ${n - 1} shared \\([\\d.]+ \\w+ linked to earlier snapshots`))
  const m2 = readManifest(snap(s, 's2'))
  assert.equal(m2.tables.filter((x) => !x.shared).map((x) => x.name), ['kinds'])
  for (const t2 of m2.tables) {
    const t1 = m1.tables.find((x) => x.name === t2.name)!
    assert.equal(t2.files.length, 1, t2.name)
    const f1 = path.join(snap(s, 's1'), t1.files[0].file)
    const f2 = path.join(snap(s, 's2'), t2.files[0].file)
    assert.is(inode(f1) === inode(f2), t2.name !== 'kinds', `${t2.name}: shared`)
    if (t2.name === 'kinds') assert.is.not(t2.checksum, t1.checksum)
    else assert.equal([t2.shared, t2.checksum, t2.rows], [{ from: 's1' }, t1.checksum, t1.rows])
  }

  // data_list: s2 is as big as s1 but added only kinds' file and its own schema files
  const list = JSON.parse((await runScript(s, 'data-list', ['--json'])).stdout) as { name: string; bytes: number; added: number }[]
  const l2 = list.find((x) => x.name === 's2')!
  const sharedBytes = m2.tables.filter((x) => x.shared).reduce((a, x) => a + x.bytes, 0)
  assert.ok(sharedBytes > 0)
  assert.is(l2.added, l2.bytes - sharedBytes)

  // s1 goes; s2 is whole on its own: verified by loading it into a scratch database, and loaded back exactly
  fs.rmSync(snap(s, 's1'), { recursive: true })
  const verify = await runScript(s, 'data-verify', ['--name', 's2', '--deep'])
  assert.is(verify.code, 0, verify.stderr)
  await psql(s, "DELETE FROM shop.lines; UPDATE kinds SET txt = 'again'; INSERT INTO parent VALUES (99, 'new')")
  assert.not.equal(await s.engine.tableStates(), expected)
  const load = await runScript(s, 'data-load', ['--name', 's2', '--no-safety'])
  assert.is(load.code, 0, load.stderr)
  assert.equal(await s.engine.tableStates(), expected)
})

t('--full writes every table anew; a changed column list is never shared', async ({ s }) => {
  const n = readManifest(snap(s, 's2')).tables.length
  assert.match(await dump(s, ['--name', 'f1', '--full']), new RegExp(`${n} tables written, 0 shared`))
  const m = readManifest(snap(s, 'f1'))
  for (const x of m.tables) for (const f of x.files) assert.is(fs.statSync(path.join(snap(s, 'f1'), f.file)).nlink, 1, x.name)
  // same rows, one more column (all NULL): the COPY text differs, and so does the column list
  await psql(s, 'ALTER TABLE parent ADD COLUMN later int')
  assert.match(await dump(s, ['--name', 'f2']), new RegExp(`2 tables written, ${n - 2} shared`)) // parent, and child which inherits the column
  const m2 = readManifest(snap(s, 'f2'))
  assert.equal(m2.tables.filter((x) => !x.shared).map((x) => x.name).sort(), ['child', 'parent'])
  assert.is((await runScript(s, 'data-verify', ['--name', 'f2'])).code, 0)
})

t('a damaged file is never passed on: its table is dumped again', async ({ s }) => {
  const m = readManifest(snap(s, 'f2'))
  const orders = m.tables.find((x) => x.name === 'shop.orders')!
  const file = path.join(snap(s, 'f2'), orders.files[0].file)
  // f2's file is shared with s2 and f1: damage a copy of it only in f2
  const bytes = fs.readFileSync(file)
  fs.rmSync(file)
  bytes[bytes.length >> 1] ^= 0xff
  fs.writeFileSync(file, bytes)
  for (const other of ['s2', 'f1']) fs.rmSync(snap(s, other), { recursive: true })
  const out = await dump(s, ['--name', 'f3'])
  assert.match(out, /1 table written/)
  assert.is(readManifest(snap(s, 'f3')).tables.find((x) => x.name === 'shop.orders')!.shared, undefined)
  const v = await runScript(s, 'data-verify', ['--name', 'f3'])
  assert.is(v.code, 0, lastLine(v.stderr))
})

t.run()
