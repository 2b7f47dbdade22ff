// Implied relations: a column named like a reference (`<table>_id`, or `<singular>_id` for a table
// named in the plural: user_id -> users, category_id -> categories) to an existing table, with no
// foreign key on it. The diagram draws them dashed; schema_lint reports them.
import type { Schema } from './model.ts'

export interface ImpliedRelation { table: string; column: string; refTable: string }

/** The table names a `<stem>_id` column may point at, the stem itself first. */
export function tableNamesFor(stem: string): string[] {
  const out = [stem, `${stem}s`, `${stem}es`]
  if (/[^aeiou]y$/.test(stem)) out.push(`${stem.slice(0, -1)}ies`)
  return out
}

export function impliedRelations(s: Schema): ImpliedRelation[] {
  const names = new Set(s.tables.map((t) => t.name))
  const out: ImpliedRelation[] = []
  for (const t of s.tables) for (const c of t.columns) {
    const m = /^(.+)_id$/.exec(c.name)
    const refTable = m ? tableNamesFor(m[1]).find((n) => names.has(n)) : undefined
    if (!refTable || refTable === t.name) continue
    if (t.foreignKeys.some((f) => f.columns.includes(c.name))) continue
    out.push({ table: t.name, column: c.name, refTable })
  }
  return out
}
