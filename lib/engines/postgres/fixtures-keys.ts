// After a fixture load, before its commit: every checked foreign key into or out of the loaded
// tables holds (session_replication_role = replica, which holds the triggers off, holds off the
// keys' own triggers too), and the sequences that number the loaded tables' columns are moved past
// the loaded keys, so the application's next insert does not collide.
import { step } from '../../log.ts'
import { pgQuery, qi, qname, type PgClient } from './db.ts'
import { readOwnedSequences, readPgForeignKeys, readPgParents, type PgFixtureTable } from './fixtures-schema.ts'

/** A row that breaks a foreign key, in the words PostgreSQL uses when it checks one itself. */
export interface KeyViolation { constraint: string; child: string; columns: string[]; values: string[]; message: string }

const rel = (t: PgFixtureTable) => `${t.relkind === 'p' ? '' : 'ONLY '}${qname(t.schema, t.table)}`

/**
 * The first row of a validated foreign key touching `loaded` whose parent is missing (NOT VALID keys are
 * left as they are). Each key checked reads its child table whole: fixtures are small data.
 */
export async function findKeyViolation(c: PgClient, schema: Map<string, PgFixtureTable>, loaded: Set<string>): Promise<KeyViolation | null> {
  for (const fk of await readPgForeignKeys(c)) {
    const child = schema.get(fk.child)
    const parent = schema.get(fk.parent)
    if (!fk.validated || !child || !parent) continue
    // a parent's upsert never changes its primary key: only a key to other columns can lose its parent there
    const toPrimaryKey = [...fk.parentColumns].sort().join('\0') === [...parent.primaryKey].sort().join('\0')
    if (!loaded.has(fk.child) && !(loaded.has(fk.parent) && !toPrimaryKey)) continue
    const notNull = fk.childColumns.map((k) => `c.${qi(k)} IS NOT NULL`).join(' AND ')
    const match = fk.childColumns.map((k, i) => `p.${qi(fk.parentColumns[i])} = c.${qi(k)}`).join(' AND ')
    const [bad] = await pgQuery<{ v: string[] }>(c, `SELECT ARRAY[${fk.childColumns.map((k) => `c.${qi(k)}::text`).join(', ')}] AS v
      FROM ${rel(child)} c WHERE ${notNull} AND NOT EXISTS (SELECT 1 FROM ${rel(parent)} p WHERE ${match}) LIMIT 1`)
    if (!bad) continue
    return {
      constraint: fk.name, child: fk.child, columns: fk.childColumns, values: bad.v,
      message: `insert or update on table "${child.table}" violates foreign key constraint "${fk.name}" `
        + `(Key (${fk.childColumns.join(', ')})=(${bad.v.join(', ')}) is not present in table "${parent.table}".)`,
    }
  }
  return null
}

/**
 * Each sequence owned by a column (serial, identity) of a loaded table or of one it belongs to
 * (partitions, inheritance) set to the column's largest value when its next value would not be past
 * it; never moved back. Sequences do not roll back: a load that fails after this leaves them advanced.
 */
export async function advanceSequences(c: PgClient, loaded: Set<string>): Promise<number> {
  const parents = await readPgParents(c)
  const tables = new Set<string>()
  const add = (t: string) => { if (!tables.has(t)) { tables.add(t); for (const p of parents.get(t) ?? []) add(p) } }
  for (const t of loaded) add(t)
  let moved = 0
  for (const s of await readOwnedSequences(c)) {
    if (!tables.has(s.table) || !(Number(s.increment) > 0)) continue
    const r = await pgQuery<{ v: string }>(c, `SELECT setval($1::regclass, x.m)::text AS v
      FROM (SELECT max(${qi(s.column)})::bigint AS m FROM ${s.tableSql}) x, ${s.sequence} q
      WHERE x.m IS NOT NULL AND x.m::numeric >= CASE WHEN q.is_called THEN q.last_value::numeric + $2::numeric ELSE q.last_value::numeric END`,
    [s.sequence, s.increment])
    if (r.length) { step(`sequence ${s.sequence} of ${s.table}.${s.column} moved to ${r[0].v}, past the loaded keys`); moved++ }
  }
  return moved
}

/**
 * NOT VALID check constraints of `tables` (their own, not inherited) dropped for the load, to be
 * re-created NOT VALID by the returned function after it, in the same transaction (nobody sees them
 * gone): rows from before such a constraint break it and must load back as they were, as pg_dump
 * restores them (data first, the NOT VALID constraint after).
 */
export async function holdUnvalidatedChecks(c: PgClient, tables: PgFixtureTable[]): Promise<() => Promise<void>> {
  const held: { table: PgFixtureTable; name: string; def: string }[] = []
  for (const t of tables) {
    const rows = await pgQuery<{ name: string; def: string }>(c, `SELECT conname AS name, pg_get_constraintdef(oid) AS def FROM pg_constraint
      WHERE conrelid = $1 AND contype = 'c' AND NOT convalidated AND conislocal AND coninhcount = 0 ORDER BY conname`, [t.oid])
    for (const r of rows) {
      await c.query(`ALTER TABLE ${qname(t.schema, t.table)} DROP CONSTRAINT ${qi(r.name)}`)
      held.push({ table: t, ...r })
    }
  }
  return async () => {
    for (const h of held) await c.query(`ALTER TABLE ${qname(h.table.schema, h.table.table)} ADD CONSTRAINT ${qi(h.name)} ${h.def}`)
  }
}
