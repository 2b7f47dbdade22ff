// data_load --file: the import runs as an account the server confines to the staging database, so
// a file that reaches elsewhere is refused by the server, not by a text filter; its input is
// checked whole before the safety snapshot; a failed command never prunes a safety snapshot.
import fs from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'
import { suite } from '../support/uvu.ts'
import * as assert from 'uvu/assert'
import { query } from '../../lib/db.ts'
import { fingerprint, loadSqlFile, sql, type Fingerprint } from '../support/fingerprint.ts'
import { deadPid } from '../support/faults.ts'
import { sakilaFiles } from '../support/sakila.ts'
import { lastLine, makeStack, runScript, tempDir, type TestStack } from '../support/stack.ts'

const t = suite('sql import confinement', { stack: null as unknown as TestStack, dir: '' })
t.before(async (ctx) => {
  ctx.stack = await makeStack({ env: { MYSQL_DATABASE: "app" } }).catch((e) => { console.error(e); throw e })
  ctx.dir = tempDir('datakeep-import-')
  await sql(ctx.stack, `CREATE DATABASE IF NOT EXISTS app; CREATE TABLE app.keep (id INT PRIMARY KEY, v VARCHAR(20)); INSERT INTO app.keep VALUES (1, 'one'), (2, 'two');
    CREATE DATABASE other; CREATE TABLE other.t0 (id INT PRIMARY KEY); INSERT INTO other.t0 VALUES (7), (8);`)
  // the reproduction: a database sakila beside the application's, with a table the file does not know
  await loadSqlFile(ctx.stack, sakilaFiles().schema)
  await loadSqlFile(ctx.stack, sakilaFiles().data)
  await sql(ctx.stack, "CREATE TABLE sakila.precious (id INT PRIMARY KEY, what VARCHAR(20)); INSERT INTO sakila.precious VALUES (1, 'a'), (2, 'b'), (3, 'c');")
})
t.after(async (ctx) => { await ctx.stack?.destroy() })

const DATABASES = ['app', 'other', 'sakila']
async function everything(stack: TestStack): Promise<Record<string, Fingerprint | string>> {
  const out: Record<string, Fingerprint | string> = {}
  for (const d of DATABASES) out[d] = await stack.db((db) => fingerprint(db, d), null)
  out.accounts = (await stack.db((db) => query<{ a: string }>(db, "SELECT CONCAT(User, '@', Host) AS a FROM mysql.user ORDER BY 1"), null)).map((r) => r.a).join(',')
  out.databases = (await stack.db((db) => query<{ s: string }>(db, 'SELECT SCHEMA_NAME AS s FROM information_schema.SCHEMATA ORDER BY 1'), null)).map((r) => r.s).join(',')
  out.maxConnections = (await stack.db((db) => query<{ v: string }>(db, 'SELECT @@GLOBAL.max_connections AS v'), null))[0].v
  return out
}
const safetyDirs = (stack: TestStack) => {
  try { return fs.readdirSync(path.join(stack.dir, 'data/backups/_safety')).sort() } catch { return [] }
}
const write = (dir: string, name: string, text: string) => { const f = path.join(dir, name); fs.writeFileSync(f, text); return f }
/** A new live state, so a safety snapshot is due (none fresh matches). */
const touchApp = (stack: TestStack) => sql(stack, 'CREATE TABLE IF NOT EXISTS app.touched (id INT AUTO_INCREMENT PRIMARY KEY, at DATETIME(6)); INSERT INTO app.touched (at) VALUES (NOW(6))')

const HOSTILE: [string, string, RegExp][] = [
  ['drop-schema', 'DROP SCHEMA other;', /DROP command denied|Access denied .* to database 'other'/],
  ['create-elsewhere', 'CREATE TABLE other.t (id INT);', /CREATE command denied .* for table `other`\.`t`/],
  ['insert-elsewhere', 'INSERT INTO other.t0 VALUES (9);', /INSERT command denied .* for table `other`\.`t0`/],
  ['grant', "GRANT ALL PRIVILEGES ON *.* TO 'root'@'localhost';", /Access denied/],
  ['create-user', "CREATE USER 'evil'@'%' IDENTIFIED BY 'x';", /Access denied; you need .*CREATE USER/],
  ['set-global', 'SET GLOBAL max_connections = 7;', /Access denied; you need .*SUPER/],
  ['shutdown', 'SHUTDOWN;', /Access denied; you need .*SHUTDOWN/],
  ['outfile', "SELECT 1 INTO OUTFILE '/tmp/datakeep-import-outfile';", /Access denied/],
]

