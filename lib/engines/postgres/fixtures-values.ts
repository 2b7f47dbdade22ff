// PostgreSQL values in JSON fixtures. Every column is read as the server's text (the session's
// settings pinned: ISO dates, UTC, shortest exact floats, hex bytea) and written back as that text,
// which the server reads to the same value; JSON types stand in where they say the same thing
// (numbers, booleans, documents, arrays). docs/fixtures.md lists the forms.
import { BadValue, BASE64, INTEGER, integerValue, jsonValue, looksLikeMarker, marker, NUMBER, show, type Json } from '../../fixtures/values.ts'
import { qi } from './db.ts'
import type { PgColumn, PgKind } from './fixtures-schema.ts'

/** The SELECT expressions for one column, each giving text: the value, and for an array its elements as JSON. */
export function pgSelectExprs(c: PgColumn): string[] {
  const q = qi(c.name)
  switch (c.kind) {
    case 'money': return [`${q}::numeric::text`] // the number, not the locale's "$1,234.00"
    case 'array': return [`${q}::text`, `array_to_json(${q}::text[])::text`]
    default: return [`${q}::text`]
  }
}

/** An ORDER BY term: the key itself, text keys compared as bytes so the order is the same on every server. */
export function pgOrderExpr(c: PgColumn, key: boolean): string {
  if (key) return c.kind === 'text' ? `${qi(c.name)} COLLATE "C"` : qi(c.name)
  return `${qi(c.name)}::text COLLATE "C"`
}

const SPECIAL_FLOATS = new Set(['NaN', 'Infinity', '-Infinity', '-0'])

/** A float's text as a JSON number (JSON prints the shortest text that reads back to it); NaN, ±Infinity and -0 as strings. */
function floatValue(text: string): Json {
  if (SPECIAL_FLOATS.has(text)) return text
  const n = Number(text)
  return Number.isFinite(n) && !Object.is(n, -0) ? n : text
}

/** How jsonb prints a document: ", " and ": " between items, members in the order given. */
export function jsonbText(v: Json): string {
  if (Array.isArray(v)) return `[${v.map(jsonbText).join(', ')}]`
  if (v !== null && typeof v === 'object') return `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}: ${jsonbText(x)}`).join(', ')}}`
  return JSON.stringify(v)
}

/**
 * A jsonb value as the document itself when printing it as jsonb does gives the stored text (so the
 * document loads back to the same value); otherwise (2.50, 1e-40, keys in an order JavaScript
 * changes, the document null, a marker-like object) as {"$text": <the text>}.
 */
export function jsonbValue(text: string): Json {
  try {
    const doc = JSON.parse(text) as Json
    if (doc !== null && !looksLikeMarker(doc) && jsonbText(doc) === text) return doc
  } catch { /* not JSON to JavaScript: keep the text */ }
  return { $text: text }
}

function elementValue(kind: PgKind | null, v: Json): Json {
  if (Array.isArray(v)) return v.map((x) => elementValue(kind, x))
  if (typeof v !== 'string') return v
  if (kind === 'int') return integerValue(v)
  if (kind === 'float') return floatValue(v)
  if (kind === 'bool') return v === 'true'
  return v
}

/** One column's JSON value from the text of its `pgSelectExprs`. */
export function pgEncodeValue(c: PgColumn, raw: (string | null)[]): Json {
  const [v, extra] = raw
  if (v === null || v === undefined) return null
  switch (c.kind) {
    case 'int': return integerValue(v)
    case 'decimal': case 'money': return v
    case 'float': return floatValue(v)
    case 'bool': return v === 'true'
    case 'json': return jsonValue(v)
    case 'jsonb': return jsonbValue(v)
    case 'binary': return { $base64: Buffer.from(v.slice(2), 'hex').toString('base64') }
    // bounds other than 1 ("[0:1]={1,2}") only the text says
    case 'array': return v.startsWith('[') || extra === null || extra === undefined ? v : elementValue(c.elem, JSON.parse(extra) as Json)
    default: return v
  }
}

function integerText(v: unknown, what: string): string {
  if (typeof v === 'boolean') return v ? '1' : '0'
  if (typeof v === 'number') {
    if (Number.isSafeInteger(v)) return String(v)
    if (Number.isInteger(v)) throw new BadValue(`${show(v)} is beyond 2^53 and may have lost digits: write it as a string`)
  }
  if (typeof v === 'string' && INTEGER.test(v.trim())) return v
  throw new BadValue(`${show(v)} is not ${what}`)
}

function numberText(v: unknown, what: string, special: string[]): string {
  if (typeof v === 'number' && Number.isFinite(v)) return String(v)
  if (typeof v === 'string' && (NUMBER.test(v.trim()) || special.includes(v))) return v
  throw new BadValue(`${show(v)} is not ${what}`)
}

/** An array literal: every element quoted ("" and \ escaped), null as NULL, nested lists as dimensions. */
export function arrayLiteral(v: unknown[]): string {
  return `{${v.map((e) => {
    if (e === null) return 'NULL'
    if (Array.isArray(e)) return arrayLiteral(e)
    if (typeof e === 'number' && !Number.isFinite(e)) throw new BadValue(`${show(e)} is not a number`)
    if (typeof e === 'object') throw new BadValue(`array element ${show(e)} is not a value (a string, number, boolean or null)`)
    return `"${String(e).replace(/[\\"]/g, '\\$&')}"`
  }).join(',')}}`
}

/** The text the server reads value `v` of column `c` from (null for SQL NULL); throws BadValue when it does not fit. */
export function pgDecodeValue(c: PgColumn, v: unknown): string | null {
  if (v === null) return null
  switch (c.kind) {
    case 'int': return integerText(v, 'an integer')
    case 'decimal': return numberText(v, 'a decimal (write it as a string to keep every digit)', ['NaN', 'Infinity', '-Infinity'])
    case 'money': return numberText(v, 'an amount (a number or a string such as "12.34")', [])
    case 'float': return numberText(v, 'a number', [...SPECIAL_FLOATS])
    case 'bool':
      if (typeof v === 'boolean') return v ? 'true' : 'false'
      if (v === 0 || v === 1) return v ? 'true' : 'false'
      if (typeof v === 'string') return v
      throw new BadValue(`${show(v)} is not a boolean`)
    case 'json': case 'jsonb': {
      const m = marker(v, '$text')
      if (m) {
        if (typeof m.$text !== 'string') throw new BadValue(`${show(v)}: "$text" must be a string`)
        return m.$text
      }
      return JSON.stringify(v)
    }
    case 'binary': {
      const m = marker(v, '$base64')
      if (m) {
        if (typeof m.$base64 !== 'string' || !BASE64.test(m.$base64)) throw new BadValue(`${show(v)} is not valid base64`)
        return '\\x' + Buffer.from(m.$base64, 'base64').toString('hex')
      }
      if (typeof v === 'string') return '\\x' + Buffer.from(v, 'utf8').toString('hex')
      throw new BadValue(`${show(v)} is not binary data: {"$base64": "..."} or a string`)
    }
    case 'array':
      if (Array.isArray(v)) return arrayLiteral(v)
      if (typeof v === 'string') return v
      throw new BadValue(`${show(v)} is not an array (a JSON list, or the array's text such as "{1,2}")`)
    case 'text':
      if (typeof v === 'string') return v
      throw new BadValue(`${show(v)} is not a string`)
    default:
      if (typeof v === 'string') return v
      throw new BadValue(`${show(v)} is not a ${c.type} (write it as a string)`)
  }
}
