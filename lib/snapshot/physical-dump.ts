// data_dump, physical: a prepared mariadb-backup copy of the whole private server, the storage
// archive made in parallel, every file hashed; written beside its final place, renamed in when
// complete (docs/snapshot-format.md, "Physical snapshots").
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { projectPath, type Config } from '../config.ts'
import { eachLimited } from '../fs-util.ts'
import { giveTo, invokingOwner } from '../owner.ts'
import { databaseExists, query, withDb } from '../db.ts'
import { UserError, failure, onInterrupt } from '../errors.ts'
import { ensureHostTools, onPath } from '../host-tools.ts'
import { step } from '../log.ts'
import { HOST, run } from '../run.ts'
import type { Runtime } from '../runtime/index.ts'
import { localPaths } from '../runtime/local.ts'
import { commandSummary, withLock } from '../safety/lock.ts'
import { checkpointNow } from './checkpoint.ts'
import { openReaders } from './consistent.ts'
import { quietMark, unchangedSince } from './counters.ts'
import { baseTables, readStates, type TableState } from './table-states.ts'
import { cleanDebris } from './debris.ts'
import { datakeepVersion, gitState, replaceDir, STORAGE_ARCHIVE } from './dump.ts'
import { FORMAT, FORMAT_VERSION, sha256File, writeManifest, type Manifest, type ManifestTable } from './manifest.ts'
import { checkName, partialPath, snapshotPath } from './names.ts'
import { parseBinlogInfo } from '../pitr/position.ts'
import { BACKUP_TOOL, backupArgv, hostToolVersion, listFiles, PHYSICAL_DIR, PHYSICAL_NOTE, physicalSupported,
  userDatabases, writeOptionsFile, type PhysicalManifest } from './physical.ts'
import { chooseBase, readCheckpoints, type ChainInfo } from './physical-chain.ts'
import { readSchema, schemaHash } from './schema.ts'
import { archiveStorage } from './storage.ts'
import { withBackupUmask } from './private.ts'

export interface PhysicalDumpOptions {
  name: string
  force?: boolean
  /** The tool's own snapshots (_init, safety) may use reserved names. */
  reservedOk?: boolean
  /** mariadb-backup --parallel and the table readers (default DUMP_THREADS, else one per core, at most 4). */
  threads?: number
  /** --incremental / --differential: the changes since a base snapshot only (physical-chain.ts). */
  chain?: { type: 'incremental' | 'differential'; base?: string }
}

/**
 * The tables as of now, with what the manifest needs from the same moment: a brief global read
 * lock while the readers open (consistent.ts); rows and checksums are read after it is released.
 * The local runtime connects as root, so the lock is always held here (quietMark needs it).
 */
