// The engine-neutral schema model (schema.json): what every generator (markdown, mermaid, html,
// lint, diff, migrations) reads. An engine fills it from its catalog (catalog-mariadb.ts, lib/engines/postgres/catalog.ts).
export interface Column {
  name: string; type: string; nullable: boolean; default: string | null
  key: string; extra: string; comment: string; generated: string | null
}
export interface Index { name: string; unique: boolean; kind: string; columns: string[] }
export interface ForeignKey {
  name: string; columns: string[]; refTable: string; refColumns: string[]
  onDelete: string; onUpdate: string
}
export interface Table {
  name: string; engine: string; rows: number; bytes: number; comment: string
  columns: Column[]; primaryKey: string[]; indexes: Index[]; foreignKeys: ForeignKey[]
  checks: { name: string; clause: string }[]; triggers: string[]; partitioning: string | null
}
/** `materialized`: the engine stores the view's rows (PostgreSQL's MATERIALIZED VIEW); absent otherwise. */
export interface View { name: string; definition: string; reads: string[]; materialized?: boolean }
export interface Routine { name: string; type: string; definition: string }
export interface Trigger { name: string; table: string; timing: string; event: string; statement: string }
export interface Event { name: string; schedule: string; status: string; definition: string }
export interface Schema {
  format: 'datakeep-schema/1'; engine: string; database: string
  tables: Table[]; views: View[]; routines: Routine[]; triggers: Trigger[]; events: Event[]; sequences: string[]
}

/** Binary order, the same on every machine (collations may sort otherwise). */
export const byName = <T extends { name: string }>(a: T, b: T) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)

/** schema.json's text: stable key order and a final newline, so the same schema gives the same bytes. */
export function schemaJson(s: Schema, opts: { volatile?: boolean } = {}): string {
  // row counts and sizes change with every insert; they go in the page, not the file CI compares
  const clean = opts.volatile ? s : { ...s, tables: s.tables.map((t) => ({ ...t, rows: 0, bytes: 0 })) }
  return JSON.stringify(clean, null, 2) + '\n'
}

/** Referenced-by, computed from the foreign keys: table -> [{ table, fk }]. */
export function referencedBy(s: Schema): Map<string, { table: string; fk: ForeignKey }[]> {
  const m = new Map<string, { table: string; fk: ForeignKey }[]>()
  for (const t of s.tables) for (const fk of t.foreignKeys) {
    const l = m.get(fk.refTable) ?? []
    l.push({ table: t.name, fk })
    m.set(fk.refTable, l)
  }
  return m
}
