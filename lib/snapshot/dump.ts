// data_dump: database + uploaded files as one snapshot folder, written beside its final place and
// renamed in only when complete (docs/snapshot-format.md).
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { projectPath, type Config } from '../config.ts'
import { giveTo, invokingOwner } from '../owner.ts'
import { databaseExists, query, withDb } from '../db.ts'
import { UserError, failure, onInterrupt } from '../errors.ts'
import { removeDir } from '../fs-util.ts'
import { toolPath } from '../paths.ts'
import { startProgress } from '../progress.ts'
import { HOST, run } from '../run.ts'
import type { Runtime } from '../runtime/index.ts'
import type { ServerFiles } from '../runtime/server-files.ts'
import { commandSummary, withLock } from '../safety/lock.ts'
import { openReaders } from './consistent.ts'
import { quietMark } from './counters.ts'
import { cleanDebris, stopOwnStatements } from './debris.ts'
import { FORMAT, FORMAT_VERSION, sha256File, writeManifest, type Manifest, type ManifestTable, type TablespaceFile } from './manifest.ts'
import { checkName, partialPath, snapshotPath } from './names.ts'
import { restoreSql } from './restore-sql.ts'
import { readSchema, schemaHash, schemaSql, type SchemaSnapshot } from './schema.ts'
import { archiveStorage } from './storage.ts'
import { dumpTables } from './dump-tables.ts'
import { copyTablespaces, freezeTables, tablespaceAccess, transportable } from './tablespace.ts'
import { baseTables } from './table-states.ts'
import { binlogPosition } from '../pitr/position.ts'
import { shareUnchanged } from './share.ts'
import { withBackupUmask } from './private.ts'

export const STORAGE_ARCHIVE = 'storage.tar.gz'

export interface DumpOptions {
  name: string
  force?: boolean
  /** The tool's own snapshots (_init, safety) may use reserved names. */
  reservedOk?: boolean
  threads?: number
  /** The uploaded-files folder to archive (default STORAGE_DIR; the seed has its own). */
  storageDir?: string
  /** For _init: the hash of migrations + seeders it was built from. */
  seedHash?: string
  /** data_dump --physical: InnoDB tables as their own files (tablespace.ts); the local runtime only. */
  physical?: boolean
  /** data_dump --full: every table written anew, none shared with an existing snapshot (share.ts). */
  full?: boolean
}
export interface DumpResult { dir: string; manifest: Manifest }

export function datakeepVersion(): string {
  const pkg = JSON.parse(fs.readFileSync(toolPath('package.json'), 'utf8'))
  return pkg.version
}

export async function gitState(dir: string): Promise<Manifest['git']> {
  const head = await run(HOST, ['git', '-C', dir, 'rev-parse', 'HEAD'], { nothrow: true }).catch(() => null)
  if (!head || head.code !== 0) return { commit: null, dirty: null }
  const st = await run(HOST, ['git', '-C', dir, 'status', '--porcelain'], { nothrow: true })
  return { commit: head.stdout.trim(), dirty: st.stdout.trim() !== '' }
}

/** Writes every file of the snapshot except the data and the archive, which stream in parallel. */
function writeSchemaFiles(dir: string, schema: SchemaSnapshot, tables: ManifestTable[]): void {
  fs.mkdirSync(path.join(dir, 'schema')) // never recreates a folder Ctrl-C took away
  fs.writeFileSync(path.join(dir, 'schema/schema.json'), JSON.stringify(schema, null, 2) + '\n')
  fs.writeFileSync(path.join(dir, 'schema/tables.sql'), schemaSql(schema, 'tables'))
  fs.writeFileSync(path.join(dir, 'schema/post.sql'), schemaSql(schema, 'post'))
  fs.writeFileSync(path.join(dir, 'restore.sql'), restoreSql(tables))
}

