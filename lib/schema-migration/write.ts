// Where a generated migration goes and how it lands: `<UTC YYYYMMDDHHMMSS>_schema.js|.cjs` in the
// Knex folder, `<...>_baseline.sql` in MIGRATIONS_DIR; a version already taken moves on by a
// second; written to a temporary name, then renamed.
import fs from 'node:fs'
import path from 'node:path'
import { versionAt } from '../migrate/files.ts'

/** A free `<version>_<name><ext>` in `dir` (created if missing). */
export function migrationPath(dir: string, name: string, ext: string, now = new Date()): string {
  fs.mkdirSync(dir, { recursive: true })
  const taken = new Set(fs.readdirSync(dir).map((f) => f.split('_')[0]))
  let t = now.getTime()
  while (taken.has(versionAt(new Date(t)))) t += 1000
  return path.join(dir, `${versionAt(new Date(t))}_${name}${ext}`)
}

export function writeAtomically(file: string, text: string): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.tmp-${process.pid}`)
  try {
    fs.writeFileSync(tmp, text, { flag: 'wx' })
    fs.renameSync(tmp, file)
  } finally {
    fs.rmSync(tmp, { force: true })
  }
}
