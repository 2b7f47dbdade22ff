// Which engine a config selects: DB_ENGINE, or on the external runtime the URL's scheme.
import { test } from '../support/uvu.ts'
import * as assert from 'uvu/assert'
import { loadConfig } from '../../lib/config.ts'
import { engineName, selectEngine } from '../../lib/engines/index.ts'
import { asAccount, initdbArgv, postgresArgv, serverAccount } from '../../lib/engines/postgres/local.ts'
import { physicalArgv, physicalBlocker, pgMajor } from '../../lib/engines/postgres/physical.ts'
import { UserError } from '../../lib/errors.ts'
import { selectRuntime } from '../../lib/runtime/index.ts'
import { tempDir } from '../support/stack.ts'

const cfg = (env: Record<string, string>) => loadConfig({ env: { PATH: process.env.PATH ?? '', ...env }, projectDir: tempDir() })

test('DB_ENGINE picks the engine; mariadb by default', () => {
  assert.is(engineName(cfg({})), 'mariadb')
  assert.is(engineName(cfg({ DB_ENGINE: 'postgres' })), 'postgres')
  assert.throws(() => cfg({ DB_ENGINE: 'mongo' }), /DB_ENGINE="mongo" must be one of mariadb, postgres/)
})

test("external: the URL's scheme decides; a DB_ENGINE that contradicts it is refused", () => {
  for (const [url, want] of [['postgres://u:p@h/db', 'postgres'], ['postgresql://u@h/db', 'postgres'], ['mysql://u@h/db', 'mariadb'], ['mariadb://u@h/db', 'mariadb']]) {
    assert.is(engineName(cfg({ DATAKEEP_RUNTIME: 'external', DATABASE_URL: url })), want, url)
  }
  assert.throws(() => engineName(cfg({ DATAKEEP_RUNTIME: 'external', DATABASE_URL: 'postgres://u@h/db', DB_ENGINE: 'mariadb' })),
    (e: Error) => e instanceof UserError && /DB_ENGINE=mariadb but DATABASE_URL points at PostgreSQL/.test(e.message))
  // on the local runtime a leftover URL does not decide
  assert.is(engineName(cfg({ DATABASE_URL: 'postgres://u@h/db' })), 'mariadb')
})

test('selectEngine gives each engine its runtime; commands not ported refuse PostgreSQL clearly', async () => {
  const pg = await selectEngine(cfg({ DB_ENGINE: 'postgres', DATAKEEP_RUNTIME: 'local' }))
  assert.is(pg.name, 'postgres')
  assert.is(pg.runtime.admin.user, 'postgres')
  const ext = await selectEngine(cfg({ DATAKEEP_RUNTIME: 'external', DATABASE_URL: 'postgres://u:pw@db.example:6543/shop' }))
  assert.equal(ext.runtime.admin, { host: 'db.example', port: 6543, user: 'u', password: 'pw', database: 'shop' })
  assert.equal(ext.runtime.clientEnv(), { PGPASSWORD: 'pw' })
  assert.ok(!ext.runtime.clientArgs().join(' ').includes('pw'), 'no password on argv')
  const maria = await selectEngine(cfg({ DATAKEEP_RUNTIME: 'local' }))
  assert.is(maria.name, 'mariadb')
  try { await selectRuntime(cfg({ DB_ENGINE: 'postgres' })); assert.unreachable() } catch (e) {
    assert.match((e as Error).message, 'this command does not run on PostgreSQL yet')
  }
})

test('the private cluster: argv as data; as root the server runs as the postgres account, else the folder owner', () => {
  const pgAcc = { name: 'postgres', uid: 101, gid: 104 }
  assert.is(serverAccount(false, pgAcc, { uid: 0, gid: 0 }), null)
  assert.equal(serverAccount(true, pgAcc, { uid: 1000, gid: 1000 }), pgAcc)
  assert.equal(serverAccount(true, null, { uid: 1000, gid: 1000 }), { name: '1000', uid: 1000, gid: 1000 })
  assert.throws(() => serverAccount(true, null, { uid: 0, gid: 0 }), /refuses to run as root/)
  assert.equal(asAccount(pgAcc), ['setpriv', '--reuid=101', '--regid=104', '--clear-groups', '--'])
  assert.equal(initdbArgv('/b', '/d', null), ['/b/initdb', '-D', '/d', '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--auth-local=trust', '--auth-host=scram-sha-256'])
  const argv = postgresArgv('/b', { dataDir: '/d', socketDir: '/s', logFile: '/l' }, 5999)
  assert.ok(argv.includes('listen_addresses=127.0.0.1') && argv.includes('port=5999') && argv.includes('unix_socket_directories=/s'))
  assert.ok(argv.includes('wal_level=minimal') && argv.includes('max_wal_senders=0'), 'minimal by default: loads write no WAL for their new tables')
  const replica = postgresArgv('/b', { dataDir: '/d', socketDir: '/s', logFile: '/l' }, 5999, 'replica')
  assert.ok(replica.includes('wal_level=replica') && replica.includes('max_wal_senders=4'), 'replica: pg_basebackup copies and streams the WAL')
})

test('PostgreSQL physical snapshots as data: the pg_basebackup argv, the major a copy must share, the runtimes refused', () => {
  const argv = physicalArgv.backup('/b', ['-h', '/s', '-p', '5999', '-U', 'postgres'], '/snap/physical', 'datakeep p1')
  assert.equal(argv, ['/b/pg_basebackup', '-h', '/s', '-p', '5999', '-U', 'postgres', '--no-password', '-D', '/snap/physical',
    '-F', 'plain', '-X', 'stream', '-c', 'fast', '--no-sync', '--label=datakeep p1'])
  assert.equal(physicalArgv.verify('/b', '/snap/physical'), ['/b/pg_verifybackup', '--quiet', '/snap/physical'])
  assert.is(pgMajor('15.10 (Debian 15.10-0+deb12u1)'), '15')
  assert.is(pgMajor('16.4'), '16')
  assert.is(pgMajor('9.6.24'), '9.6')
  const rt = (name: string) => ({ name }) as unknown as Parameters<typeof physicalBlocker>[0]
  assert.is(physicalBlocker(rt('local'), 'p1'), null)
  assert.match(physicalBlocker(rt('docker'), 'p1')!, /not supported on the docker runtime yet .*make data_dump ARGS="--name p1"/)
  assert.match(physicalBlocker(rt('external'), 'p1')!, /cannot reach .*REPLICATION.*replication.*wal_level=replica and max_wal_senders >= 2/)
})

test.run()
