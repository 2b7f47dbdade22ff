// data_load of a PostgreSQL physical snapshot (local runtime): the snapshot checked whole (every
// file's sha256, pg_verifybackup), copied beside the data directory and checked again there, then
// the server stopped, the folders swapped by two renames, the server started on the copy and
// verified; any failure puts the old folder back. A kill is settled by the next run (physical-swap.ts).
import { HELD_PREFIX } from './held.ts'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { projectPath, type Config } from '../../config.ts'
import { UserError, failure, onInterrupt } from '../../errors.ts'
import { listFiles } from '../../fs-util.ts'
import { info, step, warn } from '../../log.ts'
import { giveTo, invokingOwner } from '../../owner.ts'
import { HOST, run } from '../../run.ts'
import type { Runtime } from '../../runtime/types.ts'
import { commandSummary, withLock } from '../../safety/lock.ts'
import { checkFiles, type Manifest } from '../../snapshot/manifest.ts'
import { putBack, settleDataDir, unsettledAdvice } from '../../snapshot/physical-swap.ts'
import { discardStorage, placeStorage, stageStorage, type StagedStorage } from '../../snapshot/storage.ts'
import type { LoadResult } from '../types.ts'
import { pgQuery, pgVersion, qname, withPg } from './db.ts'
import { cleanPgDebris } from './debris.ts'
import { readPgSchema } from './dump.ts'
import { PgLocalRuntime } from './local.ts'
import { clusterDatabases, diesWithUs, MARKER_DB, SWAP_JOURNAL, writeSwapJournal, physicalArgv, physicalBlocker, physicalToolsDir, pgMajor, PHYSICAL_DIR,
  type PgPhysicalManifest } from './physical.ts'

export interface PgPhysicalLoadOptions {
  /** Load even though the cluster holds databases the snapshot does not (they go with the rest). */
  dropDatabases?: boolean
  /** Runs on the new data directory, in place, just before the server starts on it (tests inject faults here). */
  beforeStart?: (dataDir: string) => Promise<void> | void
}

const DAMAGED_HINT = 'nothing was changed; load another snapshot (make data_list) or take a new one'

/**
 * Refuses (exit 2) what this server cannot take: another runtime, another major version, or a
 * cluster holding databases the snapshot lacks (the safety snapshot keeps the application database only).
 */
export async function checkPhysicalTarget(m: PgPhysicalManifest, rt: Runtime, opts: { dropDatabases?: boolean } = {}): Promise<void> {
  const blocker = physicalBlocker(rt, m.name)
  if (blocker) throw new UserError(`cannot load physical snapshot "${m.name}": ${blocker}`)
  const { version, databases } = await withPg(rt.admin, async (c) => ({ version: await pgVersion(c), databases: await clusterDatabases(c) }), { database: null })
  if (pgMajor(version) !== pgMajor(m.engine.version)) {
    throw new UserError(`physical snapshot "${m.name}" is a copy of PostgreSQL ${m.engine.version}; this server is PostgreSQL ${version}, and a data directory starts only on the same major version`,
      { hint: `on a PostgreSQL ${pgMajor(m.engine.version)} server, load it and take a logical one: make data_dump ARGS="--name ${m.name}-logical"` })
  }
  // datakeep's own marker and held safety copies (held.ts) are no user data: the load replaces them with the rest
  // (a held copy's folder then says its database is gone)
  const gone = databases.filter((d) => d !== MARKER_DB && !d.startsWith(HELD_PREFIX) && !m.physical.databases.includes(d))
  if (gone.length && !opts.dropDatabases) {
    throw new UserError(`loading physical snapshot "${m.name}" would remove ${gone.length > 1 ? 'databases' : 'a database'} it does not hold: ${gone.join(', ')}`, {
      hint: `a physical snapshot puts back the whole cluster; dump ${gone.length > 1 ? 'them' : 'it'} first (POSTGRES_DB=<name> make data_dump ARGS="--name <name>") and drop ${gone.length > 1 ? 'them' : 'it'}, or load a logical snapshot, which replaces only ${rt.admin.database}`,
    })
  }
}

/** Snapshot folders checked whole by this process (data_load's check before its safety snapshot): the load does not hash them again. */
const checked = new Set<string>()

/**
 * The whole check, before anything changes: every file's size and sha256 against the manifest,
 * nothing under physical/ that it does not list, and pg_verifybackup (backup_manifest, the WAL).
 */
