// data_load of a physical snapshot (local runtime): check every file, copy the prepared backup
// beside the server's data directory, then stop, swap the folders, start and verify; any failure
// stops the server, puts the old folder back and starts it again.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { projectPath, type Config } from '../config.ts'
import { ident, query, serverVersion, withDb } from '../db.ts'
import { UserError, failure, onInterrupt } from '../errors.ts'
import { MARKER_DB } from '../initialize/marker.ts'
import { step, warn } from '../log.ts'
import { invokingOwner } from '../owner.ts'
import { HOST, run } from '../run.ts'
import type { Runtime } from '../runtime/index.ts'
import { localPaths } from '../runtime/local.ts'
import { commandSummary, withLock } from '../safety/lock.ts'
import { archiveBinlogs } from '../pitr/archive.ts'
import { cleanDebris } from './debris.ts'
import { checkFiles, type Manifest } from './manifest.ts'
import { backupArgv, isPhysical, listFiles, majorMinor, PHYSICAL_DIR, userDatabases, type PhysicalManifest } from './physical.ts'
import { chainMembers, chainOf, prepareChain } from './physical-chain.ts'
import { putBack, settleDataDir, unsettledAdvice } from './physical-swap.ts'
import { discardStorage, placeStorage, stageStorage, type StagedStorage } from './storage.ts'

export interface PhysicalLoadOptions {
  /** Load even though the server holds databases the snapshot does not (they are removed with the rest). */
  dropDatabases?: boolean
  /** Runs on the new data directory, already in place, just before the server starts on it (tests inject faults here). */
  beforeStart?: (dataDir: string) => Promise<void> | void
}

export interface PhysicalLoadResult { tables: number; rows: number; ms: number; /** How long the server was down. */ downtimeMs: number }

const LOGICAL = (m: { name: string }) => `take a logical one: make data_dump ARGS="--name ${m.name}"`

/** Refuses (exit 2) what this server cannot start on: another engine, another major.minor, another runtime. */
export function checkPhysicalLoad(m: PhysicalManifest, rt: Runtime, version: string): void {
  if (rt.name !== 'local') {
    throw new UserError(`loading a physical snapshot is not supported on the ${rt.name} runtime yet`,
      { hint: `on the stack it came from, ${LOGICAL(m)} and load that` })
  }
  const flavor = /mariadb/i.test(version) ? 'mariadb' : 'mysql'
  if (flavor !== m.engine.flavor || majorMinor(version) !== majorMinor(m.engine.version)) {
    throw new UserError(`a physical snapshot from ${m.engine.flavor} ${m.engine.version} cannot be loaded by ${flavor} ${version}`,
      { hint: `on the ${majorMinor(m.engine.version)} server it came from, ${LOGICAL(m)}` })
  }
}

/** checkFiles, plus: nothing under physical/ that the manifest does not list (it would be copied into the server). */
export async function checkPhysicalFiles(dir: string, m: PhysicalManifest, threads = 2): Promise<string[]> {
  const root = path.join(dir, PHYSICAL_DIR)
  if (!fs.existsSync(root)) return [`${PHYSICAL_DIR}/: missing`]
  const extra = listFiles(root).map((r) => `${PHYSICAL_DIR}/${r}`).filter((r) => !(r in m.files))
  return [...extra.map((r) => `${r}: not in the manifest's file list`), ...await checkInParallel(dir, m, threads)]
}

/**
 * Every table of the manifest readable and, when the dump saw them unchanged across the backup,
 * with its row counts. Tables are counted on `threads` connections, biggest first.
 */
