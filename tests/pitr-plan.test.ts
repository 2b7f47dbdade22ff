// Point-in-time recovery as data: the replay's argv, --until parsing, which transactions a target
// takes, and the statements refused because --rewrite-db cannot redirect them.
import fs from 'node:fs'
import path from 'node:path'
import { test } from './support/uvu.ts'
import * as assert from 'uvu/assert'
import type { Chain } from '../lib/pitr/chain.ts'
import { nextFileName } from '../lib/pitr/chain.ts'
import type { BinlogEvent } from '../lib/pitr/events.ts'
import { BinlogParser } from '../lib/pitr/events.ts'
import type { ArchivedLog } from '../lib/pitr/archive.ts'
import { parseBinlogInfo } from '../lib/pitr/position.ts'
import { firstLogTime } from '../lib/pitr/prune.ts'
import { parseUntil, planReplay, replayArgv } from '../lib/pitr/recover.ts'
import type { Manifest } from '../lib/snapshot/manifest.ts'
import { composeEnv } from '../lib/runtime/docker.ts'
import { binlogExpiryArg, localPaths, SERVER_CNF, serverArgv } from '../lib/runtime/local.ts'
import { REPO } from './support/stack.ts'
import { loadConfig } from '../lib/config.ts'
import type { UserError } from '../lib/errors.ts'

const ev = (gtid: string, unix: number, o: Partial<BinlogEvent> = {}): BinlogEvent => ({
  gtid, unix, time: new Date(unix * 1000).toISOString(), fileIndex: 0, start: unix, end: unix + 1, ddl: false,
  statements: [], tables: ['app.t'], databases: ['app'], rows: 1, ...o,
})
const chain = (events: BinlogEvent[]): Chain => ({ files: ['/a/binlog.000001-x', '/a/binlog.000002-y'], logs: [], startPosition: 400, events })
const m = { name: 's1', created: '2026-12-04T10:00:00.000Z' } as Manifest

test('the replay reads only the live database, rewritten to the staging one, without logging itself', () => {
  assert.equal(replayArgv({ files: ['f1', 'f2'], start: 400, stop: 900, live: 'app', stage: '_dk_stage_1' }),
    ['mariadb-binlog', '--disable-log-bin', '--database=app', '--rewrite-db=app->_dk_stage_1', '--start-position=400', '--stop-position=900', 'f1', 'f2'])
})

test('--until takes transactions before the time; --until-gtid includes the GTID, --before-gtid stops before it', () => {
  const events = [ev('0-1-5', 100), ev('0-1-6', 101, { fileIndex: 1, end: 777 }), ev('0-1-7', 102, { databases: ['other'], tables: ['other.x'] }), ev('0-1-8', 103)]
  const until = planReplay(chain(events), { until: new Date(102_000) }, 'app', m)
  assert.equal(until.events.map((e) => e.gtid), ['0-1-5', '0-1-6'])
  assert.equal(until.stop, { fileIndex: 1, position: 777 })
  // another database's transaction moves the stop position, and is not counted
  const g = planReplay(chain(events), { untilGtid: '0-1-7' }, 'app', m)
  assert.equal([g.events.length, g.stop!.position], [2, 103])
  assert.equal(planReplay(chain(events), { beforeGtid: '0-1-5' }, 'app', m).stop, null)
  assert.throws(() => planReplay(chain(events), { beforeGtid: '0-1-99' }, 'app', m), /GTID 0-1-99 is not in the binary logs since snapshot "s1"/)
})

