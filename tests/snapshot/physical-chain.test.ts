// Whole-server chains (lib/snapshot/physical-chain.ts) through the real scripts on sakila: a full
// snapshot, two incrementals and a differential, each loaded back to exactly its moment (every
// table's CHECKSUM TABLE); a missing member refused by name before anything changes; data_prune
// keeps the bases of what it keeps; data_list shows the chain; each records its binary log position
// (data_timeline reads from it; --until from it is refused).
import fs from 'node:fs'
import path from 'node:path'
import { suite } from '../support/uvu.ts'
import * as assert from 'uvu/assert'
import { archivedLogs } from '../../lib/pitr/archive.ts'
import { readManifest } from '../../lib/snapshot/manifest.ts'
import { isPhysical } from '../../lib/snapshot/physical.ts'
import { fingerprint, sql, type Fingerprint } from '../support/fingerprint.ts'
import { sakilaStack } from '../support/sakila.ts'
import { lastLine, runScript, type TestStack } from '../support/stack.ts'

const t = suite('whole-server chains', { stack: null as unknown as TestStack, at: {} as Record<string, Fingerprint> })
t.before(async (ctx) => { ctx.stack = await sakilaStack() })
t.after(async (ctx) => { await ctx.stack?.destroy() })

const snap = (stack: TestStack, name: string) => path.join(stack.dir, 'data/backups', name)
const live = (stack: TestStack) => stack.db((db) => fingerprint(db, 'sakila'))

async function dump(stack: TestStack, name: string, args: string[]): Promise<void> {
  const r = await runScript(stack, 'data-dump', ['--name', name, '--physical', '--whole-server', ...args])
  assert.is(r.code, 0, r.stderr)
}

t('full, incremental, incremental, differential: each records its chain', async ({ stack, at }) => {
  await dump(stack, 'full', [])
  at.full = await live(stack)
  await sql(stack, "UPDATE actor SET last_name = 'ONE' WHERE actor_id < 50; DELETE FROM payment WHERE payment_id > 16000", 'sakila')
  await dump(stack, 'inc1', ['--incremental'])
  at.inc1 = await live(stack)
  await sql(stack, "INSERT INTO category (name) VALUES ('Two'); UPDATE film SET rental_rate = rental_rate + 1 WHERE film_id % 3 = 0", 'sakila')
  await dump(stack, 'inc2', ['--incremental'])
  at.inc2 = await live(stack)
  await sql(stack, "DELETE FROM rental WHERE rental_id > 15000; UPDATE customer SET active = 0 WHERE customer_id < 20", 'sakila')
  await dump(stack, 'diff', ['--differential'])
  at.diff = await live(stack)
  const chain = (n: string) => { const m = readManifest(snap(stack, n)); return isPhysical(m) ? m.physical.chain : undefined }
  assert.equal([chain('full')!.type, chain('full')!.base], ['full', null])
  assert.equal([chain('inc1')!.type, chain('inc1')!.base, chain('inc1')!.fromLsn], ['incremental', 'full', chain('full')!.toLsn])
  assert.equal([chain('inc2')!.type, chain('inc2')!.base, chain('inc2')!.fromLsn], ['incremental', 'inc1', chain('inc1')!.toLsn])
  assert.equal([chain('diff')!.type, chain('diff')!.base, chain('diff')!.fromLsn], ['differential', 'full', chain('full')!.toLsn])
  // each records where its copy stands in the binary log (mariadb-backup's xtrabackup_binlog_info)
  for (const n of ['full', 'inc1', 'inc2', 'diff']) assert.match(JSON.stringify(readManifest(snap(stack, n)).binlog), /^\{"file":"binlog\.\d{6}","position":\d+,"gtid":"0-1-\d+"\}$/, n)
  // an incremental holds the changed pages only
  assert.ok(readManifest(snap(stack, 'inc1')).files && fs.readdirSync(path.join(snap(stack, 'inc1'), 'physical/sakila')).some((f) => f.endsWith('.delta')))
  const list = await runScript(stack, 'data-list')
  assert.match(list.stdout, /^inc2 .*physical \(server\), incremental on inc1$/m)
  assert.match(list.stdout, /^diff .*physical \(server\), differential on full$/m)
  // the chains drawn below the table, each member under its base, oldest first
  assert.match(list.stdout.trimEnd(), /\nchains \(whole-server; loading a snapshot needs every one above it\):\nfull\n├─ inc1 \(incremental\)\n│  └─ inc2 \(incremental\)\n└─ diff \(differential\)$/)
})

t('misuse: chains are whole-server; a base must exist; a differential builds on a full one', async ({ stack }) => {
  const run = (args: string[]) => runScript(stack, 'data-dump', ['--name', 'bad', ...args])
  const notWhole = await run(['--physical', '--incremental'])
  assert.is(notWhole.code, 2)
  assert.match(lastLine(notWhole.stderr), /--incremental, --differential and --base go with --physical --whole-server/)
  const noBase = await run(['--physical', '--whole-server', '--incremental', '--base', 'nope'])
  assert.is(noBase.code, 2)
  assert.match(lastLine(noBase.stderr), /--base nope: no whole-server \(physical\) snapshot of that name; the whole-server snapshots: diff, inc2, inc1, full$/)
  const diffOnInc = await run(['--physical', '--whole-server', '--differential', '--base', 'inc1'])
  assert.is(diffOnInc.code, 2)
  assert.match(lastLine(diffOnInc.stderr), /--base inc1 is incremental; a differential snapshot builds on a full one/)
  assert.not.ok(fs.existsSync(snap(stack, 'bad')))
})