async function verifyLoaded(rt: Runtime, m: PhysicalManifest, threads: number): Promise<string[]> {
  const problems: string[] = []
  const queue = [...m.tables].sort((a, b) => b.bytes - a.bytes)
  await Promise.all(Array.from({ length: Math.max(1, Math.min(threads, queue.length)) }, () => withDb(rt.admin, async (db) => {
    for (let t = queue.shift(); t; t = queue.shift()) {
      const [c] = await query<{ n: string }>(db, `SELECT COUNT(*) AS n FROM ${ident(m.database.name)}.${ident(t.name)}`)
      if (Number(c.n) === t.rows) continue
      if (m.physical.tablesExact) problems.push(`${t.name}: ${c.n} rows, the manifest says ${t.rows}`)
      else warn(`${t.name}: ${c.n} rows; ${t.rows} were read just before the backup (the table changed while it was copied)`)
    }
  }, { database: null })))
  return problems.sort()
}

/** checkFiles over `n` groups of files of about equal bytes at once (it hashes one file at a time). */
async function checkInParallel(dir: string, m: PhysicalManifest, n: number): Promise<string[]> {
  const groups = Array.from({ length: n }, () => ({ bytes: 0, files: {} as Manifest['files'] }))
  for (const [rel, f] of Object.entries(m.files).sort((a, b) => b[1].bytes - a[1].bytes)) {
    const g = groups.reduce((a, b) => (b.bytes < a.bytes ? b : a))
    g.files[rel] = f
    g.bytes += f.bytes
  }
  // each group is checked as a manifest of its own files; what checkFiles checks of the whole
  // manifest (a physical one has no table files) is checked here once
  const part = (files: Manifest['files']) => checkFiles(dir, { ...m, files, tables: [], storage: { ...m.storage, archive: '' } } as unknown as Manifest)
  const problems = (await Promise.all(groups.map((g) => part(g.files)))).flat()
  if (!(m.storage.archive in m.files)) problems.push(`${m.storage.archive}: not in the manifest's file list`)
  return problems
}

/** syncfs: the copied files are on disk before the old data directory may be deleted. */
async function flushToDisk(p: string): Promise<void> {
  try { await run(HOST, ['sync', '-f', p]) } catch { /* no GNU sync here: the kernel writes back soon */ }
}

