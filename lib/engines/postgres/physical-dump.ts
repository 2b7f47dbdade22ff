// data_dump --physical --whole-server on PostgreSQL (local runtime): pg_basebackup of the private
// cluster (plain, WAL streamed, fast checkpoint) into the snapshot's temporary folder, checked with
// pg_verifybackup, every file hashed, the storage archive made meanwhile; renamed in when complete.
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { projectPath, type Config } from '../../config.ts'
import { UserError, failure, onInterrupt } from '../../errors.ts'
import { eachLimited, listFiles, removeDir, sha256File } from '../../fs-util.ts'
import { step, warn } from '../../log.ts'
import { giveTo, invokingOwner } from '../../owner.ts'
import { HOST, run } from '../../run.ts'
import type { Runtime } from '../../runtime/types.ts'
import { commandSummary, withLock } from '../../safety/lock.ts'
import { datakeepVersion, gitState, replaceDir, STORAGE_ARCHIVE } from '../../snapshot/dump.ts'
import { FORMAT, FORMAT_VERSION, writeManifest, type Manifest, type ManifestTable } from '../../snapshot/manifest.ts'
import { checkName, partialPath, snapshotPath } from '../../snapshot/names.ts'
import { backupModes, withBackupUmask, type BackupModes } from '../../snapshot/private.ts'
import { archiveStorage } from '../../snapshot/storage.ts'
import type { DumpRequest, DumpResult } from '../types.ts'
import { pgConnect, pgDatabaseExists, pgQuery, pgVersion, qname, withPg, type PgClient } from './db.ts'
import { cleanPgDebris } from './debris.ts'
import { readPgSchema } from './dump.ts'
import { displayName, SYSTEM_SCHEMAS } from './inspect.ts'
import { clusterDatabases, diesWithUs, physicalArgv, physicalBlocker, physicalToolsDir, PG_PHYSICAL_NOTE, PHYSICAL_DIR, walBlocker,
  type PgPhysicalManifest } from './physical.ts'

const WAL_HINT = 'set POSTGRES_WAL_LEVEL=replica in .env, then make down && make up (every write then goes to the WAL too: loads are somewhat slower than with minimal)'

export async function pgDumpPhysical(cfg: Config, rt: Runtime, req: DumpRequest): Promise<DumpResult> {
  const t0 = Date.now()
  const name = checkName(req.name, { reservedOk: req.reservedOk })
  const blocker = physicalBlocker(rt, name)
  if (blocker) throw new UserError(`cannot take a physical snapshot: ${blocker}`)
  if (req.chain) {
    throw new UserError(`--${req.chain.type} is not available on PostgreSQL: a whole-server snapshot there is always a full copy`,
      { hint: `make data_dump ARGS="--name ${name} --physical --whole-server"` })
  }
  const final = snapshotPath(cfg, name)
  if (fs.existsSync(final) && !req.force) {
    throw new UserError(`snapshot "${name}" already exists`, { hint: `to replace it: make data_dump ARGS="--name ${name} --physical --whole-server --force"` })
  }
  const database = rt.admin.database
  const wal = await withPg(rt.admin, async (c) => {
    if (!(await pgDatabaseExists(c, database))) throw failure(`database ${database} does not exist`, 'to fix: make up')
    return walBlocker(c)
  }, { database: null })
  if (wal) throw new UserError(`cannot take a physical snapshot: ${wal}`, { hint: `to fix: ${WAL_HINT}` })
  const bin = physicalToolsDir(cfg)
  // owner-only (or group-readable) from the first byte: pg_basebackup writes under this umask too
  return withBackupUmask(cfg, () => withLock(cfg, commandSummary(), () => writePhysical(cfg, rt, req, { t0, name, final, bin })))
}

interface Counted {
  version: string
  tables: { name: string; rows: number; bytes: number }[]
  unlogged: string[]
  databases: string[]
  schemaHash: string
  encoding: string
  collation: string
  /** The next transaction id when counted, when no transaction was writing then; else null. */
  quietAt: string | null
}

