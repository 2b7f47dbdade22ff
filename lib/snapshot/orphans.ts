// After some tables' rows were replaced with foreign key checks off (data_load --tables): the
// foreign keys that cross between those tables and the others, and the rows that now point at
// a row no longer there. Counted, so the load can say so; nothing is changed.
import { ident, query, type Db } from '../db.ts'

export interface Orphans { constraint: string; child: string; parent: string; rows: number }

interface Fk { name: string; child: string; parent: string; cols: string[]; refs: string[] }

async function foreignKeys(db: Db, database: string): Promise<Fk[]> {
  const rows = await query<{ name: string; child: string; parent: string; col: string; ref: string }>(db,
    `SELECT CONSTRAINT_NAME AS name, TABLE_NAME AS child, REFERENCED_TABLE_NAME AS parent, COLUMN_NAME AS col, REFERENCED_COLUMN_NAME AS ref
       FROM information_schema.KEY_COLUMN_USAGE
      WHERE TABLE_SCHEMA = ? AND REFERENCED_TABLE_SCHEMA = ? AND REFERENCED_TABLE_NAME IS NOT NULL
      ORDER BY TABLE_NAME, CONSTRAINT_NAME, ORDINAL_POSITION`, [database, database])
  const out = new Map<string, Fk>()
  for (const r of rows) {
    const key = `${r.child}\0${r.name}`
    const fk = out.get(key) ?? { name: r.name, child: r.child, parent: r.parent, cols: [], refs: [] }
    fk.cols.push(r.col)
    fk.refs.push(r.ref)
    out.set(key, fk)
  }
  return [...out.values()]
}

/** Rows of a child whose key (all columns set: MATCH SIMPLE) has no parent row. */
export function orphanSql(database: string, fk: Fk): string {
  const c = (col: string) => `c.${ident(col)}`
  const on = fk.cols.map((col, i) => `${c(col)} = p.${ident(fk.refs[i])}`).join(' AND ')
  const set = fk.cols.map((col) => `${c(col)} IS NOT NULL`).join(' AND ')
  return `SELECT COUNT(*) AS n FROM ${ident(database)}.${ident(fk.child)} c LEFT JOIN ${ident(database)}.${ident(fk.parent)} p ON ${on}`
    + ` WHERE ${set} AND p.${ident(fk.refs[0])} IS NULL`
}

/**
 * The foreign keys with one side among `tables` and the other not, and how many rows of their
 * child have no parent (only those with some). Run inside the replacing transaction, it sees its rows.
 */
export async function crossingOrphans(db: Db, database: string, tables: string[]): Promise<Orphans[]> {
  const inSet = new Set(tables)
  const out: Orphans[] = []
  for (const fk of await foreignKeys(db, database)) {
    if (inSet.has(fk.child) === inSet.has(fk.parent)) continue
    const [r] = await query<{ n: string }>(db, orphanSql(database, fk))
    if (Number(r.n) > 0) out.push({ constraint: fk.name, child: fk.child, parent: fk.parent, rows: Number(r.n) })
  }
  return out
}
