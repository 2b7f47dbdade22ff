// make schema_diff and make schema_lint as a user runs them (the real scripts, exit codes, stdout
// and the last line), one suite run per engine on a real server: sakila on MariaDB, the adversarial
// schema on PostgreSQL, unchanged and after ALTER TABLE ... ADD COLUMN, against the committed
// schema.json and against a snapshot (its schema created in a scratch database, dropped after, also
// on Ctrl-C); lint fixtures with and without anomalies; bad input exiting 2, a damaged snapshot 1.
import fs from 'node:fs'
import path from 'node:path'
import { suite } from './support/uvu.ts'
import * as assert from 'uvu/assert'
import { PG_ADVERSARIAL, PG_ADVERSARIAL_ROWS } from './support/pg-adversarial.ts'
import { makePgStack } from './support/pg-stack.ts'
import { sakilaStack } from './support/sakila.ts'
import { lastLine, runScript, spawnScript } from './support/stack.ts'

interface CheckStack {
  dir: string; env: Record<string, string>
  /** Runs statements, one by one, in `database` (default: the application's; null: none). */
  exec(sql: string[], database?: string | null): Promise<void>
  /** The scratch and side databases (`_dk_...`) on the server. */
  tempDatabases(): Promise<string[]>
  destroy(): Promise<void>
}
interface EngineCase {
  make(): Promise<CheckStack>
  database: string
  /** The environment naming another database as the application's. */
  dbEnv(name: string): Record<string, string>
  /** The lint fixtures, each created in a database of that name. */
  lintBad: string[]
  lintClean: string[]
  /** schema_lint's table of lint_bad (errors first), its tables, and the findings left when only implied-relation is an error. */
  badFindings: string[]
  badTables: number
  onlyFindings: string[]
  cleanTables: number
  /** The application database itself lints clean. */
  liveClean: boolean
  alter: string
  added: { name: string; detail: string }
  /** The snapshot's file the scratch database is created from. */
  schemaFile: string
}

const BAD_COMMON = [
  'error no-primary-key audit_log table audit_log has no primary key',
  'error unindexed-foreign-key orders user_id foreign key fk_orders_user (user_id) -> users has no index on its columns: every change to users scans orders',
]

