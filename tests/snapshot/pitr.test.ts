// Point-in-time recovery (lib/pitr/), through the real scripts and real binary logs: the accident
// (a DROP TABLE between writes) undone with --until <time>, --until-gtid and --before-gtid; the
// timeline that shows it; a gap in the archived logs refused before anything changes.
import fs from 'node:fs'
import path from 'node:path'
import { suite } from '../support/uvu.ts'
import * as assert from 'uvu/assert'
import { archiveBinlogs, archivedLogs, binlogArchive } from '../../lib/pitr/archive.ts'
import { chainSince } from '../../lib/pitr/chain.ts'
import { readManifest } from '../../lib/snapshot/manifest.ts'
import { fingerprint, sql, type Fingerprint } from '../support/fingerprint.ts'
import { lastLine, makeStack, runScript, type TestStack } from '../support/stack.ts'

interface Ctx { stack: TestStack; atT: Fingerprint; until: string; lastBefore: string; drop: string }
const t = suite<Ctx>('point-in-time recovery', {} as Ctx)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const pad = (n: number) => String(n).padStart(2, '0')
const localTime = (d: Date) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
const live = (stack: TestStack) => stack.db((db) => fingerprint(db, 'shop'))

interface TimelineEvent { time: string; gtid: string; statements: string[]; tables: string[]; rows: number; ddl: boolean }
async function timeline(stack: TestStack): Promise<TimelineEvent[]> {
  const r = await runScript(stack, 'data-timeline', ['--since', 's1', '--json'])
  assert.is(r.code, 0, r.stderr)
  return JSON.parse(r.stdout).events
}

t.before(async (ctx) => {
  ctx.stack = await makeStack({ env: { MYSQL_DATABASE: 'shop' } })
  await sql(ctx.stack, `CREATE TABLE customers (id INT PRIMARY KEY, name VARCHAR(40));
    CREATE TABLE orders (id INT PRIMARY KEY AUTO_INCREMENT, customer INT, total DECIMAL(8,2));
    INSERT INTO customers VALUES (1, 'ann'), (2, 'bob');
    INSERT INTO orders (customer, total) VALUES (1, 10.00), (2, 20.00), (1, 30.00);`, 'shop')
  const dump = await runScript(ctx.stack, 'data-dump', ['--name', 's1'])
  assert.is(dump.code, 0, dump.stderr)
  // after s1: writes, then the moment T, then the accident and more writes
  await sql(ctx.stack, `INSERT INTO orders (customer, total) VALUES (2, 40.00), (2, 50.00);
    UPDATE orders SET total = 11.00 WHERE id = 1; INSERT INTO customers VALUES (3, 'cat'); DELETE FROM customers WHERE id = 2`, 'shop')
  ctx.atT = await live(ctx.stack)
  const T = new Date(Math.floor(Date.now() / 1000) * 1000 + 1000) // the next whole second: every write above is before it
  await sleep(T.getTime() - Date.now() + 150)
  ctx.until = localTime(T)
  await sql(ctx.stack, 'DROP TABLE orders', 'shop')
  await sql(ctx.stack, "INSERT INTO customers VALUES (4, 'dan'); UPDATE customers SET name = 'ANN' WHERE id = 1", 'shop')
})
t.after(async (ctx) => { await ctx.stack?.destroy() })

