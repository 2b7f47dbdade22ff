// Foreign keys come back exactly after a load: to a missing parent, to another database (its parent
// there or not), self-referencing, composite; on the logical and --physical paths and through a
// --file import. And the invariant every load ends with: nothing names a temporary database.
import fs from 'node:fs'
import path from 'node:path'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { repointedClause, tempMentions } from '../../lib/snapshot/foreign-keys.ts'
import { fingerprint, sql } from '../support/fingerprint.ts'
import { makeStack, runScript, tempDir, type TestStack } from '../support/stack.ts'

const SCHEMA = `
SET foreign_key_checks = 0;
CREATE TABLE child (id INT, KEY (id),
  CONSTRAINT fk_missing FOREIGN KEY (id) REFERENCES parent_missing (id) ON DELETE CASCADE);
INSERT INTO child VALUES (5);
CREATE TABLE pair (a INT, b INT, KEY (a, b),
  CONSTRAINT fk_pair FOREIGN KEY (a, b) REFERENCES pair_parent_missing (a, b) ON DELETE CASCADE ON UPDATE SET NULL);
INSERT INTO pair VALUES (1, 2);
CREATE TABLE node (id INT PRIMARY KEY, up INT, KEY (up), CONSTRAINT fk_self FOREIGN KEY (up) REFERENCES node (id));
INSERT INTO node VALUES (1, NULL), (2, 1);
CREATE TABLE elsewhere (id INT, KEY (id), CONSTRAINT fk_other FOREIGN KEY (id) REFERENCES otherdb.parent (id));
CREATE TABLE gone_elsewhere (id INT, KEY (id), CONSTRAINT fk_other_gone FOREIGN KEY (id) REFERENCES otherdb.gone (id));
INSERT INTO elsewhere VALUES (1);
`

const t = suite('foreign keys after a load', { stack: null as unknown as TestStack })
t.before(async (ctx) => {
  ctx.stack = await makeStack()
  await sql(ctx.stack, 'CREATE DATABASE otherdb; CREATE TABLE otherdb.parent (id INT PRIMARY KEY); INSERT INTO otherdb.parent VALUES (1), (2)')
})
t.after(async (ctx) => { await ctx.stack?.destroy() })

const APP = 'app'

async function refused(p: Promise<unknown>): Promise<void> {
  const ok = await p.then(() => true, (e: Error) => { assert.match(e.message, 'ERROR 1452'); return false })
  assert.not.ok(ok, 'the insert was refused by its foreign key')
}

async function freshSchema(stack: TestStack): Promise<void> {
  await sql(stack, `DROP DATABASE IF EXISTS ${APP}; CREATE DATABASE ${APP}`)
  await sql(stack, SCHEMA, APP)
}

async function assertExact(stack: TestStack, before: Awaited<ReturnType<typeof fingerprint>>): Promise<void> {
  const after = await stack.db((db) => fingerprint(db, APP))
  assert.equal(after.objects, before.objects)
  assert.equal(after.tables, before.tables)
  assert.equal(await stack.db((db) => tempMentions(db, APP)), [])
  assert.match(after.objects['table child'], 'REFERENCES `parent_missing` (`id`) ON DELETE CASCADE')
  assert.match(after.objects['table elsewhere'], 'REFERENCES `otherdb`.`parent` (`id`)')
  assert.match(after.objects['table gone_elsewhere'], 'REFERENCES `otherdb`.`gone` (`id`)')
  // the keys work as before once their parents exist
  await sql(stack, 'CREATE TABLE parent_missing (id INT PRIMARY KEY); INSERT INTO parent_missing VALUES (6); INSERT INTO child VALUES (6)', APP)
  await refused(sql(stack, 'INSERT INTO child VALUES (7)', APP))
  await sql(stack, 'CREATE TABLE pair_parent_missing (a INT, b INT, PRIMARY KEY (a, b)); INSERT INTO pair_parent_missing VALUES (3, 4); INSERT INTO pair VALUES (3, 4)', APP)
  await refused(sql(stack, 'INSERT INTO node VALUES (9, 8)', APP))
  await refused(sql(stack, 'INSERT INTO elsewhere VALUES (3)', APP))
  await sql(stack, 'INSERT INTO elsewhere VALUES (2)', APP)
}

