// pg_dump's plain text as a list of statements: split at `;` outside quotes, comments and
// dollar-quoted bodies, as PostgreSQL's own lexer reads it ('' and "" doubled, E'' with backslash
// escapes, $tag$ ... $tag$, nested /* */). psql's commands (a line starting with `\`, such as
// pg_dump's \restrict) are not SQL and are left out; comments before a statement are dropped.

/** The statements of `text`, each trimmed, without its final `;`. */
export function splitPgStatements(text: string): string[] {
  const out: string[] = []
  let start = -1 // where the current statement's code starts (-1: none yet)
  let i = 0
  const n = text.length
  const identChar = (c: string | undefined) => c !== undefined && /[A-Za-z0-9_$\u0080-\uffff]/.test(c)
  while (i < n) {
    const c = text[i]
    if (start < 0 && c === '\\' && (i === 0 || text[i - 1] === '\n')) { // a psql command line
      const nl = text.indexOf('\n', i)
      i = nl < 0 ? n : nl + 1
      continue
    }
    if (c === '-' && text[i + 1] === '-') {
      const nl = text.indexOf('\n', i)
      i = nl < 0 ? n : nl + 1
      continue
    }
    if (c === '/' && text[i + 1] === '*') {
      let depth = 1
      i += 2
      while (i < n && depth > 0) {
        if (text[i] === '/' && text[i + 1] === '*') { depth++; i += 2 } else if (text[i] === '*' && text[i + 1] === '/') { depth--; i += 2 } else i++
      }
      continue
    }
    if (/\s/.test(c)) { i++; continue }
    if (start < 0) start = i
    if (c === "'") {
      const escapes = (text[i - 1] === 'E' || text[i - 1] === 'e') && !identChar(text[i - 2])
      i++
      while (i < n) {
        if (escapes && text[i] === '\\') { i += 2; continue }
        if (text[i] === "'") { if (text[i + 1] === "'") { i += 2; continue } break }
        i++
      }
      i++
      continue
    }
    if (c === '"') {
      i++
      while (i < n) {
        if (text[i] === '"') { if (text[i + 1] === '"') { i += 2; continue } break }
        i++
      }
      i++
      continue
    }
    if (c === '$' && !identChar(text[i - 1])) {
      const m = /^\$([A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/.exec(text.slice(i, i + 70))
      if (m) {
        const close = text.indexOf(m[0], i + m[0].length)
        i = close < 0 ? n : close + m[0].length
        continue
      }
    }
    if (c === ';') {
      out.push(text.slice(start, i).trim())
      start = -1
      i++
      continue
    }
    i++
  }
  if (start >= 0 && text.slice(start).trim() !== '') out.push(text.slice(start).trim())
  return out
}
