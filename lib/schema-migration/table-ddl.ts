// A table's SHOW CREATE TABLE text taken apart: its foreign keys (added after every table exists, so
// cycles work) and the text without them; and, where every line is one Knex's schema builder writes
// exactly, the parts the builder needs (builder.ts). Anything else keeps the server's own text.
import { tokenize, withoutAutoIncrement, type Token } from '../snapshot/schema-text.ts'

export interface ForeignKeyDdl {
  name: string
  columns: string[]
  /** another database's table (REFERENCES `db`.`t`): kept as text, never through the builder */
  refDatabase: string | null
  refTable: string
  refColumns: string[]
  onDelete: string | null
  onUpdate: string | null
  /** the line as SHOW CREATE printed it, without its comma: `CONSTRAINT ... FOREIGN KEY ...` */
  text: string
}

const FK_LINE = /^ {2}CONSTRAINT `(?:[^`]|``)*` FOREIGN KEY \(/

/** The table's CREATE without its foreign keys and its AUTO_INCREMENT counter (data, not schema), and the keys. */
export function splitForeignKeys(create: string): { create: string; foreignKeys: ForeignKeyDdl[] } {
  const lines = withoutAutoIncrement(create).split('\n')
  const kept: string[] = []
  const foreignKeys: ForeignKeyDdl[] = []
  for (const line of lines) {
    if (FK_LINE.test(line)) {
      const text = line.trim().replace(/,$/, '')
      foreignKeys.push(parseForeignKey(text))
      continue
    }
    // the table's closing line: the body's last line loses its comma when foreign keys followed it
    if (/^\)/.test(line) && kept.length && foreignKeys.length) kept[kept.length - 1] = kept[kept.length - 1].replace(/,$/, '')
    kept.push(line)
  }
  return { create: kept.join('\n'), foreignKeys }
}

const solid = (tokens: Token[]) => tokens.filter((t) => t.kind !== 'space' && t.kind !== 'comment')

function names(t: Token[], i: number): { list: string[]; next: number } {
  if (t[i]?.text !== '(') throw new Error(`unexpected ${t[i]?.text} in a foreign key`)
  const list: string[] = []
  let j = i + 1
  while (t[j] && t[j].text !== ')') {
    if (t[j].kind === 'ident' || t[j].kind === 'word') list.push(t[j].value!)
    j++
  }
  return { list, next: j + 1 }
}

const ACTION = /^(RESTRICT|CASCADE|SET NULL|NO ACTION|SET DEFAULT)/

/** `CONSTRAINT `n` FOREIGN KEY (`a`) REFERENCES [`db`.]`t` (`x`) [ON DELETE ..] [ON UPDATE ..]`, as InnoDB prints it. */
export function parseForeignKey(text: string): ForeignKeyDdl {
  const t = solid(tokenize(text))
  const name = t[1].value!
  const cols = names(t, 4)
  let i = cols.next + 1 // REFERENCES
  let refDatabase: string | null = null
  if (t[i + 1]?.text === '.') { refDatabase = t[i].value!; i += 2 }
  const refTable = t[i].value!
  const refCols = names(t, i + 1)
  const rest = text.slice(text.lastIndexOf(')') + 1).trim()
  const action = (what: string) => {
    const at = rest.indexOf(`ON ${what} `)
    return at < 0 ? null : ACTION.exec(rest.slice(at + what.length + 4))![1]
  }
  return { name, columns: cols.list, refDatabase, refTable, refColumns: refCols.list, onDelete: action('DELETE'), onUpdate: action('UPDATE'), text }
}

export interface ColumnSpec {
  name: string
  /** the type as printed: `smallint(5) unsigned`, `varchar(45)`, `enum('G','PG')` */
  type: string
  base: string
  args: string[]
  unsigned: boolean
  collation: string | null
  notNull: boolean
  /** a literal default, unquoted; null when none (or NULL) */
  default: { kind: 'string' | 'number'; value: string } | { kind: 'expression'; value: string } | null
  autoIncrement: boolean
  comment: string | null
}

export interface TableSpec {
  name: string
  columns: ColumnSpec[]
  primaryKey: string[]
  indexes: { name: string; unique: boolean; columns: string[] }[]
  engine: string
  charset: string
  collation: string
  comment: string | null
}

/** A name Knex quotes as one identifier: its formatter splits at dots and at ` as `, and a backtick is never doubled right everywhere. */
export function builderName(name: string): boolean {
  return name.length > 0 && !/[.`]/.test(name) && !/\sas\s/i.test(name) && name.trim() === name
}