const CASES: Record<string, EngineCase> = {
  mariadb: {
    make: async () => {
      const s = await sakilaStack()
      return {
        dir: s.dir, env: s.env, destroy: () => s.destroy(),
        exec: (sql, database) => s.db(async (db) => { for (const q of sql) await db.query(q) }, database === undefined ? 'sakila' : database),
        tempDatabases: () => s.db(async (db) => {
          const [rows] = await db.query("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE '\\_dk\\_%'")
          return (rows as { SCHEMA_NAME: string }[]).map((r) => r.SCHEMA_NAME)
        }, null),
      }
    },
    database: 'sakila',
    dbEnv: (name) => ({ MYSQL_DATABASE: name }),
    // one of each anomaly: a table without a primary key, an unindexed foreign key (its index dropped
    // under foreign_key_checks=0, as a legacy schema has it), a nullable unique column, a column named
    // like a reference without one; coupons.order_ref int -> orders.id int is no type mismatch
    lintBad: [
      'CREATE TABLE users (id int PRIMARY KEY, email varchar(100) NULL, UNIQUE KEY uq_email (email))',
      'CREATE TABLE audit_log (at datetime NOT NULL, msg text)',
      'CREATE TABLE orders (id int PRIMARY KEY, user_id int NOT NULL, coupon_id bigint, CONSTRAINT fk_orders_user FOREIGN KEY (user_id) REFERENCES users (id))',
      'CREATE TABLE coupons (id int PRIMARY KEY, order_ref int, KEY (order_ref), CONSTRAINT fk_coupon_order FOREIGN KEY (order_ref) REFERENCES orders (id))',
      'SET SESSION foreign_key_checks = 0',
      'ALTER TABLE orders DROP INDEX fk_orders_user',
      'SET SESSION foreign_key_checks = 1',
    ],
    lintClean: [
      'CREATE TABLE users (id int PRIMARY KEY, email varchar(100) NOT NULL, UNIQUE KEY uq_email (email))',
      'CREATE TABLE orders (id int PRIMARY KEY, user_id int NOT NULL, KEY ix_user (user_id), CONSTRAINT fk_orders_user FOREIGN KEY (user_id) REFERENCES users (id))',
    ],
    badFindings: [...BAD_COMMON,
      'warning implied-relation orders coupon_id orders.coupon_id looks like a reference to coupons but has no foreign key',
      'warning nullable-unique users email users.email is nullable in unique key uq_email: any number of rows may hold NULL there'],
    badTables: 4,
    onlyFindings: ['error implied-relation', 'warning nullable-unique'],
    cleanTables: 2,
    liveClean: true,
    alter: 'ALTER TABLE sakila.actor ADD COLUMN nickname varchar(20) NULL DEFAULT NULL AFTER last_name',
    added: { name: 'actor.nickname', detail: 'varchar(20) NULL DEFAULT NULL' },
    schemaFile: 'schema/schema.json',
  },
  postgres: {
    make: async () => {
      const s = await makePgStack()
      const stack: CheckStack = {
        dir: s.dir, env: s.env, destroy: () => s.destroy(),
        exec: (sql, database) => s.pg(async (c) => { for (const q of sql) await c.query(q) }, database),
        tempDatabases: () => s.pg(async (c) => (await c.query("SELECT datname FROM pg_database WHERE datname LIKE '\\_dk\\_%' ORDER BY 1")).rows.map((r) => r.datname), null),
      }
      await stack.exec([PG_ADVERSARIAL + PG_ADVERSARIAL_ROWS])
      return stack
    },
    database: 'app',
    dbEnv: (name) => ({ POSTGRES_DB: name }),
    // PostgreSQL never indexes a foreign key itself. Beside MariaDB's anomalies, in schema shop: a
    // foreign key whose only index is partial (it covers no lookup) and whose integer column references
    // a bigint; not anomalies: a text column referencing a text COLLATE "C" key through a hash index, a
    // nullable column in a NULLS NOT DISTINCT unique key
    lintBad: [
      'CREATE TABLE users (id int PRIMARY KEY, email varchar(100) NULL, CONSTRAINT uq_email UNIQUE (email))',
      'CREATE TABLE audit_log (at timestamptz NOT NULL, msg text)',
      'CREATE TABLE orders (id int PRIMARY KEY, user_id int NOT NULL, coupon_id bigint, CONSTRAINT fk_orders_user FOREIGN KEY (user_id) REFERENCES users (id))',
      'CREATE TABLE coupons (id int PRIMARY KEY, order_ref int, CONSTRAINT fk_coupon_order FOREIGN KEY (order_ref) REFERENCES orders (id))',
      'CREATE INDEX coupons_order_ref ON coupons (order_ref)',
      'CREATE SCHEMA shop',
      'CREATE TABLE shop.accounts (id bigint PRIMARY KEY, name text COLLATE "C" NOT NULL UNIQUE, code text UNIQUE NULLS NOT DISTINCT)',
      'CREATE TABLE shop.payments (id bigint PRIMARY KEY, account_id integer REFERENCES shop.accounts (id), account_name text REFERENCES shop.accounts (name))',
      'CREATE INDEX payments_live ON shop.payments (account_id) WHERE account_id > 0',
      'CREATE INDEX payments_name ON shop.payments USING hash (account_name)',
    ],
    lintClean: [
      'CREATE TABLE users (id int PRIMARY KEY, email varchar(100) NOT NULL, CONSTRAINT uq_email UNIQUE (email))',
      'CREATE TABLE orders (id int PRIMARY KEY, user_id int NOT NULL, CONSTRAINT fk_orders_user FOREIGN KEY (user_id) REFERENCES users (id))',
      'CREATE INDEX ix_user ON orders (user_id) INCLUDE (id)',
      'CREATE SCHEMA shop',
      'CREATE TABLE shop.accounts (id bigint PRIMARY KEY, code text UNIQUE NULLS NOT DISTINCT)',
      'CREATE TABLE shop.payments (id bigint PRIMARY KEY, account_id bigint REFERENCES shop.accounts (id))',
      'CREATE INDEX ON shop.payments (account_id)',
    ],
    badFindings: [...BAD_COMMON,
      'error unindexed-foreign-key shop.payments account_id foreign key payments_account_id_fkey (account_id) -> shop.accounts has no index on its columns: every change to shop.accounts scans shop.payments',
      'warning implied-relation orders coupon_id orders.coupon_id looks like a reference to coupons but has no foreign key',
      'warning type-mismatch shop.payments account_id shop.payments.account_id is integer but references shop.accounts.id, which is bigint',
      'warning nullable-unique users email users.email is nullable in unique key uq_email: any number of rows may hold NULL there'],
    badTables: 6,
    onlyFindings: ['error implied-relation', 'warning type-mismatch', 'warning nullable-unique'],
    cleanTables: 4,
    liveClean: false, // the adversarial schema has tables without a primary key on purpose
    alter: 'ALTER TABLE shop.orders ADD COLUMN nickname varchar(20)',
    added: { name: 'shop.orders.nickname', detail: 'character varying(20) NULL' },
    schemaFile: 'schema/post-data.sql',
  },
}

const rows = (stdout: string) => stdout.trim().split('\n').filter((l) => !/^-+( +-+)*$/.test(l)).map((l) => l.replace(/\s+/g, ' ').trim())

