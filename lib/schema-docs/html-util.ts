// Small helpers shared by the page's parts (html.ts, html-table.ts, html-objects.ts).
import type { Schema } from './model.ts'

export const h = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

/** An SVG document from Graphviz without its XML prolog, doctype and comments: ready to inline in HTML. */
export const svgBody = (svg: string) => svg.replace(/^[\s\S]*?(<svg)/, '$1').replace(/<!--[\s\S]*?-->\n?/g, '').trimEnd()

/** Bytes for people, the same on every machine (no locale): `2.7 MiB`. */
export function humanBytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB']
  let v = n
  let u = 0
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u++ }
  return u === 0 ? `${n} bytes` : `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[u]}`
}

/**
 * Links to a table's or a view's section; a name the page has no section for (left out by
 * --tables) is plain text, so no link on the page points nowhere.
 */
export function linker(s: Schema): { table(name: string): string; relation(name: string): string } {
  const tables = new Set(s.tables.map((t) => t.name))
  const views = new Set(s.views.map((v) => v.name))
  const table = (n: string) => tables.has(n) ? `<a href="#table-${h(n)}">${h(n)}</a>` : `${h(n)} <small>(not documented here)</small>`
  return { table, relation: (n) => views.has(n) ? `<a href="#view-${h(n)}">${h(n)}</a>` : table(n) }
}
