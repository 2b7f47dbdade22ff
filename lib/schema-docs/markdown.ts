// schema.md: the schema as Markdown, for git diffs and code hosts. Row counts and sizes are left
// out so the file changes only when the schema does.
import { referencedBy, type Column, type Schema } from './model.ts'

export const COLUMN_ATTRS = ['field', 'type', 'default', 'null', 'key', 'extra', 'comment'] as const
export type ColumnAttr = typeof COLUMN_ATTRS[number]

export function columnCell(c: Column, a: ColumnAttr): string {
  const v = a === 'field' ? c.name : a === 'type' ? c.type : a === 'default' ? (c.default ?? '') : a === 'null' ? (c.nullable ? 'YES' : 'NO')
    : a === 'key' ? c.key : a === 'extra' ? [c.extra, c.generated ? `AS (${c.generated})` : ''].filter(Boolean).join(' ') : c.comment
  return v
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ')
const anchor = (kind: string, name: string) => `${kind}-${name.toLowerCase().replace(/[^a-z0-9_]+/g, '-')}`

export function schemaMarkdown(s: Schema, attrs: readonly ColumnAttr[] = COLUMN_ATTRS): string {
  const refBy = referencedBy(s)
  const out: string[] = [`# Schema of \`${s.database}\` (${s.engine})`, '']
  out.push(`${s.tables.length} tables, ${s.views.length} views, ${s.routines.length} routines, ${s.triggers.length} triggers, ${s.events.length} events, ${s.sequences.length} sequences.`, '')
  out.push('## Tables', '')
  for (const t of s.tables) {
    out.push(`### ${t.name}`, '', `<a id="${anchor('table', t.name)}"></a>`, '')
    if (t.comment) out.push(t.comment, '')
    out.push(`Engine: ${t.engine || '-'}. Primary key: ${t.primaryKey.length ? t.primaryKey.join(', ') : '**none**'}.`, '')
    out.push(`| ${attrs.join(' | ')} |`, `|${attrs.map(() => '---').join('|')}|`)
    for (const c of t.columns) out.push(`| ${attrs.map((a) => cell(columnCell(c, a))).join(' | ')} |`)
    out.push('')
    if (t.indexes.length) {
      out.push('Indexes:', '')
      for (const i of t.indexes) out.push(`- ${i.name}${i.unique ? ' (unique)' : ''}${i.kind !== 'BTREE' ? ` ${i.kind}` : ''}: ${i.columns.join(', ')}`)
      out.push('')
    }
    if (t.foreignKeys.length) {
      out.push('References:', '')
      for (const f of t.foreignKeys) out.push(`- ${f.name}: (${f.columns.join(', ')}) -> [${f.refTable}](#${anchor('table', f.refTable)}) (${f.refColumns.join(', ')}) ON DELETE ${f.onDelete} ON UPDATE ${f.onUpdate}`)
      out.push('')
    }
    const rb = (refBy.get(t.name) ?? []).slice().sort((a, b) => (a.table + a.fk.name < b.table + b.fk.name ? -1 : 1))
    if (rb.length) {
      out.push('Referenced by:', '')
      for (const r of rb) out.push(`- [${r.table}](#${anchor('table', r.table)}) (${r.fk.columns.join(', ')}) via ${r.fk.name}`)
      out.push('')
    }
    if (t.checks.length) { out.push('Checks:', ''); for (const c of t.checks) out.push(`- ${c.name}: \`${cell(c.clause)}\``); out.push('') }
    if (t.triggers.length) out.push(`Triggers: ${t.triggers.join(', ')}`, '')
    if (t.partitioning) out.push(`Partitioning: ${t.partitioning}`, '')
  }
  if (s.views.length) {
    out.push('## Views', '')
    for (const v of s.views) out.push(`### ${v.name}${v.materialized ? ' (materialized)' : ''}`, '', `Reads: ${v.reads.join(', ') || '-'}`, '', '```sql', v.definition, '```', '')
  }
  for (const [title, list] of [['Routines', s.routines.map((r) => `${r.name} (${r.type})`)], ['Triggers', s.triggers.map((t) => `${t.name}: ${t.timing} ${t.event} ON ${t.table}`)],
    ['Events', s.events.map((e) => `${e.name}: ${e.schedule} (${e.status})`)], ['Sequences', s.sequences]] as const) {
    if (list.length) out.push(`## ${title}`, '', ...list.map((l) => `- ${l}`), '')
  }
  return out.join('\n').replace(/\n+$/, '\n')
}
