// JSON fixtures through the engine seam and the real scripts, one suite run once per engine: an
// exact round trip, triggers held off by default and fired with --with-triggers, sequences moved
// past the loaded keys, foreign-key order, one transaction (a bad file changes nothing), files
// owned by the invoking user, LOAD_FIXTURES=1 make up, and Django's dumpdata files. PostgreSQL's
// own types: tests/engines/pg-fixtures.test.ts (MariaDB's: tests/fixtures.test.ts).
import fs from 'node:fs'
import path from 'node:path'
import { suite } from '../support/uvu.ts'
import * as assert from 'uvu/assert'
import { mariadbEngine } from '../../lib/engines/mariadb/index.ts'
import type { Engine, SqlSession } from '../../lib/engines/types.ts'
import { fixtureFileName } from '../../lib/fixtures/format.ts'
import { makePgStack } from '../support/pg-stack.ts'
import { lastLine, makeStack, runScript } from '../support/stack.ts'

interface EngineStack { dir: string; env: Record<string, string>; engine: Engine; destroy(): Promise<void> }

interface EngineCase {
  make: () => Promise<EngineStack>
  /** authors, books (a trigger writes audit rows), audit; two authors, two books. */
  library: string[]
  /** Every row of the tables gone, their counters back at the start. */
  wipe: (tables: string[]) => string[]
  /** The server's words for a child row whose parent is missing. */
  missingParent: RegExp
  /** The server's words for a value its column refuses. */
  badValue: RegExp
  /** A Django project's tables as its migrations make them on this engine: auth, a portal app, a legacy table. */
  django: string[]
  /** SQL giving a date-time column's value in UTC as 'YYYY-MM-DD HH:MM:SS.ffffff'. */
  utc: (column: string) => string
}

