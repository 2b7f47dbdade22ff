// Pure text work on the SQL that SHOW CREATE prints: DEFINER clauses, database qualifiers,
// the order views must be created in, and whether a statement survives the stock client intact.

export interface Token {
  kind: 'word' | 'ident' | 'string' | 'comment' | 'space' | 'punct'
  text: string
  /** words and quoted identifiers: the name itself, unquoted */
  value?: string
}

/** How an object's sql_mode changes the lexer: "..." is a name under ANSI_QUOTES; \ escapes nothing under NO_BACKSLASH_ESCAPES. */
export interface Lexing { ansiQuotes?: boolean; noBackslashEscapes?: boolean }

export function lexingOf(sqlMode: string | undefined): Lexing {
  const modes = (sqlMode ?? '').toUpperCase().split(',')
  return { ansiQuotes: modes.includes('ANSI_QUOTES'), noBackslashEscapes: modes.includes('NO_BACKSLASH_ESCAPES') }
}

/** Where a quoted run starting at `i` ends (exclusive); a doubled quote stays inside. */
function quotedEnd(sql: string, i: number, q: string, backslash: boolean): number {
  let j = i + 1
  while (j < sql.length) {
    if (backslash && sql[j] === '\\') { j += 2; continue }
    if (sql[j] === q) {
      if (sql[j + 1] === q) { j += 2; continue }
      return j + 1
    }
    j++
  }
  return sql.length
}

function unquote(text: string): string {
  const q = text[0]
  return text.slice(1, text.endsWith(q) && text.length > 1 ? -1 : undefined).split(q + q).join(q)
}

const WORD = /[A-Za-z0-9_$\u0080-\uffff]/

/** Splits SQL into tokens the way the server's lexer sees strings, names and comments. */
export function tokenize(sql: string, lex: Lexing = {}): Token[] {
  const out: Token[] = []
  let i = 0
  while (i < sql.length) {
    const c = sql[i]
    let j = i + 1
    let kind: Token['kind'] = 'punct'
    if (/\s/.test(c)) {
      while (j < sql.length && /\s/.test(sql[j])) j++
      kind = 'space'
    } else if (c === "'" || (c === '"' && !lex.ansiQuotes)) {
      j = quotedEnd(sql, i, c, !lex.noBackslashEscapes)
      kind = 'string'
    } else if (c === '`' || c === '"') {
      j = quotedEnd(sql, i, c, false)
      kind = 'ident'
    } else if (c === '#' || (c === '-' && sql[i + 1] === '-' && (i + 2 >= sql.length || /\s/.test(sql[i + 2])))) {
      j = sql.indexOf('\n', i)
      j = j < 0 ? sql.length : j
      kind = 'comment'
    } else if (c === '/' && sql[i + 1] === '*' && sql[i + 2] !== '!' && !sql.startsWith('M!', i + 2)) {
      // executable comments (/*! ... */, /*M! ... */) are code: their markers stay punctuation
      j = sql.indexOf('*/', i + 2)
      j = j < 0 ? sql.length : j + 2
      kind = 'comment'
    } else if (WORD.test(c)) {
      while (j < sql.length && WORD.test(sql[j])) j++
      kind = 'word'
    }
    const text = sql.slice(i, j)
    out.push(kind === 'word' ? { kind, text, value: text } : kind === 'ident' ? { kind, text, value: unquote(text) } : { kind, text })
    i = j
  }
  return out
}

function nextSolid(tokens: Token[], i: number): number {
  let j = i + 1
  while (j < tokens.length && (tokens[j].kind === 'space' || tokens[j].kind === 'comment')) j++
  return j
}

function prevSolid(tokens: Token[], i: number): number {
  let j = i - 1
  while (j >= 0 && (tokens[j].kind === 'space' || tokens[j].kind === 'comment')) j--
  return j
}

function isName(t: Token | undefined): boolean {
  return t !== undefined && (t.kind === 'word' || t.kind === 'ident')
}

const BARE = /^[A-Za-z_$][A-Za-z0-9_$]*$/

/**
 * Rewrites names qualified with database `from` (`from`.x, from.x) to `to`; an empty `to`
 * drops the qualifier, so the name resolves in whatever database the object lives in.
 * Strings and comments are left alone.
 */
export function rewriteDatabase(sql: string, from: string, to: string, lex: Lexing = {}): string {
  if (from === to) return sql
  const tokens = tokenize(sql, lex)
  const out: string[] = []
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]
    const dot = nextSolid(tokens, i)
    const qualifies = isName(t) && t.value === from && tokens[dot]?.text === '.' && isName(tokens[nextSolid(tokens, dot)])
      && tokens[prevSolid(tokens, i)]?.text !== '.'
    if (!qualifies) { out.push(t.text); continue }
    if (to === '') { i = nextSolid(tokens, dot) - 1; continue } // drop the name, the dot and the space around it
    const q = t.kind === 'ident' ? t.text[0] : '`'
    out.push(t.kind === 'word' && BARE.test(to) ? to : q + to.split(q).join(q + q) + q)
  }
  return out.join('')
}