test('DDL that names the live database, or ran from another one, is refused; account statements are not', () => {
  const named = ev('0-1-5', 100, { ddl: true, defaultDb: 'app', statements: ['ALTER TABLE `app`.`t` ADD c INT'] })
  assert.throws(() => planReplay(chain([named]), { until: new Date(200_000) }, 'app', m), /cannot be redirected into the staging database \(GTID 0-1-5/)
  const elsewhere = ev('0-1-5', 100, { ddl: true, defaultDb: 'other', databases: ['app', 'other'], statements: ['DROP TABLE app.t'] })
  try {
    planReplay(chain([elsewhere]), { until: new Date(200_000) }, 'app', m)
    assert.unreachable('a statement from another database was let through')
  } catch (e) {
    assert.match((e as Error).message, /cannot be redirected into the staging database \(GTID 0-1-5 .*: DROP TABLE app\.t\); nothing was changed/)
    assert.is((e as UserError).hint, 'recover to a moment before it (--before-gtid 0-1-5), or from a snapshot taken after it (make data_list)')
    assert.is((e as UserError).exitCode, 2)
  }
  const grant = ev('0-1-5', 100, { ddl: true, defaultDb: '', databases: [], statements: ["GRANT ALL ON `app`.* TO 'app'@'%'"] })
  assert.is(planReplay(chain([grant]), { until: new Date(200_000) }, 'app', m).events.length, 0)
  const plain = ev('0-1-5', 100, { ddl: true, defaultDb: 'app', statements: ['DROP TABLE `orders`'] })
  assert.is(planReplay(chain([plain]), { until: new Date(200_000) }, 'app', m).events.length, 1)
})

test('--until is a local time or an ISO time; anything else is refused with the form to use', () => {
  assert.is(parseUntil('2026-12-04T10:14:00Z').toISOString(), '2026-12-04T10:14:00.000Z')
  assert.is(parseUntil('2026-12-04 10:14:00').getTime(), new Date(2026, 11, 4, 10, 14, 0).getTime())
  assert.throws(() => parseUntil('yesterday'), /--until "yesterday" is not a time/)
})

test('the next binary log keeps the width of its number', () => {
  assert.is(nextFileName('binlog.000009'), 'binlog.000010')
  assert.is(nextFileName('mysql-bin.999'), 'mysql-bin.1000')
})

test('the parser: a DDL statement with its table, a transaction with its annotation, tables and rows', () => {
  const p = new BinlogParser()
  const lines = [
    '# at 4', '#261204 10:00:00 server id 1  end_log_pos 256 CRC32 0x1 \tStart: binlog v 4, server v 10.11',
    '# at 325', '#261204 10:00:01 server id 1  end_log_pos 367 CRC32 0x2 \tGTID 0-1-6 ddl',
    '# at 367', '#261204 10:00:01 server id 1  end_log_pos 470 CRC32 0x3 \tQuery\tthread_id=5\texec_time=0\terror_code=0\txid=0',
    'use `app`/*!*/;', 'SET TIMESTAMP=1796411741/*!*/;', 'DROP TABLE `orders` /* generated by server */', '/*!*/;',
    '# at 470', '#261204 10:00:02 server id 1  end_log_pos 512 CRC32 0x4 \tGTID 0-1-7 trans', 'START TRANSACTION', '/*!*/;',
    '# at 512', '# at 560', '#261204 10:00:02 server id 1  end_log_pos 560 CRC32 0x5 \tAnnotate_rows:', '#Q> INSERT INTO t VALUES (1),', '#Q> (2)',
    '#261204 10:00:02 server id 1  end_log_pos 600 CRC32 0x6 \tTable_map: `app`.`t` mapped to number 18',
    '# at 600', '#261204 10:00:02 server id 1  end_log_pos 650 CRC32 0x7 \tWrite_rows: table id 18 flags: STMT_END_F',
    '### INSERT INTO `app`.`t`', '# Number of rows: 2',
    '# at 650', '#261204 10:00:02 server id 1  end_log_pos 681 CRC32 0x8 \tXid = 12', 'COMMIT/*!*/;',
  ]
  for (const l of lines) p.line(l)
  const [drop, insert] = p.finish()
  assert.equal([drop.gtid, drop.ddl, drop.statements, drop.tables, drop.databases, drop.start, drop.end], ['0-1-6', true, ['DROP TABLE `orders` /* generated by server */'], ['app.orders'], ['app'], 325, 470])
  assert.is(drop.time, '2026-12-04T10:00:01Z')
  assert.equal([insert.gtid, insert.statements, insert.tables, insert.rows, insert.start, insert.end], ['0-1-7', ['INSERT INTO t VALUES (1),\n(2)'], ['app.t'], 2, 470, 681])
})

test('both runtimes keep the binary logs BINLOG_EXPIRE_DAYS days', () => {
  const cfg = loadConfig({ env: { BINLOG_EXPIRE_DAYS: '3' }, projectDir: '/p' })
  assert.ok(serverArgv('/usr/sbin/mariadbd', localPaths(cfg), 3999, null, cfg.BINLOG_EXPIRE_DAYS).includes('--expire-logs-days=3'))
  assert.is(binlogExpiryArg(0), '--expire-logs-days=0')
  const off = loadConfig({ env: { BINARY_LOG: 'false' }, projectDir: '/p' })
  assert.ok(serverArgv('/usr/sbin/mariadbd', localPaths(off), 3999, null, off.BINLOG_EXPIRE_DAYS, off.BINARY_LOG).includes('--skip-log-bin'))
  // docker: the compose service's command reads the key composeEnv passes; the config file both runtimes use turns logging on
  assert.is(composeEnv(cfg).BINLOG_EXPIRE_DAYS, '3')
  assert.match(fs.readFileSync(path.join(REPO, 'docker-compose.yml'), 'utf8'), 'command: ["--expire-logs-days=${BINLOG_EXPIRE_DAYS:-14}"]')
  const cnf = fs.readFileSync(SERVER_CNF, 'utf8')
  for (const line of ['log-bin = binlog', 'binlog-format = ROW', 'server-id = 1', 'loose-binlog-annotate-row-events = ON']) assert.match(cnf, new RegExp(`^${line}$`, 'm'))
})

test("mariadb-backup's xtrabackup_binlog_info: file, position and GTID; nothing when binary logging was off", () => {
  assert.equal(parseBinlogInfo('binlog.000003\t1349\t0-1-118\n'), { file: 'binlog.000003', position: 1349, gtid: '0-1-118' })
  assert.equal(parseBinlogInfo('binlog.000003\t1349\n'), { file: 'binlog.000003', position: 1349, gtid: '' })
  assert.is(parseBinlogInfo(''), null)
})

test('data_prune: where a kept snapshot starts in the archive, across two volumes with the same file names', () => {
  const log = (file: string, created: number, startGtid: string): ArchivedLog => ({ name: `${file}-${created}`, file, created, bytes: 5000, sha256: 'x', startGtid })
  const logs = [log('binlog.000001', 100, ''), log('binlog.000002', 200, '0-1-10'), log('binlog.000001', 1000, ''), log('binlog.000002', 1100, '0-1-5')]
  const at = (unix: number) => new Date(unix * 1000).toISOString()
  const snap = (binlog: Manifest['binlog'], created: number) => ({ name: 's', created: at(created), ...(binlog ? { binlog } : {}) }) as unknown as Manifest
  // the second volume's binlog.000002: the first one's starts past the snapshot's GTID
  assert.is(firstLogTime(snap({ file: 'binlog.000002', position: 300, gtid: '0-1-7' }, 1150), logs), 1100)
  // a GTID both could hold: the older counts (more is kept)
  assert.is(firstLogTime(snap({ file: 'binlog.000002', position: 300, gtid: '0-1-12' }, 1150), logs), 200)
  // a file made after the snapshot (beyond ten minutes of clock difference) cannot hold its position: none can, so its own time counts
  assert.is(firstLogTime(snap({ file: 'binlog.000002', position: 300, gtid: '0-1-7' }, 400), logs), 400 - 600)
  // its file not archived: logs from ten minutes before it are kept
  assert.is(firstLogTime(snap({ file: 'binlog.000009', position: 4, gtid: '0-1-99' }, 5000), logs), 4400)
  assert.is(firstLogTime(snap(undefined, 5000), logs), null)
})

test.run()
