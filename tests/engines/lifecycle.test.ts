// One suite, run once per engine through the seam alone (Engine and the scripts): the data
// lifecycle a new user walks through. Nothing here knows which engine it drives.
import fs from 'node:fs'
import path from 'node:path'
import { suite } from '../support/uvu.ts'
import * as assert from 'uvu/assert'
import { mariadbEngine } from '../../lib/engines/mariadb/index.ts'
import type { Engine } from '../../lib/engines/types.ts'
import { makePgStack } from '../support/pg-stack.ts'
import { lastLine, makeStack, runScript } from '../support/stack.ts'

interface EngineStack { dir: string; env: Record<string, string>; engine: Engine; destroy(): Promise<void> }

const STACKS: Record<string, () => Promise<EngineStack>> = {
  mariadb: async () => {
    const s = await makeStack({ start: false })
    return { dir: s.dir, env: s.env, engine: await mariadbEngine(s.cfg), destroy: () => s.destroy() }
  },
  postgres: async () => {
    const s = await makePgStack({ start: false })
    return { dir: s.dir, env: s.env, engine: s.engine, destroy: () => s.destroy() }
  },
}

for (const [name, make] of Object.entries(STACKS)) {
  const s = suite(`lifecycle on ${name}`, { st: null as unknown as EngineStack })
  s.before(async (ctx) => { ctx.st = await make() })
  s.after(async (ctx) => { await ctx.st?.destroy() })

  const ids = (st: EngineStack) => st.engine.withSql(async (sql) =>
    (await sql.query<{ id: number | string }>(`SELECT id FROM ${sql.ident('items')} ORDER BY id`)).map((r) => Number(r.id)))

  s('up makes the database; status and check see its rows', async ({ st }) => {
    const up = await runScript(st, 'up')
    assert.is(up.code, 0, up.stderr)
    await st.engine.withSql(async (sql) => {
      await sql.query(`CREATE TABLE ${sql.ident('items')} (id int PRIMARY KEY, label varchar(20))`)
      await sql.query(`INSERT INTO ${sql.ident('items')} VALUES (1, 'a'), (2, 'b'), (3, 'c')`)
    })
    const status = JSON.parse((await runScript(st, 'status', ['--json'])).stdout)
    assert.equal(status.database.tables.find((t: { table: string }) => t.table === 'items'), { table: 'items', type: 'table', rows: 3 })
    assert.is((await runScript(st, 'check')).code, 0)
    assert.equal((await st.engine.tableStates()).map((t) => [t.name, t.rows]), [['items', 3]])
  })

  s('data_dump, lose rows and files, data_load: both come back, verified', async ({ st }) => {
    const storage = path.join(st.dir, 'data/storage')
    fs.mkdirSync(storage, { recursive: true })
    fs.writeFileSync(path.join(storage, 'photo.jpg'), 'jpeg bytes')
    assert.is((await runScript(st, 'data-dump', ['--name', 's1'])).code, 0)
    await st.engine.withSql((sql) => sql.query(`DELETE FROM ${sql.ident('items')} WHERE id > 1`))
    fs.rmSync(path.join(storage, 'photo.jpg'))
    const load = await runScript(st, 'data-load', ['--name', 's1'])
    assert.is(load.code, 0, load.stderr)
    assert.match(lastLine(load.stderr), /loaded snapshot s1 into app: \d+ tables?, 3 rows, 1 file, verified/)
    assert.equal(await ids(st), [1, 2, 3])
    assert.is(fs.readFileSync(path.join(storage, 'photo.jpg'), 'utf8'), 'jpeg bytes')
  })

  s('plain SQL out and back in: --format sql --gzip, then --file', async ({ st }) => {
    const dump = await runScript(st, 'data-dump', ['--name', 'plain', '--format', 'sql', '--gzip'])
    assert.is(dump.code, 0, dump.stderr)
    const file = dump.stdout.trim()
    assert.ok(file.endsWith('plain.sql.gz') && fs.existsSync(file))
    await st.engine.withSql((sql) => sql.query(`DELETE FROM ${sql.ident('items')}`))
    const load = await runScript(st, 'data-load', ['--file', file, '--no-safety'])
    assert.is(load.code, 0, load.stderr)
    assert.equal(await ids(st), [1, 2, 3])
  })

  s('down keeps the data; a second up finds it', async ({ st }) => {
    assert.is((await runScript(st, 'down')).code, 0)
    assert.is(JSON.parse((await runScript(st, 'status', ['--json'])).stdout).server.running, false)
    assert.is((await runScript(st, 'up')).code, 0)
    assert.equal(await ids(st), [1, 2, 3])
    assert.is((await runScript(st, 'down')).code, 0)
  })

  s.run()
}
