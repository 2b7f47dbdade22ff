// The *_COMMAND hooks once per engine, for real: MIGRATE_COMMAND, SEED_COMMAND (in the scratch
// database that becomes _init), INDEX_CHECK_COMMAND and REINDEX_COMMAND reach the database with the
// engine's own client from their environment alone (the password only there); a failing hook is
// one line naming its key. And PostgreSQL's hook connection per runtime, as data.
import fs from 'node:fs'
import path from 'node:path'
import { suite, test } from '../support/uvu.ts'
import * as assert from 'uvu/assert'
import { loadConfig } from '../../lib/config.ts'
import { mariadbEngine } from '../../lib/engines/mariadb/index.ts'
import { pgComposeBase } from '../../lib/engines/postgres/docker.ts'
import { pgHookConnection, pgHookEnv } from '../../lib/engines/postgres/hooks.ts'
import type { Engine } from '../../lib/engines/types.ts'
import { hookTarget } from '../../lib/hooks.ts'
import { makePgStack } from '../support/pg-stack.ts'
import { lastLine, makeStack, runScript, tempDir } from '../support/stack.ts'

interface EngineStack { dir: string; env: Record<string, string>; engine: Engine; destroy(): Promise<void> }
interface EngineCase {
  make: (env: Record<string, string>) => Promise<EngineStack>
  /** A shell command running one SQL statement with the engine's client, configured by the environment alone. */
  sql: (statement: string) => string
  /** The environment variable that names the database. */
  dbVar: string
  /** Variable names this engine's hooks must not be given (the other engine's). */
  foreign: RegExp
}

const PW = 'hook-pw-93f'
const CASES: Record<string, EngineCase> = {
  mariadb: {
    make: async (env) => {
      const s = await makeStack({ start: false, env })
      return { dir: s.dir, env: s.env, engine: await mariadbEngine(s.cfg), destroy: () => s.destroy() }
    },
    // host, port, socket and password come from MYSQL_HOST/MYSQL_TCP_PORT/MYSQL_UNIX_PORT/MYSQL_PWD; --no-defaults:
    // a [client] socket in the machine's /etc/mysql option files would win over MYSQL_UNIX_PORT
    sql: (q) => `mariadb --no-defaults -u"$MYSQL_USER" "$MYSQL_DATABASE" -e "${q}"`,
    dbVar: 'MYSQL_DATABASE',
    foreign: /^(PG|POSTGRES_)/,
  },
  postgres: {
    make: async (env) => {
      const s = await makePgStack({ start: false, env: { POSTGRES_DB: 'hookdb', POSTGRES_USER: 'hookrole', POSTGRES_PASSWORD: PW, ...env } })
      return { dir: s.dir, env: s.env, engine: s.engine, destroy: () => s.destroy() }
    },
    // libpq reads PGHOST, PGPORT, PGUSER, PGDATABASE and PGPASSWORD (TCP: the password is needed)
    sql: (q) => `psql -X -q -v ON_ERROR_STOP=1 -c "${q}"`,
    dbVar: 'PGDATABASE',
    foreign: /^MYSQL_/,
  },
}

