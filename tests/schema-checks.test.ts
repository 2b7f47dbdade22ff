// make schema_diff and make schema_lint as a user runs them (the real scripts, exit codes, stdout
// and the last line), on a real MariaDB: sakila unchanged and after ALTER TABLE ... ADD COLUMN,
// against the committed schema.json and against a snapshot; lint fixtures with and without
// anomalies; bad input (unknown rule, missing file or snapshot) exiting 2.
import fs from 'node:fs'
import path from 'node:path'
import { suite } from './support/uvu.ts'
import * as assert from 'uvu/assert'
import { sakilaStack } from './support/sakila.ts'
import { lastLine, runScript, type TestStack } from './support/stack.ts'

const s = suite('schema checks', { stack: null as unknown as TestStack })
s.before(async (ctx) => {
  ctx.stack = await sakilaStack()
  await ctx.stack.db(async (db) => {
    for (const q of [
      // one of each anomaly: a table without a primary key, an unindexed foreign key (its index
      // dropped under foreign_key_checks=0, as a legacy schema has it), a nullable unique column, a
      // column named like a reference without one, a foreign key column of another type
      // an event: a snapshot's are created disabled in the scratch database, and read back with their status
      'CREATE EVENT sakila.purge_nothing ON SCHEDULE EVERY 1 DAY COMMENT \'kept\' DO DELETE FROM sakila.payment WHERE 1 = 0',
      'CREATE DATABASE lint_bad',
      'CREATE TABLE lint_bad.users (id int PRIMARY KEY, email varchar(100) NULL, UNIQUE KEY uq_email (email))',
      'CREATE TABLE lint_bad.audit_log (at datetime NOT NULL, msg text)',
      'CREATE TABLE lint_bad.orders (id int PRIMARY KEY, user_id int NOT NULL, coupon_id bigint, CONSTRAINT fk_orders_user FOREIGN KEY (user_id) REFERENCES lint_bad.users (id))',
      'CREATE TABLE lint_bad.coupons (id int PRIMARY KEY, order_ref int, KEY (order_ref), CONSTRAINT fk_coupon_order FOREIGN KEY (order_ref) REFERENCES lint_bad.orders (id))',
      'SET SESSION foreign_key_checks = 0',
      'ALTER TABLE lint_bad.orders DROP INDEX fk_orders_user',
      'SET SESSION foreign_key_checks = 1',
      'CREATE DATABASE lint_clean',
      'CREATE TABLE lint_clean.users (id int PRIMARY KEY, email varchar(100) NOT NULL, UNIQUE KEY uq_email (email))',
      'CREATE TABLE lint_clean.orders (id int PRIMARY KEY, user_id int NOT NULL, KEY ix_user (user_id), CONSTRAINT fk_orders_user FOREIGN KEY (user_id) REFERENCES lint_clean.users (id))',
    ]) await db.query(q)
  }, null)
})
s.after(async (ctx) => { await ctx.stack?.destroy() })

const scratchDatabases = (stack: TestStack) => stack.db(async (db) => {
  const [rows] = await db.query("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE '\\_dk\\_%'")
  return (rows as { SCHEMA_NAME: string }[]).map((r) => r.SCHEMA_NAME)
}, null)

s('schema_diff on an unchanged database exits 0, against schema.json (the default) and against a snapshot', async ({ stack }) => {
  assert.is((await runScript(stack, 'schema-docs')).code, 0)
  const r = await runScript(stack, 'schema-diff')
  assert.is(r.code, 0, r.stderr)
  assert.is(r.stdout, '')
  assert.is(lastLine(r.stderr), 'done: schema_diff: sakila against docs/schema/schema.json: the same schema')
  assert.is((await runScript(stack, 'data-dump', ['--name', 'before-change'])).code, 0)
  // sakila's views, routines and triggers recreated in a scratch database read back the same
  const snap = await runScript(stack, 'schema-diff', ['--against', 'before-change', '--json'])
  assert.is(snap.code, 0, snap.stderr)
  assert.equal(JSON.parse(snap.stdout), { database: 'sakila', against: 'before-change', equal: true, changes: [] })
  assert.equal(await scratchDatabases(stack), [], 'the scratch database is dropped')
})

