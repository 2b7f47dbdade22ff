// --tables and --columns: narrow the model, refusing names that do not exist (exit 2, with the names available).
import { UserError } from '../errors.ts'
import { COLUMN_ATTRS, type ColumnAttr } from './markdown.ts'
import type { Schema } from './model.ts'

export function splitList(v: string | undefined): string[] | null {
  return v ? v.split(',').map((x) => x.trim()).filter(Boolean) : null
}

export function selectTables(s: Schema, names: string[] | null, usage: string): Schema {
  if (!names) return s
  const have = s.tables.map((t) => t.name)
  const missing = names.filter((n) => !have.includes(n))
  if (missing.length) throw new UserError(`no table ${missing.join(', ')} in ${s.database}; the tables are: ${have.join(', ')}`, { hint: usage })
  const keep = new Set(names)
  return { ...s, tables: s.tables.filter((t) => keep.has(t.name)), triggers: s.triggers.filter((t) => keep.has(t.table)) }
}

export function selectColumns(names: string[] | null, usage: string): ColumnAttr[] {
  if (!names) return [...COLUMN_ATTRS]
  const bad = names.filter((n) => !(COLUMN_ATTRS as readonly string[]).includes(n))
  if (bad.length) throw new UserError(`unknown column attribute ${bad.join(', ')}; the attributes are: ${COLUMN_ATTRS.join(', ')}`, { hint: usage })
  return names as ColumnAttr[]
}