const IDENT = '`((?:[^`]|``)*)`'
const unq = (s: string) => s.replace(/``/g, '`')
const PLAIN = "'([^'\\\\]*)'"
const COLUMN = new RegExp(`^ {2}${IDENT} ([a-z]+)(?:\\(([^()]*)\\))?( unsigned)?(?: CHARACTER SET (\\w+) COLLATE (\\w+))?(?: COLLATE (\\w+))?( NOT NULL| NULL)?`
  + `(?: DEFAULT (NULL|${PLAIN}|-?\\d+(?:\\.\\d+)?|current_timestamp(?:\\(\\d?\\))?))?( ON UPDATE current_timestamp(?:\\(\\d?\\))?)?( AUTO_INCREMENT)?(?: COMMENT ${PLAIN})?,?$`)
const KEY = new RegExp(`^ {2}(PRIMARY KEY|UNIQUE KEY ${IDENT}|KEY ${IDENT}) \\(((?:${IDENT},?)+)\\),?$`)
const TAIL = new RegExp(`^\\) ENGINE=(\\w+) DEFAULT CHARSET=(\\w+) COLLATE=(\\w+)(?: COMMENT=${PLAIN})?$`)

/** Types the builder writes with a method of its own, or as their exact text (specificType). */
const BUILDER_TYPES = new Set(['tinyint', 'smallint', 'mediumint', 'int', 'bigint', 'decimal', 'float', 'double', 'varchar', 'char',
  'text', 'tinytext', 'mediumtext', 'longtext', 'blob', 'tinyblob', 'mediumblob', 'longblob', 'varbinary', 'binary',
  'date', 'datetime', 'timestamp', 'time', 'year', 'enum', 'set', 'bit'])

function columnSpec(line: string): ColumnSpec | null {
  const m = COLUMN.exec(line)
  if (!m) return null
  const [, name, base, args, unsigned, charset, collation, collationOnly, nul, def, defString, onUpdate, ai, comment] = m
  if (!BUILDER_TYPES.has(base)) return null
  // an enum or set member with a quote or backslash: the builder does not escape them
  if ((base === 'enum' || base === 'set') && !/^'[^'\\]*'(,'[^'\\]*')*$/.test(args ?? '')) return null
  if (charset && !collation.startsWith(`${charset}_`)) return null
  let dflt: ColumnSpec['default'] = null
  if (def !== undefined && def !== 'NULL') {
    dflt = defString !== undefined ? { kind: 'string', value: defString }
      : /^current_timestamp/.test(def) ? { kind: 'expression', value: def } : { kind: 'number', value: def }
  }
  if (onUpdate) dflt = { kind: 'expression', value: `${dflt ? dflt.value : 'NULL'}${onUpdate}` }
  // a text or blob default the builder drops (it writes none for those types)
  if (dflt && /text|blob/.test(base)) return null
  return {
    name: unq(name), type: `${base}${args !== undefined ? `(${args})` : ''}${unsigned ?? ''}`, base, args: args === undefined ? [] : args.split(','),
    unsigned: !!unsigned, collation: collation ?? collationOnly ?? null, notNull: nul === ' NOT NULL', default: dflt,
    autoIncrement: !!ai, comment: comment ?? null,
  }
}

/**
 * The builder's parts of a table whose every line it writes exactly, or null: generated, invisible
 * and system-versioned columns, checks, expression defaults, prefix or descending keys, FULLTEXT and
 * SPATIAL keys, partitions and other table options keep the server's text.
 */
export function tableSpec(name: string, createWithoutFks: string): TableSpec | null {
  if (!builderName(name)) return null
  const lines = createWithoutFks.split('\n')
  const head = lines.shift()
  const tail = lines.pop()
  if (head !== `CREATE TABLE \`${name}\` (` || tail === undefined) return null
  const t = TAIL.exec(tail)
  if (!t) return null
  const spec: TableSpec = { name, columns: [], primaryKey: [], indexes: [], engine: t[1], charset: t[2], collation: t[3], comment: t[4] ?? null }
  for (const line of lines) {
    const k = KEY.exec(line)
    if (k) {
      const cols = [...k[4].matchAll(new RegExp(IDENT, 'g'))].map((x) => unq(x[1]))
      if (k[1] === 'PRIMARY KEY') spec.primaryKey = cols
      else spec.indexes.push({ name: unq(k[2] ?? k[3]), unique: k[2] !== undefined, columns: cols })
      continue
    }
    const c = columnSpec(line)
    if (!c) return null
    spec.columns.push(c)
  }
  const all = [...spec.columns.map((c) => c.name), ...spec.indexes.map((i) => i.name)]
  if (!all.every(builderName)) return null
  // an AUTO_INCREMENT column must lead a key when the table is created; the builder adds other keys later
  const ai = spec.columns.find((c) => c.autoIncrement)
  if (ai && spec.primaryKey[0] !== ai.name) return null
  return spec
}