/** The next transaction id to be assigned, and whether any is in progress (prepared ones included). */
async function xidState(c: PgClient): Promise<{ xmax: string; busy: boolean }> {
  const [s] = await pgQuery<{ xmax: string; busy: boolean }>(c, `SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS xmax,
    (pg_snapshot_xmin(pg_current_snapshot()) <> pg_snapshot_xmax(pg_current_snapshot())
      OR EXISTS (SELECT 1 FROM pg_prepared_xacts)) AS busy`)
  return s
}

/**
 * The application database's tables with their rows, counted on `threads` connections in one
 * exported snapshot, and what else the manifest needs from the same moment.
 */
async function countTables(rt: Runtime, threads: number): Promise<Counted> {
  const conns: PgClient[] = []
  try {
    const coord = await pgConnect(rt.admin)
    conns.push(coord)
    await coord.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY')
    const [{ snap }] = await pgQuery<{ snap: string }>(coord, 'SELECT pg_export_snapshot() AS snap')
    const xid = await xidState(coord)
    const info = await readPgSchema(coord)
    const unlogged = (await pgQuery<{ schema: string; name: string }>(coord, `SELECT n.nspname AS schema, c.relname AS name
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p') AND c.relpersistence = 'u' AND n.nspname NOT IN ${SYSTEM_SCHEMAS} ORDER BY 1, 2`)).map((r) => displayName(r.schema, r.name))
    const columns = await pgQuery<{ t: string }>(coord, `SELECT format('%I.%I %s %s', n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod)) AS t
      FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p', 'v', 'm') AND a.attnum > 0 AND NOT a.attisdropped AND n.nspname NOT IN ${SYSTEM_SCHEMAS} ORDER BY 1`)
    const sizes = new Map((await pgQuery<{ schema: string; name: string; bytes: string }>(coord, `SELECT n.nspname AS schema, c.relname AS name,
      pg_total_relation_size(c.oid)::text AS bytes FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = 'r' AND n.nspname NOT IN ${SYSTEM_SCHEMAS}`)).map((r) => [displayName(r.schema, r.name), Number(r.bytes)]))
    const queue = info.tables.filter((t) => !unlogged.includes(t.name))
    const rows = new Map<string, number>(unlogged.map((n) => [n, 0]))
    await Promise.all(Array.from({ length: Math.max(1, Math.min(threads, queue.length)) }, async () => {
      const c = await pgConnect(rt.admin)
      conns.push(c)
      await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY')
      await c.query(`SET TRANSACTION SNAPSHOT '${snap}'`)
      for (let t = queue.shift(); t; t = queue.shift()) {
        rows.set(t.name, Number((await pgQuery<{ n: string }>(c, `SELECT count(*)::text AS n FROM ${qname(t.schema, t.table)}`))[0].n))
      }
    }))
    return {
      version: await pgVersion(coord),
      tables: info.tables.map((t) => ({ name: t.name, rows: rows.get(t.name) ?? 0, bytes: sizes.get(t.name) ?? 0 })).sort((a, b) => a.name.localeCompare(b.name)),
      unlogged, databases: await clusterDatabases(coord),
      schemaHash: crypto.createHash('sha256').update(columns.map((r) => r.t).join('\n')).digest('hex'),
      encoding: info.encoding, collation: info.collation,
      quietAt: xid.busy ? null : xid.xmax,
    }
  } finally {
    for (const c of conns) await c.end().catch(() => undefined)
  }
}

function groupReadable(p: string, modes: BackupModes): void {
  const st = fs.lstatSync(p)
  if (st.isSymbolicLink()) return
  fs.chmodSync(p, st.isDirectory() ? modes.dir : modes.file)
  if (st.isDirectory()) for (const e of fs.readdirSync(p)) groupReadable(path.join(p, e), modes)
}