const CASES: Record<string, EngineCase> = {
  mariadb: {
    make: async () => {
      const s = await makeStack({ env: { MYSQL_DATABASE: 'fxlib' } })
      const engine = await mariadbEngine(s.cfg)
      await engine.lifecycle().createDatabase()
      return { dir: s.dir, env: s.env, engine, destroy: () => s.destroy() }
    },
    library: [
      'CREATE TABLE authors (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(50) NOT NULL)',
      'CREATE TABLE books (id INT AUTO_INCREMENT PRIMARY KEY, author_id INT NOT NULL, title VARCHAR(50) NOT NULL, price DECIMAL(8,2), FOREIGN KEY (author_id) REFERENCES authors (id))',
      'CREATE TABLE audit (id INT AUTO_INCREMENT PRIMARY KEY, what VARCHAR(50) NOT NULL)',
      "CREATE TRIGGER books_audit AFTER INSERT ON books FOR EACH ROW INSERT INTO audit (what) VALUES (CONCAT('book ', NEW.id))",
    ],
    wipe: (tables) => ['SET foreign_key_checks = 0', ...tables.map((t) => `TRUNCATE TABLE ${t}`), 'SET foreign_key_checks = 1'],
    missingParent: /Cannot add or update a child row: a foreign key constraint fails/,
    badValue: /Out of range value for column 'price'$/,
    django: [
      'CREATE TABLE auth_group (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(150) NOT NULL UNIQUE)',
      `CREATE TABLE auth_user (id INT AUTO_INCREMENT PRIMARY KEY, password VARCHAR(128) NOT NULL, last_login DATETIME(6) NULL, is_superuser TINYINT(1) NOT NULL,
        username VARCHAR(150) NOT NULL UNIQUE, email VARCHAR(254) NOT NULL, date_joined DATETIME(6) NOT NULL)`,
      `CREATE TABLE auth_user_groups (id BIGINT AUTO_INCREMENT PRIMARY KEY, user_id INT NOT NULL, group_id INT NOT NULL, UNIQUE (user_id, group_id),
        FOREIGN KEY (user_id) REFERENCES auth_user (id), FOREIGN KEY (group_id) REFERENCES auth_group (id))`,
      'CREATE TABLE portal_tag (id BIGINT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(50) NOT NULL)',
      `CREATE TABLE portal_article (id BIGINT AUTO_INCREMENT PRIMARY KEY, title VARCHAR(200) NOT NULL, author_id INT NOT NULL, body LONGTEXT NOT NULL,
        published DATETIME(6) NULL, meta JSON NOT NULL, attachment LONGBLOB NULL, rating DECIMAL(4,2) NULL, FOREIGN KEY (author_id) REFERENCES auth_user (id))`,
      `CREATE TABLE portal_article_tags (id BIGINT AUTO_INCREMENT PRIMARY KEY, article_id BIGINT NOT NULL, tag_id BIGINT NOT NULL, UNIQUE (article_id, tag_id),
        FOREIGN KEY (article_id) REFERENCES portal_article (id), FOREIGN KEY (tag_id) REFERENCES portal_tag (id))`,
      'CREATE TABLE legacy_people (id INT AUTO_INCREMENT PRIMARY KEY, full_name VARCHAR(100) NOT NULL)',
    ],
    utc: (col) => `DATE_FORMAT(${col}, '%Y-%m-%d %H:%i:%s.%f')`,
  },
  postgres: {
    make: async () => {
      const s = await makePgStack({ env: { POSTGRES_DB: 'fxlib' } }) // the cluster starts with the database
      return { dir: s.dir, env: s.env, engine: s.engine, destroy: () => s.destroy() }
    },
    library: [
      'CREATE TABLE authors (id serial PRIMARY KEY, name text NOT NULL)',
      'CREATE TABLE books (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, author_id int NOT NULL REFERENCES authors (id), title text NOT NULL, price numeric(8,2))',
      'CREATE TABLE audit (id serial PRIMARY KEY, what text NOT NULL)',
      "CREATE FUNCTION books_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO audit (what) VALUES ('book ' || NEW.id); RETURN NEW; END $$",
      'CREATE TRIGGER books_audit AFTER INSERT ON books FOR EACH ROW EXECUTE FUNCTION books_audit()',
    ],
    wipe: (tables) => [`TRUNCATE ${tables.join(', ')} RESTART IDENTITY`],
    missingParent: /insert or update on table "books" violates foreign key constraint "books_author_id_fkey" \(Key \(author_id\)=\(99\) is not present in table "authors"\.\)/,
    badValue: /numeric field overflow/,
    // as Django's migrations make them: every foreign key DEFERRABLE INITIALLY DEFERRED
    django: [
      'CREATE TABLE auth_group (id serial PRIMARY KEY, name varchar(150) NOT NULL UNIQUE)',
      `CREATE TABLE auth_user (id serial PRIMARY KEY, password varchar(128) NOT NULL, last_login timestamptz NULL, is_superuser boolean NOT NULL,
        username varchar(150) NOT NULL UNIQUE, email varchar(254) NOT NULL, date_joined timestamptz NOT NULL)`,
      `CREATE TABLE auth_user_groups (id bigserial PRIMARY KEY, user_id integer NOT NULL REFERENCES auth_user (id) DEFERRABLE INITIALLY DEFERRED,
        group_id integer NOT NULL REFERENCES auth_group (id) DEFERRABLE INITIALLY DEFERRED, UNIQUE (user_id, group_id))`,
      'CREATE TABLE portal_tag (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, name varchar(50) NOT NULL)',
      `CREATE TABLE portal_article (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, title varchar(200) NOT NULL,
        author_id integer NOT NULL REFERENCES auth_user (id) DEFERRABLE INITIALLY DEFERRED, body text NOT NULL, published timestamptz NULL,
        meta jsonb NOT NULL, attachment bytea NULL, rating numeric(4,2) NULL)`,
      `CREATE TABLE portal_article_tags (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        article_id bigint NOT NULL REFERENCES portal_article (id) DEFERRABLE INITIALLY DEFERRED,
        tag_id bigint NOT NULL REFERENCES portal_tag (id) DEFERRABLE INITIALLY DEFERRED, UNIQUE (article_id, tag_id))`,
      'CREATE TABLE legacy_people (id serial PRIMARY KEY, full_name text NOT NULL)',
    ],
    utc: (col) => `to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')`,
  },
}

const LIBRARY_ROWS = ["INSERT INTO authors (name) VALUES ('Ann'), ('Bob')", "INSERT INTO books (author_id, title, price) VALUES (1, 'One', 9.50), (2, 'Two', NULL)"]
const TABLES = ['audit', 'authors', 'books']

