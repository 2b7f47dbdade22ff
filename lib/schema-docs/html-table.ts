// One table's section of index.html: size, engine, comment, its neighbourhood diagram, columns (the
// chosen attributes), primary key, indexes, foreign keys both ways, implied relations, checks,
// triggers, partitioning.
import { columnCell, type ColumnAttr } from './markdown.ts'
import type { ForeignKey, Schema, Table } from './model.ts'
import { fkCardinality, type ImpliedRelation } from './relations.ts'
import { h, humanBytes, linker, svgBody } from './html-util.ts'

export interface TableContext {
  attrs: readonly ColumnAttr[]
  /** the tables referencing each table */
  refBy: Map<string, { table: string; fk: ForeignKey }[]>
  implied: ImpliedRelation[]
  /** each table's neighbourhood diagram, SVG */
  neighbourhood: Map<string, string>
}

const list = (title: string, items: string[]) => items.length ? `<h4>${title}</h4><ul>${items.map((i) => `<li>${i}</li>`).join('')}</ul>` : ''
const cols = (c: string[]) => `(${h(c.join(', '))})`

export function tableSection(s: Schema, t: Table, x: TableContext): string {
  const link = linker(s)
  const o: string[] = [`<section class="table" id="table-${h(t.name)}"><h3>${h(t.name)}</h3>`,
    `<p class="meta">${t.rows} rows (estimate), ${humanBytes(t.bytes)}, engine ${h(t.engine || '-')}${t.comment ? ` &middot; <span class="comment">${h(t.comment)}</span>` : ''}</p>`]
  const svg = x.neighbourhood.get(t.name)
  if (svg) o.push(`<details class="neighbourhood" open><summary>Neighbourhood diagram</summary><div class="diagram">${svgBody(svg)}</div></details>`)
  o.push(`<table class="cols"><thead><tr>${x.attrs.map((a) => `<th>${a}</th>`).join('')}</tr></thead><tbody>`)
  for (const c of t.columns) o.push(`<tr>${x.attrs.map((a) => `<td>${h(columnCell(c, a))}</td>`).join('')}</tr>`)
  o.push('</tbody></table>', `<p>Primary key: ${t.primaryKey.length ? cols(t.primaryKey) : '<strong>none</strong>'}</p>`)
  o.push(list('Indexes', t.indexes.map((i) => `${h(i.name)}${i.unique ? ' (unique)' : ''} ${h(i.kind)} ${cols(i.columns)}`)))
  o.push(list('References', t.foreignKeys.map((f) =>
    `${h(f.name)}: ${cols(f.columns)} &rarr; ${link.table(f.refTable)} ${cols(f.refColumns)}, ${fkCardinality(t, f).label}, ON DELETE ${h(f.onDelete)} ON UPDATE ${h(f.onUpdate)}`)))
  o.push(list('Referenced by', (x.refBy.get(t.name) ?? []).map((r) =>
    `${link.table(r.table)} ${cols(r.fk.columns)} via ${h(r.fk.name)}, ${fkCardinality(s.tables.find((c) => c.name === r.table)!, r.fk).label}`)))
  o.push(list('Implied relations (a <code>*_id</code> column, no foreign key)', x.implied
    .filter((r) => r.table === t.name || r.refTable === t.name)
    .map((r) => `${link.table(r.table)}.${h(r.column)} &rarr; ${link.table(r.refTable)} <em>implied</em>`)))
  o.push(list('Checks', t.checks.map((c) => `${h(c.name)}: <code>${h(c.clause)}</code>`)))
  o.push(list('Triggers', t.triggers.map((n) => `<a href="#trigger-${h(n)}">${h(n)}</a>`)))
  if (t.partitioning) o.push(`<h4>Partitioning</h4><p>${h(t.partitioning)}</p>`)
  o.push('</section>')
  return o.filter(Boolean).join('\n')
}