async function writePhysical(cfg: Config, rt: Runtime, req: DumpRequest,
  { t0, name, final, bin }: { t0: number; name: string; final: string; bin: string }): Promise<DumpResult> {
  await cleanPgDebris(cfg, rt)
  fs.mkdirSync(path.dirname(final), { recursive: true })
  const partial = partialPath(final)
  fs.mkdirSync(partial)
  const target = path.join(partial, PHYSICAL_DIR)
  const offInterrupt = onInterrupt(() => removeDir(partial))
  try {
    const threads = Math.max(1, req.threads ?? (cfg.DUMP_THREADS || Math.min(4, os.availableParallelism())))
    const storage = archiveStorage(req.storageDir ?? projectPath(cfg, cfg.STORAGE_DIR), path.join(partial, STORAGE_ARCHIVE))
    storage.catch(() => undefined)
    const before = await countTables(rt, threads)
    if (before.unlogged.length) warn(`unlogged tables are empty in a physical snapshot (PostgreSQL never copies their rows): ${before.unlogged.join(', ')}`)
    step('physical backup of the cluster (pg_basebackup, WAL streamed)')
    await run(HOST, diesWithUs(physicalArgv.backup(bin, rt.clientArgs(), target, `datakeep ${name}`), cfg.hostPath))
    // the counts describe the copy when nothing was writing when they were read and no
    // transaction id was handed out since (every write takes one)
    const after = await withPg(rt.admin, xidState, { database: null })
    // pg_basebackup sets its own umask from the server's data directory (owner-only): with
    // BACKUP_GROUP_READ the group gets read access as to every other snapshot (loosening only)
    if (cfg.BACKUP_GROUP_READ) groupReadable(target, backupModes(cfg))
    const exact = before.quietAt !== null && after.xmax === before.quietAt
    step('checking the copy (pg_verifybackup)')
    await run(HOST, physicalArgv.verify(bin, target))
    const rels = listFiles(target)
    const hashed: Record<string, { bytes: number; sha256: string }> = {}
    await eachLimited(rels, Math.max(2, threads), async (r) => { hashed[r] = await sha256File(path.join(target, r)) })
    const archive = await storage
    // on disk before the folder is renamed in (pg_basebackup ran with --no-sync)
    await run(HOST, physicalArgv.flush(partial))
    const files: Manifest['files'] = {}
    for (const r of rels) files[`${PHYSICAL_DIR}/${r}`] = hashed[r]
    files[STORAGE_ARCHIVE] = { bytes: archive.archiveBytes, sha256: archive.archiveSha256 }
    const tables: ManifestTable[] = before.tables.map((t) => ({ name: t.name, rows: t.rows, checksum: null, bytes: t.bytes, files: [], columns: [], loadColumns: '' }))
    const manifest: PgPhysicalManifest = {
      format: FORMAT, formatVersion: FORMAT_VERSION, name, kind: 'physical', note: PG_PHYSICAL_NOTE,
      created: new Date(t0).toISOString(), datakeepVersion: datakeepVersion(),
      engine: { flavor: 'postgres', version: before.version },
      database: { name: rt.admin.database, charset: before.encoding, collation: before.collation },
      git: await gitState(cfg.projectDir), schemaHash: before.schemaHash, durationMs: Date.now() - t0,
      tables,
      storage: { files: archive.files, bytes: archive.bytes, treeHash: archive.treeHash, archive: STORAGE_ARCHIVE },
      files, ...(req.seedHash ? { seedHash: req.seedHash } : {}),
      physical: {
        tool: 'pg_basebackup', toolVersion: (await run(HOST, physicalArgv.version(bin))).stdout.trim(),
        bytes: rels.reduce((a, r) => a + hashed[r].bytes, 0), files: rels.length,
        tablesExact: exact, exactBy: exact ? 'quiet' : null, databases: before.databases, unlogged: before.unlogged,
        backupManifest: `${PHYSICAL_DIR}/backup_manifest`,
      },
    }
    // the writer takes the logical type; the hash covers every field
    writeManifest(partial, manifest as unknown as Manifest)
    replaceDir(partial, final)
    giveTo(invokingOwner(cfg), final) // the invoking user's, also under sudo
    return { dir: final, manifest: manifest as unknown as Manifest }
  } catch (e) {
    removeDir(partial)
    throw e
  } finally {
    offInterrupt()
  }
}
