// schema_diff: what changed between two schema models (engine-neutral). `before` is what the
// database is compared against (a committed schema.json, a snapshot), `after` the live one. Row
// counts and sizes are never compared; nor is the database's name (a copy under another name is
// the same schema), which is also taken out of definitions that qualify names with it.
import { rewriteDatabase } from '../snapshot/schema-text.ts'
import type { Column, ForeignKey, Index, Schema, Table } from './model.ts'

export type ChangeKind = 'schema' | 'table' | 'column' | 'primary key' | 'index' | 'foreign key' | 'check' | 'view' | 'routine' | 'trigger' | 'event' | 'sequence'
export interface Change { change: 'added' | 'removed' | 'changed'; kind: ChangeKind; name: string; detail: string }

const show = (v: unknown) => (v === null || v === undefined ? 'NULL' : Array.isArray(v) ? `(${v.join(', ')})` : String(v))

/** `field: a -> b` for every field that differs. */
function fieldChanges<T>(a: T, b: T, fields: (keyof T)[]): string[] {
  return fields.filter((f) => JSON.stringify(a[f]) !== JSON.stringify(b[f])).map((f) => `${String(f)}: ${show(a[f])} -> ${show(b[f])}`)
}

/** Added, removed and changed members of two named lists; `describe` gives an added/removed one's detail. */
function compareNamed<T extends { name: string }>(out: Change[], kind: ChangeKind, prefix: string, a: T[], b: T[],
  fields: (keyof T)[], describe: (x: T) => string): void {
  const before = new Map(a.map((x) => [x.name, x]))
  const after = new Map(b.map((x) => [x.name, x]))
  for (const [name, x] of before) if (!after.has(name)) out.push({ change: 'removed', kind, name: prefix + name, detail: describe(x) })
  for (const [name, y] of after) {
    const x = before.get(name)
    if (!x) { out.push({ change: 'added', kind, name: prefix + name, detail: describe(y) }); continue }
    const d = fieldChanges(x, y, fields)
    if (d.length) out.push({ change: 'changed', kind, name: prefix + name, detail: d.join('; ') })
  }
}

const colDesc = (c: Column) => `${c.type}${c.nullable ? ' NULL' : ' NOT NULL'}${c.default !== null ? ` DEFAULT ${c.default}` : ''}${c.extra ? ` ${c.extra}` : ''}`
const idxDesc = (i: Index) => `${i.unique ? 'unique ' : ''}${i.kind} (${i.columns.join(', ')})`
const fkDesc = (f: ForeignKey) => `(${f.columns.join(', ')}) -> ${f.refTable} (${f.refColumns.join(', ')}) ON DELETE ${f.onDelete} ON UPDATE ${f.onUpdate}`

function compareTable(out: Change[], a: Table, b: Table): void {
  const t = b.name
  const d = fieldChanges(a, b, ['engine', 'comment', 'partitioning'])
  if (d.length) out.push({ change: 'changed', kind: 'table', name: t, detail: d.join('; ') })
  compareNamed(out, 'column', `${t}.`, a.columns, b.columns, ['type', 'nullable', 'default', 'extra', 'generated', 'comment'], colDesc)
  // the same columns in another order: SHOW CREATE TABLE (and SELECT *) differ
  const common = (x: Table, y: Table) => x.columns.map((c) => c.name).filter((n) => y.columns.some((c) => c.name === n))
  const oa = common(a, b)
  const ob = common(b, a)
  if (oa.join('\0') !== ob.join('\0')) out.push({ change: 'changed', kind: 'table', name: t, detail: `column order: ${oa.join(', ')} -> ${ob.join(', ')}` })
  if (a.primaryKey.join('\0') !== b.primaryKey.join('\0')) {
    const change = !a.primaryKey.length ? 'added' : !b.primaryKey.length ? 'removed' : 'changed'
    out.push({ change, kind: 'primary key', name: t, detail: `${show(a.primaryKey.length ? a.primaryKey : null)} -> ${show(b.primaryKey.length ? b.primaryKey : null)}` })
  }
  compareNamed(out, 'index', `${t}.`, a.indexes, b.indexes, ['unique', 'kind', 'columns'], idxDesc)
  compareNamed(out, 'foreign key', `${t}.`, a.foreignKeys, b.foreignKeys, ['columns', 'refTable', 'refColumns', 'onDelete', 'onUpdate'], fkDesc)
  compareNamed(out, 'check', `${t}.`, a.checks, b.checks, ['clause'], (c) => c.clause)
}

/** The model with the database's own name taken out of every definition (`db`.`t`, db.t -> t; strings and comments kept). */
export function withoutDatabaseName(s: Schema): Schema {
  const strip = (v: string) => rewriteDatabase(v, s.database, '')
  return {
    ...s,
    views: s.views.map((v) => ({ ...v, definition: strip(v.definition) })),
    routines: s.routines.map((r) => ({ ...r, definition: strip(r.definition) })),
    triggers: s.triggers.map((x) => ({ ...x, statement: strip(x.statement) })),
    events: s.events.map((e) => ({ ...e, definition: strip(e.definition) })),
  }
}

/** Every difference from `before` to `after`, in a stable order; empty when the schemas are the same. */
export function diffSchemas(before: Schema, after: Schema): Change[] {
  const a = withoutDatabaseName(before)
  const b = withoutDatabaseName(after)
  const out: Change[] = []
  if (a.engine !== b.engine) out.push({ change: 'changed', kind: 'schema', name: '', detail: `engine: ${a.engine} -> ${b.engine}` })
  const tablesA = new Map(a.tables.map((t) => [t.name, t]))
  const tablesB = new Map(b.tables.map((t) => [t.name, t]))
  const tableDesc = (t: Table) => `${t.columns.length} columns: ${t.columns.map((c) => c.name).join(', ')}`
  for (const n of [...new Set([...tablesA.keys(), ...tablesB.keys()])].sort()) {
    const x = tablesA.get(n)
    const y = tablesB.get(n)
    if (x && y) compareTable(out, x, y)
    else out.push({ change: x ? 'removed' : 'added', kind: 'table', name: n, detail: tableDesc((x ?? y)!) })
  }
  compareNamed(out, 'view', '', a.views, b.views, ['definition'], (v) => `reads ${v.reads.join(', ') || '-'}`)
  compareNamed(out, 'routine', '', a.routines, b.routines, ['type', 'definition'], (r) => r.type)
  compareNamed(out, 'trigger', '', a.triggers, b.triggers, ['table', 'timing', 'event', 'statement'], (x) => `${x.timing} ${x.event} ON ${x.table}`)
  compareNamed(out, 'event', '', a.events, b.events, ['schedule', 'status', 'definition'], (e) => e.schedule)
  const seqA = new Set(a.sequences)
  const seqB = new Set(b.sequences)
  for (const q of a.sequences) if (!seqB.has(q)) out.push({ change: 'removed', kind: 'sequence', name: q, detail: '' })
  for (const q of b.sequences) if (!seqA.has(q)) out.push({ change: 'added', kind: 'sequence', name: q, detail: '' })
  return out
}

export const DIFF_HEADERS = ['change', 'kind', 'name', 'detail']
export const diffRows = (changes: Change[]) => changes.map((c) => [c.change, c.kind, c.name, c.detail])
