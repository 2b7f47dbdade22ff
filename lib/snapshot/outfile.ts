// Server-written data files, for a server that shares this machine's files (the local runtime):
// SELECT ... INTO OUTFILE writes the TSV in the server's own C code, where streaming the rows
// into this process costs several seconds of parsing per million rows; zstd then compresses it.
// The server's file is the same LOAD DATA text (default escapes; a tab or newline inside a
// value is written as a backslash and the byte itself, which LOAD DATA reads back the same).
import fs from 'node:fs'
import path from 'node:path'
import { ownerTag, type Db } from '../db.ts'
import { makeDataDir, sha256File } from '../fs-util.ts'
import { HOST, run } from '../run.ts'
import { inDumpSession, type TableQuery } from './table-data.ts'
import { chunkFile, rewrap, sqlString, type DataFile } from './tsv.ts'

/** Errors that mean "this server cannot write files here" (not "the dump failed"): stream instead. */
const CANNOT_WRITE_HERE = new Set([
  1004, // can't create file (the server's user may not write into the folder)
  1045, 1227, // no FILE privilege
  1290, // secure_file_priv points elsewhere
])

export class ServerCannotWrite extends Error {}

/**
 * Writes the rows of `q` matching `where` as file number `chunk` of its table: the server writes
 * `<file>.tsv` beside the snapshot's data files, zstd compresses it, and the TSV is removed. No
 * file for no rows. Throws ServerCannotWrite when the server may not write there. The server's
 * TSV is world-readable (it fchmods INTO OUTFILE files to 0644); it lives only inside the
 * snapshot's partial folder, which is owner-only (0700) before the server writes, so no other
 * account can reach it (a server running as another user cannot write there: rows then stream).
 */
export async function outfileRows(db: Db, q: TableQuery, where: string | null, snapshotDir: string, chunk: number): Promise<DataFile[]> {
  const file = chunkFile(q.table, chunk)
  const abs = path.join(snapshotDir, file)
  const tsv = abs.replace(/\.zst$/, '')
  makeDataDir(path.dirname(abs))
  const sql = `${ownerTag()}${q.select} INTO OUTFILE ${sqlString(tsv)} CHARACTER SET binary `
    + "FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' "
    + `${q.from}${where ? ` WHERE ${where}` : ''}`
  let rows: number
  try {
    const [res] = await inDumpSession(db, () => db.query(sql))
    rows = (res as { affectedRows: number }).affectedRows
  } catch (e) {
    fs.rmSync(tsv, { force: true })
    if (CANNOT_WRITE_HERE.has((e as { errno?: number }).errno ?? 0)) throw new ServerCannotWrite((e as Error).message)
    throw rewrap(e, `dumping table ${q.table} failed`)
  }
  try {
    if (rows === 0) return []
    const tmp = `${abs}.partial`
    // to stdout, into a file this process creates under the snapshot's umask: zstd -o would give the
    // compressed copy the mode of the server's file, which the server makes 0644 whatever its umask
    await run(HOST, ['zstd', '-q', '-1', '-T1', '-c', '--', tsv], { stdoutFile: tmp })
    const { bytes, sha256 } = await sha256File(tmp)
    fs.renameSync(tmp, abs)
    return [{ file, rows, bytes, sha256 }]
  } catch (e) {
    fs.rmSync(`${abs}.partial`, { force: true })
    throw rewrap(e, `writing ${file} failed`)
  } finally {
    fs.rmSync(tsv, { force: true })
  }
}
