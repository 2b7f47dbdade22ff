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

/** A table's two files in the server's folder of its database. */
const fileNames = (table: string) => [`${table}.ibd`, `${table}.cfg`]

/** Copies each frozen table's .ibd and .cfg into `snapshotDir`, each file's crc32 read on the way (ServerFiles.fetch). */
export async function copyTablespaces(files: ServerFiles, database: string, tables: string[], snapshotDir: string): Promise<Map<string, TablespaceFile[]>> {
  const to = path.join(snapshotDir, 'data')
  fs.mkdirSync(to, { recursive: true })
  const sums = await files.fetch(database, tables.flatMap(fileNames), to) // the biggest tables first, as listed
  return new Map(tables.map((t) => [t, fileNames(t).map((n) => ({ file: `data/${n}`, ...sums.get(n)! })).sort((a, b) => a.file.localeCompare(b.file))]))
}

/**
 * Swaps the empty tablespaces `stage` has for the snapshot's copies of `tables`: DISCARD each, then
 * their files beside the database's own, all in one transfer. Returns what was placed, for cleanup.
 */
export async function placeTablespaces(db: Db, files: ServerFiles, stage: string, tables: ManifestTable[], snapshotDir: string): Promise<Placed> {
  await db.query('SET SESSION foreign_key_checks = 0') // a referenced table's tablespace may go too
  for (const t of tables) await db.query(`ALTER TABLE ${ident(stage)}.${ident(t.name)} DISCARD TABLESPACE`)
  const names = tables.flatMap((t) => t.tablespace!.files.map((f) => path.basename(f.file)))
  const placed: Placed = { stage, files, pending: new Map(tables.map((t) => [t.name, t.tablespace!.files.map((f) => path.basename(f.file))])) }
  try {
    await files.put(path.join(snapshotDir, 'data'), names, stage)
  } catch (e) {
    await clearPlaced(placed).catch(() => undefined)
    throw e
  }
  return placed
}

/** Files put beside a staging database's own: by table, those not imported yet. */
export interface Placed { stage: string; files: ServerFiles; pending: Map<string, string[]> }

/** Imports table `t` from its placed files (IMPORT TABLESPACE checks every page). */
export async function importTablespace(db: Db, placed: Placed, t: ManifestTable): Promise<void> {
  await db.query(`ALTER TABLE ${ident(placed.stage)}.${ident(t.name)} IMPORT TABLESPACE`)
  // imported: its .ibd is the table's own now, only the .cfg is left to remove
  placed.pending.set(t.name, (placed.pending.get(t.name) ?? []).filter((n) => n.endsWith('.cfg')))
  const warnings = await query<{ Level: string; Code: number; Message: string }>(db, 'SHOW WARNINGS')
  const bad = warnings.filter((w) => w.Level !== 'Note')
  if (bad.length) throw failure(`importing table ${t.name}: ${bad.map((w) => w.Message).join('; ')}`)
}

/**
 * Removes what no table owns: the .cfg files, and the files of tables not imported (a discarded
 * table's stray copy would keep the staging folder from going). One call for all.
 */
export async function clearPlaced(placed: Placed): Promise<void> {
  await placed.files.remove(placed.stage, [...placed.pending.values()].flat())
  placed.pending.clear()
}
