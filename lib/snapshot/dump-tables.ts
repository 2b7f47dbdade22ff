// The rows of every table, read by several readers that share one consistent snapshot. A table is
// one job, or several when it is big and has an integer primary key (ranges.ts); the reader that
// finishes a table's last job takes its CHECKSUM TABLE in the same snapshot.
import { ident, query, type Db } from '../db.ts'
import { debug } from '../log.ts'
import type { Progress } from '../progress.ts'
import type { ManifestTable } from './manifest.ts'
import { outfileRows, ServerCannotWrite } from './outfile.ts'
import { keyRanges } from './ranges.ts'
import { streamRows, tableDumpOf, tableQuery, type TableQuery } from './table-data.ts'
import { DEFAULT_CHUNK_ROWS, type DataFile } from './tsv.ts'

export interface TableInfo {
  name: string
  versioned: boolean
  estimate: number
  /** Copied as tablespace files elsewhere (tablespace.ts): here only counted, in the readers' snapshot. */
  tablespace?: boolean
}

export interface DumpTablesOptions {
  /** The server writes the data files itself (it shares this machine's files). */
  serverFiles: boolean
  /** Rows per file (and per key range). */
  chunkRows?: number
  progress: Progress
  /** CHECKSUM TABLE already read in the same snapshot (share.ts): not read a second time. */
  checksums?: Map<string, string>
}

interface TableState {
  info: TableInfo
  q: TableQuery
  left: number
  files: DataFile[]
  rows: number
  bar: ReturnType<Progress['item']>
}

interface Job { table: TableInfo; state?: TableState; where: string | null; chunk: number }

/** Dumps the rows of `tables` into `snapshotDir` with one worker per reader; the manifest entries, by name. */
export async function dumpTables(workers: Db[], database: string, tables: TableInfo[], snapshotDir: string,
  opts: DumpTablesOptions): Promise<ManifestTable[]> {
  const chunkRows = opts.chunkRows ?? DEFAULT_CHUNK_ROWS
  let serverFiles = opts.serverFiles
  const queue: Job[] = tables.map((t) => ({ table: t, where: null, chunk: 1 }))
  const results: ManifestTable[] = []

  const runJob = async (db: Db, job: Job, st: TableState): Promise<DataFile[]> => {
    if (serverFiles && st.q.serverTextSafe) {
      try {
        return await outfileRows(db, st.q, job.where, snapshotDir, job.chunk)
      } catch (e) {
        if (!(e instanceof ServerCannotWrite)) throw e
        debug(`the server cannot write the data files here (${e.message}); streaming them instead`)
        serverFiles = false
      }
    }
    // a range is one file (its number is its place); a whole table splits by row count
    const onProgress = (rows: number, bytes: number) => st.bar.update(st.rows + rows, bytes)
    return streamRows(db, st.q, job.where, snapshotDir,
      job.where === null ? { chunkRows, onProgress } : { chunkRows: Infinity, firstChunk: job.chunk, onProgress })
  }

  /** A tablespace table's row count, as of the snapshot its copied files hold. */
  const count = async (db: Db, t: TableInfo): Promise<void> => {
    const bar = opts.progress.item(t.name, t.estimate)
    const [c] = await query<{ n: string }>(db, `SELECT COUNT(*) AS n FROM ${ident(database)}.${ident(t.name)}`)
    bar.update(Number(c.n))
    bar.done()
    results.push({ name: t.name, rows: Number(c.n), checksum: null, bytes: 0, files: [], columns: [], loadColumns: '' })
  }

  /** The first job of a table reads its definition and queues its other key ranges for any reader. */
  const start = async (db: Db, job: Job): Promise<TableState> => {
    const t = job.table
    const q = await tableQuery(db, database, t.name, { history: t.versioned })
    const ranges = q.history ? [null] : await keyRanges(db, database, t.name, t.estimate, chunkRows)
    const st: TableState = { info: t, q, left: ranges.length, files: [], rows: 0, bar: opts.progress.item(t.name, t.estimate) }
    job.where = ranges[0]
    queue.unshift(...ranges.slice(1).map((where, i) => ({ table: t, state: st, where, chunk: i + 2 })))
    return st
  }

  const finish = async (db: Db, st: TableState): Promise<void> => {
    const dump = tableDumpOf(st.q, st.files.sort((a, b) => a.file.localeCompare(b.file)))
    // CHECKSUM TABLE reads the same consistent snapshot. A versioned table whose history cannot
    // be loaded back (transaction-id versioning) would not match it: no checksum.
    const checksum = st.info.versioned && !dump.history ? null
      : opts.checksums?.get(st.info.name) ?? String((await query<{ Checksum: string | number | null }>(db, `CHECKSUM TABLE ${ident(database)}.${ident(st.info.name)}`))[0].Checksum)
    st.bar.done()
    results.push({ name: dump.table, rows: dump.rows, checksum, bytes: dump.files.reduce((a, f) => a + f.bytes, 0),
      files: dump.files, columns: dump.columns, loadColumns: dump.loadColumns, ...(dump.history ? { history: true } : {}) })
  }

  // a reader with nothing queued waits while another reads a table's bounds: it may queue ranges
  const starting = new Set<Promise<TableState>>()
  await Promise.all(workers.map(async (db) => {
    for (;;) {
      const job = queue.shift()
      if (!job) {
        if (starting.size === 0) return
        await Promise.race(starting).catch(() => undefined)
        continue
      }
      if (job.table.tablespace) { await count(db, job.table); continue }
      let st = job.state
      if (!st) {
        const p = start(db, job)
        starting.add(p)
        try { st = await p } finally { starting.delete(p) }
      }
      const files = await runJob(db, job, st)
      st.files.push(...files)
      st.rows += files.reduce((a, f) => a + f.rows, 0)
      st.bar.update(st.rows)
      if (--st.left === 0) await finish(db, st)
    }
  }))
  return results.sort((a, b) => a.name.localeCompare(b.name))
}