for (const [engine, c] of Object.entries(CASES)) {
  const s = suite(`schema checks on ${engine}`, { stack: null as unknown as CheckStack })
  s.before(async (ctx) => {
    ctx.stack = await c.make()
    for (const [db, sql] of [['lint_bad', c.lintBad], ['lint_clean', c.lintClean]] as const) {
      await ctx.stack.exec([`CREATE DATABASE ${db}`], null)
      await ctx.stack.exec(sql, db)
    }
    // an event: a MariaDB snapshot's are created disabled in the scratch database, and read back with their status
    if (engine === 'mariadb') await ctx.stack.exec(["CREATE EVENT sakila.purge_nothing ON SCHEDULE EVERY 1 DAY COMMENT 'kept' DO DELETE FROM sakila.payment WHERE 1 = 0"])
  })
  s.after(async (ctx) => { await ctx.stack?.destroy() })

  s('schema_diff on an unchanged database exits 0, against schema.json (the default) and against a snapshot', async ({ stack }) => {
    assert.is((await runScript(stack, 'schema-docs')).code, 0)
    const r = await runScript(stack, 'schema-diff')
    assert.is(r.code, 0, r.stderr)
    assert.is(r.stdout, '')
    assert.is(lastLine(r.stderr), `done: schema_diff: ${c.database} against docs/schema/schema.json: the same schema`)
    const dump = await runScript(stack, 'data-dump', ['--name', 'before-change'])
    assert.is(dump.code, 0, dump.stderr)
    // every view, routine and trigger recreated in a scratch database reads back the same
    const snap = await runScript(stack, 'schema-diff', ['--against', 'before-change', '--json'])
    assert.is(snap.code, 0, snap.stderr)
    assert.equal(JSON.parse(snap.stdout), { database: c.database, against: 'before-change', equal: true, changes: [] })
    assert.equal(await stack.tempDatabases(), [], 'the scratch database is dropped')
  })

  s('after ALTER TABLE ... ADD COLUMN schema_diff exits 1 naming the column, against the file and the snapshot', async ({ stack }) => {
    await stack.exec([c.alter])
    const r = await runScript(stack, 'schema-diff', ['--against', 'docs/schema/schema.json'])
    assert.is(r.code, 1, r.stderr)
    assert.equal(rows(r.stdout), ['change kind name detail', `added column ${c.added.name} ${c.added.detail}`])
    assert.is(lastLine(r.stderr), `datakeep: schema_diff: 1 difference in ${c.database} against docs/schema/schema.json; to accept them: make schema_docs, and commit the files`)
    const snap = await runScript(stack, 'schema-diff', ['--against', 'before-change', '--json'])
    assert.is(snap.code, 1, snap.stderr)
    assert.equal(JSON.parse(snap.stdout).changes, [{ change: 'added', kind: 'column', ...c.added }])
    assert.is(lastLine(snap.stderr), `datakeep: schema_diff: 1 difference in ${c.database} against snapshot before-change`)
    assert.equal(await stack.tempDatabases(), [])
    // the documentation regenerated: the same again
    assert.is((await runScript(stack, 'schema-docs')).code, 0)
    assert.is((await runScript(stack, 'schema-diff')).code, 0)
  })

  s('schema_diff --against a snapshot: Ctrl-C while its scratch database exists drops it (exit 130)', async ({ stack }) => {
    const child = spawnScript(stack, 'schema-diff', ['--against', 'before-change'])
    let stderr = ''
    child.stderr!.on('data', (d) => { stderr += d })
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)))
    let seen: string[] = []
    for (let i = 0; i < 2000 && !seen.length && child.exitCode === null; i++) seen = await stack.tempDatabases()
    assert.is(seen.length, 1, `a scratch database while it runs (${stderr})`)
    assert.match(seen[0], new RegExp(`^_dk_scratch_\\d+_`))
    child.kill('SIGINT')
    assert.is(await exited, 130, stderr)
    assert.equal(await stack.tempDatabases(), [], 'dropped on the interrupt')
  })

  s('schema_diff: a missing file, a file that is not a schema.json, or a missing snapshot exits 2 saying so; a damaged one 1', async ({ stack }) => {
    const file = await runScript(stack, 'schema-diff', ['--against', 'nowhere/schema.json'])
    assert.is(file.code, 2)
    assert.match(lastLine(file.stderr), `datakeep: ${path.join(stack.dir, 'nowhere/schema.json')} does not exist; write it with: make schema_docs`)
    fs.writeFileSync(path.join(stack.dir, 'other.json'), '{"tables": 1}\n')
    const other = await runScript(stack, 'schema-diff', ['--against', 'other.json'])
    assert.is(other.code, 2)
    assert.match(lastLine(other.stderr), 'other.json is not a schema.json written by schema_docs (format datakeep-schema/1)')
    const snap = await runScript(stack, 'schema-diff', ['--against', 'nosuch'])
    assert.is(snap.code, 2)
    assert.match(lastLine(snap.stderr), `datakeep: snapshot "nosuch" does not exist in ${path.join(stack.dir, 'data/backups')}; available: before-change`)
    const flag = await runScript(stack, 'schema-diff', ['--agains', 'x'])
    assert.is(flag.code, 2)
    // the schema file the scratch database is created from, altered: refused before anything is created
    const backups = path.join(stack.dir, 'data/backups')
    fs.cpSync(path.join(backups, 'before-change'), path.join(backups, 'damaged'), { recursive: true })
    const f = path.join(backups, 'damaged', c.schemaFile)
    const text = fs.readFileSync(f, 'utf8')
    fs.writeFileSync(f, text.replace(/.$/s, (ch) => (ch === ' ' ? '\t' : ' ')))
    const bad = await runScript(stack, 'schema-diff', ['--against', 'damaged'])
    assert.is(bad.code, 1, bad.stderr)
    assert.is(lastLine(bad.stderr), `datakeep: snapshot "damaged" is damaged: ${c.schemaFile}: sha256 differs from the manifest (altered); compare against another snapshot (make data_list)`)
    assert.equal(await stack.tempDatabases(), [])
    fs.rmSync(path.join(backups, 'damaged'), { recursive: true })
  })

  s('schema_lint flags a table without a primary key and an unindexed foreign key (errors: exit 1), the rest as warnings', async ({ stack }) => {
    const env = c.dbEnv('lint_bad')
    const errors = c.badFindings.filter((f) => f.startsWith('error ')).length
    const tables = `${c.badTables} tables of lint_bad`
    const r = await runScript(stack, 'schema-lint', [], env)
    assert.is(r.code, 1, r.stderr)
    assert.equal(rows(r.stdout).slice(1), c.badFindings)
    assert.match(r.stdout, /^level +rule +table +column +message\n/)
    assert.is(lastLine(r.stderr), `datakeep: schema_lint: ${errors} errors and ${c.badFindings.length - errors} warnings in ${tables} (rules no-primary-key, unindexed-foreign-key); fix the schema, or make a rule a warning (SCHEMA_LINT_ERRORS) or ignore a finding (SCHEMA_LINT_IGNORE=rule:table.column); docs/schema-docs.md`)
    // made an error, implied-relation fails the run alone
    const only = await runScript(stack, 'schema-lint', ['--errors', 'implied-relation', '--ignore', 'no-primary-key,unindexed-foreign-key', '--json'], env)
    assert.is(only.code, 1, only.stderr)
    const json = JSON.parse(only.stdout)
    assert.equal(json.errorRules, ['implied-relation'])
    assert.equal(json.findings.map((f: { level: string; rule: string }) => `${f.level} ${f.rule}`), c.onlyFindings)
    const none = await runScript(stack, 'schema-lint', [], { ...env, SCHEMA_LINT_ERRORS: 'none' })
    assert.is(none.code, 0, none.stderr)
    assert.is(none.stdout.trim().split('\n').length, 2 + c.badFindings.length, 'the findings are still shown')
    assert.is(lastLine(none.stderr), `done: schema_lint: 0 errors and ${c.badFindings.length} warnings in ${tables}`)
  })

  s('schema_lint exits 0 on a clean schema', async ({ stack }) => {
    const clean = await runScript(stack, 'schema-lint', [], c.dbEnv('lint_clean'))
    assert.is(clean.code, 0, clean.stderr)
    assert.is(clean.stdout, '')
    assert.is(lastLine(clean.stderr), `done: schema_lint: 0 errors and 0 warnings in ${c.cleanTables} tables of lint_clean`)
    if (c.liveClean) {
      const live = await runScript(stack, 'schema-lint')
      assert.is(live.code, 0, live.stderr)
    }
  })

  s('schema_lint: an unknown rule in --errors, --ignore or SCHEMA_LINT_ERRORS exits 2 naming the rules', async ({ stack }) => {
    for (const [args, env, key] of [[['--errors', 'no-primary-key,no-pk'], {}, 'SCHEMA_LINT_ERRORS'], [['--ignore', 'no-pk:users'], {}, 'SCHEMA_LINT_IGNORE'],
      [[], { SCHEMA_LINT_ERRORS: 'no-pk' }, 'SCHEMA_LINT_ERRORS']] as const) {
      const r = await runScript(stack, 'schema-lint', [...args], { ...env })
      assert.is(r.code, 2, r.stderr)
      assert.match(lastLine(r.stderr), `datakeep: unknown schema_lint rule "no-pk" in ${key} (--`)
      assert.match(lastLine(r.stderr), 'the rules are: no-primary-key, unindexed-foreign-key, nullable-unique, implied-relation, type-mismatch')
      assert.is(r.stdout, '')
    }
  })

  s.run()
}
