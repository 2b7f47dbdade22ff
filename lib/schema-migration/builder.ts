// Knex schema-builder code for a table whose every line it writes exactly (table-ddl.ts tableSpec),
// and for foreign keys. The method per type is the one whose SQL MariaDB shows back as the source's
// SHOW CREATE TABLE line; types without one go through specificType with their exact text.
import type { ColumnSpec, ForeignKeyDdl, TableSpec } from './table-ddl.ts'

/** A JavaScript string literal. */
export const js = (s: string) => JSON.stringify(s)

/** MariaDB's display width of an integer type when none was given. */
const DEFAULT_WIDTH: Record<string, [signed: string, unsigned: string]> = {
  tinyint: ['4', '3'], smallint: ['6', '5'], mediumint: ['9', '8'], int: ['11', '10'], bigint: ['20', '20'],
}
const INT_METHOD: Record<string, string> = { tinyint: 'tinyint', smallint: 'smallint', mediumint: 'mediumint', int: 'integer', bigint: 'bigInteger' }
const TEXT_KIND: Record<string, string> = { text: '', mediumtext: 'mediumtext', longtext: 'longtext' }

/** The builder call that makes the column's type (modifiers follow). */
function typeCall(c: ColumnSpec, pk: string[]): { call: string; unsignedDone?: boolean; notNullDone?: boolean } {
  const n = js(c.name)
  const [a0, a1] = c.args
  if (c.autoIncrement) {
    const only = pk.length === 1 && c.unsigned && (a0 === undefined || a0 === DEFAULT_WIDTH[c.base]?.[1])
    if (only && c.base === 'int') return { call: `increments(${n})`, unsignedDone: true, notNullDone: true }
    if (only && c.base === 'bigint') return { call: `bigIncrements(${n})`, unsignedDone: true, notNullDone: true }
    const width = a0 === undefined || a0 === DEFAULT_WIDTH[c.base]?.[c.unsigned ? 1 : 0] ? '' : `(${a0})`
    return { call: `specificType(${n}, ${js(`${c.base}${width}${c.unsigned ? ' unsigned' : ''} not null auto_increment`)})`, unsignedDone: true, notNullDone: true }
  }
  if (INT_METHOD[c.base]) {
    // MySQL 8 prints no width at all
    const standard = a0 === undefined || a0 === DEFAULT_WIDTH[c.base][c.unsigned ? 1 : 0]
    if (c.base === 'tinyint' && a0 === '1' && !c.unsigned) return { call: `boolean(${n})` }
    if (standard) return { call: `${INT_METHOD[c.base]}(${n})` }
    if (c.base === 'int' || c.base === 'tinyint') return { call: `${INT_METHOD[c.base]}(${n}, ${a0})` }
    return { call: `specificType(${n}, ${js(`${c.base}(${a0})`)})` }
  }
  switch (c.base) {
    case 'varchar': return { call: `string(${n}, ${a0})` }
    case 'decimal': return { call: `decimal(${n}, ${a0}, ${a1})` }
    case 'float': return a0 ? { call: `float(${n}, ${a0}, ${a1})` } : { call: `specificType(${n}, 'float')` }
    case 'double': return a0 ? { call: `double(${n}, ${a0}, ${a1})` } : { call: `double(${n})` }
    case 'text': case 'mediumtext': case 'longtext': return { call: TEXT_KIND[c.base] ? `text(${n}, ${js(TEXT_KIND[c.base])})` : `text(${n})` }
    case 'blob': return { call: `binary(${n})` }
    case 'varbinary': return { call: `binary(${n}, ${a0})` }
    case 'date': return { call: `date(${n})` }
    case 'datetime': case 'timestamp': case 'time':
      return { call: a0 ? `${c.base}(${n}, { precision: ${a0} })` : `${c.base}(${n})` }
    case 'enum': return { call: `enu(${n}, ${JSON.stringify([...c.type.matchAll(/'([^']*)'/g)].map((m) => m[1]))})` }
    case 'year': return { call: `specificType(${n}, 'year')` }
    default: return { call: `specificType(${n}, ${js(c.type.replace(/ unsigned$/, ''))})` }
  }
}

function defaultCall(c: ColumnSpec): string {
  const d = c.default
  if (!d) return ''
  if (d.kind === 'expression') return `.defaultTo(knex.raw(${js(d.value)}))`
  if (d.kind === 'number' && String(Number(d.value)) === d.value) return `.defaultTo(${d.value})`
  return `.defaultTo(${js(d.value)})`
}

export function columnCode(c: ColumnSpec, pk: string[]): string {
  const t = typeCall(c, pk)
  let code = `t.${t.call}`
  if (c.unsigned && !t.unsignedDone) code += '.unsigned()'
  if (!t.notNullDone) code += c.notNull ? '.notNullable()' : '.nullable()'
  code += defaultCall(c)
  if (c.comment !== null) code += `.comment(${js(c.comment)})`
  if (c.collation) code += `.collate(${js(c.collation)})`
  return code
}

/** The body of `createTable(name, (t) => { ... })`, one statement a line. */
export function createTableCode(spec: TableSpec): string[] {
  const out = spec.columns.map((c) => columnCode(c, spec.primaryKey))
  const incremented = spec.columns.some((c) => c.autoIncrement && /^(increments|bigIncrements)\(/.test(typeCall(c, spec.primaryKey).call))
  if (spec.primaryKey.length && !incremented) out.push(`t.primary(${JSON.stringify(spec.primaryKey)})`)
  for (const i of spec.indexes) {
    out.push(i.unique ? `t.unique(${JSON.stringify(i.columns)}, { indexName: ${js(i.name)} })` : `t.index(${JSON.stringify(i.columns)}, ${js(i.name)})`)
  }
  out.push(`t.engine(${js(spec.engine)})`, `t.charset(${js(spec.charset)})`, `t.collate(${js(spec.collation)})`)
  if (spec.comment !== null) out.push(`t.comment(${js(spec.comment)})`)
  return out
}

/** `t.foreign(...)...` for a key the builder writes exactly (names it quotes whole, a table in this database). */
export function foreignKeyCode(fk: ForeignKeyDdl): string {
  return `t.foreign(${JSON.stringify(fk.columns)}, ${js(fk.name)}).references(${JSON.stringify(fk.refColumns)}).inTable(${js(fk.refTable)})`
    + (fk.onDelete ? `.onDelete(${js(fk.onDelete)})` : '') + (fk.onUpdate ? `.onUpdate(${js(fk.onUpdate)})` : '')
}
