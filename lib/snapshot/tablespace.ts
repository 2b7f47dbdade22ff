// Tablespace snapshots (data_dump --physical): the database's InnoDB tables travel as their own
// files, the .ibd and the .cfg that FLUSH TABLES ... FOR EXPORT writes, copied while the tables are
// held unchanged; a table that cannot travel so is dumped as TSV in the same consistent snapshot.
// A load creates the tables in the staging database, swaps each one's empty tablespace for the copy
// (DISCARD / IMPORT TABLESPACE: InnoDB checks every page), verifies and swaps in as any load does.
import fs from 'node:fs'
import path from 'node:path'
import { connect, ident, query, type Connection, type Db } from '../db.ts'
import { UserError, failure } from '../errors.ts'
import type { Runtime } from '../runtime/index.ts'
import type { ServerFiles } from '../runtime/server-files.ts'
import type { ManifestTable, TablespaceFile } from './manifest.ts'
import type { BaseTable } from './table-states.ts'

/** Names the server stores under the same name on disk (its filename encoding changes every other character). */
const PLAIN = /^[A-Za-z0-9_]+$/

/** The server's data files, where the tables' files are read and written (local runtime, or inside the container). */
export function tablespaceAccess(rt: Runtime): ServerFiles {
  if (!rt.serverFiles) {
    throw new UserError(`physical snapshots need the server's data files, which datakeep cannot reach on the ${rt.name} runtime`, {
      hint: 'take a logical one: make data_dump ARGS="--name <name>"',
    })
  }
  return rt.serverFiles
}

/** The two files of a table's tablespace, inside the snapshot. */
export const tablespaceFiles = (table: string) => ({ ibd: `data/${table}.ibd`, cfg: `data/${table}.cfg` })

/**
 * The tables that can travel as files: InnoDB in a file of their own, not partitioned (a file per
 * partition), not system-versioned (history rows hold transaction ids), no FULLTEXT index (InnoDB
 * does not carry its auxiliary tables; the index comes back unusable), plain names.
 */
export async function transportable(db: Db, database: string, tables: BaseTable[]): Promise<Set<string>> {
  if (!PLAIN.test(database)) return new Set()
  const names = (sql: string, arg = database) => query<{ t: string }>(db, sql, [arg]).then((r) => new Set(r.map((x) => x.t)))
  const fulltext = await names("SELECT DISTINCT TABLE_NAME AS t FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? AND INDEX_TYPE = 'FULLTEXT'")
  const partitioned = await names('SELECT DISTINCT TABLE_NAME AS t FROM information_schema.PARTITIONS WHERE TABLE_SCHEMA = ? AND PARTITION_NAME IS NOT NULL')
  // a tablespace of its own, as the server sees it (MariaDB's view, else MySQL 8's)
  const own = await names('SELECT NAME AS t FROM information_schema.INNODB_SYS_TABLESPACES WHERE NAME LIKE ?', `${database}/%`)
    .catch(() => names('SELECT NAME AS t FROM information_schema.INNODB_TABLESPACES WHERE NAME LIKE ?', `${database}/%`))
  return new Set(tables.filter((t) => t.engine === 'InnoDB' && !t.versioned && PLAIN.test(t.name) && !fulltext.has(t.name)
    && !partitioned.has(t.name) && own.has(`${database}/${t.name}`)).map((t) => t.name))
}

export interface Frozen { tables: string[]; release(): Promise<void> }

/**
 * Holds `tables` with FLUSH TABLES ... FOR EXPORT on a connection of its own: their files are
 * complete on disk and nothing writes them until release(). Called while the dump's global read
 * lock holds, so they stay as the readers' consistent snapshot sees them.
 */
export async function freezeTables(conn: Connection, database: string, tables: string[]): Promise<Frozen> {
  const db = await connect(conn, { database: null })
  try {
    await db.query('SET SESSION lock_wait_timeout = 60')
    await db.query(`FLUSH TABLES ${tables.map((t) => `${ident(database)}.${ident(t)}`).join(', ')} FOR EXPORT`)
  } catch (e) {
    await db.end().catch(() => db.destroy())
    throw e
  }
  return {
    tables,
    release: async () => {
      try { await db.query('UNLOCK TABLES') } finally { await db.end().catch(() => db.destroy()) }
    },
  }
}

/**
 * Copies each frozen table's .ibd and .cfg into `snapshotDir`, `n` files at a time, the biggest
 * tables first; each file's crc32 is read on the way (ServerFiles.fetch).
 */
export async function copyTablespaces(files: ServerFiles, database: string, tables: string[], snapshotDir: string,
  n: number): Promise<Map<string, TablespaceFile[]>> {
  const jobs = tables.flatMap((t) => Object.entries(tablespaceFiles(t)).map(([ext, file]) => ({ t, file, rel: `${database}/${t}.${ext}` })))
  const out = new Map<string, TablespaceFile[]>(tables.map((t) => [t, []]))
  fs.mkdirSync(path.join(snapshotDir, 'data'), { recursive: true })
  await Promise.all(Array.from({ length: Math.max(1, n) }, async () => {
    for (let j = jobs.shift(); j; j = jobs.shift()) out.get(j.t)!.push({ file: j.file, ...await files.fetch(j.rel, path.join(snapshotDir, j.file)) })
  }))
  for (const f of out.values()) f.sort((a, b) => a.file.localeCompare(b.file))
  return out
}

/**
 * Puts a tablespace snapshot's copy of table `t` in place of the empty one `stage` has: DISCARD,
 * the files beside the database's own, IMPORT (which checks every page). The .cfg is removed after.
 */
export async function importTablespace(db: Db, files: ServerFiles, stage: string, t: ManifestTable, snapshotDir: string): Promise<void> {
  const q = `${ident(stage)}.${ident(t.name)}`
  const placed = (f: TablespaceFile) => `${stage}/${t.name}${path.extname(f.file)}`
  await db.query(`ALTER TABLE ${q} DISCARD TABLESPACE`)
  try {
    for (const f of t.tablespace!.files) await files.put(path.join(snapshotDir, f.file), placed(f))
    try {
      await db.query(`ALTER TABLE ${q} IMPORT TABLESPACE`)
    } catch (e) {
      // still discarded: the copy is no table's file, and would keep the staging folder from going
      for (const f of t.tablespace!.files) await files.remove(placed(f)).catch(() => undefined)
      throw e
    }
    const warnings = await query<{ Level: string; Code: number; Message: string }>(db, 'SHOW WARNINGS')
    const bad = warnings.filter((w) => w.Level !== 'Note')
    if (bad.length) throw failure(`importing table ${t.name}: ${bad.map((w) => w.Message).join('; ')}`)
  } finally {
    for (const f of t.tablespace!.files) if (f.file.endsWith('.cfg')) await files.remove(placed(f)).catch(() => undefined)
  }
}