t('--base names the base: an incremental on the full snapshot rather than on the newest', async ({ stack }) => {
  await dump(stack, 'on-full', ['--incremental', '--base', 'full'])
  const m = readManifest(snap(stack, 'on-full'))
  const full = readManifest(snap(stack, 'full'))
  assert.ok(isPhysical(m) && isPhysical(full))
  if (isPhysical(m) && isPhysical(full)) assert.equal([m.physical.chain!.type, m.physical.chain!.base, m.physical.chain!.fromLsn], ['incremental', 'full', full.physical.chain!.toLsn])
  fs.rmSync(snap(stack, 'on-full'), { recursive: true }) // the tests below count the chain's four
})

t('data_timeline reads from a whole-server snapshot; --until from one is refused, since its load has no staging database', async ({ stack }) => {
  const r = await runScript(stack, 'data-timeline', ['--since', 'inc2', '--json'])
  assert.is(r.code, 0, r.stderr)
  const statements = (JSON.parse(r.stdout).events as { statements: string[] }[]).flatMap((e) => e.statements)
  assert.ok(statements.includes('DELETE FROM rental WHERE rental_id > 15000'), statements.join('\n'))
  assert.not.ok(statements.some((x) => x.includes("'Two'")), 'what inc2 holds is not since it')
  const before = await live(stack)
  const u = await runScript(stack, 'data-load', ['--name', 'inc2', '--until', '2099-01-01 00:00:00'])
  assert.is(u.code, 2, u.stderr)
  assert.match(lastLine(u.stderr), /snapshot "inc2" is a whole-server \(physical\) snapshot: point-in-time recovery starts from a snapshot of the database; nothing was changed/)
  assert.equal(await live(stack), before)
})

t('each loads back to its moment, and the chain stays reusable', async ({ stack, at }) => {
  for (const name of ['inc2', 'diff', 'inc1', 'full', 'inc2']) {
    await sql(stack, 'DELETE FROM payment WHERE payment_id < 100', 'sakila')
    const r = await runScript(stack, 'data-load', ['--name', name])
    assert.is(r.code, 0, r.stderr)
    assert.equal(await live(stack), at[name], name)
  }
})

t('a whole-server load copies the binary logs of the data directory it replaces', async ({ stack }) => {
  await sql(stack, "INSERT INTO category (name) VALUES ('logged')", 'sakila')
  const current = (await sql(stack, 'SHOW MASTER STATUS')).split('\t')[0]
  const r = await runScript(stack, 'data-load', ['--name', 'full', '--no-safety'])
  assert.is(r.code, 0, r.stderr)
  assert.ok(archivedLogs(stack.cfg).some((l) => l.file === current), `${current} archived before the swap`)
})

t('a missing member is refused by name before anything changes', async ({ stack }) => {
  await sql(stack, 'DELETE FROM payment WHERE payment_id < 50', 'sakila')
  const before = await live(stack)
  fs.renameSync(snap(stack, 'inc1'), path.join(stack.dir, 'inc1-aside'))
  const r = await runScript(stack, 'data-load', ['--name', 'inc2', '--no-safety'])
  assert.is(r.code, 2, r.stderr)
  assert.match(lastLine(r.stderr), /needs "inc1", the incremental base of "inc2", which is missing; nothing was changed/)
  assert.equal(await live(stack), before)
  fs.renameSync(path.join(stack.dir, 'inc1-aside'), snap(stack, 'inc1'))
})

t('a damaged member is refused by name before anything changes', async ({ stack }) => {
  await sql(stack, 'DELETE FROM payment WHERE payment_id < 40', 'sakila')
  const before = await live(stack)
  const m = readManifest(snap(stack, 'inc1'))
  const file = Object.keys(m.files).find((f) => f.endsWith('.delta'))!
  const p = path.join(snap(stack, 'inc1'), file)
  const good = fs.readFileSync(p)
  const bad = Buffer.from(good)
  bad[bad.length >> 1] ^= 0xff
  fs.writeFileSync(p, bad)
  const r = await runScript(stack, 'data-load', ['--name', 'inc2', '--no-safety'])
  assert.is(r.code, 1, r.stderr)
  assert.match(r.stderr, `snapshot "inc1", which "inc2" builds on, is damaged: ${file}: sha256 differs from the manifest (altered)`)
  assert.match(r.stderr, 'nothing was changed')
  assert.equal(await live(stack), before)
  fs.writeFileSync(p, good)
})

t('data_prune keeps the bases of the snapshots it keeps', async ({ stack }) => {
  // newest first: diff, inc2, inc1, full (and safety snapshots, never pruned)
  const plan = await runScript(stack, 'data-prune', ['--keep', '1'])
  assert.is(plan.code, 0, plan.stderr)
  assert.match(plan.stderr, /would delete inc2/)
  assert.match(plan.stderr, /would delete inc1/)
  assert.not.match(plan.stderr, /would delete full/)
  const two = await runScript(stack, 'data-prune', ['--keep', '2', '--yes'])
  assert.is(two.code, 0, two.stderr)
  // diff and inc2 kept: inc2 needs inc1 and full, diff needs full
  for (const n of ['full', 'inc1', 'inc2', 'diff']) assert.ok(fs.existsSync(snap(stack, n)), `${n} kept`)
})

t.run()