for (const [name, c] of Object.entries(CASES)) {
  const s = suite(`fixtures on ${name}`, { st: null as unknown as EngineStack })
  s.before(async (ctx) => {
    ctx.st = await c.make()
    await exec(ctx.st, [...c.library, ...LIBRARY_ROWS])
  })
  s.after(async (ctx) => { await ctx.st?.destroy() })

  const fx = (st: EngineStack, ...p: string[]) => path.join(st.dir, 'data/fixtures', ...p)
  const rows = (st: EngineStack, q: string) => st.engine.withSql((sql) => sql.query<Record<string, unknown>>(q))
  /** A folder of the project holding the given files (name -> document). */
  const folder = (st: EngineStack, dirName: string, files: Record<string, unknown>) => {
    const dir = path.join(st.dir, dirName)
    fs.mkdirSync(dir, { recursive: true })
    for (const [f, doc] of Object.entries(files)) fs.writeFileSync(path.join(dir, f), JSON.stringify(doc, null, 2) + '\n')
    return dirName
  }
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
    const r = await runScript(st, 'fixtures-dump', ['--tables', 'authors'], { FIXTURES_DIR: 'owned/fx', SUDO_UID: '1234', SUDO_GID: '1235' })
    assert.is(r.code, 0, r.stderr)
    for (const p of ['owned', 'owned/fx', 'owned/fx/authors.json']) {
      const stat = fs.statSync(path.join(st.dir, p))
      assert.equal([stat.uid, stat.gid], [1234, 1235], p)
    }
  })

  s('LOAD_FIXTURES=1 make up loads data/fixtures/*.json', async ({ st }) => {
    fs.rmSync(fx(st), { recursive: true, force: true })
    folder(st, 'data/fixtures', { 'authors.json': [{ id: 3, name: 'from up' }] })
    const r = await runScript(st, 'up', [], { LOAD_FIXTURES: '1' })
    assert.is(r.code, 0, r.stderr)
    assert.match(r.stderr, 'loaded 1 fixture rows from 1 files')
    assert.equal((await rows(st, 'SELECT name FROM authors WHERE id = 3'))[0].name, 'from up')
  })

  s('Django dumpdata files load as they are: FKs to <field>_id, many-to-many lists to join tables, the mapping file, empty lists', async ({ st }) => {
    await exec(st, c.django)
    const dir = folder(st, 'dumpdata', DJANGO_FILES)
    const r = await runScript(st, 'fixtures-load', ['--no-safety'], { FIXTURES_DIR: dir })
    assert.is(r.code, 0, r.stderr)
    assert.match(lastLine(r.stderr), /^done: loaded 5 fixture files into fxlib: 11 rows \(11 inserted, 0 updated\)/, r.stderr)
    assert.equal((await rows(st, `SELECT id, username, ${c.utc('date_joined')} AS joined FROM auth_user ORDER BY id`)).map((x) => [Number(x.id), x.username, x.joined]),
      [[1, 'ann', '2024-01-02 03:04:05.123456'], [2, 'bob', '2024-06-01 08:00:00.000000']])
    const [a] = await rows(st, `SELECT author_id, rating, attachment, body, ${c.utc('published')} AS published FROM portal_article WHERE id = 10`)
    assert.equal([Number(a.author_id), a.rating, Buffer.from(a.attachment as Buffer).toString(), a.body, a.published], [1, '4.50', 'hello', 'First\nline', '2024-03-01 12:00:00.000000'])
    const pairs = (table: string, x: string, y: string) => rows(st, `SELECT ${x}, ${y} FROM ${table} ORDER BY 1, 2`).then((rs) => rs.map((p) => [Number(p[x]), Number(p[y])]))
    assert.equal(await pairs('portal_article_tags', 'article_id', 'tag_id'), [[10, 1], [10, 2]])
    assert.equal(await pairs('auth_user_groups', 'user_id', 'group_id'), [[1, 1]])
    assert.equal((await rows(st, 'SELECT id, full_name FROM legacy_people')).map((x) => [Number(x.id), x.full_name]), [[5, 'Dee']])
    // loaded again with a changed list: the relation is the file's (as Django's loaddata sets it)
    const portal = structuredClone(DJANGO_FILES['portal.json']) as { fields: Record<string, unknown> }[]
    portal[2].fields.tags = [2]
    folder(st, 'dumpdata', { 'portal.json': portal })
    const again = await runScript(st, 'fixtures-load', ['--no-safety'], { FIXTURES_DIR: dir })
    assert.is(again.code, 0, again.stderr)
    assert.equal(await pairs('portal_article_tags', 'article_id', 'tag_id'), [[10, 2]])
    await exec(st, ["INSERT INTO portal_article (title, author_id, body, meta) VALUES ('next', 1, '', '{}')"])
    assert.equal((await rows(st, "SELECT id FROM portal_article WHERE title = 'next'")).map((x) => Number(x.id)), [12])
  })

  s('a Django entry at fault is named by its place and model; nothing is loaded', async ({ st }) => {
    const before = await st.engine.tableStates()
    const portal = structuredClone(DJANGO_FILES['portal.json']) as { pk: number; fields: Record<string, unknown> }[]
    portal.push({ ...portal[3], pk: 13, fields: { ...portal[3].fields, title: 'orphan', author: 99 } } as never)
    const dir = folder(st, 'dj-bad', { ...DJANGO_FILES, 'portal.json': portal })
    let r = await runScript(st, 'fixtures-load', ['--no-safety'], { FIXTURES_DIR: dir })
    assert.is(r.code, 1, r.stderr)
    assert.match(lastLine(r.stderr), /^datakeep: dj-bad\/portal\.json: \[4\] portal\.article: .*author_id/, r.stderr)
    assert.equal(await st.engine.tableStates(), before)
    folder(st, 'dj-bad', { 'portal.json': [{ model: 'blog.post', pk: 1, fields: { title: 'x' } }] })
    r = await runScript(st, 'fixtures-load', ['--no-safety'], { FIXTURES_DIR: dir })
    assert.is(r.code, 1, r.stderr)
    assert.is(lastLine(r.stderr), 'datakeep: dj-bad/portal.json: [0] blog.post: table "blog_post" (for model blog.post) does not exist; '
      + 'if the model has another db_table, name it in django-tables.json: {"blog.post": "<table>"}')
    assert.equal(await st.engine.tableStates(), before)
  })

  s.run()
}

