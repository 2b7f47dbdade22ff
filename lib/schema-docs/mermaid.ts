// schema.mmd: a Mermaid erDiagram of the tables, their columns and foreign keys.
import type { Schema } from './model.ts'
import { fkCardinality } from './relations.ts'

// Mermaid's erDiagram accepts word characters only in names and types
const word = (s: string) => s.replace(/[^A-Za-z0-9_]/g, '_')

export function schemaMermaid(s: Schema): string {
  const out = ['erDiagram']
  for (const t of s.tables) {
    out.push(`  ${word(t.name)} {`)
    for (const c of t.columns) {
      const keys = [t.primaryKey.includes(c.name) && 'PK', t.foreignKeys.some((f) => f.columns.includes(c.name)) && 'FK'].filter(Boolean).join(',')
      out.push(`    ${word(c.type.split('(')[0])} ${word(c.name)}${keys ? ` ${keys}` : ''}`)
    }
    out.push('  }')
  }
  for (const t of s.tables) for (const f of t.foreignKeys) {
    const { optional, unique } = fkCardinality(t, f)
    // parent side: exactly one (or zero-or-one when the child's columns may be NULL); child side: many, or one when unique
    out.push(`  ${word(f.refTable)} ${optional ? '|o' : '||'}--${unique ? 'o|' : 'o{'} ${word(t.name)} : "${f.name}"`)
  }
  return out.join('\n') + '\n'
}
