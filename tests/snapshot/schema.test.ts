// Schema snapshots against a real MariaDB: sakila, sakila_geo and a database with every kind of
// object are read, restored into new databases (through the library and through the stock
// client), and every SHOW CREATE output, trigger order, sql_mode and sequence value compared.
import fs from 'node:fs'
import { test } from '../support/uvu.ts'
import * as assert from 'uvu/assert'
import { ident, query, type Db } from '../../lib/db.ts'
import { HOST, run } from '../../lib/run.ts'
import { createPostData, createTables, dropPostData, readSchema, schemaHash, schemaSql } from '../../lib/snapshot/schema.ts'
import { sakilaFiles } from '../support/sakila.ts'
import { makeStack, type TestStack } from '../support/stack.ts'
import { showAll as showAllOf, type Shown } from '../support/show-all.ts'

const FIXTURE = new URL('./schema-fixture.sql', import.meta.url)
// written as latin1 bytes under a latin1 client: the text must come back intact under that client
const LATIN1_TRIGGER = "SET NAMES latin1; CREATE TRIGGER dk_src.legacy_bi BEFORE INSERT ON dk_src.legacy FOR EACH ROW SET NEW.label = COALESCE(NEW.label, 'café');"
const SOURCES = ['sakila', 'sakila_geo', 'dk_src']

let stack: TestStack
let copies = 0

function client(input: string | Buffer, args: string[] = []) {
  return run(HOST, ['mariadb', ...stack.rt.clientArgs(), ...args], { env: stack.rt.clientEnv(), input })
}
const admin = <T>(fn: (db: Db) => Promise<T>) => stack.db(fn, null)
const newName = (src: string) => `${src}_copy${++copies}`

test.before(async () => {
  stack = await makeStack()
  for (const f of [sakilaFiles('sakila'), sakilaFiles('sakila_geo')]) {
    await client(fs.readFileSync(f.schema))
    await client(fs.readFileSync(f.data))
  }
  await client(fs.readFileSync(FIXTURE), ['--comments'])
  await client(Buffer.from(LATIN1_TRIGGER, 'latin1'))
})

test.after(async () => { await stack?.destroy() })


/** Every SHOW CREATE row of a database (its Created time aside), trigger order and sequence position, read independently of the library. */
const showAll = (db: Db, database: string): Promise<Shown> => showAllOf(db, database, [], { sequenceValues: true })

/**
 * What a copy of `src` in `copy` must show: names qualified with the source database name the
 * copy ('' = unqualified, as the stock-client file writes them), and a missing definer becomes
 * the restoring user.
 */
function expectedCopy(shown: Shown, src: string, copy: string): Shown {
  const qualified = new RegExp(`\`${src}\`\\.|\\b${src}\\.`, 'g')
  const out: Shown = {}
  for (const [k, v] of Object.entries(shown)) {
    out[k] = v.replaceAll('DEFINER=`ghost`@`%`', 'DEFINER=`root`@`localhost`')
      .replace(qualified, (m) => (copy === '' ? '' : m.replace(src, copy)))
  }
  return out
}

async function restoreWithLibrary(src: string): Promise<string> {
  const copy = newName(src)
  await admin(async (db) => {
    const s = await readSchema(db, src)
    await createTables(db, copy, s)
    await createPostData(db, copy, s)
  })
  return copy
}

async function restoreWithClient(src: string): Promise<string> {
  const copy = newName(src)
  const s = await admin((db) => readSchema(db, src))
  const text = schemaSql(s, 'tables') + schemaSql(s, 'post')
  assert.not.ok(new RegExp(`\\b${src}\\b`).test(text.replace(/^--.*$/gm, '')), 'the file names no database')
  await admin((db) => db.query(`CREATE DATABASE ${ident(copy)}`))
  await client(text, [copy])
  return copy
}

