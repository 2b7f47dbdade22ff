// A migration file's text, read the way dbmate reads it: `-- migrate:up` and `-- migrate:down`
// sections (with an optional `transaction:false`), statements ending with `;` at the end of a line.
// Routine bodies (CREATE PROCEDURE/FUNCTION/TRIGGER/EVENT) hold `;` of their own and the server,
// not a DELIMITER line, knows where they end: a chunk with one is sent whole, as ONE statement.
// `-- migrate:split` lines cut a section into chunks explicitly (docs/migrations.md).
import { UserError } from '../errors.ts'

export interface Statement {
  sql: string
  /** 1-based line in the file where the statement's code starts. */
  line: number
}

export interface Section {
  statements: Statement[]
  /** Run inside one transaction (the default; `transaction:false` turns it off). */
  transaction: boolean
}

export interface ParsedMigration { up: Section; down: Section | null }

const MARKER = /^--\s*migrate:(\w+)(.*)$/
export const ROUTINE = /\bCREATE\s+(?:OR\s+REPLACE\s+)?(?:DEFINER\s*=\s*\S+\s+)?(?:AGGREGATE\s+)?(?:PROCEDURE|FUNCTION|TRIGGER|EVENT)\b/i

/** Parses a whole file; `base` (its file name) goes into every error. */
export function parseMigration(text: string, base: string): ParsedMigration {
  const lines = text.replace(/\r\n/g, '\n').split('\n')
  const sections: Record<string, { transaction: boolean; chunks: { text: string; line: number }[] }> = {}
  let current: (typeof sections)[string] | null = null
  const bad = (line: number, msg: string) => new UserError(`migration ${base}, line ${line}: ${msg}`,
    { hint: 'see docs/migrations.md for the format' })
  lines.forEach((raw, i) => {
    const m = MARKER.exec(raw)
    if (m && ['up', 'down'].includes(m[1])) {
      if (sections[m[1]]) throw bad(i + 1, `a second -- migrate:${m[1]} line`)
      current = sections[m[1]] = { transaction: parseOptions(m[2], (msg) => bad(i + 1, msg)), chunks: [{ text: '', line: i + 2 }] }
      return
    }
    if (m && m[1] === 'split') {
      if (!current) throw bad(i + 1, '-- migrate:split before any -- migrate:up or -- migrate:down line')
      current.chunks.push({ text: '', line: i + 2 })
      return
    }
    if (m) throw bad(i + 1, `unknown marker -- migrate:${m[1]} (up, down or split)`)
    if (/^\s*DELIMITER\s+\S+\s*$/i.test(raw)) {
      throw bad(i + 1, 'DELIMITER is a mysql client command, not SQL; remove it: a routine is sent whole as one statement')
    }
    if (!current) {
      if (codeOf(raw).trim() !== '') throw bad(i + 1, 'SQL before the -- migrate:up line')
      return
    }
    const chunk = current.chunks[current.chunks.length - 1]
    chunk.text += raw + '\n'
  })
  if (!sections.up) throw new UserError(`migration ${base} has no -- migrate:up line`, { hint: 'see docs/migrations.md for the format' })
  const section = (s: (typeof sections)[string]): Section =>
    ({ transaction: s.transaction, statements: s.chunks.flatMap((c) => chunkStatements(c.text, c.line)) })
  return { up: section(sections.up), down: sections.down ? section(sections.down) : null }
}

/** `transaction:false` (or true); anything else is a mistake worth stopping for. */
function parseOptions(rest: string, bad: (msg: string) => Error): boolean {
  let transaction = true
  for (const opt of rest.trim().split(/\s+/).filter(Boolean)) {
    const m = /^transaction:(true|false)$/.exec(opt)
    if (!m) throw bad(`unknown option ${JSON.stringify(opt)} (only transaction:false or transaction:true)`)
    transaction = m[1] === 'true'
  }
  return transaction
}

