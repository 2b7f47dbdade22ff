// schema_lint: the anomalies tbls and SchemaSpy report, found in the engine-neutral model (so every
// engine's catalog reader gets them). Each rule has a name; SCHEMA_LINT_ERRORS says which fail the
// run, SCHEMA_LINT_IGNORE which findings are not reported.
import { UserError } from '../errors.ts'
import { impliedRelations } from './relations.ts'
import type { Schema, Table } from './model.ts'

export const LINT_RULES = {
  'no-primary-key': 'table without a primary key',
  'unindexed-foreign-key': 'foreign key whose columns lead no index',
  'nullable-unique': 'nullable column in a unique key',
  'implied-relation': 'column named like a reference (<table>_id) with no foreign key',
  'type-mismatch': 'foreign key column whose type differs from the column it references',
} as const
export type RuleName = keyof typeof LINT_RULES
export const RULE_NAMES = Object.keys(LINT_RULES) as RuleName[]

export interface Finding { rule: RuleName; level: 'error' | 'warning'; table: string; column: string; message: string }
export interface LintPolicy { errors: Set<RuleName>; ignore: { rule: RuleName | '*'; table?: string; column?: string }[] }

type Raw = Omit<Finding, 'level'>

/** Whether the first columns of an index (or the primary key) are exactly `cols`, in any order. */
function leadsIndex(t: Table, cols: string[]): boolean {
  const candidates = [t.primaryKey, ...t.indexes.filter((i) => !/^(FULLTEXT|SPATIAL)$/i.test(i.kind)).map((i) => i.columns)]
  const want = [...cols].sort().join('\0')
  return candidates.some((c) => c.length >= cols.length && [...c.slice(0, cols.length)].sort().join('\0') === want)
}

export function lintRules(s: Schema): Raw[] {
  const out: Raw[] = []
  const byName = new Map(s.tables.map((t) => [t.name, t]))
  for (const t of s.tables) {
    if (!t.primaryKey.length) out.push({ rule: 'no-primary-key', table: t.name, column: '', message: `table ${t.name} has no primary key` })
    for (const f of t.foreignKeys) {
      if (!leadsIndex(t, f.columns)) {
        out.push({ rule: 'unindexed-foreign-key', table: t.name, column: f.columns.join(','), message: `foreign key ${f.name} (${f.columns.join(', ')}) -> ${f.refTable} has no index on its columns: every change to ${f.refTable} scans ${t.name}` })
      }
      const ref = byName.get(f.refTable)
      f.columns.forEach((name, i) => {
        const c = t.columns.find((x) => x.name === name)
        const r = ref?.columns.find((x) => x.name === f.refColumns[i])
        if (c && r && c.type !== r.type) {
          out.push({ rule: 'type-mismatch', table: t.name, column: name, message: `${t.name}.${name} is ${c.type} but references ${f.refTable}.${r.name}, which is ${r.type}` })
        }
      })
    }
    for (const i of t.indexes.filter((x) => x.unique)) for (const name of i.columns) {
      const c = t.columns.find((x) => x.name === name)
      if (c?.nullable) out.push({ rule: 'nullable-unique', table: t.name, column: name, message: `${t.name}.${name} is nullable in unique key ${i.name}: any number of rows may hold NULL there` })
    }
  }
  for (const r of impliedRelations(s)) {
    out.push({ rule: 'implied-relation', table: r.table, column: r.column, message: `${r.table}.${r.column} looks like a reference to ${r.refTable} but has no foreign key` })
  }
  return out
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

/** Findings of `s` under `policy`, ignored ones left out, errors first, then by table, rule and column. */
export function lintSchema(s: Schema, policy: LintPolicy): Finding[] {
  const ignored = (f: Raw) => policy.ignore.some((i) => (i.rule === '*' || i.rule === f.rule)
    && (i.table === undefined || i.table === f.table) && (i.column === undefined || f.column.split(',').includes(i.column)))
  return lintRules(s).filter((f) => !ignored(f))
    .map((f): Finding => ({ ...f, level: policy.errors.has(f.rule) ? 'error' : 'warning' }))
    .sort((a, b) => cmp(a.level, b.level) || cmp(a.table, b.table) || cmp(a.rule, b.rule) || cmp(a.column, b.column))
}

const list = (v: string) => v.split(',').map((x) => x.trim()).filter(Boolean)

function checkRule(name: string, key: string, also: string): RuleName {
  if (!(RULE_NAMES as string[]).includes(name)) {
    throw new UserError(`unknown schema_lint rule "${name}" in ${key}; the rules are: ${RULE_NAMES.join(', ')} (${also})`, {
      hint: `e.g. make schema_lint ARGS="--errors no-primary-key,unindexed-foreign-key"`,
    })
  }
  return name as RuleName
}

/** SCHEMA_LINT_ERRORS (rules, all or none) and SCHEMA_LINT_IGNORE (rule, rule:table, rule:table.column; * any rule). */
export function lintPolicy(errors: string, ignore: string): LintPolicy {
  const e = list(errors)
  const errorSet = e.length === 1 && e[0] === 'all' ? new Set(RULE_NAMES)
    : e.length === 1 && e[0] === 'none' ? new Set<RuleName>() : new Set(e.map((r) => checkRule(r, 'SCHEMA_LINT_ERRORS (--errors)', 'or all, or none, alone')))
  return {
    errors: errorSet,
    ignore: list(ignore).map((entry) => {
      const m = /^([^:]+)(?::([^.]+)(?:\.(.+))?)?$/.exec(entry)
      if (!m) throw new UserError(`SCHEMA_LINT_IGNORE (--ignore) entry "${entry}" is not rule, rule:table or rule:table.column`)
      return { rule: m[1] === '*' ? '*' : checkRule(m[1], 'SCHEMA_LINT_IGNORE (--ignore)', '* for any, as rule:table or rule:table.column'), table: m[2], column: m[3] }
    }),
  }
}