s('after ALTER TABLE ... ADD COLUMN schema_diff exits 1 naming the column, against the file and the snapshot', async ({ stack }) => {
  await stack.db((db) => db.query('ALTER TABLE sakila.actor ADD COLUMN nickname varchar(20) NULL DEFAULT NULL AFTER last_name'))
  const r = await runScript(stack, 'schema-diff', ['--against', 'docs/schema/schema.json'])
  assert.is(r.code, 1, r.stderr)
  assert.equal(r.stdout.trim().split('\n').map((l) => l.replace(/\s+/g, ' ').trim()), [
    'change kind name detail', '------ ------ -------------- -----------------------------', 'added column actor.nickname varchar(20) NULL DEFAULT NULL'])
  assert.is(lastLine(r.stderr), 'datakeep: schema_diff: 1 difference in sakila against docs/schema/schema.json; to accept them: make schema_docs, and commit the files')
  const snap = await runScript(stack, 'schema-diff', ['--against', 'before-change', '--json'])
  assert.is(snap.code, 1, snap.stderr)
  assert.equal(JSON.parse(snap.stdout).changes, [{ change: 'added', kind: 'column', name: 'actor.nickname', detail: 'varchar(20) NULL DEFAULT NULL' }])
  assert.is(lastLine(snap.stderr), 'datakeep: schema_diff: 1 difference in sakila against snapshot before-change')
  assert.equal(await scratchDatabases(stack), [])
  // the documentation regenerated: the same again
  assert.is((await runScript(stack, 'schema-docs')).code, 0)
  assert.is((await runScript(stack, 'schema-diff')).code, 0)
})

s('schema_diff: a missing file, a file that is not a schema.json, or a missing snapshot exits 2 saying so', async ({ stack }) => {
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
})

s('schema_lint flags a table without a primary key and an unindexed foreign key (errors: exit 1), the rest as warnings', async ({ stack }) => {
  const r = await runScript(stack, 'schema-lint', [], { MYSQL_DATABASE: 'lint_bad' })
  assert.is(r.code, 1, r.stderr)
  assert.equal(r.stdout.trim().split('\n').slice(2).map((l) => l.replace(/\s+/g, ' ')), [
    'error no-primary-key audit_log table audit_log has no primary key',
    'error unindexed-foreign-key orders user_id foreign key fk_orders_user (user_id) -> users has no index on its columns: every change to users scans orders',
    'warning implied-relation orders coupon_id orders.coupon_id looks like a reference to coupons but has no foreign key',
    'warning nullable-unique users email users.email is nullable in unique key uq_email: any number of rows may hold NULL there',
  ])
  assert.match(r.stdout, /^level +rule +table +column +message\n/)
  assert.is(lastLine(r.stderr), 'datakeep: schema_lint: 2 errors and 2 warnings in 4 tables of lint_bad (rules no-primary-key, unindexed-foreign-key); fix the schema, or make a rule a warning (SCHEMA_LINT_ERRORS) or ignore a finding (SCHEMA_LINT_IGNORE=rule:table.column); docs/schema-docs.md')
  // type-mismatch: coupons.order_ref int -> orders.id int is clean; made an error, implied-relation fails the run alone
  const only = await runScript(stack, 'schema-lint', ['--errors', 'implied-relation', '--ignore', 'no-primary-key,unindexed-foreign-key', '--json'], { MYSQL_DATABASE: 'lint_bad' })
  assert.is(only.code, 1, only.stderr)
  const json = JSON.parse(only.stdout)
  assert.equal(json.errorRules, ['implied-relation'])
  assert.equal(json.findings.map((f: { level: string; rule: string }) => `${f.level} ${f.rule}`), ['error implied-relation', 'warning nullable-unique'])
  const none = await runScript(stack, 'schema-lint', [], { MYSQL_DATABASE: 'lint_bad', SCHEMA_LINT_ERRORS: 'none' })
  assert.is(none.code, 0, none.stderr)
  assert.is(none.stdout.trim().split('\n').length, 6, 'the findings are still shown')
  assert.is(lastLine(none.stderr), 'done: schema_lint: 0 errors and 4 warnings in 4 tables of lint_bad')
})

s('schema_lint exits 0 on a clean schema, and on sakila', async ({ stack }) => {
  const clean = await runScript(stack, 'schema-lint', [], { MYSQL_DATABASE: 'lint_clean' })
  assert.is(clean.code, 0, clean.stderr)
  assert.is(clean.stdout, '')
  assert.is(lastLine(clean.stderr), 'done: schema_lint: 0 errors and 0 warnings in 2 tables of lint_clean')
  const sakila = await runScript(stack, 'schema-lint')
  assert.is(sakila.code, 0, sakila.stderr)
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
