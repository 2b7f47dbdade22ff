// Foreign keys and sequence defaults come back exactly after a load (issue 18): a key whose parent
// is missing, a key to another database, a self-reference, a composite key to a missing parent, a
// key from another database into the loaded one; on the logical, --physical and --file paths. And
// the invariant every load ends with: nothing in the loaded database names a temporary database.
import fs from 'node:fs'
import path from 'node:path'
import { suite } from '../support/uvu.ts'
import * as assert from 'uvu/assert'
import { tempMentions, tempQualifiers } from '../../lib/snapshot/references.ts'
import { readSchema } from '../../lib/snapshot/schema.ts'
import { recoverSwap, SWAP_JOURNAL } from '../../lib/snapshot/swap.ts'
import { fingerprint, sql } from '../support/fingerprint.ts'
import { lastLine, makeStack, runScript, type TestStack } from '../support/stack.ts'

const SCHEMA = `
SET foreign_key_checks = 0;
CREATE TABLE child (id INT, KEY (id),
  CONSTRAINT fk_missing FOREIGN KEY (id) REFERENCES parent_missing (id) ON DELETE CASCADE);
INSERT INTO child VALUES (5);
CREATE TABLE to_other (id INT, KEY (id), CONSTRAINT fk_other FOREIGN KEY (id) REFERENCES other.p (id));
INSERT INTO to_other VALUES (1);
CREATE TABLE node (id INT PRIMARY KEY, parent_id INT, KEY (parent_id),
  CONSTRAINT fk_self FOREIGN KEY (parent_id) REFERENCES node (id) ON DELETE SET NULL);
INSERT INTO node VALUES (1, NULL), (2, 1), (3, 2);
CREATE TABLE comp (a INT, b INT, KEY (a, b),
  CONSTRAINT fk_comp FOREIGN KEY (a, b) REFERENCES comp_missing (x, y) ON UPDATE CASCADE);
INSERT INTO comp VALUES (1, 2);
CREATE TABLE parent (id INT PRIMARY KEY);
INSERT INTO parent VALUES (10);
CREATE TABLE kid (id INT, KEY (id), CONSTRAINT fk_kid FOREIGN KEY (id) REFERENCES parent (id));
INSERT INTO kid VALUES (10);
`

const t = suite('foreign keys and references after a load', { stack: null as unknown as TestStack })
t.before(async (ctx) => {
  ctx.stack = await makeStack({ env: { MYSQL_DATABASE: 'app' } })
  await sql(ctx.stack, 'CREATE DATABASE other; CREATE TABLE other.p (id INT PRIMARY KEY); INSERT INTO other.p VALUES (1)')
  await sql(ctx.stack, SCHEMA, 'app')
  // a key from another database into the loaded one: the swap moves its parent away and back
  await sql(ctx.stack, 'CREATE TABLE other.into_app (id INT, KEY (id), CONSTRAINT fk_into FOREIGN KEY (id) REFERENCES app.parent (id))')
})
t.after(async (ctx) => { await ctx.stack?.destroy() })

const otherCreate = (stack: TestStack) => sql(stack, 'SHOW CREATE TABLE other.into_app')

/** What the keys do once their parents exist, as they did on the original: the row with a parent goes in, an orphan is refused, a delete cascades. */
async function keysBehave(stack: TestStack): Promise<void> {
  await sql(stack, 'CREATE TABLE parent_missing (id INT PRIMARY KEY); INSERT INTO parent_missing VALUES (5), (6); CREATE TABLE comp_missing (x INT, y INT, KEY (x, y)); INSERT INTO comp_missing VALUES (3, 4)', 'app')
  try {
    await sql(stack, 'INSERT INTO child VALUES (6); INSERT INTO comp VALUES (3, 4)', 'app')
    for (const orphan of ['INSERT INTO child VALUES (7)', 'INSERT INTO comp VALUES (8, 9)', 'INSERT INTO node VALUES (9, 99)', 'INSERT INTO other.into_app VALUES (11)']) {
      const e = await sql(stack, orphan, 'app').then(() => null, (err: Error) => err.message)
      assert.match(e ?? 'accepted', /ERROR 1452/, orphan)
    }
    await sql(stack, 'DELETE FROM parent_missing WHERE id = 6', 'app')
    assert.is((await sql(stack, 'SELECT GROUP_CONCAT(id ORDER BY id) FROM child', 'app')).trim(), '5')
  } finally {
    await sql(stack, 'SET foreign_key_checks = 0; DROP TABLE parent_missing, comp_missing; DELETE FROM comp WHERE a = 3', 'app')
  }
}

