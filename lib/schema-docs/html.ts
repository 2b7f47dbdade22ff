// index.html: one self-contained page (inline CSS and SVG, no script, no network) that works
// from file://. Every table with rows, size, engine, comment, columns, keys, relations both ways.
import { columnCell, type ColumnAttr } from './markdown.ts'
import { referencedBy, type Schema } from './model.ts'

const h = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
const link = (t: string) => `<a href="#table-${h(t)}">${h(t)}</a>`

export function schemaHtml(s: Schema, attrs: readonly ColumnAttr[], svg: string): string {
  const refBy = referencedBy(s)
  // a table's section, else a view's (a view reads views; PostgreSQL's INSTEAD OF triggers are on views)
  const relLink = (n: string) => s.tables.some((t) => t.name === n) ? link(n) : `<a href="#view-${h(n)}">${h(n)}</a>`
  const o: string[] = [`<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Schema of ${h(s.database)}</title>`,
    '<style>body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}table.cols{border-collapse:collapse}table.cols td,table.cols th{border:1px solid #ccc;padding:2px 6px;text-align:left}',
    'section{margin-bottom:2em}pre{background:#f6f6f6;padding:.5em;white-space:pre-wrap}.diagram{overflow:auto;border:1px solid #ddd}</style></head><body>',
    `<h1>Schema of <code>${h(s.database)}</code> (${h(s.engine)})</h1>`,
    `<nav><p>Tables: ${s.tables.map((t) => link(t.name)).join(', ')}</p>${s.views.length ? `<p>Views: ${s.views.map((v) => `<a href="#view-${h(v.name)}">${h(v.name)}</a>`).join(', ')}</p>` : ''}</nav>`,
    '<h2 id="diagram">ER diagram</h2>', `<div class="diagram">${svg.replace(/^[\s\S]*?(<svg)/, '$1')}</div>`, '<h2>Tables</h2>']
  for (const t of s.tables) {
    o.push(`<section id="table-${h(t.name)}"><h3>${h(t.name)}</h3><p>${t.rows} rows (estimate), ${t.bytes} bytes, engine ${h(t.engine || '-')}${t.comment ? `. ${h(t.comment)}` : ''}</p>`)
    o.push(`<table class="cols"><tr>${attrs.map((a) => `<th>${a}</th>`).join('')}</tr>`)
    for (const c of t.columns) o.push(`<tr>${attrs.map((a) => `<td>${h(columnCell(c, a))}</td>`).join('')}</tr>`)
    o.push('</table>', `<p>Primary key: ${t.primaryKey.length ? h(t.primaryKey.join(', ')) : '<strong>none</strong>'}</p>`)
    if (t.indexes.length) o.push(`<p>Indexes:</p><ul>${t.indexes.map((i) => `<li>${h(i.name)}${i.unique ? ' (unique)' : ''} ${h(i.kind)}: ${h(i.columns.join(', '))}</li>`).join('')}</ul>`)
    if (t.foreignKeys.length) o.push(`<p>References:</p><ul>${t.foreignKeys.map((f) => `<li>${h(f.name)}: (${h(f.columns.join(', '))}) → ${link(f.refTable)} (${h(f.refColumns.join(', '))}) ON DELETE ${h(f.onDelete)} ON UPDATE ${h(f.onUpdate)}</li>`).join('')}</ul>`)
    const rb = refBy.get(t.name) ?? []
    if (rb.length) o.push(`<p>Referenced by:</p><ul>${rb.map((r) => `<li>${link(r.table)} (${h(r.fk.columns.join(', '))}) via ${h(r.fk.name)}</li>`).join('')}</ul>`)
    if (t.checks.length) o.push(`<p>Checks:</p><ul>${t.checks.map((c) => `<li>${h(c.name)}: <code>${h(c.clause)}</code></li>`).join('')}</ul>`)
    if (t.triggers.length) o.push(`<p>Triggers: ${h(t.triggers.join(', '))}</p>`)
    if (t.partitioning) o.push(`<p>Partitioning: ${h(t.partitioning)}</p>`)
    o.push('</section>')
  }
  if (s.views.length) o.push('<h2>Views</h2>', ...s.views.map((v) => `<section id="view-${h(v.name)}"><h3>${h(v.name)}${v.materialized ? ' (materialized)' : ''}</h3><p>Reads: ${v.reads.map(relLink).join(', ') || '-'}</p><pre>${h(v.definition)}</pre></section>`))
  if (s.routines.length) o.push('<h2>Routines</h2>', ...s.routines.map((r) => `<section id="routine-${h(r.name)}"><h3>${h(r.name)} (${h(r.type)})</h3><pre>${h(r.definition)}</pre></section>`))
  if (s.triggers.length) o.push('<h2>Triggers</h2><ul>', ...s.triggers.map((t) => `<li id="trigger-${h(t.name)}">${h(t.name)}: ${h(t.timing)} ${h(t.event)} ON ${relLink(t.table)}</li>`), '</ul>')
  if (s.events.length) o.push('<h2>Events</h2><ul>', ...s.events.map((e) => `<li>${h(e.name)}: ${h(e.schedule)} (${h(e.status)})</li>`), '</ul>')
  if (s.sequences.length) o.push('<h2>Sequences</h2><ul>', ...s.sequences.map((q) => `<li>${h(q)}</li>`), '</ul>')
  o.push('</body></html>')
  return o.join('\n') + '\n'
}
