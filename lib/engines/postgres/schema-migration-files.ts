// The PostgreSQL schema migration's two files (docs/schema-migration.md): a Knex migration (client
// 'pg', ESM or CommonJS) whose statements are pg_dump's text through knex.raw, and a baseline in
// datakeep's format (`<version>_baseline.postgres.sql`). Both run in one transaction; pg_dump's
// settings hold for it only and are put back after the last statement. A statement Knex or the
// migration parser would not pass through unchanged goes as hex inside a DO block.
import { BASELINE_HEADER } from '../../migrate/baseline.ts'
import { parseMigration } from '../../migrate/parse.ts'
import type { ModuleFormat } from '../../schema-migration/knex.ts'
import { ql } from './db.ts'
import type { PgMigrationPlan, PgStatement } from './schema-migration.ts'

const js = (s: string) => JSON.stringify(s)
const I = '    '

/** `sql` run by EXECUTE from its UTF-8 bytes in hex: nothing in it can be read as a placeholder, quote or marker. */
export function hexDo(sql: string): string {
  return `DO $dk$BEGIN EXECUTE pg_catalog.convert_from(pg_catalog.decode('${Buffer.from(sql, 'utf8').toString('hex')}', 'hex'), 'UTF8'); END$dk$`
}

const setLocal = (name: string, value: string) => `SELECT pg_catalog.set_config(${ql(name)}, ${ql(value)}, true)`

/** A statement as SQL text: a SET as a transaction-local set_config. */
function sqlOf(s: PgStatement): string {
  return 'sql' in s ? s.sql : setLocal(s.setting, s.value)
}

function sqlLiteral(sql: string): string {
  const lines = sql.split('\n')
  if (lines.length === 1) return js(sql)
  return `[\n${lines.map((l) => `${I}  ${js(l)},`).join('\n')}\n${I}].join('\\n')`
}

/** Knex's pg client reads every `?` as a placeholder, even in knex.raw without bindings. */
function knexStatement(s: PgStatement): string {
  const sql = sqlOf(s)
  return `${I}await k.raw(${sqlLiteral(sql.includes('?') ? hexDo(sql) : sql)})`
}

const knexHelpers = (settings: string[]) => `
/** The settings pg_dump's text changes: set for this migration's transaction, put back after it. */
const SETTINGS = ${js(settings.join(','))}.split(',').filter(Boolean)

/** Runs fn in one transaction (knex's own when it is one already), with the settings put back at the end. */
async function inTransaction(knex, fn) {
  const run = async (k) => {
    const saved = []
    for (const name of SETTINGS) saved.push((await k.raw('SELECT pg_catalog.current_setting(?) AS v', [name])).rows[0].v)
    await fn(k)
    for (const [i, name] of SETTINGS.entries()) await k.raw('SELECT pg_catalog.set_config(?, ?, true)', [name, saved[i]])
  }
  return knex.isTransaction ? run(knex) : knex.transaction(run)
}
`

/** The Knex migration file. */
export function pgKnexFile(p: PgMigrationPlan, format: ModuleFormat): string {
  const head = [
    `// The schema of database ${p.database} (${p.source}), written by datakeep: make schema_migration.`,
    "// up() recreates it in an empty database (Knex client 'pg'); down() drops what up() created, in reverse.",
    "// The statements are pg_dump's own text (--schema-only, pre-data then post-data: foreign keys, indexes",
    "// and triggers after every table) through knex.raw; down is pg_dump --clean's drops. Owners and grants",
    '// are left out (everything belongs to the role that runs it); sequence positions are data and are not',
    '// carried. docs/schema-migration.md says why the schema builder is not used on PostgreSQL.',
    '',
  ]
  const body = (list: PgStatement[]) => ['  await inTransaction(knex, async (k) => {', ...list.map(knexStatement), '  })']
  const fn = (name: string, b: string[]) => format === 'esm'
    ? [`export async function ${name}(knex) {`, ...b, '}']
    : [`exports.${name} = async function ${name}(knex) {`, ...b, '}']
  return [...(format === 'cjs' ? ["'use strict'", ''] : []), ...head, ...fn('up', body(p.up)), '', ...fn('down', body(p.down)), knexHelpers(p.settings)].join('\n')
}

const SPLIT = '-- migrate:split'

/** Whether datakeep's migration parser reads `list`, as one chunk, back as exactly these statements. */
function parsesAs(list: string[]): boolean {
  const text = `-- migrate:up\n${list.map((s) => `${s};`).join('\n')}\n`
  try {
    return JSON.stringify(parseMigration(text, 'check').up.statements.map((s) => s.sql)) === JSON.stringify(list)
  } catch { return false }
}

/** A section's statements grouped into chunks the parser reads back exactly; the rest as hex. */
function sectionLines(list: string[]): string[] {
  const chunks: string[][] = []
  for (const raw of list) {
    const sql = parsesAs([raw]) ? raw : hexDo(raw)
    const last = chunks[chunks.length - 1]
    if (last && parsesAs([...last, sql])) last.push(sql)
    else chunks.push([sql])
  }
  return chunks.flatMap((c, i) => [...(i ? [SPLIT] : []), ...c.map((s) => `${s};`)])
}

/** The settings saved in custom settings (datakeep.saved_<name>) before, put back after. */
function withSettings(p: PgMigrationPlan, list: PgStatement[]): string[] {
  const save = p.settings.map((n) => `SELECT pg_catalog.set_config(${ql(`datakeep.saved_${n}`)}, pg_catalog.current_setting(${ql(n)}), true)`)
  const restore = p.settings.map((n) => `SELECT pg_catalog.set_config(${ql(n)}, pg_catalog.current_setting(${ql(`datakeep.saved_${n}`)}), true)`)
  return [...save, ...list.map(sqlOf), ...restore]
}

/** The baseline file; `base` is its name without `.sql`. Checked: the parser reads back every statement. */
export function pgBaselineFile(p: PgMigrationPlan, base: string): string {
  const up = withSettings(p, p.up)
  const down = withSettings(p, p.down)
  const text = [
    `-- ${base}: the schema of database ${p.database} (${p.source}), written by datakeep: make schema_migration ARGS="--format sql".`,
    "-- pg_dump's own text (--schema-only --no-owner --no-privileges); down is pg_dump --clean's drops. On a database",
    '-- that already has every table named below, make migrate records it as applied without running it',
    '-- (docs/schema-migration.md). Sequence positions are data and are not carried.',
    `${BASELINE_HEADER} ${JSON.stringify({ tables: p.tables })}`,
    '',
    '-- migrate:up',
    ...sectionLines(up),
    '',
    '-- migrate:down',
    ...sectionLines(down),
    '',
  ].join('\n')
  const parsed = parseMigration(text, base)
  const back = (sec: { statements: { sql: string }[] } | null, want: string[]) =>
    JSON.stringify(sec?.statements.map((s) => s.sql)) === JSON.stringify(want.map((s) => (parsesAs([s]) ? s : hexDo(s))))
  if (!back(parsed.up, up) || !back(parsed.down, down)) throw new Error(`${base}: the migration parser does not read the generated statements back unchanged`)
  return text
}
