// data_load --file of a hostile SQL file: the import account, confined by the server to the
// staging database, cannot reach any other database, account or server setting; every other
// database's checksums and the live database stay as they were. kill -9 in the middle of an
// import leaves the account behind only until the next data operation.
import fs from 'node:fs'
import path from 'node:path'
import { suite } from '../support/uvu.ts'
import * as assert from 'uvu/assert'
import { query } from '../../lib/db.ts'
import { interruptAt } from '../support/faults.ts'
import { faultCase } from '../support/fault-results.ts'
import { fingerprint, sql } from '../support/fingerprint.ts'
import { sakilaFiles } from '../support/sakila.ts'
import { lastLine, makeStack, runScript, tempDir, type TestStack } from '../support/stack.ts'

const t = suite('faults: data_load --file confinement', { stack: null as unknown as TestStack, dir: '' })
t.before(async (ctx) => {
  ctx.stack = await makeStack({ env: { MYSQL_DATABASE: 'app' } })
  ctx.dir = tempDir('datakeep-hostile-')
  await sql(ctx.stack, `CREATE DATABASE IF NOT EXISTS app; CREATE TABLE app.keep (id INT PRIMARY KEY); INSERT INTO app.keep VALUES (1), (2);
    CREATE DATABASE other; CREATE TABLE other.t0 (id INT PRIMARY KEY); INSERT INTO other.t0 VALUES (7), (8);`)
})
t.after(async (ctx) => { await ctx.stack?.destroy() })

/** Every database's checksums and objects, the accounts and a global setting: what a hostile file could change. */
async function serverState(stack: TestStack): Promise<string> {
  return stack.db(async (db) => {
    const dbs = (await query<{ s: string }>(db, "SELECT SCHEMA_NAME AS s FROM information_schema.SCHEMATA WHERE SCHEMA_NAME NOT IN ('information_schema', 'performance_schema', 'mysql', 'sys') ORDER BY 1")).map((r) => r.s)
    const out: Record<string, unknown> = {}
    for (const d of dbs) out[d] = await fingerprint(db, d)
    out.accounts = await query(db, 'SELECT User, Host FROM mysql.user ORDER BY 1, 2')
    out.globals = await query(db, 'SELECT @@GLOBAL.max_connections AS m, @@GLOBAL.read_only AS r')
    return JSON.stringify(out)
  }, null)
}

const HOSTILE: [string, string][] = [
  ['DROP SCHEMA other', 'DROP SCHEMA other;'],
  ['CREATE TABLE other.t', 'CREATE TABLE other.t (id INT);'],
  ['INSERT INTO other.t', 'INSERT INTO other.t0 VALUES (9);'],
  ['GRANT', "GRANT ALL PRIVILEGES ON *.* TO 'root'@'localhost' WITH GRANT OPTION;"],
  ['CREATE USER', "CREATE USER 'evil'@'%' IDENTIFIED BY 'x';"],
  ['SET GLOBAL', 'SET GLOBAL read_only = 1;'],
  ['SHUTDOWN', 'SHUTDOWN;'],
]

for (const [label, statement] of HOSTILE) {
  t(`a file that tries ${label} is refused by the server`, async ({ stack, dir }) => {
    await faultCase({
      name: `data_load --file: ${label}`, operation: 'data_load --file', fault: `hostile SQL file: ${label}`, point: 'line 3 of the file',
      expected: 'refused by the server (the import account is confined to the staging database); exit 1 with file, line and the server\'s message; every database unchanged',
    }, async (log) => {
      const before = await serverState(stack)
      const file = path.join(dir, `${label.replace(/\W+/g, '-')}.sql`)
      fs.writeFileSync(file, `CREATE TABLE t (id INT PRIMARY KEY);\nINSERT INTO t VALUES (1);\n${statement}\n`)
      const r = await runScript(stack, 'data-load', ['--file', file])
      const after = await serverState(stack)
      log.lost(after !== before)
      assert.is(after, before, 'a database, an account or a setting changed')
      assert.is(r.code, 1, r.stderr)
      const line = lastLine(r.stderr)
      assert.match(line, new RegExp(`^datakeep: importing ${file} failed at line 3: .*(denied|Access denied).*; nothing was changed;`))
      return line.replace(/^datakeep: /, '').replace(file, `<${label} file>`).split('; nothing')[0] + '; nothing was changed'
    })
  })
}

t('kill -9 during an import: the next data operation drops the import account and the staging database', async ({ stack, dir }) => {
  await faultCase({
    name: 'data_load --file: kill -9 mid-import', operation: 'data_load --file', fault: 'kill -9', point: 'mid-import (the import account exists)',
    expected: 'live database unchanged; the next run removes the account and staging database as debris',
  }, async (log) => {
    const before = await serverState(stack)
    const file = path.join(dir, 'sakila.sql')
    fs.writeFileSync(file, Buffer.concat([sakilaFiles().schema, sakilaFiles().data].map((f) => fs.readFileSync(f))))
    const accounts = () => stack.db(async (db) => Number((await query<{ n: string }>(db, "SELECT COUNT(*) AS n FROM mysql.user WHERE User LIKE '\\_dk\\_import\\_%'"))[0].n), null)
    const hit = await interruptAt(stack, 'data-load', ['--file', file], { signal: 'SIGKILL', at: async () => (await accounts()) > 0 })
    assert.ok(hit.hit, `the import ended before the account was seen: ${hit.stderr}`)
    const r = await runScript(stack, 'data-dump', ['--name', 'after-kill'])
    assert.is(r.code, 0, r.stderr)
    assert.match(r.stderr, /removed debris of an interrupted run: import account _dk_import_/)
    assert.is(await accounts(), 0)
    const after = await serverState(stack)
    log.lost(after !== before)
    assert.is(after, before)
    return 'account and staging database removed by the next run; live database unchanged'
  })
})

t.run()
