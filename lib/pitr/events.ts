// What the binary log says happened, one entry per transaction (GTID group): when, its GTID, the
// statements (a row event's original query from its annotation, or a DDL statement), the tables
// touched, the rows changed, and where it ends in its file. Read from `mariadb-binlog` output.
import readline from 'node:readline'
import { HOST, spawnPipe } from '../run.ts'

export interface BinlogEvent {
  gtid: string
  /** UTC, ISO 8601, to the second (the binary log's resolution). */
  time: string
  unix: number
  /** Index into the files read, and the position the group starts and ends at in that file. */
  fileIndex: number
  start: number
  end: number
  ddl: boolean
  statements: string[]
  /** `db.table` of every row event, and for DDL the default database it ran in (`db`). */
  tables: string[]
  databases: string[]
  rows: number
  /** DDL: the default database it ran in (a statement may name another one explicitly). */
  defaultDb?: string
}

const DDL_TABLE_RE = /^(?:CREATE|ALTER|DROP|TRUNCATE|RENAME)\s+(?:OR\s+REPLACE\s+)?(?:TEMPORARY\s+)?TABLE\s+(?:IF\s+(?:NOT\s+)?EXISTS\s+)?`?([^`\s.]+)`?(?:\.`?([^`\s.(]+)`?)?/i
const HEADER_RE = /^#(\d\d)(\d\d)(\d\d) +(\d{1,2}):(\d\d):(\d\d) server id \d+ +end_log_pos (\d+) .*?\t(.*)$/

/** argv of the reader: rows decoded (counted, never replayed from this output), times in UTC. */
export function binlogReadArgv(files: string[], startPosition?: number): string[] {
  return ['mariadb-binlog', '--base64-output=decode-rows', '--verbose', ...(startPosition ? [`--start-position=${startPosition}`] : []), ...files]
}

/** Parses `mariadb-binlog --verbose` output (run with TZ=UTC) into transactions. */
export class BinlogParser {
  readonly events: BinlogEvent[] = []
  private cur: BinlogEvent | null = null
  private fileIndex = -1
  private at = 0
  private db = ''
  private mode: 'none' | 'query' | 'annotate' = 'none'
  private acc: string[] = []
  private annotation: string[] = []

  private close(): void {
    this.flushAnnotation()
    if (this.cur) this.events.push(this.cur)
    this.cur = null
    this.mode = 'none'
  }

  private flushAnnotation(): void {
    if (this.annotation.length && this.cur) this.cur.statements.push(this.annotation.join('\n'))
    this.annotation = []
  }

  line(l: string): void {
    if (l.startsWith('### ')) return
    if (l.startsWith('# at ')) { this.at = Number(l.slice(5)); if (this.mode === 'query') this.mode = 'none'; return }
    if (this.mode === 'annotate' && l.startsWith('#Q> ')) { this.annotation.push(l.slice(4)); return }
    const h = HEADER_RE.exec(l)
    if (h) {
      this.flushAnnotation()
      const [, yy, mo, dd, hh, mi, ss, endPos, desc] = h
      const unix = Date.UTC(2000 + Number(yy), Number(mo) - 1, Number(dd), Number(hh), Number(mi), Number(ss)) / 1000
      const end = Number(endPos)
      this.mode = 'none'
      if (desc.startsWith('Start: binlog')) { this.close(); this.fileIndex++; this.db = ''; return }
      const g = /^GTID (\d+-\d+-\d+)( ddl)?/.exec(desc)
      if (g) {
        this.close()
        this.cur = { gtid: g[1], time: new Date(unix * 1000).toISOString().replace('.000Z', 'Z'), unix, fileIndex: this.fileIndex,
          start: this.at, end, ddl: !!g[2], statements: [], tables: [], databases: [], rows: 0 }
        return
      }
      if (!this.cur) return
      if (desc.startsWith('Query')) { this.mode = 'query'; this.acc = []; this.cur.end = end; return }
      if (desc.startsWith('Annotate_rows')) { this.mode = 'annotate'; return }
      const t = /^Table_map: `((?:[^`]|``)*)`\.`((?:[^`]|``)*)`/.exec(desc)
      if (t) {
        const name = `${t[1]}.${t[2]}`
        if (!this.cur.tables.includes(name)) this.cur.tables.push(name)
        if (!this.cur.databases.includes(t[1])) this.cur.databases.push(t[1])
        return
      }
      if (/^(Write|Update|Delete)_rows/.test(desc)) { this.cur.end = end; return }
      if (desc.startsWith('Xid')) { this.cur.end = end; this.close(); return }
      return
    }
    const rows = /^# Number of rows: (\d+)/.exec(l)
    if (rows && this.cur) { this.cur.rows += Number(rows[1]); return }
    if (this.mode !== 'query' || !this.cur) return
    // a Query event's text: statements end with /*!*/; (session SETs on one line, the statement on its own)
    if (!l.endsWith('/*!*/;')) { this.acc.push(l); return }
    const stmt = [...this.acc, l.slice(0, -'/*!*/;'.length)].join('\n').trim()
    this.acc = []
    const use = /^use `((?:[^`]|``)*)`$/.exec(stmt)
    if (use) { this.db = use[1].replace(/``/g, '`'); return }
    if (!stmt || /^(SET |\/\*!|\/\*M!|BEGIN$|COMMIT$|ROLLBACK$|START TRANSACTION$|XA )/i.test(stmt)) return
    this.cur.statements.push(stmt)
    if (!this.cur.ddl) return
    const t = DDL_TABLE_RE.exec(stmt)
    const name = t ? (t[2] ? `${t[1]}.${t[2]}` : `${this.db}.${t[1]}`) : this.db
    const db = t?.[2] ? t[1] : this.db
    if (name && !this.cur.tables.includes(name)) this.cur.tables.push(name)
    if (db && !this.cur.databases.includes(db)) this.cur.databases.push(db)
    if (this.db && !this.cur.databases.includes(this.db)) this.cur.databases.push(this.db)
    this.cur.defaultDb = this.db
  }

  finish(): BinlogEvent[] { this.close(); return this.events }
}

/** Reads `files` (on this machine) in order, the first from `startPosition`: every transaction. */
export async function readEvents(files: string[], startPosition?: number): Promise<BinlogEvent[]> {
  const p = spawnPipe(HOST, binlogReadArgv(files, startPosition), { env: { TZ: 'UTC' } })
  const parser = new BinlogParser()
  const rl = readline.createInterface({ input: p.stdout, crlfDelay: Infinity })
  for await (const l of rl) parser.line(l)
  await p.done
  return parser.finish()
}