export async function checkPhysicalSnapshot(cfg: Config, dir: string, m: PgPhysicalManifest): Promise<string[]> {
  const root = path.join(dir, PHYSICAL_DIR)
  if (!fs.existsSync(root)) return [`${PHYSICAL_DIR}/: missing`]
  const extra = listFiles(root).map((r) => `${PHYSICAL_DIR}/${r}`).filter((r) => !(r in m.files)).map((r) => `${r}: not in the manifest's file list`)
  // the sha256 of every file is the content check: pg_verifybackup adds its manifest's list and the WAL
  const [files, verified] = await Promise.all([checkFiles(dir, m as unknown as Manifest), verifyBackup(cfg, root, { skipChecksums: true })])
  const problems = [...extra, ...files, ...verified]
  if (!problems.length) checked.add(`${dir}\n${m.manifestSha256}`)
  return problems
}

/** pg_verifybackup's complaints about `root`, one line each (none when it is whole). */
async function verifyBackup(cfg: Config, root: string, opts: { skipChecksums?: boolean } = {}): Promise<string[]> {
  const r = await run(HOST, diesWithUs(physicalArgv.verify(physicalToolsDir(cfg), root, opts), cfg.hostPath), { nothrow: true })
  if (r.code === 0) return []
  const lines = `${r.stderr}\n${r.stdout}`.split('\n').map((l) => l.replace(/^pg_verifybackup: (error: )?/, '').trim()).filter(Boolean)
  return [`pg_verifybackup: ${lines.slice(0, 3).join('; ') || `exit ${r.code}`}`]
}

/** Every database of the snapshot there, every table of the application database readable, with its rows when they are exact. */
async function verifyLoaded(rt: Runtime, m: PgPhysicalManifest, threads: number): Promise<string[]> {
  const problems: string[] = []
  const dbs = await withPg(rt.admin, clusterDatabases, { database: null })
  for (const d of m.physical.databases) if (!dbs.includes(d)) problems.push(`database ${d} is missing`)
  if (!dbs.includes(m.database.name)) return problems
  const specs = new Map((await withPg(rt.admin, readPgSchema, { database: m.database.name })).tables.map((t) => [t.name, t]))
  const queue = [...m.tables]
  await Promise.all(Array.from({ length: Math.max(1, Math.min(threads, queue.length)) }, () => withPg(rt.admin, async (c) => {
    for (let t = queue.shift(); t; t = queue.shift()) {
      const spec = specs.get(t.name)
      if (!spec) { problems.push(`table ${t.name} is missing`); continue }
      const n = Number((await pgQuery<{ n: string }>(c, `SELECT count(*)::text AS n FROM ${qname(spec.schema, spec.table)}`))[0].n)
      if (n === t.rows) continue
      if (m.physical.tablesExact) problems.push(`${t.name}: ${n} rows, the manifest says ${t.rows}`)
      else warn(`${t.name}: ${n} rows; ${t.rows} were counted just before the copy (the cluster was written to while it was copied)`)
    }
  }, { database: m.database.name })))
  return problems.sort()
}

/** syncfs: the copied files are on disk before the old data directory may be deleted. */
async function flushToDisk(p: string): Promise<void> {
  try { await run(HOST, physicalArgv.flush(p)) } catch { /* no GNU sync here: the kernel writes back soon */ }
}