async function readTables(rt: Runtime, database: string, threads: number) {
  const { readers, locked } = await openReaders(rt.admin, threads, async (db) => {
    const [d] = await query<{ cs: string; co: string }>(db,
      'SELECT DEFAULT_CHARACTER_SET_NAME AS cs, DEFAULT_COLLATION_NAME AS co FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [database])
    const tables = await baseTables(db, database)
    return {
      tables, charset: d.cs, collation: d.co,
      schema: await readSchema(db, database),
      version: (await query<{ v: string }>(db, 'SELECT VERSION() AS v'))[0].v,
      databases: await userDatabases(db),
      quiet: await quietMark(db, tables),
    }
  })
  const states = readStates(readers.workers, database, locked.tables).finally(() => readers.close())
  states.catch(() => undefined) // awaited by the caller, maybe after the backup failed
  return { ...locked, states }
}

/** The tables' rows and checksums again (the table list included), for comparison; resolves once the readers are open. */
async function rereadTables(rt: Runtime, database: string, threads: number): Promise<{ states: Promise<TableState[]> }> {
  const { readers, locked } = await openReaders(rt.admin, threads, (db) => baseTables(db, database))
  const states = readStates(readers.workers, database, locked).finally(() => readers.close())
  states.catch(() => undefined)
  return { states }
}

const sameStates = (a: TableState[], b: TableState[]) =>
  JSON.stringify(a.map((t) => [t.name, t.rows, t.checksum])) === JSON.stringify(b.map((t) => [t.name, t.rows, t.checksum]))

/** sha256 of every file, `n` at a time (reads overlap the hashing of other files). */
async function hashFiles(root: string, rels: string[], n: number): Promise<Record<string, { bytes: number; sha256: string }>> {
  const out: Record<string, { bytes: number; sha256: string }> = {}
  await eachLimited(rels, n, async (r) => { out[r] = await sha256File(path.join(root, r)) })
  return out
}

export async function dumpPhysical(cfg: Config, rt: Runtime, opts: PhysicalDumpOptions): Promise<{ dir: string; manifest: PhysicalManifest }> {
  const t0 = Date.now()
  const name = checkName(opts.name, { reservedOk: opts.reservedOk })
  const final = snapshotPath(cfg, name)
  if (fs.existsSync(final) && !opts.force) {
    throw new UserError(`snapshot "${name}" already exists`, { hint: `to replace it: make data_dump ARGS="--name ${name} --physical --force"` })
  }
  const support = await physicalSupported(cfg, rt)
  if (!support.ok) throw new UserError(`cannot take a physical snapshot: ${support.why}`)
  const database = rt.admin.database
  if (!await withDb(rt.admin, (db) => databaseExists(db, database), { database: null })) {
    throw failure(`database ${database} does not exist`, 'to fix: make initialize')
  }
  if (!onPath(BACKUP_TOOL.cmd, cfg.hostPath)) { // root with apt: physicalSupported said it can be installed
    await ensureHostTools(cfg, [BACKUP_TOOL])
    const again = await physicalSupported(cfg, rt)
    if (!again.ok) throw new UserError(`cannot take a physical snapshot: ${again.why}`)
  }
  // owner-only (or group-readable) from the first byte: mariadb-backup writes under this umask too
  return withBackupUmask(cfg, () => withLock(cfg, commandSummary(), () => writePhysical(cfg, rt, opts, { t0, name, final, database })))
}

async function writePhysical(cfg: Config, rt: Runtime, opts: PhysicalDumpOptions,
  { t0, name, final, database }: { t0: number; name: string; final: string; database: string }): Promise<{ dir: string; manifest: PhysicalManifest }> {
  await cleanDebris(cfg, rt)
  const paths = localPaths(cfg)
  fs.mkdirSync(path.dirname(final), { recursive: true })
  const partial = partialPath(final)
  fs.mkdirSync(partial)
  const target = path.join(partial, PHYSICAL_DIR)
  // beside the server's socket, readable by this user only; never inside the snapshot
  const optionsFile = path.join(paths.runDir, `backup-${process.pid}-${Date.now()}.cnf`)
  const cleanup = () => { fs.rmSync(optionsFile, { force: true }); fs.rmSync(partial, { recursive: true, force: true }) }
  const offInterrupt = onInterrupt(cleanup)
  try {
    const threads = Math.max(1, opts.threads ?? (cfg.DUMP_THREADS || Math.min(4, os.availableParallelism())))
    writeOptionsFile(optionsFile, cfg.MYSQL_ROOT_PASSWORD)
    const storage = archiveStorage(projectPath(cfg, cfg.STORAGE_DIR), path.join(partial, STORAGE_ARCHIVE))
    storage.catch(() => undefined)
    // tables imported since the last checkpoint (a tablespace snapshot's load) would be skipped
    if (!await withDb(rt.admin, (db) => checkpointNow(db), { database: null })) {
      throw failure('InnoDB did not reach a checkpoint within 60 s, so the copy could miss recently imported tables; nothing was written',
        'try again when the server is less busy, or restart it first (make down && make up)')
    }
    const base = opts.chain ? chooseBase(cfg, opts.chain.type, opts.chain.base) : null
    const before = await readTables(rt, database, threads)
    step(`${opts.chain ? `${opts.chain.type} ` : ''}physical backup of the server (mariadb-backup, ${threads} thread${threads === 1 ? '' : 's'})${base ? ` since ${base.name}` : ''}`)
    // the tables are counted and checksummed (as of just before) while the files are copied
    const [copied, counted] = await Promise.allSettled([
      run(HOST, backupArgv.backup({ optionsFile, targetDir: target, socket: paths.socket, dataDir: paths.dataDir, parallel: threads,
        incrementalBase: base ? path.join(snapshotPath(cfg, base.name), PHYSICAL_DIR) : undefined })),
      before.states,
    ])
    fs.rmSync(optionsFile, { force: true })
    if (copied.status === 'rejected') throw copied.reason
    if (counted.status === 'rejected') throw counted.reason
    // exact when nothing changed the tables between the read and the end of the copy: the counters
    // did not move, or (they moved, maybe elsewhere) the tables read again, while it is prepared, are equal
    const quiet = await withDb(rt.admin, (db) => unchangedSince(db, before.quiet), { database: null })
    const after = quiet ? null : await rereadTables(rt, database, threads)
    // a full copy is prepared now (loadable as it is); an incremental one stays deltas, prepared onto its chain at load
    if (!base) await run(HOST, backupArgv.prepare(target))
    const lsn = readCheckpoints(target)
    // where the copy stands in the binary log: data_timeline reads from there, data_prune keeps its logs
    const binlog = fs.existsSync(path.join(target, 'xtrabackup_binlog_info')) ? parseBinlogInfo(fs.readFileSync(path.join(target, 'xtrabackup_binlog_info'), 'utf8')) : null
    const chain: ChainInfo = { type: opts.chain?.type ?? 'full', base: base?.name ?? null, ...lsn }
    fs.mkdirSync(path.join(partial, 'schema'))
    fs.writeFileSync(path.join(partial, 'schema/schema.json'), JSON.stringify(before.schema, null, 2) + '\n')
    const rels = listFiles(target)
    // the prepared files are hashed while the server reads the tables again
    const [hashed, afterStates] = await Promise.all([hashFiles(target, rels, Math.max(2, threads)), after?.states])
    const exactBy = quiet ? 'quiet' as const : sameStates(counted.value, afterStates!) ? 'reread' as const : null
    const archive = await storage

    const files: Manifest['files'] = {}
    for (const r of rels) files[`${PHYSICAL_DIR}/${r}`] = hashed[r]
    files['schema/schema.json'] = await sha256File(path.join(partial, 'schema/schema.json'))
    files[STORAGE_ARCHIVE] = { bytes: archive.archiveBytes, sha256: archive.archiveSha256 }
    // a checksum that may not describe the copy is not recorded (a safety check would trust it)
    const tables: ManifestTable[] = counted.value.map((t) => ({ name: t.name, rows: t.rows, checksum: exactBy ? t.checksum : null,
      bytes: t.bytes, files: [], columns: [], loadColumns: '' }))
    const manifest: PhysicalManifest = {
      format: FORMAT,
      formatVersion: FORMAT_VERSION,
      name,
      kind: 'physical',
      note: PHYSICAL_NOTE,
      created: new Date(t0).toISOString(),
      datakeepVersion: datakeepVersion(),
      engine: { flavor: 'mariadb', version: before.version },
      database: { name: database, charset: before.charset, collation: before.collation },
      git: await gitState(cfg.projectDir),
      schemaHash: schemaHash(before.schema),
      durationMs: Date.now() - t0,
      tables,
      storage: { files: archive.files, bytes: archive.bytes, treeHash: archive.treeHash, archive: STORAGE_ARCHIVE },
      files,
      // the moment the copy holds, for a later "nothing changed since" (safety checks)
      ...(quiet && before.quiet ? { quiet: before.quiet } : {}),
      ...(binlog ? { binlog } : {}),
      physical: {
        tool: 'mariadb-backup', toolVersion: (await hostToolVersion(cfg)) ?? 'unknown',
        bytes: rels.reduce((a, r) => a + hashed[r].bytes, 0), files: rels.length, tablesExact: exactBy !== null, exactBy, databases: before.databases,
        chain,
      },
    }
    // until manifest.ts widens `kind`, the writer takes the logical type; the hash covers every field
    writeManifest(partial, manifest as unknown as Manifest)
    replaceDir(partial, final)
    giveTo(invokingOwner(cfg), final) // the invoking user's, also under sudo
    return { dir: final, manifest }
  } catch (e) {
    cleanup()
    throw e
  } finally {
    offInterrupt()
  }
}