t('the snapshot records its binary log position; data_timeline shows what happened since, the DROP among it', async (ctx) => {
  const m = readManifest(path.join(ctx.stack.dir, 'data/backups/s1'))
  assert.match(m.binlog!.file, /^binlog\.\d{6}$/)
  assert.match(m.binlog!.gtid, /^0-1-\d+$/)
  assert.ok(m.binlog!.position > 4)
  const events = await timeline(ctx.stack)
  const drop = events.find((e) => e.statements.some((s) => /^DROP TABLE `orders`/.test(s)))!
  assert.ok(drop, JSON.stringify(events))
  assert.ok(drop.ddl)
  assert.equal(drop.tables, ['shop.orders'])
  const insert = events.find((e) => e.statements.includes('INSERT INTO orders (customer, total) VALUES (2, 40.00), (2, 50.00)'))!
  assert.equal([insert.tables, insert.rows], [['shop.orders'], 2])
  const del = events.find((e) => e.statements.includes('DELETE FROM customers WHERE id = 2'))!
  assert.is(del.rows, 1)
  assert.ok(new Date(drop.time).getTime() >= new Date(ctx.until.replace(' ', 'T')).getTime())
  // nothing from s1 itself or before it (its own rows were inserted before the dump)
  assert.not.ok(events.some((e) => e.statements.some((s) => s.includes('(1, 10.00)'))))
  ctx.drop = drop.gtid
  ctx.lastBefore = events[events.indexOf(drop) - 1].gtid
  const table = await runScript(ctx.stack, 'data-timeline', ['--since', 's1'])
  assert.match(table.stdout, /^time +gtid +statement +tables +rows$/m)
  assert.match(table.stdout, /DROP TABLE `orders`/)
  // the archive: every copied log has its sha256, owner-only
  const dir = binlogArchive(ctx.stack.cfg)
  assert.ok(archivedLogs(ctx.stack.cfg).length >= 2)
  for (const f of fs.readdirSync(dir)) assert.is(fs.statSync(path.join(dir, f)).mode & 0o777, 0o600, f)
  assert.is(fs.statSync(dir).mode & 0o777, 0o700)
})

t('--until T: the rows written before T are back, orders among them; nothing after T', async (ctx) => {
  const r = await runScript(ctx.stack, 'data-load', ['--name', 's1', '--until', ctx.until])
  assert.is(r.code, 0, r.stderr)
  assert.match(lastLine(r.stderr), /recovered shop to \S+: snapshot s1 \(2 tables, 5 rows\) \+ 4 events replayed/)
  assert.match(r.stderr, /safety snapshot _safety\/data_load-\S+ taken/) // the state before it, kept as before any destructive operation
  assert.equal(await live(ctx.stack), ctx.atT)
  // the replay ran with binary logging off: no row change reached the log for a staging database
  await archiveBinlogs(ctx.stack.cfg, ctx.stack.rt)
  const logged = (await chainSince(ctx.stack.cfg, readManifest(path.join(ctx.stack.dir, 'data/backups/s1')))).events
  assert.ok(logged.some((e) => e.databases.some((d) => d.startsWith('_dk_'))), 'the load itself is in the log (its staging database)')
  assert.equal(logged.filter((e) => !e.ddl && e.databases.some((d) => d.startsWith('_dk_stage_'))).map((e) => e.statements), [])
})

t('--until-gtid and --before-gtid reach the same moment', async (ctx) => {
  for (const args of [['--until-gtid', ctx.lastBefore], ['--before-gtid', ctx.drop]]) {
    await sql(ctx.stack, 'DELETE FROM customers; DROP TABLE orders', 'shop')
    const r = await runScript(ctx.stack, 'data-load', ['--name', 's1', ...args])
    assert.is(r.code, 0, r.stderr)
    assert.match(lastLine(r.stderr), /\+ 4 events replayed/)
    assert.equal(await live(ctx.stack), ctx.atT, args.join(' '))
  }
})

t('an unknown GTID, and a gap in the archive, are refused before anything changes', async (ctx) => {
  await sql(ctx.stack, "INSERT INTO customers VALUES (9, 'now')", 'shop')
  const before = await live(ctx.stack)
  const safety = () => fs.readdirSync(path.join(ctx.stack.dir, 'data/backups/_safety')).length
  const safetyBefore = safety()
  const unknown = await runScript(ctx.stack, 'data-load', ['--name', 's1', '--until-gtid', '0-1-999999'])
  assert.is(unknown.code, 2)
  assert.match(lastLine(unknown.stderr), /GTID 0-1-999999 is not in the binary logs since snapshot "s1"; nothing was changed/)
  // the second log of s1's chain goes missing, from the archive and from the server
  const current = (await sql(ctx.stack, 'SHOW MASTER STATUS')).split('\t')[0]
  await sql(ctx.stack, `PURGE BINARY LOGS TO '${current}'`)
  const m = readManifest(path.join(ctx.stack.dir, 'data/backups/s1'))
  const logs = archivedLogs(ctx.stack.cfg)
  const first = logs.findIndex((l) => l.file === m.binlog!.file)
  const missing = logs[first + 1]
  assert.ok(missing, 'the chain has a second file')
  const aside = path.join(ctx.stack.dir, 'aside')
  fs.mkdirSync(aside)
  for (const f of [missing.name, `${missing.name}.sha256`]) fs.renameSync(path.join(binlogArchive(ctx.stack.cfg), f), path.join(aside, f))
  const r = await runScript(ctx.stack, 'data-load', ['--name', 's1', '--until', ctx.until])
  assert.is(r.code, 2, r.stderr)
  assert.match(lastLine(r.stderr), new RegExp(`the binary logs since snapshot "s1" have a gap: ${missing.file.replace('.', '\\.')} is missing`))
  assert.equal(await live(ctx.stack), before)
  assert.is(safety(), safetyBefore)
  for (const f of fs.readdirSync(aside)) fs.renameSync(path.join(aside, f), path.join(binlogArchive(ctx.stack.cfg), f))
})

