// index.html: one self-contained page (inline CSS and SVG, no script, no network) that works from
// file://: an overview of every table (rows, size, engine, comment), the whole-database ER diagram,
// each table's section (html-table.ts), then views, routines, triggers, events, sequences.
import type { ColumnAttr } from './markdown.ts'
import { referencedBy, type Schema } from './model.ts'
import { impliedRelations } from './relations.ts'
import { h, humanBytes, svgBody } from './html-util.ts'
import { objectSections } from './html-objects.ts'
import { tableSection } from './html-table.ts'

export interface Diagrams {
  /** the whole database */
  all: string
  /** per table, its neighbourhood */
  neighbourhood: Map<string, string>
}

const CSS = `body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#222;background:#fff}
header{background:#24344d;color:#fff;padding:1em 2em}header h1{margin:0;font-size:1.5em}header p{margin:.3em 0 0;color:#cfd8e6}
main{padding:0 2em 2em}nav.toc{margin:1em 0}nav.toc a{margin-right:.6em}
table.cols,table.overview{border-collapse:collapse;margin:.5em 0}table.cols td,table.cols th,table.overview td,table.overview th{border:1px solid #ccd;padding:2px 8px;text-align:left;vertical-align:top}
th{background:#eef2f8}td.num{text-align:right;font-variant-numeric:tabular-nums}
section{margin:1.5em 0;padding-top:.5em;border-top:1px solid #e4e8ee}section h3{margin:.2em 0}p.meta{color:#555;margin:.2em 0}
h4{margin:.8em 0 .2em}ul{margin:.2em 0}pre{background:#f6f7f9;padding:.5em;white-space:pre-wrap;font-size:12px}
.diagram{overflow:auto;border:1px solid #dde;background:#fbfcfe;padding:4px}.diagram svg{max-width:100%;height:auto;display:block}
details.neighbourhood .diagram{max-width:60em}.legend{color:#555;font-size:12px}:target{background:#fff8d6}
`

export function schemaHtml(s: Schema, attrs: readonly ColumnAttr[], diagrams: Diagrams): string {
  const refBy = referencedBy(s)
  const implied = impliedRelations(s)
  const fks = s.tables.reduce((n, t) => n + t.foreignKeys.length, 0)
  const sections = [['diagram', 'ER diagram'], ['tables', 'Tables'], ...(s.views.length ? [['views', 'Views']] : []),
    ...(s.routines.length ? [['routines', 'Routines']] : []), ...(s.triggers.length ? [['triggers', 'Triggers']] : []),
    ...(s.events.length ? [['events', 'Events']] : []), ...(s.sequences.length ? [['sequences', 'Sequences']] : [])]
  const o: string[] = [`<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">`,
    `<title>Schema of ${h(s.database)}</title><style>${CSS}</style></head><body>`,
    `<header><h1>Schema of <code>${h(s.database)}</code></h1><p>${h(s.engine)} &middot; ${s.tables.length} tables, ${fks} foreign keys, ${implied.length} implied relations, ${s.views.length} views, ${s.routines.length} routines, ${s.triggers.length} triggers, ${s.events.length} events, ${s.sequences.length} sequences</p></header><main>`,
    `<nav class="toc">${sections.map(([id, title]) => `<a href="#${id}">${title}</a>`).join('')}</nav>`,
    '<h2 id="diagram">ER diagram</h2>',
    `<p class="legend">One box per table (click it for its section), one solid edge per foreign key from the referencing table to the referenced one, with its cardinality (referencing:referenced, <code>n:1</code>, <code>n:0..1</code> when the columns may be NULL, <code>1:1</code> when they are unique) and crow's-foot ends; dashed orange edges are <em>implied</em> relations: a <code>*_id</code> column with no foreign key.</p>`,
    `<div class="diagram" id="diagram-all">${svgBody(diagrams.all)}</div>`,
    '<h2 id="tables">Tables</h2><table class="overview"><thead><tr><th>table</th><th>rows (estimate)</th><th>size</th><th>engine</th><th>comment</th></tr></thead><tbody>',
    ...s.tables.map((t) => `<tr><td><a href="#table-${h(t.name)}">${h(t.name)}</a></td><td class="num">${t.rows}</td><td class="num">${humanBytes(t.bytes)}</td><td>${h(t.engine || '-')}</td><td>${h(t.comment)}</td></tr>`),
    '</tbody></table>',
    '<h2 id="tables-each">Each table</h2>']
  for (const t of s.tables) o.push(tableSection(s, t, { attrs, refBy, implied, neighbourhood: diagrams.neighbourhood }))
  o.push(...objectSections(s), '</main></body></html>')
  return o.join('\n') + '\n'
}
