// fixtures_dump on PostgreSQL: one <table>.json per table (leaf partitions, not their partitioned
// parent; an inheritance parent's own rows only), every table read in one REPEATABLE READ snapshot
// through a cursor, rows in primary-key order (else by every column's text), values exact.
import path from 'node:path'
import type { Config } from '../../config.ts'
import { failure } from '../../errors.ts'
import type { Json } from '../../fixtures/values.ts'
import { fixtureFileName } from '../../fixtures/format.ts'
import type { DumpedFixture, DumpOptions } from '../../fixtures/types.ts'
import { chooseTables, fixturesDir, makeFixturesDir, writeFixtureFile } from '../../fixtures/write.ts'
import { invokingOwner } from '../../owner.ts'
import { startProgress } from '../../progress.ts'
import type { Runtime } from '../../runtime/types.ts'
import { PINNED_SETTINGS, pgDatabaseExists, qi, qname, withPg, type PgClient } from './db.ts'
import { pgFixtureColumns, readFixtureSchema, type PgFixtureTable } from './fixtures-schema.ts'
import { pgEncodeValue, pgOrderExpr, pgSelectExprs } from './fixtures-values.ts'

const FETCH = 1000

/** The SELECT of a table's fixture rows in a stable order (primary key, else every column's text as bytes). */
export function pgSelectSql(t: PgFixtureTable): string {
  const cols = pgFixtureColumns(t)
  const key = t.primaryKey.map((k) => t.columns.find((c) => c.name === k)!)
  const order = key.length ? key.map((c) => pgOrderExpr(c, true)) : cols.map((c) => pgOrderExpr(c, false))
  return `SELECT ${cols.flatMap(pgSelectExprs).join(', ') || 'NULL'} FROM ONLY ${qname(t.schema, t.table)}${order.length ? ` ORDER BY ${order.join(', ')}` : ''}`
}

/** A table's rows as [column, value] pairs, FETCH at a time from a cursor in the open transaction. */
async function* tableRows(c: PgClient, t: PgFixtureTable): AsyncIterable<[string, Json][]> {
  const cols = pgFixtureColumns(t)
  const widths = cols.map((col) => pgSelectExprs(col).length)
  const cursor = qi(`datakeep_fixture_${t.oid}`)
  await c.query(`DECLARE ${cursor} NO SCROLL CURSOR FOR ${pgSelectSql(t)}`)
  for (;;) {
    const r = await c.query<(string | null)[]>({ text: `FETCH ${FETCH} FROM ${cursor}`, rowMode: 'array' })
    for (const raw of r.rows) {
      let at = 0
      yield cols.map((col, i): [string, Json] => {
        const v = pgEncodeValue(col, raw.slice(at, at + widths[i]))
        at += widths[i]
        return [col.name, v]
      })
    }
    if (r.rows.length < FETCH) break
  }
  await c.query(`CLOSE ${cursor}`)
}

/** Writes `<dir>/<table>.json` for every table of the application database (or the `tables` named), from one snapshot. */
export async function pgDumpFixtures(cfg: Config, rt: Runtime, opts: DumpOptions = {}): Promise<DumpedFixture[]> {
  const dir = opts.dir ?? fixturesDir(cfg)
  const database = rt.admin.database
  const owner = invokingOwner(cfg)
  if (!(await withPg(rt.admin, (c) => pgDatabaseExists(c, database), { database: null }))) throw failure(`database ${database} does not exist`, 'to fix: make initialize')
  return withPg(rt.admin, async (c) => {
    await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY')
    for (const s of PINNED_SETTINGS) await c.query(s)
    const schema = new Map([...await readFixtureSchema(c)].filter(([, t]) => t.relkind === 'r'))
    const names = chooseTables([...schema.keys()].sort(), opts.tables, database)
    makeFixturesDir(dir, owner)
    const progress = startProgress('fixtures_dump', names.reduce((a, n) => a + schema.get(n)!.estimatedRows, 0))
    const out: DumpedFixture[] = []
    try {
      for (const name of names) {
        const t = schema.get(name)!
        const file = path.join(dir, fixtureFileName(name))
        const item = progress.item(name, t.estimatedRows)
        const { rows, bytes } = await writeFixtureFile(file, name, pgFixtureColumns(t).map((col) => [col.name, col.type]), tableRows(c, t), owner, item)
        item.update(rows, bytes)
        item.done()
        out.push({ table: name, rows, file })
      }
    } finally {
      progress.stop()
    }
    await c.query('COMMIT')
    return out
  })
}
