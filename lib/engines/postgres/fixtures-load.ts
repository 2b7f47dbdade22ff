// fixtures_load on PostgreSQL: every fixture file (datakeep's or Django's dumpdata) checked, then
// upserted in ONE transaction, parents before children, with session_replication_role = replica so
// no trigger fires (--with-triggers: they do); foreign keys checked and serial/identity sequences
// moved past the loaded keys before the commit. Any problem rolls it all back and names the file and row.
import type { Config } from '../../config.ts'
import { UserError, failure } from '../../errors.ts'
import { BadValue } from '../../fixtures/values.ts'
import type { LoadOptions, LoadResult } from '../../fixtures/types.ts'
import { loadOrder } from '../../fixtures/order.ts'
import { fileError, fixtureFiles, readFixtureTables, type FixtureTable } from '../../fixtures/read.ts'
import { fixturesDir } from '../../fixtures/write.ts'
import { step, warn } from '../../log.ts'
import type { Runtime } from '../../runtime/types.ts'
import { PINNED_SETTINGS, pgDatabaseExists, pgQuery, qi, qname, withPg, type PgClient } from './db.ts'
import { advanceSequences, findKeyViolation, holdUnvalidatedChecks } from './fixtures-keys.ts'
import { readFixtureSchema, readPgForeignKeys, type PgFixtureTable } from './fixtures-schema.ts'
import { pgDecodeValue } from './fixtures-values.ts'

interface Row { shown: string; at: string; columns: string[]; params: (string | null)[] }
interface Prepared { source: FixtureTable; table: PgFixtureTable; rows: Row[] }

const BATCH_ROWS = 500
const BATCH_PARAMS = 30000

/** The server's words, with its detail (which names the key). */
const serverMessage = (e: unknown) => {
  const err = e as { message: string; detail?: string }
  return err.detail ? `${err.message} (${err.detail})` : err.message
}

function prepareRow(t: PgFixtureTable, r: FixtureTable['rows'][number]): Row {
  for (const key of Object.keys(r.row)) {
    const c = t.columns.find((x) => x.name === key)
    if (!c) throw fileError(r.shown, `unknown column ${JSON.stringify(key)} in table ${t.name}`, r.at)
    if (c.computed) throw fileError(r.shown, `column ${JSON.stringify(key)} of table ${t.name} is computed by the server; leave it out`, r.at)
  }
  const out: Row = { shown: r.shown, at: r.at, columns: [], params: [] }
  for (const c of t.columns) {
    if (!Object.hasOwn(r.row, c.name)) continue
    try {
      out.params.push(pgDecodeValue(c, r.row[c.name]))
    } catch (e) {
      if (e instanceof BadValue) throw fileError(r.shown, `column ${JSON.stringify(c.name)} (${c.type}): ${e.message}`, r.at)
      throw e
    }
    out.columns.push(c.name)
  }
  return out
}

/** The INSERT for rows with the same columns: an upsert on the primary key (or a unique key the rows give). */
export function pgUpsertSql(t: PgFixtureTable, columns: string[], rows: number): string {
  const given = (k: string[]) => k.every((c) => columns.includes(c))
  const target = t.primaryKey.length && given(t.primaryKey) ? t.primaryKey : t.uniqueKeys.find(given)
  const overriding = t.columns.some((c) => c.alwaysIdentity && columns.includes(c.name)) ? ' OVERRIDING SYSTEM VALUE' : ''
  // a row that gives no column: every column its default (one row per statement)
  if (columns.length === 0) return `INSERT INTO ${qname(t.schema, t.table)} DEFAULT VALUES RETURNING (xmax::text = '0') AS inserted`
  let n = 0
  const values = Array.from({ length: rows }, () => `(${columns.map(() => `$${++n}`).join(', ')})`).join(', ')
  let sql = `INSERT INTO ${qname(t.schema, t.table)} (${columns.map(qi).join(', ')})${overriding} VALUES ${values}`
  if (target) {
    const set = columns.filter((c) => !target.includes(c))
    sql += ` ON CONFLICT (${target.map(qi).join(', ')}) ${set.length ? `DO UPDATE SET ${set.map((c) => `${qi(c)} = EXCLUDED.${qi(c)}`).join(', ')}` : 'DO NOTHING'}`
  } else if (t.uniqueKeys.length) {
    sql += ' ON CONFLICT DO NOTHING'
  }
  return `${sql} RETURNING (xmax::text = '0') AS inserted`
}

/** Consecutive rows with the same columns, up to a count of rows and of parameters. */
export function pgBatches<R extends { columns: string[] }>(rows: R[]): R[][] {
  const out: R[][] = []
  let cur: R[] = []
  for (const r of rows) {
    const fits = cur.length > 0 && r.columns.length > 0 && cur[0].columns.join('\0') === r.columns.join('\0') && cur.length < BATCH_ROWS
      && (cur.length + 1) * r.columns.length <= BATCH_PARAMS
    if (!fits && cur.length) { out.push(cur); cur = [] }
    cur.push(r)
  }
  if (cur.length) out.push(cur)
  return out
}