t('a file that reaches beyond its database is refused by the server: every database, account and setting as it was', async ({ stack, dir }) => {
  const before = await everything(stack)
  for (const [name, statement, why] of HOSTILE) {
    const file = write(dir, `${name}.sql`, `CREATE TABLE t (id INT PRIMARY KEY);\nINSERT INTO t VALUES (1);\n${statement}\nCREATE TABLE after_it (id INT);\n`)
    const r = await runScript(stack, 'data-load', ['--file', file])
    assert.is(r.code, 1, `${name}: ${r.stderr}`)
    const line = lastLine(r.stderr)
    assert.ok(line.startsWith(`datakeep: importing ${file} failed at line 3: `), `${name}: ${line}`)
    assert.match(line, why, name)
    assert.match(line, /; nothing was changed;/)
    assert.not.match(r.stderr, /EPIPE/)
    assert.not.match(line, /_dk_import_/) // the throwaway account is not the point of the message
    assert.equal(await everything(stack), before, name)
  }
})

t('a file the server cannot run: its own error, line and message, not EPIPE', async ({ stack, dir }) => {
  const before = await everything(stack)
  const file = write(dir, 'syntax.sql', 'CREATE TABLE t (id INT);\nCREATE TABEL u (id INT);\n' + 'INSERT INTO t VALUES (1);\n'.repeat(20000))
  const r = await runScript(stack, 'data-load', ['--file', file])
  assert.is(r.code, 1, r.stderr)
  assert.match(lastLine(r.stderr), new RegExp(`^datakeep: importing ${file} failed at line 2: You have an error in your SQL syntax.* \\(error 1064\\); nothing was changed; fix the statement at that line of the file and load it again$`))
  assert.not.match(r.stderr, /EPIPE/)
  assert.equal(await everything(stack), before)
})

t('no shell escapes or local files from the client', async ({ stack, dir }) => {
  const before = await everything(stack)
  const pwned = path.join(dir, 'pwned')
  const file = write(dir, 'shell.sql', `CREATE TABLE t (id INT);\n\\! touch ${pwned}\n`)
  const r = await runScript(stack, 'data-load', ['--file', file])
  assert.is(r.code, 1, r.stderr)
  assert.ok(!fs.existsSync(pwned), 'the file ran a shell command')
  assert.equal(await everything(stack), before)
})

t('bad input is refused before any safety snapshot: missing, truncated, not gzip, two databases, a damaged snapshot', async ({ stack, dir }) => {
  const full = zlib.gzipSync(Buffer.from('CREATE TABLE t (id INT);\n'.repeat(2000)))
  const truncated = path.join(dir, 'trunc.sql.gz')
  fs.writeFileSync(truncated, full.subarray(0, full.length - 40))
  const notGzip = write(dir, 'plain.sql.gz', 'CREATE TABLE t (id INT);\n')
  const two = write(dir, 'two.sql', 'CREATE DATABASE a;\nUSE a;\nCREATE TABLE t (id INT);\nUSE `b`;\nCREATE TABLE u (id INT);\n')
  const d = await runScript(stack, 'data-dump', ['--name', 'snap'])
  assert.is(d.code, 0, d.stderr)
  const data = path.join(stack.dir, 'data/backups/snap/data')
  const victim = path.join(data, fs.readdirSync(data)[0])
  fs.appendFileSync(victim, 'x')
  const cases: [string[], number, RegExp][] = [
    [['--file', 'nosuch.sql.gz'], 2, /^datakeep: no such SQL file: nosuch\.sql\.gz; nothing was changed/],
    [['--file', truncated], 1, new RegExp(`^datakeep: ${truncated} cannot be read whole \\(unexpected end of file\\); nothing was changed`)],
    [['--file', notGzip], 1, new RegExp(`^datakeep: ${notGzip} cannot be read whole \\(incorrect header check\\); nothing was changed`)],
    [['--file', two], 2, new RegExp(`^datakeep: ${two} holds more than one database: a \\(line 1\\), b \\(line 4\\); nothing was changed`)],
    [['--name', 'snap'], 1, /^datakeep: snapshot "snap" is damaged: data\/.* bytes, the manifest says .*nothing was changed/],
  ]
  for (const [args, code, message] of cases) {
    await touchApp(stack) // the live state is new: before the fix, each of these took a safety snapshot
    const safety = safetyDirs(stack)
    const before = await everything(stack)
    const r = await runScript(stack, 'data-load', args)
    assert.is(r.code, code, `${args.join(' ')}: ${r.stderr}`)
    assert.match(lastLine(r.stderr), message)
    assert.not.match(r.stderr, /safety snapshot/)
    assert.equal(safetyDirs(stack), safety, args.join(' '))
    assert.equal(await everything(stack), before)
  }
})