/** Files in the exact shape of `manage.py dumpdata <app> --indent 2`, one per app, and the mapping file. */
const DJANGO_FILES: Record<string, unknown> = {
  'auth.json': [{ model: 'auth.group', pk: 1, fields: { name: 'editors' } }],
  'users.json': [
    { model: 'auth.user', pk: 1, fields: { password: 'pbkdf2_sha256$600000$salt$hash=', last_login: null, is_superuser: true, username: 'ann',
      email: 'ann@example.org', date_joined: '2024-01-02T03:04:05.123456Z', groups: [1] } },
    { model: 'auth.user', pk: 2, fields: { password: '!', last_login: null, is_superuser: false, username: 'bob',
      email: '', date_joined: '2024-06-01T10:00:00+02:00', groups: [] } },
  ],
  'portal.json': [
    { model: 'portal.tag', pk: 1, fields: { name: 'news' } },
    { model: 'portal.tag', pk: 2, fields: { name: 'tech' } },
    { model: 'portal.article', pk: 10, fields: { title: 'Hello', author: 1, body: 'First\nline', published: '2024-03-01T12:00:00Z',
      meta: { k: [1, 2] }, attachment: 'aGVsbG8=', rating: '4.50', tags: [1, 2] } },
    { model: 'portal.article', pk: 11, fields: { title: 'Draft', author: 2, body: '', published: null, meta: {}, attachment: null, rating: null, tags: [] } },
  ],
  'crm.json': [{ model: 'crm.person', pk: 5, fields: { full_name: 'Dee' } }],
  'user_messages.json': [],
  'django-tables.json': { 'crm.person': 'legacy_people' },
}

async function exec(st: EngineStack, statements: string[]): Promise<void> {
  await st.engine.withSql(async (sql: SqlSession) => { for (const q of statements) await sql.query(q) })
}