/** Upserts one table's rows; a failing batch is replayed row by row (each behind a savepoint) to name the row at fault. */
async function loadTable(c: PgClient, p: Prepared, triggersFire: boolean): Promise<number> {
  const t = p.table
  const hint = triggersFire && t.triggers.length
    ? `table ${t.name} has triggers (${t.triggers.join(', ')}) that run for every fixture row and may write rows the fixtures also hold` : undefined
  const fail = (e: unknown, r: Row) => fileError(r.shown, serverMessage(e), r.at, hint)
  const run = async (rows: Row[]) => (await pgQuery<{ inserted: boolean }>(c, pgUpsertSql(t, rows[0].columns, rows.length), rows.flatMap((r) => r.params)))
    .filter((x) => x.inserted).length
  if (p.source.replaceSet) {
    // Django's many-to-many: each object's relation becomes the file's list
    const { owner, target, keys } = p.source.replaceSet
    await c.query(`DELETE FROM ONLY ${qname(t.schema, t.table)} WHERE ${qi(owner)}::text = ANY($1::text[])
      AND (${qi(owner)}::text, ${qi(target)}::text) NOT IN (SELECT * FROM unnest($2::text[], $3::text[]))`,
    [keys.map(String), p.source.rows.map((r) => String(r.row[owner])), p.source.rows.map((r) => String(r.row[target]))])
  }
  const hadRows = t.uniqueKeys.length === 0 && (await pgQuery(c, `SELECT 1 FROM ONLY ${qname(t.schema, t.table)} LIMIT 1`)).length > 0
  let inserted = 0
  for (const batch of pgBatches(p.rows)) {
    await c.query('SAVEPOINT datakeep_batch')
    try {
      inserted += await run(batch)
      await c.query('RELEASE SAVEPOINT datakeep_batch')
      continue
    } catch (e) {
      await c.query('ROLLBACK TO SAVEPOINT datakeep_batch')
      if (batch.length === 1) throw fail(e, batch[0])
    }
    // one of the rows is at fault (or a key given twice in one statement, which row by row is an update)
    for (const r of batch) {
      try { inserted += await run([r]) } catch (e) { throw fail(e, r) }
    }
    await c.query('RELEASE SAVEPOINT datakeep_batch')
  }
  if (hadRows && p.rows.length) warn(`table ${t.name} has no primary or unique key: ${p.rows.length} rows from ${p.source.shown} were added to the rows already there`)
  return inserted
}

/**
 * Loads every fixture file in FIXTURES_DIR (datakeep's format or Django's dumpdata) into the
 * application database in one transaction. All files are checked first; `beforeLoad` (the safety
 * snapshot) runs after that and before anything is written.
 */
export async function pgLoadFixtures(cfg: Config, rt: Runtime, opts: LoadOptions = {}): Promise<LoadResult> {
  const dir = opts.dir ?? fixturesDir(cfg)
  const files = fixtureFiles(dir)
  const result: LoadResult = { files: files.length, rows: 0, inserted: 0, updated: 0, heldTriggers: [] }
  if (files.length === 0) return result
  const database = rt.admin.database
  if (!(await withPg(rt.admin, (c) => pgDatabaseExists(c, database), { database: null }))) throw failure(`database ${database} does not exist`, 'to fix: make initialize')
  // every file checked against the schema on a connection of its own, closed before the safety
  // snapshot: a copy of the database (held.ts) needs no session on it, datakeep's own included
  const { schema, prepared, groups } = await withPg(rt.admin, async (c) => {
    for (const s of PINNED_SETTINGS) await c.query(s)
    const schema = await readFixtureSchema(c)
    const prepared = new Map<string, Prepared>()
    for (const source of readFixtureTables(dir, cfg.projectDir, schema, database)) {
      const table = schema.get(source.table)!
      prepared.set(table.name, { source, table, rows: source.rows.map((r) => prepareRow(table, r)) })
    }
    const groups = loadOrder([...prepared.keys()], (await readPgForeignKeys(c)).map((k): [string, string] => [k.child, k.parent]))
    return { schema, prepared, groups }
  })
  await opts.beforeLoad?.()
  return withPg(rt.admin, async (c) => {
    for (const s of PINNED_SETTINGS) await c.query(s)
    if (!opts.withTriggers) result.heldTriggers = [...prepared.values()].flatMap((p) => p.table.triggers.map((name) => ({ table: p.table.name, name })))
    await c.query('BEGIN')
    try {
      if (opts.withTriggers) {
        // deferrable keys (Django makes every key so) wait for the commit: a cycle of them loads
        await c.query('SET CONSTRAINTS ALL DEFERRED')
      } else {
        await c.query('SET LOCAL session_replication_role = replica').catch((e: { code?: string; message: string }) => {
          throw new UserError(`holding the triggers off needs session_replication_role, which role ${rt.admin.user} may not set (${e.message})`,
            { hint: 'load as a superuser (or GRANT SET ON PARAMETER session_replication_role), or fire the triggers: make fixtures_load ARGS="--with-triggers"', exitCode: 1 })
        })
      }
      const restoreChecks = await holdUnvalidatedChecks(c, [...prepared.values()].map((p) => p.table))
      for (const g of groups) {
        for (const name of g.tables) {
          const p = prepared.get(name)!
          step(`${p.source.shown}: ${p.rows.length} row${p.rows.length === 1 ? '' : 's'} into ${name}${g.cyclic ? ' (foreign-key cycle)' : ''}`)
          const inserted = await loadTable(c, p, !!opts.withTriggers)
          result.inserted += inserted
          result.updated += p.rows.length - inserted
          result.rows += p.rows.length
        }
      }
      await restoreChecks()
      const bad = await findKeyViolation(c, schema, new Set(prepared.keys()))
      if (bad) {
        const p = prepared.get(bad.child)
        const row = p?.rows.find((r) => bad.columns.every((k, i) => r.params[r.columns.indexOf(k)] === bad.values[i]))
        throw row ? fileError(row.shown, bad.message, row.at) : failure(`${p?.source.shown ?? bad.child}: ${bad.message}`)
      }
      await advanceSequences(c, new Set(prepared.keys()))
      await c.query('COMMIT')
    } catch (e) {
      await c.query('ROLLBACK').catch(() => undefined)
      if (e instanceof UserError) throw e
      throw failure(`fixtures_load failed, nothing was loaded: ${serverMessage(e)}`)
    }
    return result
  })
}