t('the reproduction: sakila\'s own files land in the app database; sakila.precious is untouched', async ({ stack, dir }) => {
  const orig = path.join(dir, 'orig.sql.gz')
  fs.writeFileSync(orig, zlib.gzipSync(Buffer.concat([sakilaFiles().schema, sakilaFiles().data].map((f) => fs.readFileSync(f)))))
  const sakila = await stack.db((db) => fingerprint(db, 'sakila'), null)
  const r = await runScript(stack, 'data-load', ['--file', orig])
  assert.is(r.code, 0, r.stderr)
  assert.match(lastLine(r.stderr), /imported .*orig\.sql\.gz into app: 16 tables/)
  assert.equal(await stack.db((db) => fingerprint(db, 'sakila'), null), sakila)
  assert.is((await sql(stack, 'SELECT GROUP_CONCAT(what ORDER BY id) FROM sakila.precious')).trim(), 'a,b,c')
  const app = await stack.db((db) => fingerprint(db, 'app'), null)
  const rows = (f: Fingerprint) => Object.fromEntries(Object.entries(f.tables).filter(([n]) => n !== 'precious').map(([n, v]) => [n, v.rows]))
  assert.equal(rows(app), rows(sakila))
  assert.equal(Object.keys(app.objects).sort(), Object.keys(sakila.objects).filter((k) => k !== 'table precious').sort())
  // views and routines work under their new definer; the view that named sakila.film reads app's tables
  assert.not.match(app.objects['view actor_info'], /`sakila`/)
  assert.is((await sql(stack, 'SELECT COUNT(*) FROM app.actor_info')).trim(), '200')
  assert.is((await sql(stack, 'SELECT app.inventory_in_stock(1)')).trim(), '1')
  assert.is((await sql(stack, "SELECT COUNT(*) FROM mysql.user WHERE User LIKE '\\_dk\\_import\\_%'")).trim(), '0')
})

t('a failed command never prunes a safety snapshot; the next success does', async ({ stack, dir }) => {
  const env = { SAFETY_KEEP: '1' }
  const good = write(dir, 'good.sql', 'CREATE TABLE keep (id INT PRIMARY KEY, v VARCHAR(40));\nINSERT INTO keep VALUES (1, \'one\');\n')
  await touchApp(stack)
  const ok = await runScript(stack, 'data-load', ['--file', good], env)
  assert.is(ok.code, 0, ok.stderr)
  const real = safetyDirs(stack)
  assert.is(real.length, 1, real.join(' '))
  const hostile = write(dir, 'late.sql', 'CREATE TABLE t (id INT);\nDROP SCHEMA other;\n')
  for (let i = 0; i < 3; i++) {
    await touchApp(stack)
    const r = await runScript(stack, 'data-load', ['--file', hostile], env)
    assert.is(r.code, 1, r.stderr)
    assert.match(r.stderr, /taking safety snapshot/) // the input was fine: the failure came after the snapshot
    assert.ok(safetyDirs(stack).includes(real[0]), `run ${i + 1} pushed out ${real[0]}`)
  }
  assert.is(safetyDirs(stack).length, 4)
  await touchApp(stack)
  const again = await runScript(stack, 'data-load', ['--file', good], env)
  assert.is(again.code, 0, again.stderr)
  assert.is(safetyDirs(stack).length, 1)
})

t('an import account a crashed run left is dropped by the next data operation', async ({ stack }) => {
  const user = `_dk_import_${deadPid()}_x1`
  await sql(stack, `CREATE USER '${user}'@'%' IDENTIFIED BY 'pw'; CREATE USER '${user}'@'localhost' IDENTIFIED BY 'pw'`)
  const r = await runScript(stack, 'data-dump', ['--name', 'after-crash'])
  assert.is(r.code, 0, r.stderr)
  assert.match(r.stderr, new RegExp(`removed debris of an interrupted run: import account ${user}`))
  assert.is((await sql(stack, `SELECT COUNT(*) FROM mysql.user WHERE User = '${user}'`)).trim(), '0')
})

t.run()