for (const way of [['logical', []], ['physical', ['--physical']], ['sql file', ['--format', 'sql']]] as const) {
  t(`${way[0]}: every key and default comes back exactly, nothing names a temporary database, keys behave as before`, async ({ stack }) => {
    const name = `fk-${way[0].replace(' ', '-')}`
    const before = await stack.db((db) => fingerprint(db, 'app'))
    const otherBefore = await otherCreate(stack)
    const dump = await runScript(stack, 'data-dump', ['--name', name, ...way[1]])
    assert.is(dump.code, 0, dump.stderr)
    await sql(stack, 'SET foreign_key_checks = 0; DELETE FROM child; DELETE FROM node', 'app')
    const load = await runScript(stack, 'data-load', way[0] === 'sql file' ? ['--file', `data/backups/${name}.sql`] : ['--name', name])
    assert.is(load.code, 0, load.stderr)
    const after = await stack.db((db) => fingerprint(db, 'app'))
    assert.equal(after.objects, before.objects)
    assert.match(after.objects['table child'], 'REFERENCES `parent_missing` (`id`) ON DELETE CASCADE')
    assert.match(after.objects['table to_other'], 'REFERENCES `other`.`p` (`id`)')
    assert.equal(after.tables, before.tables)
    assert.is(await otherCreate(stack), otherBefore)
    assert.equal(await stack.db((db) => tempMentions(db, 'app')), [])
    assert.equal(await stack.db((db) => tempMentions(db, 'other')), [])
    await keysBehave(stack)
  })
}

t('--file: a hand-written SQL file with an unqualified sequence default and a key to a missing parent points into the live database', async ({ stack }) => {
  const file = path.join(stack.dir, 'plain.sql')
  fs.writeFileSync(file, `SET foreign_key_checks = 0;
CREATE SEQUENCE s1;
CREATE TABLE numbered (id INT DEFAULT NEXTVAL(s1), v INT, KEY (v), CONSTRAINT fk_v FOREIGN KEY (v) REFERENCES v_missing (v));
INSERT INTO numbered (v) VALUES (1), (2);
`)
  await sql(stack, 'CREATE DATABASE plain')
  const load = await runScript(stack, 'data-load', ['--file', 'plain.sql'], { MYSQL_DATABASE: 'plain' })
  assert.is(load.code, 0, load.stderr)
  const create = (await stack.db((db) => fingerprint(db, 'plain'))).objects['table numbered']
  assert.match(create, 'DEFAULT nextval(`plain`.`s1`)')
  assert.match(create, 'REFERENCES `v_missing` (`v`)')
  assert.equal(await stack.db((db) => tempMentions(db, 'plain')), [])
  assert.is((await sql(stack, 'INSERT INTO numbered (v) VALUES (NULL); SELECT COUNT(*) FROM numbered WHERE id IS NOT NULL', 'plain')).trim(), '3')
  await sql(stack, 'DROP DATABASE plain')
})

t('the invariant names what points at a temporary database, and nothing that merely holds the prefix in a string', async ({ stack }) => {
  await sql(stack, 'CREATE DATABASE inv; CREATE DATABASE _dk_fake; CREATE TABLE _dk_fake.t (id INT PRIMARY KEY); CREATE SEQUENCE _dk_fake.s')
  try {
    await sql(stack, `SET foreign_key_checks = 0;
      CREATE TABLE k (id INT, KEY (id), CONSTRAINT fk_dead FOREIGN KEY (id) REFERENCES _dk_fake.t (id));
      CREATE TABLE d (id INT DEFAULT NEXTVAL(_dk_fake.s));
      CREATE VIEW v AS SELECT id FROM _dk_fake.t;
      CREATE VIEW clean AS SELECT '_dk_fake.t' AS s;
      CREATE PROCEDURE p() SELECT COUNT(*) FROM \`_dk_fake\`.t;
      CREATE PROCEDURE q() SELECT '_dk_fake.t';
      CREATE TRIGGER tr BEFORE INSERT ON k FOR EACH ROW SET @x = (SELECT COUNT(*) FROM _dk_fake.t);
      CREATE EVENT e ON SCHEDULE EVERY 1 DAY DISABLE DO DELETE FROM _dk_fake.t`, 'inv')
    assert.equal(await stack.db((db) => tempMentions(db, 'inv')), [
      'event e -> _dk_fake', 'procedure p -> _dk_fake', 'table d column id -> _dk_fake',
      'table k foreign key fk_dead -> _dk_fake', 'trigger tr -> _dk_fake', 'view v -> _dk_fake',
    ])
  } finally {
    await sql(stack, 'DROP DATABASE inv; DROP DATABASE _dk_fake')
  }
})