for (const [label, flags] of [['logical', []], ['--physical', ['--physical']]] as const) {
  t(`${label}: dump and load keep every foreign key as it was`, async ({ stack }) => {
    await freshSchema(stack)
    const env = { MYSQL_DATABASE: APP }
    const before = await stack.db((db) => fingerprint(db, APP))
    const name = `fk-${flags.length ? 'phys' : 'log'}`
    const dump = await runScript(stack, 'data-dump', ['--name', name, ...flags], env)
    assert.is(dump.code, 0, dump.stderr)
    await sql(stack, 'DELETE FROM child; DROP TABLE pair', APP)
    const load = await runScript(stack, 'data-load', ['--name', name, '--no-safety'], env)
    assert.is(load.code, 0, load.stderr)
    await assertExact(stack, before)
  })
}

t('a parent that exists live but not in the snapshot: the key still names the live database', async ({ stack }) => {
  await freshSchema(stack)
  const env = { MYSQL_DATABASE: APP }
  const before = await stack.db((db) => fingerprint(db, APP))
  assert.is((await runScript(stack, 'data-dump', ['--name', 'fk-live-parent'], env)).code, 0)
  // the load renames the live parent_missing away with the old tables: InnoDB would carry the key along
  await sql(stack, 'CREATE TABLE parent_missing (id INT PRIMARY KEY); INSERT INTO parent_missing VALUES (5)', APP)
  const load = await runScript(stack, 'data-load', ['--name', 'fk-live-parent', '--no-safety'], env)
  assert.is(load.code, 0, load.stderr)
  await assertExact(stack, before)
})

t('--file import: the keys land in the live database as the file wrote them', async ({ stack }) => {
  await freshSchema(stack)
  const before = await stack.db((db) => fingerprint(db, APP))
  const file = path.join(tempDir('datakeep-fk-'), 'fk.sql')
  fs.writeFileSync(file, SCHEMA)
  await sql(stack, `DROP DATABASE ${APP}; CREATE DATABASE ${APP}`)
  const load = await runScript(stack, 'data-load', ['--file', file, '--no-safety'], { MYSQL_DATABASE: APP })
  assert.is(load.code, 0, load.stderr)
  await assertExact(stack, before)
})

t('the invariant names every object that mentions a temporary database', async ({ stack }) => {
  await sql(stack, 'CREATE DATABASE IF NOT EXISTS _dk_stage_1_x; CREATE TABLE _dk_stage_1_x.t (id INT PRIMARY KEY); DROP DATABASE IF EXISTS inv; CREATE DATABASE inv')
  await sql(stack, `SET foreign_key_checks = 0;
    CREATE TABLE c (id INT, KEY (id), CONSTRAINT fk_dead FOREIGN KEY (id) REFERENCES _dk_stage_1_x.t (id));
    CREATE VIEW v AS SELECT id FROM _dk_stage_1_x.t;
    CREATE TABLE is_dk_flag (is_dk_x INT);
    CREATE VIEW fine AS SELECT is_dk_x FROM is_dk_flag`, 'inv')
  assert.equal(await stack.db((db) => tempMentions(db, 'inv')), ['foreign key c.fk_dead', 'view v'])
  await sql(stack, 'DROP DATABASE inv; DROP DATABASE _dk_stage_1_x')
})

t('repointedClause: the reference moves, rules and columns stay', () => {
  const create = 'CREATE TABLE `c` (\n  `a` int,\n  CONSTRAINT `k``1` FOREIGN KEY (`a`, `b`) REFERENCES `_dk_stage_9`.`p` (`a`, `b`) ON DELETE CASCADE ON UPDATE SET NULL,\n  CONSTRAINT `k2` FOREIGN KEY (`a`) REFERENCES `x` (`a`)\n) ENGINE=InnoDB'
  assert.is(repointedClause(create, 'k`1', '_dk_stage_9', 'app'),
    'CONSTRAINT `k``1` FOREIGN KEY (`a`, `b`) REFERENCES `app`.`p` (`a`, `b`) ON DELETE CASCADE ON UPDATE SET NULL')
  assert.throws(() => repointedClause(create, 'k2', '_dk_stage_9', 'app'), /does not reference/)
})

t.run()