/** The statements of one chunk: the whole chunk when it creates a routine, else split at `;` + end of line. */
export function chunkStatements(text: string, firstLine: number): Statement[] {
  const pieces = scan(text).filter((p) => p.code.trim() !== '')
  if (pieces.length === 0) return []
  // lines counted forward once (pieces come in order): a large data migration stays linear
  let seen = 0
  let line = firstLine
  const lineAt = (pos: number) => {
    for (; seen < pos; seen++) if (text.charCodeAt(seen) === 10) line++
    return line
  }
  if (pieces.some((p) => ROUTINE.test(p.code))) {
    const last = pieces[pieces.length - 1]
    return [{ sql: text.slice(pieces[0].codeStart, last.end).trim(), line: lineAt(pieces[0].codeStart) }]
  }
  return pieces.map((p) => ({ sql: text.slice(p.codeStart, p.end).trim(), line: lineAt(p.codeStart) }))
}

interface Piece {
  /** Where the first code (not comment, not space) starts, and where the piece ends (its `;`, excluded). */
  codeStart: number
  end: number
  /** The piece without comments, string contents blanked: for emptiness and the routine test. */
  code: string
}

/**
 * Splits at a `;` that is outside quotes and comments and has nothing but space or a comment after
 * it on its line. Backslash escapes apply inside quotes (MySQL's default sql_mode).
 */
export function scan(text: string): Piece[] {
  const out: Piece[] = []
  let start = 0
  let codeStart = -1
  let code = ''
  let i = 0
  const startsComment = (j: number) => text[j] === '#' || (text.startsWith('--', j) && /[\s]|^$/.test(text[j + 2] ?? ''))
    || (text.startsWith('/*', j) && !/^\/\*M?!/.test(text.slice(j, j + 4)))
  while (i < text.length) {
    const c = text[i]
    if (startsComment(i)) {
      const close = text[i] === '/' ? text.indexOf('*/', i + 2) : text.indexOf('\n', i)
      i = close < 0 ? text.length : close + (text[i] === '/' ? 2 : 0)
      code += ' '
      continue
    }
    if (/\s/.test(c)) { code += c; i++; continue }
    if (codeStart < 0) codeStart = i
    if (c === "'" || c === '"' || c === '`') {
      let j = i + 1
      while (j < text.length && text[j] !== c) j += text[j] === '\\' && c !== '`' ? 2 : 1
      code += c + c
      i = j + 1
      continue
    }
    if (c === ';' && restOfLineIsBlank(text, i + 1, startsComment)) {
      out.push({ codeStart, end: i, code })
      start = i + 1
      codeStart = -1
      code = ''
      i++
      continue
    }
    code += c
    i++
  }
  if (codeStart >= 0 || code.trim() !== '') out.push({ codeStart: codeStart < 0 ? start : codeStart, end: text.length, code })
  return out
}

function restOfLineIsBlank(text: string, from: number, startsComment: (j: number) => boolean): boolean {
  for (let j = from; j < text.length && text[j] !== '\n'; j++) {
    if (startsComment(j)) return true
    if (!/\s/.test(text[j])) return false
  }
  return true
}

/** A line without its comment, for "is there SQL before the first marker". */
function codeOf(line: string): string {
  return scan(line).map((p) => p.code).join('')
}

/**
 * Statements that commit on their own in MariaDB/MySQL (DDL and friends): what a failed migration
 * leaves behind. A heuristic on the first keyword, used only to word the error.
 */
export function commitsImplicitly(sql: string): boolean {
  const head = sql.replace(/^(\s|--[^\n]*\n|#[^\n]*\n|\/\*[\s\S]*?\*\/)*/, '').slice(0, 80)
  if (/^(CREATE|DROP)\s+TEMPORARY\b/i.test(head)) return false
  return /^(CREATE|ALTER|DROP|RENAME|TRUNCATE|GRANT|REVOKE|LOCK|UNLOCK|ANALYZE|OPTIMIZE|REPAIR|FLUSH|INSTALL|UNINSTALL)\b/i.test(head)
}