t('the external runtime copies the logs over the client protocol (mariadb-binlog --read-from-remote-server)', async (ctx) => {
  // a staging server's account: what reading and closing its binary logs needs, over TCP
  await sql(ctx.stack, "CREATE USER 'ops'@'127.0.0.1' IDENTIFIED BY 'ops-secret-pw'; GRANT SELECT, RELOAD, REPLICATION SLAVE, BINLOG MONITOR ON *.* TO 'ops'@'127.0.0.1'")
  await sql(ctx.stack, "INSERT INTO customers VALUES (11, 'remote')", 'shop')
  const env = { DATAKEEP_RUNTIME: 'external', DATABASE_URL: `mysql://ops:ops-secret-pw@127.0.0.1:${ctx.stack.cfg.MYSQL_PORT}/shop` }
  const r = await runScript(ctx.stack, 'data-timeline', ['--since', 's1', '--json'], env)
  assert.is(r.code, 0, r.stderr)
  assert.not.match(r.stderr, /archive only/, r.stderr)
  assert.ok((JSON.parse(r.stdout).events as TimelineEvent[]).some((e) => e.statements.some((x) => x.includes("'remote'"))))
  assert.not.match(JSON.stringify(r), /ops-secret-pw/) // the password travels in the environment only
})

t('the external runtime without REPLICATION SLAVE: a recovery says why it cannot read the logs, before anything changes', async (ctx) => {
  await sql(ctx.stack, "CREATE USER 'weak'@'127.0.0.1' IDENTIFIED BY 'weak-secret-pw'; GRANT ALL ON shop.* TO 'weak'@'127.0.0.1'; GRANT SELECT, RELOAD, BINLOG MONITOR ON *.* TO 'weak'@'127.0.0.1'")
  const before = await live(ctx.stack)
  const env = { DATAKEEP_RUNTIME: 'external', DATABASE_URL: `mysql://weak:weak-secret-pw@127.0.0.1:${ctx.stack.cfg.MYSQL_PORT}/shop` }
  const r = await runScript(ctx.stack, 'data-load', ['--name', 's1', '--until', ctx.until, '--no-safety'], env)
  assert.is(r.code, 2, r.stderr)
  assert.match(lastLine(r.stderr), /point-in-time recovery needs the server's binary logs, which could not be read \(.*REPLICATION SLAVE.*\); nothing was changed; on an external server they are read over the client protocol \(mariadb-binlog --read-from-remote-server\): the account of DATABASE_URL needs RELOAD, BINLOG MONITOR and REPLICATION SLAVE/)
  assert.equal(await live(ctx.stack), before)
  assert.not.match(JSON.stringify(r), /weak-secret-pw/)
})

t('data_prune removes the archived logs only the pruned snapshots needed, never one a kept snapshot reads', async (ctx) => {
  await sql(ctx.stack, "INSERT INTO customers VALUES (12, 'after s2')", 'shop')
  const s2 = await runScript(ctx.stack, 'data-dump', ['--name', 's2'])
  assert.is(s2.code, 0, s2.stderr)
  const backups = path.join(ctx.stack.dir, 'data/backups')
  const m1 = readManifest(path.join(backups, 's1'))
  const before = archivedLogs(ctx.stack.cfg)
  const s1Log = before.find((l) => l.file === m1.binlog!.file)! // one volume so far: one file of that name
  assert.ok(s1Log)
  // the plan alone changes nothing
  const plan = await runScript(ctx.stack, 'data-prune', ['--keep', '1'])
  assert.is(plan.code, 0, plan.stderr)
  assert.match(plan.stderr, /would delete s1 /)
  assert.match(plan.stderr, new RegExp(`would delete binary log ${s1Log.name.replace('.', '\\.')} \\(`))
  assert.equal(archivedLogs(ctx.stack.cfg), before)
  // kept afterwards, whatever they are (s2, the safety snapshots the loads above took)
  const aside = path.join(ctx.stack.dir, 'prune-aside')
  fs.cpSync(backups, aside, { recursive: true, preserveTimestamps: true })
  const r = await runScript(ctx.stack, 'data-prune', ['--keep', '1', '--yes'])
  assert.is(r.code, 0, r.stderr)
  assert.match(lastLine(r.stderr), /deleted 1 snapshot and \d+ archived binary logs? \(/)
  const after = archivedLogs(ctx.stack.cfg)
  const removed = before.filter((l) => !after.some((a) => a.name === l.name))
  assert.ok(removed.some((l) => l.name === s1Log.name), 'the log s1 started in is gone')
  assert.not.ok(fs.existsSync(path.join(backups, 's1')))
  for (const l of removed) assert.not.ok(fs.existsSync(path.join(binlogArchive(ctx.stack.cfg), `${l.name}.sha256`)), l.name)
  // every snapshot that stays still has its whole chain: its timeline reads
  const kept = [...fs.readdirSync(backups).filter((n) => !n.startsWith('_')), ...fs.readdirSync(path.join(backups, '_safety')).map((n) => `_safety/${n}`)]
  assert.ok(kept.length >= 2, kept.join(' '))
  for (const name of kept) {
    const m = readManifest(path.join(backups, name))
    if (!m.binlog) continue
    const chain = await chainSince(ctx.stack.cfg, m)
    assert.ok(chain.logs.every((l) => after.some((a) => a.name === l.name)), name)
    for (const l of removed) assert.ok(l.created <= chain.logs[0].created, `${l.name} is older than ${name}'s first log`)
  }
  // a second run has nothing left that no kept snapshot needs
  const again = await runScript(ctx.stack, 'data-prune', ['--keep', '1'])
  assert.match(lastLine(again.stderr), /nothing to prune/)
  // s1 and its logs back, for the next test
  fs.rmSync(backups, { recursive: true })
  fs.renameSync(aside, backups)
})

t('down and volume removal copy the logs first: the timeline outlives the volume', async (ctx) => {
  await sql(ctx.stack, "INSERT INTO customers VALUES (10, 'last')", 'shop')
  const current = (await sql(ctx.stack, 'SHOW MASTER STATUS')).split('\t')[0]
  const down = await runScript(ctx.stack, 'down')
  assert.is(down.code, 0, down.stderr)
  assert.ok(archivedLogs(ctx.stack.cfg).some((l) => l.file === current), `${current} copied by down`)
  const index = fs.readFileSync(path.join(ctx.stack.rt.paths.dataDir, 'binlog.index'), 'utf8').split('\n').filter(Boolean).map((f) => path.basename(f))
  const rm = await runScript(ctx.stack, 'volume-remove', ['--no-safety'])
  assert.is(rm.code, 0, rm.stderr)
  assert.not.ok(fs.existsSync(ctx.stack.rt.paths.dataDir))
  const archived = archivedLogs(ctx.stack.cfg).map((l) => l.file)
  for (const f of index) assert.ok(archived.includes(f), `${f} archived before the volume went`)
  const r = await runScript(ctx.stack, 'data-timeline', ['--since', 's1', '--json'])
  assert.is(r.code, 0, r.stderr)
  assert.match(r.stderr, /reading the archive only/)
  const events = JSON.parse(r.stdout).events as TimelineEvent[]
  assert.ok(events.some((e) => e.statements.some((x) => /^DROP TABLE `orders`/.test(x))))
  assert.ok(events.some((e) => e.statements.some((x) => x.includes("'last'"))))
})

t.run()