for (const src of SOURCES) {
  test(`${src}: createTables + createPostData give the same SHOW CREATE output for every object`, async () => {
    const copy = await restoreWithLibrary(src)
    await admin(async (db) => {
      const want = expectedCopy(await showAll(db, src), src, copy)
      assert.ok(Object.keys(want).length > 20, 'the source has objects')
      if (src === 'sakila_geo') assert.match(want['table address'], 'SPATIAL KEY `idx_location`')
      assert.equal(await showAll(db, copy), want)
    })
  })

  test(`${src}: schemaSql through the stock mariadb client gives the same SHOW CREATE output`, async () => {
    const copy = await restoreWithClient(src)
    await admin(async (db) => assert.equal(await showAll(db, copy), expectedCopy(await showAll(db, src), src, '')))
  })

  test(`${src}: schemaHash is equal for the original and its copy, and stable`, async () => {
    const copy = await restoreWithLibrary(src)
    await admin(async (db) => {
      const h = schemaHash(await readSchema(db, src))
      assert.match(h, /^[0-9a-f]{64}$/)
      assert.is(schemaHash(await readSchema(db, src)), h)
      assert.is(schemaHash(await readSchema(db, copy)), h)
    })
  })
}

test('readSchema: firing order, sql_modes, dependency order of views, sequence positions', async () => {
  const s = await admin((db) => readSchema(db, 'dk_src'))
  const child = s.triggers.filter((t) => t.table === 'child' && /AFTER INSERT/.test(t.create)).map((t) => t.name)
  assert.equal(child, ['child_ai_z', 'child_ai_m', 'child_ai_b', 'child_ai_a'])
  const views = s.views.map((v) => v.name)
  assert.ok(views.indexOf('b_base') < views.indexOf('a_on_base') && views.indexOf('a_on_base') < views.indexOf('z_on_on'), views.join())
  assert.is(s.triggers.find((t) => t.name === 'child_bi')!.sqlMode, 'PIPES_AS_CONCAT,ANSI_QUOTES')
  assert.is(s.routines.find((r) => r.name === 'legacy_label')!.databaseCollation, 'latin1_swedish_ci')
  assert.is(s.events.find((e) => e.name === 'tz_event')!.timeZone, '+05:30')
  assert.equal(s.sequenceValues, [{ name: 'invoice_no', next: '6', round: '0' }, { name: 'ticket', next: '10100', round: '0' }])
  assert.equal(s.tables.filter((t) => t.kind === 'sequence').map((t) => t.name), ['invoice_no', 'ticket'])
  assert.is(s.views.find((v) => v.name === 'ghost_view')!.definer, '`ghost`@`%`')
  for (const o of [...s.views, ...s.routines, ...s.triggers, ...s.events]) assert.not.match(o.create, /DEFINER\s*=/, o.name)
  assert.equal(s.routines.slice(-2).map((r) => r.kind), ['package', 'package body'])
})

test('restored objects behave as the originals: firing order, sql_mode, missing definer, latin1 text', async () => {
  const copy = await restoreWithLibrary('dk_src')
  await admin(async (db) => {
    const c = (n: string) => `${ident(copy)}.${ident(n)}`
    await db.query(`INSERT INTO ${c('parent')} (name) VALUES ('  p  ')`) // its trigger's definer was the missing ghost
    const [p] = await query<{ id: number; name: string }>(db, `SELECT id, name FROM ${c('parent')}`)
    assert.equal(p, { id: 1000, name: 'p' })
    await db.query(`INSERT INTO ${c('child')} (id, parent_id, note) VALUES (7, 1000, 'hi')`)
    const log = await query<{ msg: string }>(db, `SELECT msg FROM ${c('log')} ORDER BY id`)
    assert.equal(log.map((r) => r.msg), ['z 7', 'm 7', 'b 7', 'a 7'])
    const [ch] = await query<{ note: string }>(db, `SELECT note FROM ${c('child')}`)
    assert.is(ch.note, 'hi!', 'PIPES_AS_CONCAT made || a concatenation')
    const [sets] = await db.query(`CALL ${c('shout')}('hello')`) as unknown as [[{ loud: string }[]]]
    assert.is(sets[0][0].loud, 'hello!', 'ANSI_QUOTES made "msg" the parameter')
    await db.query(`INSERT INTO ${c('legacy')} (code) VALUES ('x')`)
    const [l] = await query<{ label: string }>(db, `SELECT label FROM ${c('legacy')}`)
    assert.is(l.label, 'café')
    const [n] = await query<{ v: string }>(db, `SELECT NEXTVAL(${c('invoice_no')}) AS v`)
    assert.is(n.v, '6')
  })
})