const PART = '(?:`(?:[^`]|``)*`|"(?:[^"]|"")*"|\'(?:[^\'\\\\]|\'\'|\\\\.)*\'|[^\\s@`"\']+)'
const HEAD = /^(CREATE\s+(?:OR\s+REPLACE\s+)?(?:ALGORITHM\s*=\s*\w+\s+)?)/i
const DEFINER = new RegExp(`${HEAD.source}DEFINER\\s*=\\s*(${PART}(?:\\s*@\\s*${PART})?)\\s+`, 'i')

/** Takes the DEFINER clause out of a CREATE statement; `definer` is its account as written. */
export function splitDefiner(create: string): { create: string; definer?: string } {
  const m = DEFINER.exec(create)
  if (!m) return { create }
  return { create: m[1] + create.slice(m[0].length), definer: m[2] }
}

/** Puts a DEFINER clause back where SHOW CREATE prints it. */
export function withDefiner(create: string, definer: string): string {
  return create.replace(HEAD, (head) => `${head}DEFINER=${definer} `)
}

/** The user and host of a definer as written (`u`@`h`, "u"@"h", 'u'@'h', u@h); a role has no host. */
export function parseAccount(definer: string): { user: string; host: string } {
  const m = new RegExp(`^(${PART})(?:\\s*@\\s*(${PART}))?$`).exec(definer.trim())
  const part = (s: string | undefined) => (s === undefined ? '' : /^[`"']/.test(s) ? unquote(s) : s)
  return m ? { user: part(m[1]), host: part(m[2]) } : { user: definer, host: '' }
}

/** Names (words and quoted identifiers) a statement mentions outside strings and comments. */
export function namesIn(sql: string, lex: Lexing = {}): Set<string> {
  return new Set(tokenize(sql, lex).filter(isName).map((t) => t.value!))
}

/**
 * Views ordered so each comes after the views it reads. A view that merely mentions another's
 * name (a column called the same) gains a harmless extra edge; a cycle keeps name order.
 */
export function orderViews<T extends { name: string; create: string }>(views: T[]): T[] {
  const byName = new Map(views.map((v) => [v.name, v]))
  const deps = new Map(views.map((v) => [v.name, [...namesIn(v.create)].filter((n) => n !== v.name && byName.has(n))]))
  const done = new Set<string>()
  const out: T[] = []
  const names = [...byName.keys()].sort(compareNames)
  while (out.length < views.length) {
    const ready = names.find((n) => !done.has(n) && deps.get(n)!.every((d) => done.has(d)))
      ?? names.find((n) => !done.has(n))!
    done.add(ready)
    out.push(byName.get(ready)!)
  }
  return out
}

/** Binary order of names, the same on every machine (information_schema sorts case-insensitively). */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

const DELIMITERS = [';;', '$$', '//', ';;;', '$$$', '@@@@']

/** A DELIMITER for the stock client that the statement does not contain. */
export function pickDelimiter(sql: string): string | null {
  return DELIMITERS.find((d) => !sql.includes(d)) ?? null
}

const UTF8 = /^utf8/i

/**
 * Whether the stock `mariadb` client sends this statement to the server byte for byte. It drops
 * comments (without --comments), acts on backslash commands and DELIMITER lines, and reads the
 * file as UTF-8 whatever character_set_client says; anything in doubt goes another way.
 */
export function clientSafe(sql: string, characterSetClient = 'utf8mb4'): boolean {
  if (/--|#|\/\*|\\|\t|\r|[ \t]$|[ \t]\n|^\s*delimiter\b/im.test(sql)) return false
  if (!UTF8.test(characterSetClient) && /[^\x00-\x7f]/.test(sql)) return false
  return pickDelimiter(sql) !== null
}

/** True when text cannot be sent through a connection whose bytes are UTF-8 as `charset` without changing. */
export function needsHexSend(sql: string, characterSetClient: string | undefined): boolean {
  return !UTF8.test(characterSetClient ?? 'utf8mb4') && /[^\x00-\x7f]/.test(sql)
}

/** A statement the server reads from UTF-8 bytes whatever the client's character set (MariaDB 10.2+). */
export function executeImmediateHex(sql: string): string {
  return `EXECUTE IMMEDIATE CONVERT(0x${Buffer.from(sql, 'utf8').toString('hex')} USING utf8mb4)`
}

/** A table's CREATE without its AUTO_INCREMENT=n option, which moves with the data, not the schema. */
export function withoutAutoIncrement(create: string): string {
  const tokens = tokenize(create)
  const out: string[] = []
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]
    if (t.kind === 'word' && /^AUTO_INCREMENT$/i.test(t.text) && tokens[i + 1]?.text === '=' && /^\d+$/.test(tokens[i + 2]?.text ?? '')) {
      i += 2
      if (tokens[i + 1]?.kind === 'space' && out.at(-1)?.match(/\s$/)) i++
      continue
    }
    out.push(t.text)
  }
  return out.join('')
}
