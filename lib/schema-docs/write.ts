// Write the generated files: each to a temporary name beside it, renamed on success, so a failed
// run never leaves a half-written page.
import fs from 'node:fs'
import path from 'node:path'
import { neighbourhoodDot, renderer, schemaDot } from './diagram.ts'
import { schemaHtml } from './html.ts'
import { schemaMarkdown, type ColumnAttr } from './markdown.ts'
import { schemaMermaid } from './mermaid.ts'
import { schemaJson, type Schema } from './model.ts'

export async function schemaDocFiles(s: Schema, attrs: readonly ColumnAttr[]): Promise<Record<string, string>> {
  // the diagram shows the schema only; the page adds row counts and sizes, so it changes with the data
  const viz = await renderer()
  const svg = viz.svg(schemaDot(s))
  const neighbourhood = new Map(s.tables.map((t) => [t.name, viz.svg(neighbourhoodDot(s, t.name))]))
  return { 'schema.json': schemaJson(s), 'schema.md': schemaMarkdown(s, attrs), 'schema.mmd': schemaMermaid(s), 'schema.svg': svg,
    'index.html': schemaHtml(s, attrs, { all: svg, neighbourhood }) }
}

export function writeDocFiles(dir: string, files: Record<string, string>): string[] {
  fs.mkdirSync(dir, { recursive: true })
  const written: string[] = []
  for (const [name, text] of Object.entries(files)) {
    const dest = path.join(dir, name)
    const tmp = `${dest}.tmp-${process.pid}`
    fs.writeFileSync(tmp, text)
    fs.renameSync(tmp, dest)
    written.push(dest)
  }
  return written
}
