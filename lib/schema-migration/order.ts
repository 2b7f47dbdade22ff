// The order tables are created in: each after the tables its foreign keys reference, so the file
// reads parents first. Foreign keys are added only once every table exists, so a cycle (or a table
// referencing itself) never blocks creation; the members of a cycle keep name order.
import { compareNames } from '../snapshot/schema-text.ts'

export function dependencyOrder<T extends { name: string; references: string[] }>(tables: T[]): T[] {
  const byName = new Map(tables.map((t) => [t.name, t]))
  const names = [...byName.keys()].sort(compareNames)
  const deps = new Map(tables.map((t) => [t.name, [...new Set(t.references)].filter((r) => r !== t.name && byName.has(r))]))
  const done = new Set<string>()
  const out: T[] = []
  while (out.length < tables.length) {
    // the first table (by name) whose parents all exist; in a cycle, the first one left
    const next = names.find((n) => !done.has(n) && deps.get(n)!.every((d) => done.has(d))) ?? names.find((n) => !done.has(n))!
    done.add(next)
    out.push(byName.get(next)!)
  }
  return out
}