export async function loadPhysical(cfg: Config, rt: Runtime, dir: string, manifest: Manifest | PhysicalManifest,
  opts: PhysicalLoadOptions = {}): Promise<PhysicalLoadResult> {
  const t0 = Date.now()
  if (!isPhysical(manifest)) throw new UserError(`snapshot "${manifest.name}" is not a physical snapshot`)
  const m = manifest
  checkPhysicalLoad(m, rt, rt.name === 'local' ? await withDb(rt.admin, serverVersion, { database: null }) : '')
  // the safety snapshot before a load covers the application database only: refuse to lose others
  // datakeep's own marker (what was last loaded) is no user data: the load replaces it, then data_load writes it anew
  const gone = (await withDb(rt.admin, userDatabases, { database: null })).filter((d) => d !== MARKER_DB && !m.physical.databases.includes(d))
  if (gone.length && !opts.dropDatabases) {
    throw new UserError(`loading physical snapshot "${m.name}" would remove ${gone.length > 1 ? 'databases' : 'a database'} it does not hold: ${gone.join(', ')}`, {
      hint: `a physical snapshot puts back the whole server; dump ${gone.length > 1 ? 'them' : 'it'} first (MYSQL_DATABASE=<name> make data_dump ARGS="--name <name>") and drop ${gone.length > 1 ? 'them' : 'it'}, or load a logical snapshot, which replaces only ${rt.admin.database}`,
    })
  }
  // an incremental or differential snapshot loads with its chain: every member there, before anything changes
  const members = chainOf(m).type === 'full' ? null : chainMembers(cfg, m.name, m)
  const threads = Math.max(2, cfg.DUMP_THREADS || Math.min(4, os.availableParallelism()))
  return withLock(cfg, commandSummary(), async () => {
    await cleanDebris(cfg, rt)
    // the data directory goes, its binary logs with it: copied first (point-in-time recovery)
    await archiveBinlogs(cfg, rt).catch((e: Error) => warn(`the binary logs were not copied before the data directory is replaced (${e.message.split('\n')[0]})`))
    const { dataDir } = localPaths(cfg)
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
      // the copy goes beside the live folder, so checking while copying still changes nothing live
      if (members) {
        // a chain: every member checked, then prepared into the copy (full first, each incremental onto it)
        for (const x of members) {
          const problems = await checkPhysicalFiles(x.dir, x.m, threads)
          if (problems.length) throw failure(`snapshot "${x.name}"${x.name === m.name ? '' : `, which "${m.name}" builds on,`} is damaged: ${problems.join('; ')}`, 'nothing was changed; load another snapshot (make data_list) or take a new one')
        }
        step(`preparing the chain ${members.map((x) => x.name).join(' + ')}`)
        await prepareChain(members, partial)
      } else {
        const [checked, copied] = await Promise.allSettled([checkPhysicalFiles(dir, m, threads), run(HOST, backupArgv.copy(path.join(dir, PHYSICAL_DIR), partial))])
        if (checked.status === 'rejected') throw checked.reason
        if (checked.value.length) {
          throw failure(`snapshot "${m.name}" is damaged: ${checked.value.join('; ')}`, 'nothing was changed; load another snapshot (make data_list) or take a new one')
        }
        if (copied.status === 'rejected') throw copied.reason
      }
      const flushed = flushToDisk(partial) // meanwhile the server restarts: only deleting the old folder waits for it
      if (interrupted) throw failure('interrupted before the swap; nothing was changed')
      // the files are made ready beside their folder before the swap and switch right after it
      staged = await stageStorage(path.join(dir, m.storage.archive), projectPath(cfg, cfg.STORAGE_DIR), m.storage.treeHash, { owner: invokingOwner(cfg) })
      if (interrupted) throw failure('interrupted before the swap; nothing was changed')
      const files = staged
      const removing = `${dataDir}.removing-${process.pid}-${Date.now()}`
      // the old folder is renamed once the swap is verified and the copy on disk: a kill during
      // its delete leaves debris (.removing-), never an unsettled swap
      const swap = swapDataDir(rt, m, dataDir, partial, threads, opts)
        .then(async ({ downtimeMs, old }) => { placeStorage(files).finish(); await flushed; fs.renameSync(old, removing); return downtimeMs })
      swapping = swap
      const downtimeMs = await swap
      await fs.promises.rm(removing, { recursive: true, force: true })
      return { tables: m.tables.length, rows: m.tables.reduce((a, t) => a + t.rows, 0), ms: Date.now() - t0, downtimeMs }
    } catch (e) {
      if (!swapping) discardStorage(staged) // the swap never began: the folder is as it was
      throw e
    } finally {
      fs.rmSync(partial, { recursive: true, force: true })
      off()
    }
  })
}

/** Stop, swap, start, verify; on any failure the old folder goes back. Returns the downtime and where the old folder is. */
async function swapDataDir(rt: Runtime, m: PhysicalManifest, dataDir: string, partial: string, threads: number,
  opts: PhysicalLoadOptions): Promise<{ downtimeMs: number; old: string }> {
  const old = `${dataDir}.old-${process.pid}-${Date.now()}`
  const down = Date.now()
  await rt.stop()
  try {
    fs.renameSync(dataDir, old)
    fs.renameSync(partial, dataDir)
    await opts.beforeStart?.(dataDir)
    await rt.start()
    const problems = await verifyLoaded(rt, m, threads)
    if (problems.length) throw failure(`the loaded server does not match snapshot "${m.name}": ${problems.join('; ')}`)
  } catch (e) {
    await putBack(rt, dataDir, old, e)
    const denied = /access denied/i.test((e as Error).message)
    throw failure(`loading physical snapshot "${m.name}" failed (${(e as Error).message}); the data directory was put back as it was and the server restarted`,
      denied ? "the snapshot's server has another root password: set MYSQL_ROOT_PASSWORD to it, or load a logical snapshot"
        : 'nothing was changed; check the snapshot with make data_verify, or load another one')
  }
  return { downtimeMs: Date.now() - down, old }
}