for (const [name, c] of Object.entries(CASES)) {
  const s = suite(`hooks on ${name}`, { st: null as unknown as EngineStack })
  s.before(async (ctx) => {
    const log = (what: string) => `echo "${what} $${c.dbVar}" >> hooks.log`
    ctx.st = await c.make({
      MIGRATE_COMMAND: `${c.sql('CREATE TABLE IF NOT EXISTS hooked (id INT PRIMARY KEY)')} && ${log('migrate')} && env | cut -d= -f1 | sort > hook-env.txt`,
      SEED_COMMAND: `${c.sql('INSERT INTO hooked VALUES (1), (2)')} && ${log('seed')}`,
      REINDEX_COMMAND: `${log('reindex')} && touch index.present`,
      INDEX_CHECK_COMMAND: 'test -f index.present',
    })
  })
  s.after(async (ctx) => { await ctx.st?.destroy() })

  const db = (st: EngineStack) => st.engine.runtime.admin.database
  const ids = (st: EngineStack) => st.engine.withSql(async (sql) => (await sql.query<{ id: number }>('SELECT id FROM hooked ORDER BY id')).map((r) => Number(r.id)))
  const log = (st: EngineStack) => fs.readFileSync(path.join(st.dir, 'hooks.log'), 'utf8').trim().split('\n')

  s('make up: MIGRATE_COMMAND and SEED_COMMAND build _init in a scratch database, then the live one is migrated and indexed', async ({ st }) => {
    const r = await runScript(st, 'up')
    assert.is(r.code, 0, r.stderr)
    assert.equal(await ids(st), [1, 2])
    const lines = log(st)
    assert.ok(lines.some((l) => /^seed _dk_scratch_/.test(l)), `SEED_COMMAND ran in the scratch database: ${lines.join(' | ')}`)
    assert.ok(lines.includes(`reindex ${db(st)}`), lines.join(' | '))
    assert.ok(fs.existsSync(path.join(st.dir, 'data/backups/_init/manifest.json')))
    // the engine's own names, not the other engine's
    const names = fs.readFileSync(path.join(st.dir, 'hook-env.txt'), 'utf8').split('\n').filter(Boolean)
    assert.ok(names.includes('DATAKEEP_DATABASE_URL'))
    assert.equal(names.filter((n) => c.foreign.test(n) && !(n in st.env)), [])
  })

  s('make migrate runs MIGRATE_COMMAND against the live database; a failing one is one line naming it, exit 1', async ({ st }) => {
    const r = await runScript(st, 'migrate')
    assert.is(r.code, 0, r.stderr)
    assert.match(lastLine(r.stderr), 'MIGRATE_COMMAND finished')
    assert.is(log(st).pop(), `migrate ${db(st)}`)
    const bad = await runScript(st, 'migrate', [], { MIGRATE_COMMAND: c.sql('SELECT * FROM no_such_table') })
    assert.is(bad.code, 1, bad.stderr)
    assert.match(lastLine(bad.stderr), /^datakeep: MIGRATE_COMMAND failed \(exit \d+\)/)
  })

  s('data_load runs the migrations and REINDEX_COMMAND after the load, as on every engine', async ({ st }) => {
    const before = log(st).length
    const r = await runScript(st, 'data-load', ['--name', '_init', '--no-safety'])
    assert.is(r.code, 0, r.stderr)
    assert.equal(log(st).slice(before), [`migrate ${db(st)}`, `reindex ${db(st)}`])
  })

  s.run()
}

test('PostgreSQL hooks: the connection per runtime, the password only in the environment', () => {
  const dir = tempDir('datakeep-pghook-')
  const docker = loadConfig({ env: { DB_ENGINE: 'postgres', DATAKEEP_RUNTIME: 'docker', HOOK_SERVICE: 'web', POSTGRES_PASSWORD: 'p@:/w' }, projectDir: dir })
  const admin = { host: '127.0.0.1', port: 5433, user: 'app', password: 'p@:/w', database: 'app' }
  const inService = pgHookConnection(docker, { name: 'docker', admin })
  assert.equal(inService, { host: 'postgres', port: 5432, user: 'app', password: 'p@:/w', database: 'app' })
  const env = pgHookEnv(inService)
  assert.equal([env.PGHOST, env.PGPORT, env.PGUSER, env.PGDATABASE, env.PGPASSWORD], ['postgres', '5432', 'app', 'app', 'p@:/w'])
  assert.equal([env.POSTGRES_USER, env.POSTGRES_DB, env.POSTGRES_PASSWORD], ['app', 'app', 'p@:/w'])
  assert.is(env.DATAKEEP_DATABASE_URL, 'postgresql://app:p%40%3A%2Fw@postgres:5432/app')
  const t = hookTarget(docker, 'docker', pgComposeBase(docker))
  assert.is(t.kind === 'compose' && t.service, 'web')
  // the postgres profile goes with it: an application service that depends on the database loads
  assert.ok(t.kind === 'compose' && t.compose.join(' ').endsWith('--profile postgres'), t.kind === 'compose' ? t.compose.join(' ') : '')
  // docker without HOOK_SERVICE: the published port on this machine
  assert.equal(pgHookConnection({ ...docker, HOOK_SERVICE: '' }, { name: 'docker', admin }).host, '127.0.0.1')
  // local: the application role over TCP with its password (the superuser has none: it gets the socket)
  const local = loadConfig({ env: { DB_ENGINE: 'postgres', POSTGRES_PORT: '6000', POSTGRES_USER: 'web', POSTGRES_PASSWORD: 'x' }, projectDir: dir })
  const superuser = { host: '/run/pg', port: 6000, user: 'postgres', password: '', database: 'app' }
  assert.equal(pgHookConnection(local, { name: 'local', admin: superuser }), { host: '127.0.0.1', port: 6000, user: 'web', password: 'x', database: 'app' })
  const su = pgHookConnection({ ...local, POSTGRES_USER: 'postgres' }, { name: 'local', admin: superuser })
  assert.equal(su, superuser)
  const suEnv = pgHookEnv(su)
  assert.is(suEnv.PGPASSWORD, undefined)
  assert.is(suEnv.DATAKEEP_DATABASE_URL, 'postgresql://postgres@/app?host=%2Frun%2Fpg&port=6000')
  // no variable of MariaDB's
  assert.equal(Object.keys(env).filter((k) => k.startsWith('MYSQL_')), [])
})

test.run()
