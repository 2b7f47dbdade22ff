// The init folder (*.sql, *.sql.gz, *.sh) on the local runtime, once per engine: it runs once, on the
// first start of an empty volume, as the server image runs it; a failing file leaves no volume behind.
import fs from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'
import { suite } from '../support/uvu.ts'
import * as assert from 'uvu/assert'
import { mariadbEngine } from '../../lib/engines/mariadb/index.ts'
import type { Engine } from '../../lib/engines/types.ts'
import { makePgStack } from '../support/pg-stack.ts'
import { lastLine, makeStack, runScript } from '../support/stack.ts'

interface EngineStack { dir: string; env: Record<string, string>; engine: Engine; destroy(): Promise<void> }
interface EngineCase {
  make: () => Promise<EngineStack>
  folder: string
  /** The .sh script: appends one line to initdb.log and inserts row 3 with the engine's client, from its environment alone. */
  script: string
  logLine: string
  /** What else the engine's files must show once run (the owner of what they created). */
  extra?: (st: EngineStack) => Promise<void>
}

const PASSWORD = 'init-pw-7c1'

const CASES: Record<string, EngineCase> = {
  mariadb: {
    folder: 'docker/mysql/initdb.d',
    make: async () => {
      const s = await makeStack({ start: false })
      return { dir: s.dir, env: s.env, engine: await mariadbEngine(s.cfg), destroy: () => s.destroy() }
    },
    script: 'echo "ran in $MYSQL_DATABASE" >> initdb.log\nmariadb --socket="$MYSQL_SOCKET" -uroot "$MYSQL_DATABASE" -e "INSERT INTO from_initdb VALUES (3)"\n',
    logLine: 'ran in app',
  },
  postgres: {
    folder: 'docker/postgres/initdb.d',
    make: async () => {
      const s = await makePgStack({ start: false, env: { POSTGRES_DB: 'pginit', POSTGRES_USER: 'pgowner', POSTGRES_PASSWORD: PASSWORD } })
      return { dir: s.dir, env: s.env, engine: s.engine, destroy: () => s.destroy() }
    },
    // the image's variables, and a bare psql (found on PATH) over TCP with the password from PGPASSWORD
    script: 'set -e\necho "ran in $POSTGRES_DB as $POSTGRES_USER ($PGUSER@$PGDATABASE, port $PGPORT, $([ "$PGPASSWORD" = "$POSTGRES_PASSWORD" ] && echo password in env))" >> initdb.log\n'
      + 'psql -X -q -h 127.0.0.1 -v ON_ERROR_STOP=1 -c "INSERT INTO from_initdb VALUES (3)"\n',
    logLine: 'ran in pginit as pgowner (pgowner@pginit, port',
    extra: async (st) => {
      const [r] = await st.engine.withSql((sql) => sql.query<{ o: string }>("SELECT tableowner AS o FROM pg_tables WHERE tablename = 'from_initdb'"))
      assert.is(r.o, 'pgowner', 'what the init files create belongs to the application role, as on the image')
      assert.match(fs.readFileSync(path.join(st.dir, 'initdb.log'), 'utf8'), `port ${st.env.POSTGRES_PORT}, password in env)`)
    },
  },
}

for (const [name, c] of Object.entries(CASES)) {
  const f = suite(`init folder on ${name}`, { st: null as unknown as EngineStack })
  const dir = (st: EngineStack) => path.join(st.dir, c.folder)
  f.before(async (ctx) => {
    ctx.st = await c.make()
    fs.mkdirSync(dir(ctx.st), { recursive: true })
    fs.writeFileSync(path.join(dir(ctx.st), '01-schema.sql'), 'CREATE TABLE from_initdb (id INT PRIMARY KEY);\nINSERT INTO from_initdb VALUES (1);\n')
    fs.writeFileSync(path.join(dir(ctx.st), '02-more.sql.gz'), zlib.gzipSync('INSERT INTO from_initdb VALUES (2);\n'))
    fs.writeFileSync(path.join(dir(ctx.st), '03-note.sh'), c.script)
    fs.writeFileSync(path.join(dir(ctx.st), '04-ignored.txt'), 'not run\n')
  })
  f.after(async (ctx) => { await ctx.st?.destroy() })

  const ids = (st: EngineStack) => st.engine.withSql(async (sql) => (await sql.query<{ id: number }>('SELECT id FROM from_initdb ORDER BY id')).map((r) => Number(r.id)))
  const log = (st: EngineStack) => fs.readFileSync(path.join(st.dir, 'initdb.log'), 'utf8')

  f('runs once, in name order, on the first start of an empty volume, never again', async ({ st }) => {
    let r = await runScript(st, 'up')
    assert.is(r.code, 0, r.stderr)
    assert.match(r.stderr, 'init folder: 01-schema.sql')
    assert.match(r.stderr, 'init folder: 02-more.sql.gz')
    assert.not.match(r.stderr, '04-ignored.txt')
    assert.equal(await ids(st), [1, 2, 3])
    assert.is(log(st).split('\n').length, 2)
    assert.match(log(st), c.logLine)
    await c.extra?.(st)
    assert.is((await runScript(st, 'down')).code, 0)
    r = await runScript(st, 'up')
    assert.is(r.code, 0, r.stderr)
    assert.not.match(r.stderr, 'init folder')
    assert.equal(await ids(st), [1, 2, 3])
    assert.is(log(st).split('\n').length, 2)
  })

  f('a failing init file leaves no half-initialized volume; fixed, the next up runs the folder again', async ({ st }) => {
    assert.is((await runScript(st, 'down')).code, 0)
    assert.is((await runScript(st, 'volume-remove', ['--no-safety'])).code, 0)
    fs.writeFileSync(path.join(dir(st), '03-bad.sql'), 'THIS IS NOT SQL;\n')
    const r = await runScript(st, 'up')
    assert.is(r.code, 1, r.stderr)
    assert.match(lastLine(r.stderr), 'init folder script 03-bad.sql failed')
    assert.is((await st.engine.runtime.data()).exists, false)
    assert.is((await st.engine.runtime.state()).running, false)
    fs.rmSync(path.join(dir(st), '03-bad.sql'))
    fs.rmSync(path.join(st.dir, 'initdb.log'))
    const again = await runScript(st, 'up')
    assert.is(again.code, 0, again.stderr)
    assert.equal(await ids(st), [1, 2, 3])
  })

  f.run()
}
