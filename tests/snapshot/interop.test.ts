// Interop with the stock tools, both ways: a snapshot restores with zstd + mariadb alone, a
// mariadb-dump file loads with --file, a --format sql dump restores with mariadb.
import fs from 'node:fs'
import path from 'node:path'
import { suite } from '../support/uvu.ts'
import * as assert from 'uvu/assert'
import { HOST, run } from '../../lib/run.ts'
import { STOCK_RESTORE } from '../../lib/snapshot/restore-sql.ts'
import { fingerprint, sql } from '../support/fingerprint.ts'
import { sakilaStack } from '../support/sakila.ts'
import { lastLine, runScript, tempDir, type TestStack } from '../support/stack.ts'

const t = suite('snapshot interop', { stack: null as unknown as TestStack })
t.before(async (ctx) => {
  ctx.stack = await sakilaStack()
})
t.after(async (ctx) => { await ctx.stack?.destroy() })

const objectsIn = (fp: Awaited<ReturnType<typeof fingerprint>>, from: string, to: string) =>
  JSON.parse(JSON.stringify(fp.objects).split(`\`${from}\``).join(`\`${to}\``))

t('a snapshot restores with the documented stock-tools line', async ({ stack }) => {
  assert.is((await runScript(stack, 'data-dump', ['--name', 'stock'])).code, 0)
  const dir = path.join(stack.dir, 'data/backups/stock')
  const copy = path.join(tempDir(), 'stock')
  fs.cpSync(dir, copy, { recursive: true })
  await sql(stack, 'CREATE DATABASE restored')
  const line = STOCK_RESTORE.replace('mariadb ', `mariadb ${stack.rt.clientArgs().join(' ')} `).replace('<database>', 'restored')
  await run(HOST, ['bash', '-c', line], { cwd: copy, env: stack.rt.clientEnv() })
  const src = await stack.db((db) => fingerprint(db, 'sakila'))
  const dst = await stack.db((db) => fingerprint(db, 'restored'))
  assert.equal(dst.tables, src.tables)
  assert.equal(dst.objects, objectsIn(src, 'sakila', 'restored'))
  assert.equal(fs.readdirSync(path.join(copy, 'data')).filter((f) => f.endsWith('.tsv')), [])
})

t('a mariadb-dump file loads with --file, through staging and swap', async ({ stack }) => {
  const file = path.join(tempDir(), 'sakila.sql')
  await run(HOST, ['mariadb-dump', ...stack.rt.clientArgs(), '--routines', '--events', '--triggers', '--databases', '--add-drop-database', 'sakila'],
    { env: stack.rt.clientEnv(), stdoutFile: file })
  await run(HOST, ['gzip', '-k', file])
  const src = await stack.db((db) => fingerprint(db, 'sakila'))
  const env = { MYSQL_DATABASE: 'imported' }
  for (const f of [file, `${file}.gz`]) {
    const r = await runScript(stack, 'data-load', ['--file', f], env)
    assert.is(r.code, 0, r.stderr)
    assert.match(lastLine(r.stderr), /imported .* into imported: 16 tables/)
    const got = await stack.db((db) => fingerprint(db, 'imported'))
    assert.equal(got.tables, src.tables)
    assert.equal(got.objects, objectsIn(src, 'sakila', 'imported'))
  }
  // the dump's USE/DROP DATABASE never reached the original
  assert.equal(await stack.db((db) => fingerprint(db, 'sakila')), src)
  const missing = await runScript(stack, 'data-load', ['--file', 'nope.sql'], env)
  assert.is(missing.code, 2)
  assert.is(lastLine(missing.stderr), 'datakeep: no such SQL file: nope.sql; nothing was changed; usage: make data_load ARGS="--file path/to/dump.sql[.gz|.zst]"')
})

t('--format sql writes one file that the stock client restores', async ({ stack }) => {
  for (const gzip of [false, true]) {
    const r = await runScript(stack, 'data-dump', ['--name', `plain${gzip ? 'gz' : ''}`, '--format', 'sql', ...(gzip ? ['--gzip'] : [])])
    assert.is(r.code, 0, r.stderr)
    const file = r.stdout.trim()
    assert.ok(file.endsWith(gzip ? '.sql.gz' : '.sql'))
    const db = `plain${gzip ? 'gz' : ''}_restored`
    await sql(stack, `CREATE DATABASE ${db}`)
    await run(HOST, ['bash', '-c', `${gzip ? 'gunzip -c' : 'cat'} "$0" | mariadb ${stack.rt.clientArgs().join(' ')} ${db}`, file], { env: stack.rt.clientEnv() })
    const src = await stack.db((d) => fingerprint(d, 'sakila'))
    const got = await stack.db((d) => fingerprint(d, db))
    assert.equal(got.tables, src.tables)
    assert.equal(Object.keys(got.objects).sort(), Object.keys(src.objects).sort())
    assert.not.match(fs.readFileSync(file).toString('latin1').slice(0, 200000), /DEFINER=/)
  }
})

t.run()
