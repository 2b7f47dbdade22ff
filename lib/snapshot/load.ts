// data_load: check the snapshot whole, load it into a staging database beside the live one,
// verify it against the manifest, restore the files, then swap it in atomically.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { projectPath, type Config } from '../config.ts'
import { connect, ident, query, serverVersion, withDb, type Db } from '../db.ts'
import { UserError, failure, onInterrupt, serverGoneDuringLoad } from '../errors.ts'
import { invokingOwner } from '../owner.ts'
import { startProgress } from '../progress.ts'
import type { Runtime } from '../runtime/index.ts'
import { cleanDebris } from './debris.ts'
import { isPhysical } from './physical.ts'
import { loadPhysical } from './physical-load.ts'
import { checkFiles, namedAsFolder, readManifest, tableDump, type Manifest, type ManifestTable } from './manifest.ts'
import { requireSnapshot, TEMP_DB_PREFIX } from './names.ts'
import { createTables, type SchemaSnapshot } from './schema.ts'
import { discardStorage, stageStorage, type StagedStorage } from './storage.ts'
import { withStatsPaused } from './stats.ts'
import { swapIn } from './swap.ts'
import { loadTableData } from './table-load.ts'
import { clearPlaced, importTablespace, placeTablespaces, tablespaceAccess, type Placed } from './tablespace.ts'

export interface LoadResult { name: string; tables: number; rows: number; files: number; ms: number }

/** A name for one of the tool's temporary databases; the prefix lets a later run find debris. */
export function tempDbName(kind: 'stage' | 'old' | 'scratch'): string {
  return `${TEMP_DB_PREFIX}${kind}_${process.pid}_${Date.now().toString(36)}`
}

export interface OpenedSnapshot { dir: string; manifest: Manifest; schema: SchemaSnapshot }

/** Reads a snapshot and checks it whole before anything is touched. */
export async function openSnapshot(cfg: Config, name: string | undefined, verb: string): Promise<OpenedSnapshot> {
  const dir = requireSnapshot(cfg, name, verb)
  const manifest = namedAsFolder(readManifest(dir), name!)
  const problems = await checkFiles(dir, manifest)
  if (problems.length) {
    throw failure(`snapshot "${name}" is damaged: ${problems.join('; ')}`, 'nothing was changed; load another snapshot (make data_list) or take a new one')
  }
  const schema = JSON.parse(fs.readFileSync(path.join(dir, 'schema/schema.json'), 'utf8')) as SchemaSnapshot
  return { dir, manifest, schema }
}

/**
 * Refuses a snapshot the running server cannot take: another engine; for a tablespace snapshot,
 * another major.minor (InnoDB's files are not portable) or a server whose files are not ours.
 */
export function checkEngine(m: Manifest, version: string, rt?: Runtime): { sameVersion: boolean } {
  const flavor = /mariadb/i.test(version) ? 'mariadb' : 'mysql'
  if (m.engine.flavor !== flavor) {
    throw new UserError(`snapshot "${m.name}" is from ${m.engine.flavor} ${m.engine.version}; this server is ${flavor} ${version}`, {
      hint: 'load it into a server of the same engine, or import a plain SQL dump with: make data_load ARGS="--file dump.sql"',
    })
  }
  const minor = (v: string) => v.split('.').slice(0, 2).join('.')
  const sameVersion = minor(m.engine.version) === minor(version)
  const logical = `on the server it came from, take a logical one (make data_dump ARGS="--name ${m.name}-logical") and load that`
  if (m.kind === 'tablespace' && !sameVersion) {
    throw new UserError(`snapshot "${m.name}" is a physical (tablespace) snapshot of ${flavor} ${m.engine.version}; this server is ${version}, and InnoDB files load only into the same major.minor`, { hint: logical })
  }
  if (m.kind === 'tablespace' && rt && !rt.serverFiles) {
    throw new UserError(`snapshot "${m.name}" is a physical (tablespace) snapshot; loading one needs the server's data files, which datakeep cannot reach on the ${rt.name} runtime`, { hint: logical })
  }
  return { sameVersion }
}

/**
 * Loads every table of the snapshot into `target` (tables already created) in parallel, each
 * verified by the connection that loaded it right after its load. Returns the differences found.
 */
export async function loadTables(rt: Runtime, cfg: Config, dir: string, m: Manifest, target: string, compareChecksums: boolean): Promise<string[]> {
  const threads = Math.max(1, Math.min(cfg.DUMP_THREADS || Math.min(4, os.availableParallelism()), m.tables.length || 1))
  const queue = [...m.tables].sort((a, b) => b.bytes - a.bytes)
  const progress = startProgress(`load ${m.name}`, m.tables.reduce((a, t) => a + t.rows, 0), { exact: true })
  const conns: Db[] = []
  const problems: string[] = []
  const copied = m.tables.filter((t) => t.tablespace)
  let placed: Placed | null = null
  let ok = false
  try {
    // the copied tables' files go in first, in one transfer, in place of their empty tablespaces
    if (copied.length) placed = await withDb(rt.admin, (db) => placeTablespaces(db, tablespaceAccess(rt), target, copied, dir), { database: null })
    await Promise.all(Array.from({ length: threads }, async () => {
      const db = await connect(rt.admin, { database: target })
      conns.push(db)
      await db.query("SET SESSION foreign_key_checks = 0, unique_checks = 0, sql_mode = 'NO_AUTO_VALUE_ON_ZERO'")
      await db.query('SET SESSION sql_log_bin = 0').catch(() => undefined) // needs a privilege some servers withhold
      for (let t = queue.shift(); t; t = queue.shift()) {
        const bar = progress.item(t.name, t.rows)
        if (t.tablespace) { await importTablespace(db, placed!, t); bar.update(t.rows, t.bytes) }
        else {
          await withStatsPaused(db, target, t.name, () => loadTableData(db, target, tableDump(t), dir,
            { onProgress: (r) => bar.update(r) }))
        }
        const problem = await verifyTable(db, target, t, compareChecksums)
        if (problem) problems.push(problem)
        bar.done()
      }
    }))
    ok = true
  } finally {
    progress.stop()
    for (const c of conns) await c.end().catch(() => c.destroy())
    // after a failure the staging database goes anyway: its first error is the one to report
    if (placed) await clearPlaced(placed).catch((e: unknown) => { if (ok) throw e })
  }
  return problems.sort()
}