export async function pgLoadPhysical(cfg: Config, rt: Runtime, dir: string, m: PgPhysicalManifest, opts: PgPhysicalLoadOptions = {}): Promise<LoadResult> {
  const t0 = Date.now()
  if (!(rt instanceof PgLocalRuntime)) throw new UserError(`cannot load physical snapshot "${m.name}": ${physicalBlocker(rt, m.name) ?? 'not the local runtime'}`)
  await checkPhysicalTarget(m, rt, opts)
  const threads = Math.max(2, cfg.DUMP_THREADS || Math.min(4, os.availableParallelism()))
  return withLock(cfg, commandSummary(), async () => {
    await cleanPgDebris(cfg, rt)
    const { dataDir } = rt.paths
    for (const old of settleDataDir(dataDir).unsettled) warn(unsettledAdvice(dataDir, old))
    const partial = `${dataDir}.partial-${process.pid}-${Date.now()}`
    let interrupted = false
    let swapping: Promise<unknown> | null = null
    let staged: StagedStorage | null = null
    const off = onInterrupt(async () => {
      interrupted = true
      await swapping?.catch(() => undefined) // a begun swap completes or is rolled back first
      fs.rmSync(partial, { recursive: true, force: true })
    })
    try {
      step(`checking and copying physical snapshot ${m.name}`)
      // the copy goes beside the live folder: checking while copying changes nothing live
      const preChecked = checked.has(`${dir}\n${m.manifestSha256}`)
      const [problems, copied] = await Promise.allSettled([
        preChecked ? Promise.resolve([]) : checkPhysicalSnapshot(cfg, dir, m),
        run(HOST, diesWithUs(physicalArgv.copy(path.join(dir, PHYSICAL_DIR), partial), cfg.hostPath)),
      ])
      if (problems.status === 'rejected') throw problems.reason
      if (problems.value.length) throw failure(`snapshot "${m.name}" is damaged: ${problems.value.join('; ')}`, DAMAGED_HINT)
      if (copied.status === 'rejected') throw copied.reason
      // what starts is exactly what was checked: the copy itself against backup_manifest and its WAL
      const copyProblems = await verifyBackup(cfg, partial)
      if (copyProblems.length) throw failure(`the copy of snapshot "${m.name}" in ${partial} is damaged: ${copyProblems.join('; ')}`, DAMAGED_HINT)
      if (interrupted) throw failure('interrupted before the swap; nothing was changed')
      // the files are made ready beside their folder before the swap and switch right after it
      staged = await stageStorage(path.join(dir, m.storage.archive), projectPath(cfg, cfg.STORAGE_DIR), m.storage.treeHash, { owner: invokingOwner(cfg) })
      // the journal travels inside the copy: once it is the data directory, the next run places these files
      writeSwapJournal(partial, { pid: process.pid, storage: { staging: staged.staging, real: staged.real } })
      // the server's account owns its data directory (as root: the postgres account, lib/engines/postgres/local.ts)
      const account = rt.account()
      if (account) giveTo(account, partial)
      fs.chmodSync(partial, 0o700)
      const flushed = flushToDisk(partial) // meanwhile the server restarts: only deleting the old folder waits for it
      if (interrupted) throw failure('interrupted before the swap; nothing was changed')
      const sessions = await withPg(rt.admin, async (c) => Number((await pgQuery<{ n: string }>(c,
        "SELECT count(*)::text AS n FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()"))[0].n), { database: null })
      info(`the server restarts on the snapshot's data directory${sessions ? `: ${sessions} connection${sessions === 1 ? '' : 's'} will be closed (applications must reconnect)` : ''}`)
      const files = staged
      const removing = `${dataDir}.removing-${process.pid}-${Date.now()}`
      // the old folder is renamed once the swap is verified and the copy on disk: a kill during
      // its delete leaves debris (.removing-), never an unsettled swap
      const swap = swapDataDir(rt, m, partial, threads, opts)
        .then(async (old) => {
          placeStorage(files).finish()
          fs.rmSync(path.join(dataDir, SWAP_JOURNAL), { force: true }) // the unit is whole: nothing left to finish
          await flushed
          fs.renameSync(old, removing)
        })
      swapping = swap
      await swap
      await fs.promises.rm(removing, { recursive: true, force: true })
      return { name: m.name, tables: m.tables.length, rows: m.tables.reduce((a, t) => a + t.rows, 0), files: m.storage.files, ms: Date.now() - t0 }
    } catch (e) {
      // the swap never began, or was put back (the copy and its journal gone with it): the folder is as it was
      if (!swapping || !fs.existsSync(path.join(dataDir, SWAP_JOURNAL))) discardStorage(staged)
      throw e
    } finally {
      fs.rmSync(partial, { recursive: true, force: true })
      off()
    }
  })
}

/** Stop, swap, start, verify; on any failure the old folder goes back. Returns where the old folder is. */
async function swapDataDir(rt: PgLocalRuntime, m: PgPhysicalManifest, partial: string, threads: number, opts: PgPhysicalLoadOptions): Promise<string> {
  const { dataDir } = rt.paths
  const old = `${dataDir}.old-${process.pid}-${Date.now()}`
  await rt.stop()
  try {
    fs.renameSync(dataDir, old)
    fs.renameSync(partial, dataDir)
    await opts.beforeStart?.(dataDir)
    await rt.start()
    const problems = await verifyLoaded(rt, m, threads)
    if (problems.length) throw failure(`the loaded cluster does not match snapshot "${m.name}": ${problems.join('; ')}`)
  } catch (e) {
    await putBack(rt, dataDir, old, e)
    throw failure(`loading physical snapshot "${m.name}" failed (${(e as Error).message}); the data directory was put back as it was and the server restarted`,
      'nothing was changed; check the snapshot with make data_verify, or load another one')
  }
  return old
}
