// JSON fixtures through the engine seam and the real scripts, one suite run once per engine: an
// exact round trip, triggers held off by default and fired with --with-triggers, sequences moved
// past the loaded keys, foreign-key order, one transaction (a bad file changes nothing), the errors
// that name file, row and line, files owned by the invoking user, LOAD_FIXTURES=1 make up. Django's
// files: fixtures-django.test.ts; PostgreSQL's own types: pg-fixtures.test.ts (MariaDB's: tests/fixtures*.test.ts).
import fs from 'node:fs'
import path from 'node:path'
import { suite } from '../support/uvu.ts'
import * as assert from 'uvu/assert'
import { fixtureFileName } from '../../lib/fixtures/format.ts'
import { CASES, LIBRARY_ROWS, TABLES, exec, folder, rows, type EngineStack } from '../support/fixture-engines.ts'
import { lastLine, runScript } from '../support/stack.ts'

for (const [name, c] of Object.entries(CASES)) {
  const s = suite(`fixtures on ${name}`, { st: null as unknown as EngineStack })
  s.before(async (ctx) => {
    ctx.st = await c.make()
    await exec(ctx.st, [...c.library, ...LIBRARY_ROWS])
  })
  s.after(async (ctx) => { await ctx.st?.destroy() })

  const fx = (st: EngineStack, ...p: string[]) => path.join(st.dir, 'data/fixtures', ...p)
  const dumped = (st: EngineStack, table: string) => JSON.parse(fs.readFileSync(fx(st, fixtureFileName(table)), 'utf8'))

  s('fixtures_dump writes one file per table; wiped and loaded back, every table is exactly as before; a second dump is identical', async ({ st }) => {
    const before = await st.engine.tableStates()
    const r = await runScript(st, 'fixtures-dump')
    assert.is(r.code, 0, r.stderr)
    assert.equal(r.stdout.trim().split('\n').sort(), TABLES.map((t) => fx(st, `${t}.json`)))
    assert.equal(dumped(st, 'books').rows, [{ id: 1, author_id: 1, title: 'One', price: '9.50' }, { id: 2, author_id: 2, title: 'Two', price: null }])
    const texts = TABLES.map((t) => fs.readFileSync(fx(st, `${t}.json`), 'utf8'))
    await exec(st, c.wipe(TABLES))
    const load = await runScript(st, 'fixtures-load', ['--no-safety'])
    assert.is(load.code, 0, load.stderr)
    assert.match(lastLine(load.stderr), /^done: loaded 3 fixture files into fxlib: 6 rows \(6 inserted, 0 updated\) in \d+\.\d s$/)
    assert.equal(await st.engine.tableStates(), before)
    const again = await runScript(st, 'fixtures-dump')
    assert.is(again.code, 0, again.stderr)
    assert.equal(TABLES.map((t) => fs.readFileSync(fx(st, `${t}.json`), 'utf8')), texts)
  })

  s('--tables writes only those; an unknown one exits 2 naming it and writes nothing', async ({ st }) => {
    let r = await runScript(st, 'fixtures-dump', ['--tables', 'books, authors'], { FIXTURES_DIR: 'subset' })
    assert.is(r.code, 0, r.stderr)
    assert.equal(fs.readdirSync(path.join(st.dir, 'subset')).sort(), ['authors.json', 'books.json'])
    r = await runScript(st, 'fixtures-dump', ['--tables', 'books,nope,ghost'], { FIXTURES_DIR: 'never' })
    assert.is(r.code, 2)
    assert.is(lastLine(r.stderr), 'datakeep: unknown tables "nope", "ghost" in --tables: database fxlib has no base table by those names; tables: audit, authors, books')
    assert.not.ok(fs.existsSync(path.join(st.dir, 'never')))
  })

  s('a bad file: exit 1 with one line naming the file (row, column; line and column of bad JSON), nothing changed', async ({ st }) => {
    const before = await st.engine.tableStates()
    const refused = async (files: Record<string, unknown>, expect: string | RegExp, edit?: (dir: string) => void) => {
      const dir = folder(st, `bad-${Object.keys(files).join('-')}-${Math.random().toString(36).slice(2, 6)}`, files)
      edit?.(path.join(st.dir, dir))
      const r = await runScript(st, 'fixtures-load', ['--no-safety'], { FIXTURES_DIR: dir })
      assert.is(r.code, 1, r.stderr)
      if (typeof expect === 'string') assert.is(lastLine(r.stderr), expect.replace('<dir>', dir))
      else assert.match(lastLine(r.stderr), expect)
      assert.equal(await st.engine.tableStates(), before)
    }
    const authors = dumped(st, 'authors')
    const withNope = structuredClone(authors)
    withNope.rows[1].nope = 1
    await refused({ 'authors.json': withNope }, 'datakeep: <dir>/authors.json: rows[1]: unknown column "nope" in table authors')
    await refused({ 'authors.json': authors, 'ghost.json': [{ id: 1 }] }, 'datakeep: <dir>/ghost.json: table "ghost" does not exist in database fxlib')
    // the words are V8's (they vary between Node versions); where it is, is ours
    await refused({ 'authors.json': authors }, /^datakeep: bad-authors\.json-\w+\/authors\.json: malformed JSON: .+ at line 9, column 15$/, (dir) => {
      const file = path.join(dir, 'authors.json')
      fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('"id": 1,', '"id": 1,,'))
    })
  })

  s('with no fixture files fixtures_load says so and changes nothing', async ({ st }) => {
    fs.mkdirSync(path.join(st.dir, 'none'))
    const r = await runScript(st, 'fixtures-load', ['--no-safety'], { FIXTURES_DIR: 'none' })
    assert.is(r.code, 0, r.stderr)
    assert.match(lastLine(r.stderr), /^no fixtures in .*\/none; to make some: make fixtures_dump$/)
  })

  s('parents load before children (books.json sorts first); loaded onto itself every row is an update', async ({ st }) => {
    const before = await st.engine.tableStates()
    const r = await runScript(st, 'fixtures-load', ['--no-safety'])
    assert.is(r.code, 0, r.stderr)
    assert.ok(r.stderr.indexOf('into authors') < r.stderr.indexOf('into books'), r.stderr)
    assert.match(lastLine(r.stderr), /6 rows \(0 inserted, 6 updated\)/)
    assert.equal(await st.engine.tableStates(), before)
  })

  s('triggers are held off by default; --with-triggers fires them', async ({ st }) => {
    await exec(st, c.wipe(TABLES))
    const dir = folder(st, 'fx-trig', { 'authors.json': dumped(st, 'authors'), 'books.json': dumped(st, 'books') })
    let r = await runScript(st, 'fixtures-load', ['--no-safety'], { FIXTURES_DIR: dir })
    assert.is(r.code, 0, r.stderr)
    assert.match(r.stderr, 'triggers held off: 1 trigger on books did not fire')
    assert.equal(await rows(st, 'SELECT COUNT(*) AS n FROM audit').then((x) => Number(x[0].n)), 0)
    await exec(st, c.wipe(['books']))
    r = await runScript(st, 'fixtures-load', ['--no-safety', '--with-triggers'], { FIXTURES_DIR: dir })
    assert.is(r.code, 0, r.stderr)
    assert.match(r.stderr, 'triggers fired for every row (--with-triggers)')
    assert.equal((await rows(st, 'SELECT what FROM audit ORDER BY id')).map((x) => x.what), ['book 1', 'book 2'])
  })

  s('sequences move past the loaded keys: the next insert does not collide', async ({ st }) => {
    await exec(st, c.wipe(TABLES))
    const dir = folder(st, 'fx-seq', { 'authors.json': [{ id: 7, name: 'Gil' }, { id: 3, name: 'Cy' }], 'books.json': [{ id: 40, author_id: 7, title: 'Far' }] })
    const r = await runScript(st, 'fixtures-load', ['--no-safety'], { FIXTURES_DIR: dir })
    assert.is(r.code, 0, r.stderr)
    await exec(st, ["INSERT INTO authors (name) VALUES ('next')", "INSERT INTO books (author_id, title) VALUES (3, 'next')"])
    assert.equal((await rows(st, "SELECT id FROM authors WHERE name = 'next'"))[0].id, 8)
    assert.equal((await rows(st, "SELECT id FROM books WHERE title = 'next'"))[0].id, 41)
  })

  s('a missing parent: exit 1 naming the file and row, nothing loaded (with and without triggers)', async ({ st }) => {
    const before = await st.engine.tableStates()
    const dir = folder(st, 'fx-orphan', { 'authors.json': [{ id: 20, name: 'New' }], 'books.json': [{ id: 50, author_id: 20, title: 'ok' }, { id: 51, author_id: 99, title: 'orphan' }] })
    for (const args of [[], ['--with-triggers']]) {
      const r = await runScript(st, 'fixtures-load', ['--no-safety', ...args], { FIXTURES_DIR: dir })
      assert.is(r.code, 1, r.stderr)
      assert.match(lastLine(r.stderr), /^datakeep: fx-orphan\/books\.json: rows\[1\]: /)
      assert.match(lastLine(r.stderr), c.missingParent)
      assert.equal(await st.engine.tableStates(), before)
    }
  })

  s('a bad value in the second file after the first loaded: exit 1 naming it, the database unchanged (one transaction)', async ({ st }) => {
    const before = await st.engine.tableStates()
    const dir = folder(st, 'fx-bad', { 'authors.json': [{ id: 3, name: 'changed' }, { id: 30, name: 'added' }], 'books.json': [{ id: 40, author_id: 3, title: 'x', price: '12345678.00' }] })
    const r = await runScript(st, 'fixtures-load', ['--no-safety'], { FIXTURES_DIR: dir })
    assert.is(r.code, 1, r.stderr)
    assert.match(lastLine(r.stderr), /^datakeep: fx-bad\/books\.json: rows\[0\]: /)
    assert.match(lastLine(r.stderr), c.badValue)
    assert.equal(await st.engine.tableStates(), before)
  })

  s('fixtures_load takes a safety snapshot first; make undo puts the data back', async ({ st }) => {
    const before = await st.engine.tableStates()
    const dir = folder(st, 'fx-safe', { 'authors.json': [{ id: 3, name: 'renamed' }] })
    const r = await runScript(st, 'fixtures-load', [], { FIXTURES_DIR: dir })
    assert.is(r.code, 0, r.stderr)
    assert.match(r.stderr, /safety snapshot _safety\/fixtures_load-\d{14}/)
    assert.equal((await rows(st, 'SELECT name FROM authors WHERE id = 3'))[0].name, 'renamed')
    const undo = await runScript(st, 'undo')
    assert.is(undo.code, 0, undo.stderr)
    assert.equal(await st.engine.tableStates(), before)
  })

  s('run as root with SUDO_UID/SUDO_GID, the files and the folders fixtures_dump creates belong to that user', async ({ st }) => {
    assert.is(process.getuid?.(), 0, 'this test runs the script as root (the suite runs as root here)')
    const r = await runScript(st, 'fixtures-dump', ['--tables', 'authors,books'], { FIXTURES_DIR: 'owned/nested/fx', SUDO_UID: '1234', SUDO_GID: '1235' })
    assert.is(r.code, 0, r.stderr)
    for (const p of ['owned', 'owned/nested', 'owned/nested/fx', 'owned/nested/fx/authors.json', 'owned/nested/fx/books.json']) {
      const stat = fs.statSync(path.join(st.dir, p))
      assert.equal([stat.uid, stat.gid], [1234, 1235], p)
    }
    assert.is(fs.statSync(st.dir).uid, 0, 'the project folder it did not create is left alone')
  })

  s('LOAD_FIXTURES=1 make up loads data/fixtures/*.json', async ({ st }) => {
    fs.rmSync(fx(st), { recursive: true, force: true })
    folder(st, 'data/fixtures', { 'authors.json': [{ id: 3, name: 'from up' }] })
    const r = await runScript(st, 'up', [], { LOAD_FIXTURES: '1' })
    assert.is(r.code, 0, r.stderr)
    assert.match(r.stderr, 'loaded 1 fixture row from 1 file')
    assert.equal((await rows(st, 'SELECT name FROM authors WHERE id = 3'))[0].name, 'from up')
  })

  s.run()
}