/** Compares one table's row count (and checksum, where the server computes it alike) with the manifest. */
export async function verifyTable(db: Db, database: string, t: ManifestTable, compareChecksums: boolean): Promise<string | null> {
  const [c] = await query<{ n: string }>(db, `SELECT COUNT(*) AS n FROM ${ident(database)}.${ident(t.name)}${t.history ? ' FOR SYSTEM_TIME ALL' : ''}`)
  if (Number(c.n) !== t.rows) return `${t.name}: ${c.n} rows, the manifest says ${t.rows}`
  if (!compareChecksums || t.checksum === null) return null
  const [k] = await query<{ Checksum: string | number | null }>(db, `CHECKSUM TABLE ${ident(database)}.${ident(t.name)}`)
  return String(k.Checksum) !== t.checksum ? `${t.name}: checksum ${k.Checksum}, the manifest says ${t.checksum}` : null
}

export interface LoadOptions {
  /** Runs on the verified staging database before the swap; throwing there leaves the live one as it was. */
  beforeSwap?: (stage: string) => Promise<void>
  /** The same snapshot, already checked whole by openSnapshot (before the safety snapshot): not hashed twice. */
  opened?: OpenedSnapshot
}

export async function loadSnapshot(cfg: Config, rt: Runtime, name: string | undefined, opts: LoadOptions = {}): Promise<LoadResult> {
  const t0 = Date.now()
  const physicalDir = requireSnapshot(cfg, name, 'data_load')
  const head = namedAsFolder(readManifest(physicalDir), name!)
  if (isPhysical(head)) {
    // the physical fast path checks its files while it copies them
    const r = await loadPhysical(cfg, rt, physicalDir, head)
    return { name: head.name, tables: r.tables, rows: r.rows, files: head.storage.files, ms: r.ms }
  }
  const opened = opts.opened?.dir === physicalDir ? opts.opened : await openSnapshot(cfg, name, 'data_load')
  const { dir, manifest: m, schema } = opened
  const live = rt.admin.database
  await cleanDebris(cfg, rt)
  const stage = tempDbName('stage')
  return withDb(rt.admin, async (db) => {
    const { sameVersion } = checkEngine(m, await serverVersion(db), rt)
    const dropStage = () => db.query(`DROP DATABASE IF EXISTS ${ident(stage)}`).then(() => undefined)
    // Ctrl-C never cuts the swap in half: once begun, it completes (or puts everything back)
    // before the cleanup goes on; once interrupted, no swap begins.
    let interrupted = false
    let swapping: Promise<void> | null = null
    let staged: StagedStorage | null = null
    let staging: Promise<StagedStorage> | null = null
    const off = onInterrupt(async () => {
      interrupted = true
      const swapped = swapping ? await swapping.then(() => true, () => false) : false
      // the interrupted statement may hold the connection: drop from a fresh one
      await withDb(rt.admin, (d) => d.query(`DROP DATABASE IF EXISTS ${ident(stage)}`), { database: null })
      // once the swap began its journal owns the staged files: the next run places or removes them;
      // files being staged when the signal came are waited for, then removed
      if (!swapping) discardStorage(staging ? await staging.catch(() => null) : staged)
      // the last line says which state the database and its files are in (always the same one)
      return swapped ? `after the swap: snapshot ${m.name} is loaded` : 'before the swap: nothing changed'
    })
    const stopIfInterrupted = () => { if (interrupted) throw failure('interrupted before the swap; nothing was changed') }
    try {
      await db.query(`CREATE DATABASE ${ident(stage)} CHARACTER SET ${m.database.charset} COLLATE ${m.database.collation}`)
      await createTables(db, stage, schema)
      const problems = await loadTables(rt, cfg, dir, m, stage, sameVersion)
      if (problems.length) {
        throw failure(`the loaded data does not match snapshot "${m.name}": ${problems.join('; ')}`, 'nothing was changed; run make data_verify ARGS="--name ' + m.name + ' --deep"')
      }
      await opts.beforeSwap?.(stage)
      stopIfInterrupted()
      // the files are made ready beside their folder; they switch in the same step as the tables
      staging = stageStorage(path.join(dir, m.storage.archive), projectPath(cfg, cfg.STORAGE_DIR), m.storage.treeHash, { owner: invokingOwner(cfg) })
      staged = await staging
      stopIfInterrupted()
      swapping = swapIn(db, { live, stage, oldDb: tempDbName('old'), post: schema, charset: m.database.charset, collation: m.database.collation,
        storage: { staging: staged.staging, real: staged.real } })
      await swapping
      return { name: m.name, tables: m.tables.length, rows: m.tables.reduce((a, t) => a + t.rows, 0), files: m.storage.files, ms: Date.now() - t0 }
    } catch (e) {
      // staged files of a swap that never began go; once it began, its journal decides (recoverSwap)
      if (!interrupted && !swapping) discardStorage(staged)
      throw serverGoneDuringLoad(e, swapping !== null) ?? e
    } finally {
      await dropStage().catch(() => undefined)
      off()
    }
  }, { database: null })
}

