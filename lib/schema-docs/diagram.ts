// The ER diagrams: Graphviz DOT built from the model, rendered to SVG in-process by @viz-js/viz
// (Graphviz compiled to WASM: no system package, no network). The whole database, and per table its
// neighbourhood (the tables it references and those referencing it). Each box links to its table's
// section; each foreign key is one edge with its cardinality (crow's-foot ends and a label); a
// `*_id` column without a constraint is a dashed edge labelled "implied".
import { instance } from '@viz-js/viz'
import type { Schema, Table } from './model.ts'
import { fkCardinality, impliedRelations } from './relations.ts'

const q = (s: string) => `"${s.replace(/["\\]/g, '\\$&')}"`
const h = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

interface DiagramOpts {
  /** the graph's id, and the prefix of every node's and edge's id (unique in a page holding several diagrams) */
  id: string
  prefix: string
  /** tables drawn with their columns; the others are drawn as a name only */
  detailed: (t: Table) => boolean
  /** which tables are drawn */
  include: (name: string) => boolean
  /** which relations between drawn tables are drawn (child table, parent table) */
  edge: (from: string, to: string) => boolean
}

function box(t: Table, o: DiagramOpts): string {
  const head = `<tr><td colspan="2" bgcolor="#dde8f5"><b>${h(t.name)}</b></td></tr>`
  const rows = o.detailed(t) ? t.columns.map((c) => {
    const name = t.primaryKey.includes(c.name) ? `<b>${h(c.name)}</b>` : h(c.name)
    // edges enter a row at its left cell and leave it from its right one
    return `<tr><td align="left" port=${q(`in-${c.name}`)}>${name}</td><td align="left" port=${q(`out-${c.name}`)}><font color="#555555">${h(c.type)}</font></td></tr>`
  }).join('') : ''
  const label = `<<table border="0" cellborder="1" cellspacing="0" cellpadding="3">${head}${rows}</table>>`
  return `  ${q(t.name)} [id=${q(`${o.prefix}box-${t.name}`)}, class="table", href=${q(`#table-${t.name}`)}, tooltip=${q(`table ${t.name}`)}, label=${label}];`
}

/**
 * The end of an edge: a column's row when that box shows its columns, else the box. Left to right,
 * a referencing table sits left of the one it references: an edge leaves a row on its east side and
 * enters one on its west side.
 */
function end(t: Table | undefined, column: string | undefined, o: DiagramOpts, name: string, side: 'e' | 'w'): string {
  return t && column && o.detailed(t) && t.columns.some((c) => c.name === column) ? `${q(name)}:${q(`${side === 'e' ? 'out' : 'in'}-${column}`)}:${side}` : q(name)
}

function erDot(s: Schema, o: DiagramOpts): string {
  const byName = new Map(s.tables.map((t) => [t.name, t]))
  const lines = [`digraph ${q(o.id)} {`, `  id=${q(o.id)}; rankdir=LR; bgcolor="transparent"; ranksep=0.6; nodesep=0.25;`,
    '  node [shape=plaintext, fontname="Helvetica", fontsize=10]; edge [fontname="Helvetica", fontsize=8, color="#44546a", dir=both];']
  for (const t of s.tables) if (o.include(t.name)) lines.push(box(t, o))
  for (const t of s.tables) for (const f of t.foreignKeys) {
    if (!o.include(t.name) || !o.include(f.refTable) || !o.edge(t.name, f.refTable)) continue
    const c = fkCardinality(t, f)
    // edge from child to parent: the tail (child) end is many or at most one, the head (parent) end one or zero-or-one
    const attrs = [`id=${q(`${o.prefix}fk-${t.name}-${f.name}`)}`, 'class="fk"', `label=${q(c.label)}`,
      `arrowtail=${c.unique ? 'teeodot' : 'crowodot'}`, `arrowhead=${c.optional ? 'teeodot' : 'teetee'}`,
      `tooltip=${q(`${f.name}: ${t.name}(${f.columns.join(', ')}) -> ${f.refTable}(${f.refColumns.join(', ')}), ${c.label}`)}`]
    lines.push(`  ${end(t, f.columns[0], o, t.name, 'e')} -> ${end(byName.get(f.refTable), f.refColumns[0], o, f.refTable, 'w')} [${attrs.join(', ')}];`)
  }
  for (const r of impliedRelations(s)) {
    if (!o.include(r.table) || !o.include(r.refTable) || !o.edge(r.table, r.refTable)) continue
    const attrs = [`id=${q(`${o.prefix}implied-${r.table}-${r.column}`)}`, 'class="implied"', 'style=dashed', 'color="#b0641c"', 'fontcolor="#b0641c"',
      `label=${q(`implied: ${r.column}`)}`, 'arrowtail=none', 'arrowhead=open',
      `tooltip=${q(`implied (no foreign key): ${r.table}.${r.column} -> ${r.refTable}`)}`]
    lines.push(`  ${end(byName.get(r.table), r.column, o, r.table, 'e')} -> ${q(r.refTable)} [${attrs.join(', ')}];`)
  }
  lines.push('}')
  return lines.join('\n') + '\n'
}

/** The whole database: every table with its columns. */
export function schemaDot(s: Schema): string {
  // a foreign key to a table left out by --tables is not drawn (it would be a box without a section)
  const names = new Set(s.tables.map((t) => t.name))
  return erDot(s, { id: 'er-all', prefix: '', detailed: () => true, include: (n) => names.has(n), edge: () => true })
}

/** The tables `table` references or is referenced by (constraints and implied relations), with it. */
export function neighbours(s: Schema, table: string): Set<string> {
  const set = new Set([table])
  const names = new Set(s.tables.map((t) => t.name))
  for (const t of s.tables) for (const f of t.foreignKeys) {
    if (t.name === table) set.add(f.refTable)
    if (f.refTable === table) set.add(t.name)
  }
  for (const r of impliedRelations(s)) {
    if (r.table === table) set.add(r.refTable)
    if (r.refTable === table) set.add(r.table)
  }
  return new Set([...set].filter((n) => names.has(n)))
}

/** One table's neighbourhood: it with its columns, its neighbours as names, the edges among them that touch it. */
export function neighbourhoodDot(s: Schema, table: string): string {
  const near = neighbours(s, table)
  // edges between two neighbours would be noise here: only those touching `table`
  return erDot(s, { id: `er-table-${table}`, prefix: `n-${table}-`, detailed: (t) => t.name === table, include: (n) => near.has(n),
    edge: (from, to) => from === table || to === table })
}

export interface Renderer { svg(dot: string): string }

/** One Graphviz instance for every diagram of a run. */
export async function renderer(): Promise<Renderer> {
  const viz = await instance()
  return { svg: (dot) => viz.renderString(dot, { format: 'svg' }) }
}

export async function renderSvg(dot: string): Promise<string> {
  return (await renderer()).svg(dot)
}
