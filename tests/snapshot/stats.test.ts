import { test } from '../support/uvu.ts'
import * as assert from 'uvu/assert'
import { query } from '../../lib/db.ts'
import { statsAutoRecalc, withStatsPaused } from '../../lib/snapshot/stats.ts'
import { makeStack, type TestStack } from '../support/stack.ts'

let stack: TestStack

test.before(async () => {
  stack = await makeStack()
  await stack.db(async (db) => {
    await db.query('CREATE DATABASE s')
    await db.query('CREATE TABLE s.plain (id INT PRIMARY KEY, v VARCHAR(10), KEY v (v)) ENGINE=InnoDB')
    await db.query('CREATE TABLE s.own (id INT PRIMARY KEY) ENGINE=InnoDB STATS_AUTO_RECALC=1')
    await db.query('CREATE TABLE s.off (id INT PRIMARY KEY) ENGINE=InnoDB STATS_AUTO_RECALC=0')
    await db.query('CREATE TABLE s.aria (id INT PRIMARY KEY) ENGINE=Aria')
  }, null)
})
test.after(async () => { await stack?.destroy() })

const showCreate = (table: string) => stack.db(async (db) =>
  (await query<Record<string, string>>(db, `SHOW CREATE TABLE s.${table}`))[0]['Create Table'], null)

test('reads each table\'s own setting; null for other engines', async () => {
  await stack.db(async (db) => {
    assert.is(await statsAutoRecalc(db, 's', 'plain'), 'DEFAULT')
    assert.is(await statsAutoRecalc(db, 's', 'own'), '1')
    assert.is(await statsAutoRecalc(db, 's', 'off'), '0')
    assert.is(await statsAutoRecalc(db, 's', 'aria'), null)
  }, null)
})

test('off during the load, then the table\'s own definition back and statistics computed', async () => {
  const before = { plain: await showCreate('plain'), own: await showCreate('own') }
  for (const table of ['plain', 'own']) {
    await stack.db(async (db) => {
      const during = await withStatsPaused(db, 's', table, async () => {
        await db.query(`INSERT INTO s.${table} (id) SELECT seq FROM s.seq_1_to_5000`)
        return statsAutoRecalc(db, 's', table)
      })
      assert.is(during, '0', `${table} loads with the recalculation off`)
      const [st] = await query<{ n: string }>(db, 'SELECT n_rows AS n FROM mysql.innodb_table_stats WHERE database_name = ? AND table_name = ?', ['s', table])
      assert.ok(Number(st.n) > 2500, `${table} has statistics after the load (n_rows ${st.n})`)
    }, null)
    assert.is(await showCreate(table), before[table as 'plain' | 'own'], `${table}'s definition is as it was`)
  }
})

test('a failed load reports its own error and leaves the definition as it was', async () => {
  const before = await showCreate('plain')
  await stack.db(async (db) => {
    try {
      await withStatsPaused(db, 's', 'plain', async () => { throw new Error('the load broke') })
      assert.unreachable('should throw')
    } catch (e) {
      assert.is((e as Error).message, 'the load broke')
    }
  }, null)
  assert.is(await showCreate('plain'), before)
})

test.run()
