// Django's `manage.py dumpdata` files loaded without Django, one suite run once per engine: files in
// dumpdata's exact shape (one per app, an empty one, the mapping file), foreign keys to <field>_id,
// many-to-many lists set in their join tables, date-times, binary and JSON fields; an entry at fault named.
import { suite } from '../support/uvu.ts'
import * as assert from 'uvu/assert'
import { CASES, exec, folder, rows, type EngineStack } from '../support/fixture-engines.ts'
import { lastLine, runScript } from '../support/stack.ts'

for (const [name, c] of Object.entries(CASES)) {
  const s = suite(`Django fixtures on ${name}`, { st: null as unknown as EngineStack })
  s.before(async (ctx) => {
    ctx.st = await c.make()
    await exec(ctx.st, c.django)
  })
  s.after(async (ctx) => { await ctx.st?.destroy() })

  s('Django dumpdata files load as they are: FKs to <field>_id, many-to-many lists to join tables, the mapping file, empty lists', async ({ st }) => {
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
