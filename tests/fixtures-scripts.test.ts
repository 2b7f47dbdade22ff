// fixtures_dump and fixtures_load as the user runs them: the real scripts against a real server,
// exit codes, the one error line naming file and row, the database untouched on failure, and
// file ownership under sudo.
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

t('--tables writes only those; an unknown one exits 2 naming it and writes nothing', async ({ stack }) => {
  let r = await runScript(stack, 'fixtures-dump', ['--tables', 'bits, numbers'], { FIXTURES_DIR: 'subset' })
  assert.is(r.code, 0, r.stderr)
  assert.equal(fs.readdirSync(path.join(stack.dir, 'subset')).sort(), ['bits.json', 'numbers.json'])
  r = await runScript(stack, 'fixtures-dump', ['--tables', 'bits,nope,ghost'], { FIXTURES_DIR: 'never' })
  assert.is(r.code, 2)
  assert.match(lastLine(r.stderr), /^datakeep: unknown tables "nope", "ghost" in --tables: database app has no base table by those names; tables: bits, bytes all, /)
  assert.not.ok(fs.existsSync(path.join(stack.dir, 'never')))
})

t('run as root with SUDO_UID/SUDO_GID, the files and the folders it creates belong to that user', async ({ stack }) => {
  assert.is(process.getuid?.(), 0, 'this test runs the script as root (the suite runs as root here)')
  const r = await runScript(stack, 'fixtures-dump', ['--tables', 'bits,dates'], { FIXTURES_DIR: 'owned/nested/fx', SUDO_UID: '1234', SUDO_GID: '1234' })
  assert.is(r.code, 0, r.stderr)
  for (const p of ['owned', 'owned/nested', 'owned/nested/fx', 'owned/nested/fx/bits.json', 'owned/nested/fx/dates.json']) {
    const st = fs.statSync(path.join(stack.dir, p))
    assert.equal([st.uid, st.gid], [1234, 1234], p)
  }
  assert.is(fs.statSync(stack.dir).uid, 0, 'the project folder it did not create is left alone')
})

t('malformed JSON: exit 1 naming the file, line and column; nothing changed', async ({ stack, live }) => {
  const dir = variant(stack, 'bad-json', ['bits', 'numbers'])
  const file = path.join(dir, 'numbers.json')
  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('"id": 2,', '"id": 2,,'))
  const line = fs.readFileSync(file, 'utf8').split('\n').findIndex((l) => l.includes('"id": 2,,')) + 1
  // the words are V8's (they vary between Node versions); where it is, is ours
  await refused(stack, live, dir, new RegExp(`^datakeep: bad-json/numbers\\.json: malformed JSON: .+ at line ${line}, column 15$`))
})

t('an unknown column: exit 1 naming the file and the row', async ({ stack, live }) => {
  const dir = variant(stack, 'bad-column', ['bits', 'dates'], (d) => { d.dates.rows[1].nope = 1 })
  await refused(stack, live, dir, 'datakeep: bad-column/dates.json: rows[1]: unknown column "nope" in table dates')
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

t('an unknown table: exit 1 naming the file', async ({ stack, live }) => {
  const dir = variant(stack, 'bad-table', ['bits'])
  fs.writeFileSync(path.join(dir, 'ghost.json'), '[{"id": 1}]')
  await refused(stack, live, dir, 'datakeep: bad-table/ghost.json: table "ghost" does not exist in database app')
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

t('with no fixture files fixtures_load says so and changes nothing', async ({ stack }) => {
  fs.mkdirSync(path.join(stack.dir, 'none'))
  const r = await runScript(stack, 'fixtures-load', ['--no-safety'], { FIXTURES_DIR: 'none' })
  assert.is(r.code, 0, r.stderr)
  assert.match(lastLine(r.stderr), /^no fixtures in .*\/none; to make some: make fixtures_dump$/)
})

t.run()
