// Relations between tables beyond the catalog's rows: each foreign key's cardinality, and the
// "implied" relations (a column named like a reference, with no constraint) that the diagram
// draws dashed and schema_lint reports.
import type { ForeignKey, Schema, Table } from './model.ts'

export interface Cardinality {
  /** the referencing columns may be NULL: a child row has zero or one parent */
  optional: boolean
  /** the referencing columns are unique (primary key or unique index): a parent has at most one child */
  unique: boolean
  /** as printed on the diagram's edge: child side, then parent side (`n:1`, `n:0..1`, `1:1`, `1:0..1`) */
  label: string
}

export function fkCardinality(t: Table, fk: ForeignKey): Cardinality {
  const optional = fk.columns.some((n) => t.columns.find((c) => c.name === n)?.nullable)
  const same = (cols: string[]) => cols.length === fk.columns.length && cols.every((c) => fk.columns.includes(c))
  const unique = same(t.primaryKey) || t.indexes.some((i) => i.unique && same(i.columns))
  return { optional, unique, label: `${unique ? '1' : 'n'}:${optional ? '0..1' : '1'}` }
}

export interface ImpliedRelation { table: string; column: string; refTable: string }

/** The table names a `<stem>_id` column may point at, the stem itself first (user_id -> users, category_id -> categories). */
export function tableNamesFor(stem: string): string[] {
  const out = [stem, `${stem}s`, `${stem}es`]
  if (/[^aeiou]y$/.test(stem)) out.push(`${stem.slice(0, -1)}ies`)
  return out
}

/**
 * Columns named like a reference to another table (`<table>_id`, `<singular>_id` for a table named
 * in the plural, or `<role>_<table>_id` such as `manager_staff_id`; the longest table name wins)
 * that no foreign key covers.
 */
export function impliedRelations(s: Schema): ImpliedRelation[] {
  const names = s.tables.map((t) => t.name).sort((a, b) => b.length - a.length || (a < b ? -1 : 1))
  const out: ImpliedRelation[] = []
  for (const t of s.tables) for (const c of t.columns) {
    if (!c.name.endsWith('_id') || t.foreignKeys.some((f) => f.columns.includes(c.name))) continue
    const stem = c.name.slice(0, -3)
    const forms = tableNamesFor(stem)
    const ref = forms.find((v) => names.includes(v)) ?? names.find((n) => forms.some((v) => v.endsWith(`_${n}`)))
    if (!ref || ref === t.name) continue
    out.push({ table: t.name, column: c.name, refTable: ref })
  }
  return out
}
