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
    // the first table (by name) whose parents all exist; when none, the first one on a cycle, which
    // frees the cycle (a table merely waiting on one goes after it)
    const next = names.find((n) => !done.has(n) && deps.get(n)!.every((d) => done.has(d)))
      ?? names.find((n) => !done.has(n) && onCycle(n, deps, done)) ?? names.find((n) => !done.has(n))!
    done.add(next)
    out.push(byName.get(next)!)
  }
  return out
}

/** Whether `start` reaches itself through references to tables not created yet. */
function onCycle(start: string, deps: Map<string, string[]>, done: Set<string>): boolean {
  const seen = new Set<string>()
  const stack = deps.get(start)!.filter((d) => !done.has(d))
  while (stack.length) {
    const n = stack.pop()!
    if (n === start) return true
    if (seen.has(n)) continue
    seen.add(n)
    stack.push(...deps.get(n)!.filter((d) => !done.has(d)))
  }
  return false
}