test('an existing definer is kept; a missing one becomes the restoring user', async () => {
  await admin(async (db) => {
    await db.query("CREATE USER IF NOT EXISTS 'app'@'%'")
    await db.query('CREATE DATABASE dk_defs')
    await db.query('CREATE DEFINER=`app`@`%` VIEW dk_defs.by_app AS SELECT 1 AS one')
    await db.query('CREATE DEFINER=`ghost`@`%` PROCEDURE dk_defs.by_ghost() SELECT 1')
    const s = await readSchema(db, 'dk_defs')
    await createTables(db, 'dk_defs_copy', s)
    await createPostData(db, 'dk_defs_copy', s)
    const [v] = await query<{ d: string }>(db, "SELECT DEFINER d FROM information_schema.VIEWS WHERE TABLE_SCHEMA = 'dk_defs_copy'")
    assert.is(v.d, 'app@%')
    const [r] = await query<{ d: string }>(db, "SELECT DEFINER d FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = 'dk_defs_copy'")
    assert.is(r.d, 'root@localhost')
  })
})

test('dropPostData leaves only the tables and sequences', async () => {
  const copy = await restoreWithLibrary('dk_src')
  await admin(async (db) => {
    const before = await showAll(db, copy)
    await dropPostData(db, copy)
    const after = await showAll(db, copy)
    assert.equal(Object.keys(after).sort(), Object.keys(before).filter((k) => /^(table|sequence) /.test(k)).sort())
    for (const k of Object.keys(after)) assert.is(after[k], before[k], k)
    assert.ok(Object.keys(before).length > Object.keys(after).length + 15)
  })
})

test('schemaHash changes when a column changes, not when rows or sequence values do', async () => {
  const copy = await restoreWithLibrary('dk_src')
  await admin(async (db) => {
    const h = schemaHash(await readSchema(db, copy))
    await db.query(`INSERT INTO ${ident(copy)}.log (msg) VALUES ('x')`)
    await db.query(`SELECT NEXTVAL(${ident(copy)}.ticket)`)
    assert.is(schemaHash(await readSchema(db, copy)), h)
    await db.query(`ALTER TABLE ${ident(copy)}.log MODIFY msg VARCHAR(201)`)
    assert.is.not(schemaHash(await readSchema(db, copy)), h)
  })
})

test('readSchema, createTables and createPostData leave the session as they found it', async () => {
  await admin(async (db) => {
    await db.query("SET SESSION sql_mode = 'ANSI', time_zone = '+03:00', foreign_key_checks = 1, sql_quote_show_create = 0")
    const state = 'SELECT @@sql_mode m, @@time_zone z, @@foreign_key_checks f, @@character_set_client c, @@collation_connection cc, @@sql_quote_show_create q, DATABASE() d'
    const [before] = await query(db, state)
    const s = await readSchema(db, 'dk_src')
    await createTables(db, 'dk_session', s)
    await createPostData(db, 'dk_session', s)
    assert.equal((await query(db, state))[0], before)
    assert.is((before as { d: unknown }).d, null)
  })
})

test('readSchema reads inside a consistent snapshot or under a read lock without ending either', async () => {
  await admin(async (db) => {
    await db.query('START TRANSACTION WITH CONSISTENT SNAPSHOT')
    await readSchema(db, 'dk_src')
    const [t] = await query<{ t: string }>(db, 'SELECT @@in_transaction AS t')
    assert.is(String(t.t), '1', 'a dump reading the schema keeps its snapshot')
    await db.query('COMMIT')
    await db.query('FLUSH TABLES WITH READ LOCK')
    try {
      assert.is((await readSchema(db, 'sakila')).tables.length, 16)
    } finally {
      await db.query('UNLOCK TABLES')
    }
  })
})

test('createPostData names the object it could not create', async () => {
  await admin(async (db) => {
    const s = await readSchema(db, 'dk_src')
    await db.query('CREATE DATABASE dk_broken')
    // no tables: the first view has nothing to read
    const err = await createPostData(db, 'dk_broken', { ...s, routines: [], triggers: [], events: [], sequenceValues: [] }).catch((e) => e)
    assert.match(String(err.message), /cannot create view dk_broken\.\w+: .*doesn't exist/)
  })
})

test.run()
