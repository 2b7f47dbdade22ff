// Write the generated files: each to a temporary name beside it, renamed on success, so a failed
// run never leaves a half-written page.
import fs from 'node:fs'
import path from 'node:path'
import { schemaMarkdown, type ColumnAttr } from './markdown.ts'
import { schemaMermaid } from './mermaid.ts'
import { schemaJson, type Schema } from './model.ts'

export function schemaDocFiles(s: Schema, attrs: readonly ColumnAttr[]): Record<string, string> {
  return { 'schema.json': schemaJson(s), 'schema.md': schemaMarkdown(s, attrs), 'schema.mmd': schemaMermaid(s) }
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
