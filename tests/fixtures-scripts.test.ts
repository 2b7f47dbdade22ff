// fixtures_dump and fixtures_load as the user runs them on MariaDB's adversarial tables: the real
// scripts against a real server, exit codes, the one error line naming file, row and column, the
// database untouched on failure. What both engines do alike (--tables, bad files, ownership under
// sudo, no files) is tests/engines/fixtures.test.ts, run on each.
import fs from 'node:fs'
import path from 'node:path'
import { suite } from './support/uvu.ts'
import * as assert from 'uvu/assert'
import { fixtureFileName } from '../lib/fixtures/format.ts'
import { ADVERSARIAL_TABLES, createAdversarial } from './support/adversarial.ts'
import { fingerprint, sql, type Fingerprint } from './support/fingerprint.ts'
import { lastLine, makeStack, runScript, type TestStack } from './support/stack.ts'

const t = suite('fixtures scripts', { stack: null as unknown as TestStack, live: null as unknown as Fingerprint })

t.before(async (ctx) => {
  ctx.stack = await makeStack({ env: { MYSQL_DATABASE: 'app' } })
  await ctx.stack.db((db) => createAdversarial(db, 'app'), null)
  ctx.live = await ctx.stack.db((db) => fingerprint(db, 'app'))
})
t.after(async (ctx) => { await ctx.stack?.destroy() })

const fixtures = (stack: TestStack, ...p: string[]) => path.join(stack.dir, 'data/fixtures', ...p)

/** A copy of the dumped fixtures in `<project>/<name>`, changed by `edit` (table -> document). */
function variant(stack: TestStack, name: string, tables: string[], edit: (docs: Record<string, any>) => void = () => undefined): string {
  const dir = path.join(stack.dir, name)
  fs.mkdirSync(dir)
  const docs: Record<string, any> = {}
  for (const table of tables) docs[table] = JSON.parse(fs.readFileSync(fixtures(stack, fixtureFileName(table)), 'utf8'))
  edit(docs)
  for (const [table, doc] of Object.entries(docs)) fs.writeFileSync(path.join(dir, fixtureFileName(table)), JSON.stringify(doc, null, 2))
  return dir
}

async function refused(stack: TestStack, live: Fingerprint, dir: string, expect: string | RegExp): Promise<void> {
  const r = await runScript(stack, 'fixtures-load', ['--no-safety'], { FIXTURES_DIR: dir })
  assert.is(r.code, 1, r.stderr)
  if (typeof expect === 'string') assert.is(lastLine(r.stderr), expect)
  else assert.match(lastLine(r.stderr), expect)
  assert.equal(await stack.db((db) => fingerprint(db, 'app')), live, 'the database changed')
}

t('fixtures_dump writes one file per base table and prints their paths', async ({ stack }) => {
  const r = await runScript(stack, 'fixtures-dump')
  assert.is(r.code, 0, r.stderr)
  const files = r.stdout.trim().split('\n')
  assert.equal(files.sort(), ADVERSARIAL_TABLES.map((n) => fixtures(stack, fixtureFileName(n))).sort())
  for (const f of files) assert.ok(fs.existsSync(f), f)
  assert.match(lastLine(r.stderr), /^done: wrote 25 fixture files \(\d+ rows\) to data\/fixtures in \d+\.\d s$/)
  assert.match(r.stderr, /numbers: 6 rows/)
})

t('a wrong type in row 3: exit 1 naming the file, row and column', async ({ stack, live }) => {
  const dir = variant(stack, 'bad-type', ['bits', 'numbers'], (d) => { d.numbers.rows[2].ti = 'abc' })
  await refused(stack, live, dir, 'datakeep: bad-type/numbers.json: rows[2]: column "ti" (tinyint(4)): "abc" is not an integer')
})

t('a value the server refuses, after another file was written: rolled back, row named', async ({ stack, live }) => {
  const dir = variant(stack, 'bad-range', ['bits', 'numbers'], (d) => {
    d.bits.rows[0].b7 = 5 // bits.json loads first and would change a row
    d.numbers.rows[2].ti = 300 // out of range for TINYINT under strict mode
  })
  await refused(stack, live, dir, /^datakeep: bad-range\/numbers\.json: rows\[2\]: Out of range value for column 'ti'$/)
})

t('fixtures_load upserts after a safety snapshot and says how many rows it inserted and updated', async ({ stack }) => {
  const dir = variant(stack, 'good', ['bits'], (d) => {
    d.bits.rows[0].b7 = 5
    d.bits.rows.push({ id: 6, b1: 1, b7: 2, b64: '9007199254740993' })
  })
  const r = await runScript(stack, 'fixtures-load', [], { FIXTURES_DIR: dir })
  assert.is(r.code, 0, r.stderr)
  assert.match(r.stderr, /safety snapshot _safety\/fixtures_load-/)
  assert.match(lastLine(r.stderr), /^done: loaded 1 fixture file into app: 6 rows \(1 inserted, 5 updated\) in \d+\.\d s$/)
  assert.is(await sql(stack, 'SELECT id, b7 + 0, b64 + 0 FROM bits WHERE id IN (1, 6) ORDER BY id', 'app'), '1\t5\t0\n6\t2\t9007199254740993\n')
})

t.run()
