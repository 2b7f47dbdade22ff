// The local runtime, for real: a private server from the host binaries in a temp project.
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { suite } from './support/uvu.ts'
import * as assert from 'uvu/assert'
import { loadConfig } from '../lib/config.ts'
import { UserError } from '../lib/errors.ts'
import { findServerBinary, installPlan, localPaths, LocalRuntime, serverArgv } from '../lib/runtime/local.ts'
import { freePort, makeStack, tempDir, type TestStack } from './support/stack.ts'

const pure = suite('local runtime: argv and decisions')

pure('the server listens on 127.0.0.1 and the socket under the project', () => {
  const cfg = loadConfig({ env: { MYSQL_PORT: '3999' }, projectDir: '/p' })
  const p = localPaths(cfg)
  assert.is(p.dataDir, '/p/data/mysqld')
  assert.is(p.socket, '/p/data/run/mysqld.sock')
  const argv = serverArgv('/usr/sbin/mariadbd', p, 3999, null)
  assert.ok(argv.includes('--bind-address=127.0.0.1'))
  assert.ok(argv.includes('--port=3999'))
  assert.ok(argv.includes('--datadir=/p/data/mysqld'))
  assert.match(argv[1], /^--defaults-file=.*docker\/mysql\/conf\.d\/datakeep\.cnf$/)
})

pure('a socket path too long for unix sockets moves to the temp dir', () => {
  const deep = '/p/' + 'x'.repeat(120)
  const p = localPaths(loadConfig({ env: {}, projectDir: deep }))
  assert.ok(Buffer.byteLength(p.socket) <= 100, p.socket)
  assert.match(p.socket, /datakeep-[0-9a-f]{12}\.sock$/)
})

pure('a missing server is installed as root with apt, else the exact command is given', () => {
  assert.equal(installPlan({ isRoot: true, hasApt: true }).action, 'apt')
  const tell = installPlan({ isRoot: false, hasApt: true })
  assert.equal(tell, { action: 'tell', command: 'sudo apt-get install -y mariadb-server mariadb-client' })
  assert.is(installPlan({ isRoot: true, hasApt: false }).action, 'tell')
})

pure('the server binary is found by name in the search dirs', () => {
  const dir = tempDir()
  assert.is(findServerBinary([dir]), null)
  fs.writeFileSync(path.join(dir, 'mysqld'), '#!/bin/sh\n', { mode: 0o755 })
  assert.is(findServerBinary([dir]), path.join(dir, 'mysqld'))
  fs.writeFileSync(path.join(dir, 'mariadbd'), '#!/bin/sh\n', { mode: 0o755 })
  assert.is(findServerBinary([dir]), path.join(dir, 'mariadbd'))
})

pure('a MYSQLD_BIN that does not exist is refused with the install command', async () => {
  const cfg = loadConfig({ env: { MYSQLD_BIN: '/nonexistent/mariadbd', MYSQL_PORT: String(await freePort()) }, projectDir: tempDir() })
  try {
    await new LocalRuntime(cfg).start()
    assert.unreachable('should throw')
  } catch (e) {
    assert.instance(e, UserError)
    assert.is((e as UserError).exitCode, 2)
    assert.match((e as Error).message, 'MYSQLD_BIN=/nonexistent/mariadbd: no such server binary')
    assert.match((e as UserError).hint ?? '', 'apt-get install -y mariadb-server mariadb-client')
  }
})

pure.run()

const life = suite('local runtime: a real server', { stack: null as unknown as TestStack })
life.before(async (ctx) => { ctx.stack = await makeStack() })
life.after(async (ctx) => { await ctx.stack?.destroy() })

life('start creates the database and the application user', async ({ stack }) => {
  const dbs = await stack.db(async (db) => (await db.query('SHOW DATABASES'))[0] as { Database: string }[], null)
  assert.ok(dbs.some((d) => d.Database === 'app'))
  const users = await stack.db(async (db) => (await db.query("SELECT User, Host FROM mysql.user WHERE User = 'app'"))[0] as unknown[], null)
  assert.is(users.length, 2)
})

life('a row written survives stop and start', async ({ stack }) => {
  await stack.db((db) => db.query('CREATE TABLE keep (id INT PRIMARY KEY, v VARCHAR(20))'))
  await stack.db((db) => db.query("INSERT INTO keep VALUES (1, 'still here')"))
  await stack.rt.stop()
  assert.is((await stack.rt.state()).running, false)
  await stack.rt.start()
  const rows = await stack.db(async (db) => (await db.query('SELECT v FROM keep'))[0] as { v: string }[])
  assert.equal(rows, [{ v: 'still here' }])
})

life('starting a running server is a no-op', async ({ stack }) => {
  const before = (await stack.rt.state()).detail
  await stack.rt.start()
  assert.is((await stack.rt.state()).detail, before)
})

life('the volume cannot be removed while the server runs', async ({ stack }) => {
  try {
    await stack.rt.removeVolume()
    assert.unreachable('should refuse')
  } catch (e) {
    assert.instance(e, UserError)
    assert.is((e as UserError).exitCode, 2)
    assert.is((e as UserError).hint, 'run make down first')
  }
  assert.ok(fs.existsSync(path.join(stack.rt.paths.dataDir, 'mysql')))
})

life('removing the stopped volume gives an empty database on the next start', async ({ stack }) => {
  await stack.rt.stop()
  assert.is(await stack.rt.removeVolume(), true)
  assert.not.ok(fs.existsSync(stack.rt.paths.dataDir))
  assert.is(await stack.rt.removeVolume(), false)
  assert.is(await stack.rt.createVolume(), true)
  assert.is(await stack.rt.createVolume(), false)
  await stack.rt.start()
  const tables = await stack.db(async (db) => (await db.query('SHOW TABLES'))[0] as unknown[])
  assert.equal(tables, [])
})

life('a port in use is refused with the key to change', async ({ stack }) => {
  const port = await freePort()
  const blocker = net.createServer().listen(port, '127.0.0.1')
  await new Promise((r) => blocker.once('listening', r))
  const cfg = loadConfig({ env: { ...stack.env, MYSQL_PORT: String(port) }, projectDir: tempDir() })
  try {
    await new LocalRuntime(cfg).start()
    assert.unreachable('should throw')
  } catch (e) {
    assert.match((e as Error).message, `port ${port} on 127.0.0.1 is already in use`)
    assert.match((e as UserError).hint ?? '', 'MYSQL_PORT')
  } finally {
    blocker.close()
  }
})

life('a data directory that holds something else is never touched', async ({ stack }) => {
  const dir = tempDir()
  fs.mkdirSync(path.join(dir, 'data/mysqld'), { recursive: true })
  fs.writeFileSync(path.join(dir, 'data/mysqld/precious.txt'), 'mine')
  const cfg = loadConfig({ env: { ...stack.env, MYSQL_PORT: String(await freePort()) }, projectDir: dir })
  try {
    await new LocalRuntime(cfg).start()
    assert.unreachable('should throw')
  } catch (e) {
    assert.match((e as Error).message, 'is not empty but holds no database server data')
  }
  assert.is(fs.readFileSync(path.join(dir, 'data/mysqld/precious.txt'), 'utf8'), 'mine')
})

life.run()