t('a load that would leave a name of a temporary database fails before the swap, naming it; the live database is as it was', async ({ stack }) => {
  await sql(stack, 'CREATE DATABASE _dk_fake; CREATE TABLE _dk_fake.t (id INT); CREATE DATABASE inv2; CREATE TABLE inv2.a (id INT); INSERT INTO inv2.a VALUES (1)')
  try {
    await sql(stack, 'CREATE VIEW inv2.v AS SELECT id FROM _dk_fake.t')
    const env = { MYSQL_DATABASE: 'inv2' }
    assert.is((await runScript(stack, 'data-dump', ['--name', 'inv2'], env)).code, 0)
    await sql(stack, 'DROP VIEW inv2.v; INSERT INTO inv2.a VALUES (2)')
    const before = await stack.db((db) => fingerprint(db, 'inv2'))
    const load = await runScript(stack, 'data-load', ['--name', 'inv2'], env)
    assert.is(load.code, 1, load.stderr)
    assert.is(lastLine(load.stderr), "datakeep: the load would leave view v -> _dk_fake in inv2 pointing at a temporary database of datakeep; the live database was put back as it was; databases named _dk_* are datakeep's own: rename any your objects use; otherwise report this with the snapshot's schema/schema.json")
    assert.equal(await stack.db((db) => fingerprint(db, 'inv2')), before)
  } finally {
    await sql(stack, 'DROP DATABASE inv2; DROP DATABASE _dk_fake')
  }
})

t('a swap whose process died right after its RENAME: the recovery points the keys at the live database too', async ({ stack }) => {
  const [live, stage, oldDb] = ['rs_live', '_dk_stage_1_rs', '_dk_old_1_rs']
  await sql(stack, `CREATE DATABASE ${live}; CREATE TABLE ${live}.x (id INT); CREATE DATABASE ${stage}; CREATE DATABASE ${oldDb}`)
  await sql(stack, 'SET foreign_key_checks = 0; CREATE TABLE child (id INT, KEY (id), CONSTRAINT fk_missing FOREIGN KEY (id) REFERENCES parent_missing (id))', stage)
  try {
    await stack.db(async (db) => {
      const journal = { live, stage, liveTables: ['x'], stageTables: ['child'], before: await readSchema(db, live), post: await readSchema(db, stage), charset: 'utf8mb4', collation: 'utf8mb4_unicode_ci' }
      await db.query(`CREATE TABLE ${oldDb}.${SWAP_JOURNAL} (doc LONGTEXT NOT NULL)`)
      await db.query(`INSERT INTO ${oldDb}.${SWAP_JOURNAL} VALUES (?)`, [JSON.stringify(journal)])
      // what the server finishes on its own after the process is killed
      await db.query(`RENAME TABLE ${live}.x TO ${oldDb}.x, ${stage}.child TO ${live}.child`)
      assert.equal(await tempMentions(db, live), [`table child foreign key fk_missing -> ${stage}`])
      assert.match(await recoverSwap(db, oldDb) ?? '', 'finished the interrupted swap of rs_live')
      assert.equal(await tempMentions(db, live), [])
    }, null)
    assert.match(await sql(stack, `SHOW CREATE TABLE ${live}.child`), 'REFERENCES `parent_missing` (`id`)')
  } finally {
    await sql(stack, `DROP DATABASE ${live}; DROP DATABASE ${stage}; DROP DATABASE ${oldDb}`)
  }
})

t('tempQualifiers: only a prefix that qualifies a name counts', () => {
  assert.equal(tempQualifiers("SELECT `_dk_a`.x, _dk_b . y, '_dk_c.z', `_dk_d` FROM t /* _dk_e.f */"), ['_dk_a', '_dk_b'])
  assert.equal(tempQualifiers('SELECT "_dk_a".x', 'ANSI_QUOTES'), ['_dk_a'])
  assert.equal(tempQualifiers('SELECT "_dk_a.x"'), [])
})

t.run()
