// The ER diagram: Graphviz DOT built from the model, rendered to SVG in-process by @viz-js/viz
// (Graphviz compiled to WASM: no system package, no network). Each box links to its table's
// section; each foreign key is one edge; a `*_id` column without a constraint is a dashed edge.
import { instance } from '@viz-js/viz'
import { impliedRelations } from './implied.ts'
import type { Schema } from './model.ts'

const q = (s: string) => `"${s.replace(/["\\]/g, '\\$&')}"`
const h = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

export function schemaDot(s: Schema): string {
  const lines = ['digraph schema {', '  rankdir=LR; node [shape=plaintext, fontname="Helvetica", fontsize=10]; edge [fontname="Helvetica", fontsize=8];']
  for (const t of s.tables) {
    const rows = t.columns.map((c) => `<tr><td align="left" port=${q(c.name)}>${t.primaryKey.includes(c.name) ? '<b>' + h(c.name) + '</b>' : h(c.name)}</td><td align="left"><font color="#555555">${h(c.type)}</font></td></tr>`).join('')
    lines.push(`  ${q(t.name)} [id=${q('box-' + t.name)}, class="table", href=${q('#table-' + t.name)}, label=<<table border="0" cellborder="1" cellspacing="0"><tr><td colspan="2" bgcolor="#dde8f5"><b>${h(t.name)}</b></td></tr>${rows}</table>>];`)
  }
  for (const t of s.tables) for (const f of t.foreignKeys) {
    const optional = f.columns.some((n) => t.columns.find((c) => c.name === n)?.nullable)
    lines.push(`  ${q(t.name)} -> ${q(f.refTable)} [id=${q('fk-' + t.name + '-' + f.name)}, class="fk", label=${q(f.name + (optional ? ' (0..1)' : ' (1)') + ' n:1')}];`)
  }
  for (const r of impliedRelations(s)) lines.push(`  ${q(r.table)} -> ${q(r.refTable)} [id=${q('implied-' + r.table + '-' + r.column)}, class="implied", style=dashed, label=${q('implied: ' + r.column)}];`)
  lines.push('}')
  return lines.join('\n') + '\n'
}

export async function renderSvg(dot: string): Promise<string> {
  const viz = await instance()
  return viz.renderString(dot, { format: 'svg' })
}