export async function dumpSnapshot(cfg: Config, rt: Runtime, opts: DumpOptions): Promise<DumpResult> {
  const t0 = Date.now()
  const name = checkName(opts.name, { reservedOk: opts.reservedOk })
  const final = snapshotPath(cfg, name)
  if (fs.existsSync(final) && !opts.force) {
    throw new UserError(`snapshot "${name}" already exists`, { hint: `to replace it: make data_dump ARGS="--name ${name} --force"` })
  }
  const database = rt.admin.database
  const serverFiles = opts.physical ? tablespaceAccess(rt) : null
  const exists = await withDb(rt.admin, (db) => databaseExists(db, database), { database: null })
  if (!exists) throw failure(`database ${database} does not exist`, 'to fix: make initialize')
  // a dump never races a load or another dump (inside a locked operation the lock is already ours)
  // owner-only (or group-readable) from the first byte: the files, zstd's, and the folder the server writes into
  return withBackupUmask(cfg, () => withLock(cfg, commandSummary(), () => writeSnapshot(cfg, rt, opts, { t0, name, final, database, serverFiles })))
}

async function writeSnapshot(cfg: Config, rt: Runtime, opts: DumpOptions,
  { t0, name, final, database, serverFiles }: { t0: number; name: string; final: string; database: string; serverFiles: ServerFiles | null }): Promise<DumpResult> {
  await cleanDebris(cfg, rt)
  fs.mkdirSync(path.dirname(final), { recursive: true })
  const partial = partialPath(final)
  fs.mkdirSync(path.join(partial, 'data'), { recursive: true })
  const removePartial = () => removeDir(partial)
  // Ctrl-C: the folder leaves its name at once (no rename into place can follow), and is deleted
  // once the statements writing its data files (INTO OUTFILE) have ended
  let interrupted = false
  const offInterrupt = onInterrupt(() => { interrupted = true; return removeDir(partial, () => stopOwnStatements(rt.admin)) })
  try {
    // a reader whose files the server writes alternates between the server's work and zstd's:
    // two per core keep both busy (measured at 3M rows on 2 cores: 4.6 s with 4, 5.0 s with 2)
    const perCore = rt.sharesFiles ? 2 : 1
    const threads = Math.max(1, opts.threads ?? (cfg.DUMP_THREADS || Math.min(4, perCore * os.availableParallelism())))
    const { readers, locked } = await openReaders(rt.admin, threads, async (db, isLocked) => {
      const tables = await baseTables(db, database)
      const schema = await readSchema(db, database)
      const version = (await query<{ v: string }>(db, 'SELECT VERSION() AS v'))[0].v
      // the counters of this moment prove later that nothing changed (only under the lock)
      const quiet = isLocked ? await quietMark(db, tables) : null
      // the binary log position of this moment: point-in-time recovery replays from here
      const binlog = isLocked ? await binlogPosition(db) : null
      // held from inside the global lock: the copied files show the readers' moment
      const ts = serverFiles && isLocked ? await transportable(db, database, tables) : new Set<string>()
      const frozen = ts.size ? await freezeTables(rt.admin, database, [...ts]) : null
      return { schema, tables: tables.map((t) => ({ ...t, tablespace: ts.has(t.name) })), version, quiet, frozen, binlog }
    })
    const { schema, tables, version, quiet, frozen, binlog } = locked
    const copying = frozen
      ? copyTablespaces(serverFiles!, database, frozen.tables, partial).finally(() => frozen.release())
      : Promise.resolve(new Map<string, TablespaceFile[]>())
    copying.catch(() => undefined) // awaited below, also when the rows failed first
    const storageDir = opts.storageDir ?? projectPath(cfg, cfg.STORAGE_DIR)
    const storagePromise = archiveStorage(storageDir, path.join(partial, STORAGE_ARCHIVE))
    storagePromise.catch(() => undefined)
    const progress = startProgress(`dump ${name}`, tables.reduce((a, t) => a + t.estimate, 0))
    let results: ManifestTable[]
    try {
      // unchanged tables first: links to an existing snapshot's files, decided in this snapshot
      const { shared, checksums } = opts.full ? { shared: [], checksums: undefined }
        : await shareUnchanged(cfg, readers.workers, { database, version, schema, tables, snapshotDir: partial, progress })
      if (interrupted) throw failure('interrupted; the partial snapshot was removed')
      const sharedNames = new Set(shared.map((t) => t.name))
      const written = await dumpTables(readers.workers, database, tables.filter((t) => !sharedNames.has(t.name)), partial,
        { serverFiles: rt.sharesFiles, progress, checksums })
      results = [...written, ...shared].sort((a, b) => a.name.localeCompare(b.name))
    } finally {
      progress.stop()
      await readers.close()
      await Promise.allSettled([copying]) // no file is removed while it is being copied
    }
    const copied = await copying
    for (const t of results) {
      const files = copied.get(t.name)
      if (files) Object.assign(t, { bytes: files.reduce((a, f) => a + f.bytes, 0), tablespace: { files } })
    }
    const storage = await storagePromise
    writeSchemaFiles(partial, schema, results)

    const files: Manifest['files'] = {}
    for (const t of results) for (const f of t.files) files[f.file] = { bytes: f.bytes, sha256: f.sha256 }
    for (const t of results) for (const f of t.tablespace?.files ?? []) files[f.file] = { bytes: f.bytes, crc32: f.crc32 }
    files[STORAGE_ARCHIVE] = { bytes: storage.archiveBytes, sha256: storage.archiveSha256 }
    for (const rel of ['schema/schema.json', 'schema/tables.sql', 'schema/post.sql', 'restore.sql']) {
      files[rel] = await sha256File(path.join(partial, rel))
    }
    const manifest: Manifest = {
      format: FORMAT,
      formatVersion: FORMAT_VERSION,
      name,
      kind: copied.size ? 'tablespace' : 'logical',
      created: new Date(t0).toISOString(),
      datakeepVersion: datakeepVersion(),
      engine: { flavor: /mariadb/i.test(version) ? 'mariadb' : 'mysql', version },
      database: { name: database, charset: schema.database.charset, collation: schema.database.collation },
      git: await gitState(cfg.projectDir),
      schemaHash: schemaHash(schema),
      durationMs: Date.now() - t0,
      tables: results,
      storage: { files: storage.files, bytes: storage.bytes, treeHash: storage.treeHash, archive: STORAGE_ARCHIVE },
      files,
      ...(quiet ? { quiet } : {}),
      ...(binlog ? { binlog } : {}),
      ...(opts.seedHash ? { seedHash: opts.seedHash } : {}),
    }
    writeManifest(partial, manifest)
    // the cleanup runs while this goes on: once interrupted, nothing moves into place
    if (interrupted) throw failure('interrupted; the partial snapshot was removed')
    replaceDir(partial, final)
    giveTo(invokingOwner(cfg), final) // the invoking user's, also under sudo
    return { dir: final, manifest }
  } catch (e) {
    removePartial()
    throw diskFull(e, path.dirname(final), name) ?? e
  } finally {
    offInterrupt()
  }
}

/** A full disk says where and what to do, not only what zstd or node said (every engine's dump). */
export function diskFull(e: unknown, dir: string, name: string): Error | null {
  const err = e as { message?: string; code?: string }
  if (err?.code !== 'ENOSPC' && !/No space left on device|ENOSPC/.test(String(err?.message))) return null
  return failure(`no space left on ${dir} while writing snapshot "${name}"; the partial snapshot was removed, the others are untouched`,
    'to fix: free space there (make data_prune) or set DATA_BACKUP_DIRNAME to a bigger disk, then dump again')
}

/** Moves a complete folder into place; an existing one is renamed aside first and removed after. */
export function replaceDir(from: string, to: string): void {
  if (!fs.existsSync(to)) { fs.renameSync(from, to); return }
  const old = `${to}.old-${process.pid}-${Date.now()}`
  fs.renameSync(to, old)
  try {
    fs.renameSync(from, to)
  } catch (e) {
    fs.renameSync(old, to)
    throw e
  }
  fs.rmSync(old, { recursive: true, force: true })
}
