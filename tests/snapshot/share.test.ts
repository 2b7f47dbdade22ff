// Unchanged tables shared between snapshots (lib/snapshot/share.ts), through the real scripts on
// sakila: a second dump after one table changed writes only that table; the others are the same
// inodes as the first snapshot's; the first snapshot deleted, the second still verifies, restores with
// the stock tools and loads.
import fs from 'node:fs'
import path from 'node:path'
import { suite } from '../support/uvu.ts'
import * as assert from 'uvu/assert'
import { HOST, run } from '../../lib/run.ts'
import { readManifest } from '../../lib/snapshot/manifest.ts'
import { STOCK_RESTORE } from '../../lib/snapshot/restore-sql.ts'
import { fingerprint, sql } from '../support/fingerprint.ts'
import { sakilaStack } from '../support/sakila.ts'
import { runScript, tempDir, type TestStack } from '../support/stack.ts'

const t = suite('sharing unchanged tables', { stack: null as unknown as TestStack })
t.before(async (ctx) => { ctx.stack = await sakilaStack() })
t.after(async (ctx) => { await ctx.stack?.destroy() })

const snap = (stack: TestStack, name: string) => path.join(stack.dir, 'data/backups', name)
const inode = (f: string) => fs.statSync(f).ino

async function dump(stack: TestStack, args: string[]): Promise<string> {
  const r = await runScript(stack, 'data-dump', args)
  assert.is(r.code, 0, r.stderr)
  return r.stderr
}

t('one table changed: only it is written, the others are hard links to s1, and s2 outlives s1', async ({ stack }) => {
  const first = await dump(stack, ['--name', 's1'])
  assert.match(first, /16 tables written, 0 shared/)
  await sql(stack, "UPDATE actor SET last_name = 'CHANGED' WHERE actor_id = 7", 'sakila')
  const expected = await stack.db((db) => fingerprint(db, 'sakila'))

  const second = await dump(stack, ['--name', 's2'])
  assert.match(second, /1 table written, 15 shared \([\d.]+ \w+ linked to earlier snapshots/)
  const m1 = readManifest(snap(stack, 's1'))
  const m2 = readManifest(snap(stack, 's2'))
  assert.equal(m2.tables.filter((x) => !x.shared).map((x) => x.name), ['actor'])
  for (const t2 of m2.tables) {
    const t1 = m1.tables.find((x) => x.name === t2.name)!
    assert.ok(t2.files.length > 0 || t2.rows === 0, t2.name)
    for (const f of t2.files) {
      const same = inode(path.join(snap(stack, 's1'), f.file)) === inode(path.join(snap(stack, 's2'), f.file))
      assert.is(same, t2.name !== 'actor', `${f.file}: shared ${same}`)
    }
    if (t2.name === 'actor') assert.is.not(t2.checksum, t1.checksum)
    else assert.equal(t2.shared, { from: 's1' })
  }

  // data_list: s2 holds as much as s1 but added only actor's files and its own schema files
  const list = JSON.parse((await runScript(stack, 'data-list', ['--json'])).stdout) as { name: string; bytes: number; added: number }[]
  const s1 = list.find((s) => s.name === 's1')!
  const s2 = list.find((s) => s.name === 's2')!
  assert.is(s1.added, s1.bytes)
  const sharedBytes = m2.tables.filter((x) => x.shared).reduce((a, x) => a + x.bytes, 0)
  assert.ok(sharedBytes > 0)
  assert.is(s2.added, s2.bytes - sharedBytes)
  assert.match((await runScript(stack, 'data-list')).stdout, /^name +created +size +added +tables/m)

  // s1 goes; s2 is whole on its own
  fs.rmSync(snap(stack, 's1'), { recursive: true })
  const verify = await runScript(stack, 'data-verify', ['--name', 's2', '--deep'])
  assert.is(verify.code, 0, verify.stderr)
  // and restores with the stock tools alone (restore.sql), as any snapshot
  await sql(stack, 'CREATE DATABASE stock_s2')
  const line = STOCK_RESTORE.replace('mariadb ', `mariadb ${stack.rt.clientArgs().join(' ')} `).replace('<database>', 'stock_s2')
  const copy = path.join(tempDir(), 's2') // the line unpacks beside the files: a copy, as the stock-tools test does
  fs.cpSync(snap(stack, 's2'), copy, { recursive: true })
  await run(HOST, ['bash', '-c', line], { cwd: copy, env: stack.rt.clientEnv() })
  assert.equal((await stack.db((db) => fingerprint(db, 'stock_s2'))).tables, expected.tables)
  await sql(stack, 'DROP DATABASE stock_s2')
  await sql(stack, 'DELETE FROM payment; UPDATE film SET title = LOWER(title)', 'sakila')
  const load = await runScript(stack, 'data-load', ['--name', 's2'])
  assert.is(load.code, 0, load.stderr)
  assert.equal(await stack.db((db) => fingerprint(db, 'sakila')), expected)
})

t('--full writes every table anew', async ({ stack }) => {
  const out = await dump(stack, ['--name', 'f1', '--full'])
  assert.match(out, /16 tables written, 0 shared/)
  const m = readManifest(snap(stack, 'f1'))
  assert.ok(m.tables.every((x) => !x.shared))
  for (const x of m.tables) for (const f of x.files) assert.is(fs.statSync(path.join(snap(stack, 'f1'), f.file)).nlink, 1)
})

t('a damaged file is never passed on: its table is dumped again', async ({ stack }) => {
  await dump(stack, ['--name', 'd1', '--full'])
  const m = readManifest(snap(stack, 'd1'))
  const film = m.tables.find((x) => x.name === 'film')!
  const file = path.join(snap(stack, 'd1'), film.files[0].file)
  const bytes = fs.readFileSync(file)
  bytes[bytes.length >> 1] ^= 0xff // same size, other content
  fs.writeFileSync(file, bytes)
  const out = await dump(stack, ['--name', 'd2'])
  assert.match(out, /1 table written, 15 shared/)
  const m2 = readManifest(snap(stack, 'd2'))
  assert.is(m2.tables.find((x) => x.name === 'film')!.shared, undefined)
  assert.is.not(inode(path.join(snap(stack, 'd2'), film.files[0].file)), inode(file))
  assert.is((await runScript(stack, 'data-verify', ['--name', 'd2'])).code, 0)
})

t('a table put back as it was is shared with an older snapshot holding that content, not only the newest', async ({ stack }) => {
  // every sakila table has last_update ON UPDATE CURRENT_TIMESTAMP: it is put back too
  const [name, updated] = (await sql(stack, 'SELECT first_name, last_update FROM actor WHERE actor_id = 3', 'sakila')).trim().split('\t')
  await sql(stack, "UPDATE actor SET first_name = 'BRIEFLY' WHERE actor_id = 3", 'sakila')
  assert.match(await dump(stack, ['--name', 'r2']), /1 table written, 15 shared/)
  await sql(stack, `UPDATE actor SET first_name = '${name}', last_update = '${updated}' WHERE actor_id = 3`, 'sakila')
  assert.match(await dump(stack, ['--name', 'r3']), /0 tables written, 16 shared/)
  const actor = readManifest(snap(stack, 'r3')).tables.find((x) => x.name === 'actor')!
  assert.ok(actor.shared && actor.shared.from !== 'r2', JSON.stringify(actor.shared))
  const f = actor.files[0].file
  assert.is(inode(path.join(snap(stack, 'r3'), f)), inode(path.join(snap(stack, actor.shared!.from), f)))
})

t.run()
