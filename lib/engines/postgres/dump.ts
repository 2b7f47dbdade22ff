// data_dump on PostgreSQL: one exported snapshot (pg_export_snapshot) shared by parallel COPY
// readers (SET TRANSACTION SNAPSHOT) and by pg_dump's schema (pre-data, post-data); each table's
// COPY text zstd-compressed and hashed while written; sequences read in the same snapshot. The
// folder is written beside its place and renamed in when complete (docs/snapshot-format.md).
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { projectPath, type Config } from '../../config.ts'
import { UserError, failure, onInterrupt } from '../../errors.ts'
import { removeDir, sha256File } from '../../fs-util.ts'
import { giveTo, invokingOwner } from '../../owner.ts'
import { startProgress } from '../../progress.ts'
import type { Runtime } from '../../runtime/types.ts'
import { commandSummary, withLock } from '../../safety/lock.ts'
import { datakeepVersion, diskFull, gitState, replaceDir, STORAGE_ARCHIVE } from '../../snapshot/dump.ts'
import { FORMAT, FORMAT_VERSION, writeManifest, type Manifest, type ManifestTable } from '../../snapshot/manifest.ts'
import { checkName, partialPath, snapshotPath } from '../../snapshot/names.ts'
import { withBackupUmask } from '../../snapshot/private.ts'
import { archiveStorage } from '../../snapshot/storage.ts'
import type { DumpRequest, DumpResult } from '../types.ts'
import { copyOutToFile, type CopySpec } from './copy.ts'
import { PINNED_SETTINGS, pgConnect, pgDatabaseExists, pgQuery, pgVersion, qname, withPg, type PgClient } from './db.ts'
import { cleanPgDebris } from './debris.ts'
import { displayName, SYSTEM_SCHEMAS } from './inspect.ts'
import { pgShareUnchanged } from './share.ts'
import { runClient, schemaDumpArgv, toolsDir } from './tools.ts'

/** What a PostgreSQL snapshot records beside the manifest (schema/postgres.json). */
export interface PgSchemaInfo {
  tables: (CopySpec & { name: string })[]
  sequences: { schema: string; name: string; lastValue: string; isCalled: boolean }[]
  /** Materialized views that held data: refreshed after the load (pg_dump's schema has them empty). */
  matviews: { schema: string; name: string }[]
  encoding: string
  collation: string
}
export const PG_SCHEMA_FILES = ['schema/pre-data.sql', 'schema/post-data.sql', 'schema/postgres.json'] as const

/** Tables with their dumped columns (generated ones are computed again, never dumped), sequences, matviews. */
export async function readPgSchema(c: PgClient): Promise<PgSchemaInfo> {
  const tables = await pgQuery<{ schema: string; table: string; columns: string[] | null; est: string }>(c, `
    SELECT n.nspname AS schema, c.relname AS table, c.reltuples::bigint::text AS est,
      (SELECT array_agg(a.attname::text ORDER BY a.attnum) FROM pg_attribute a
        WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '') AS columns
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind = 'r' AND n.nspname NOT IN ${SYSTEM_SCHEMAS} AND n.nspname NOT LIKE 'pg_temp%' AND n.nspname NOT LIKE 'pg_toast%'
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
    ORDER BY c.relpages DESC, n.nspname, c.relname`)
  const seqs = await pgQuery<{ schema: string; name: string }>(c, `
    SELECT n.nspname AS schema, c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind = 'S' AND n.nspname NOT IN ${SYSTEM_SCHEMAS}
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
    ORDER BY 1, 2`)
  const sequences: PgSchemaInfo['sequences'] = []
  for (const s of seqs) {
    const [v] = await pgQuery<{ last_value: string; is_called: boolean }>(c, `SELECT last_value::text, is_called FROM ${qname(s.schema, s.name)}`)
    sequences.push({ ...s, lastValue: v.last_value, isCalled: v.is_called })
  }
  const matviews = await pgQuery<{ schema: string; name: string }>(c, `
    SELECT n.nspname AS schema, c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind = 'm' AND c.relispopulated AND n.nspname NOT IN ${SYSTEM_SCHEMAS} ORDER BY 1, 2`)
  const [db] = await pgQuery<{ enc: string; coll: string }>(c, 'SELECT pg_encoding_to_char(encoding) AS enc, datcollate AS coll FROM pg_database WHERE datname = current_database()')
  return {
    tables: tables.map((t) => ({ name: displayName(t.schema, t.table), schema: t.schema, table: t.table, columns: t.columns ?? [] })),
    sequences, matviews, encoding: db.enc, collation: db.coll,
  }
}

/** A data file's name: its place in the list (unique) and a readable form of the table's name. */
function dataFile(i: number, name: string): string {
  return `data/${String(i).padStart(4, '0')}-${name.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 60)}.copy.zst`
}

/** dataFile's name, or one with a suffix where a shared table's file (named in an earlier snapshot) has it. */
function freeName(taken: Set<string>, i: number, name: string): string {
  let file = dataFile(i, name)
  for (let n = 2; taken.has(file); n++) file = dataFile(i, name).replace(/\.copy\.zst$/, `-${n}.copy.zst`)
  taken.add(file)
  return file
}

export async function pgDumpSnapshot(cfg: Config, rt: Runtime, req: DumpRequest): Promise<DumpResult> {
  const t0 = Date.now()
  const name = checkName(req.name, { reservedOk: req.reservedOk })
  if (req.physical) {
    throw new UserError('--physical alone (tables as their files) is for MariaDB; on PostgreSQL a physical snapshot is of the whole cluster',
      { hint: `make data_dump ARGS="--name ${name} --physical --whole-server", or a logical one: make data_dump ARGS="--name ${name}"` })
  }
  const final = snapshotPath(cfg, name)
  if (fs.existsSync(final) && !req.force) {
    throw new UserError(`snapshot "${name}" already exists`, { hint: `to replace it: make data_dump ARGS="--name ${name} --force"` })
  }
  const database = rt.admin.database
  if (!(await withPg(rt.admin, (c) => pgDatabaseExists(c, database), { database: null }))) throw failure(`database ${database} does not exist`, 'to fix: make up')
  // owner-only (or group-readable) from the first byte, as every snapshot (lib/snapshot/private.ts)
  return withBackupUmask(cfg, () => withLock(cfg, commandSummary(), () => writeSnapshot(cfg, rt, req, name, final, t0)))
}

async function writeSnapshot(cfg: Config, rt: Runtime, req: DumpRequest, name: string, final: string, t0: number): Promise<DumpResult> {
  await cleanPgDebris(cfg, rt)
  const bin = toolsDir(cfg, rt)
  fs.mkdirSync(path.dirname(final), { recursive: true })
  const partial = partialPath(final)
  fs.mkdirSync(path.join(partial, 'data'), { recursive: true })
  fs.mkdirSync(path.join(partial, 'schema'), { recursive: true })
  const offInterrupt = onInterrupt(() => removeDir(partial))
  const conns: PgClient[] = []
  try {
    // the coordinator's transaction holds the exported snapshot open until every reader has its own
    const coord = await pgConnect(rt.admin)
    conns.push(coord)
    await coord.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY')
    const [{ snap }] = await pgQuery<{ snap: string }>(coord, 'SELECT pg_export_snapshot() AS snap')
    const version = await pgVersion(coord)
    const info = await readPgSchema(coord)
    const threads = Math.max(1, Math.min(req.threads ?? (cfg.DUMP_THREADS || Math.min(4, os.availableParallelism())), info.tables.length || 1))
    const readers: PgClient[] = []
    for (let i = 0; i < threads; i++) {
      const c = await pgConnect(rt.admin)
      conns.push(c)
      await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY')
      await c.query(`SET TRANSACTION SNAPSHOT '${snap}'`)
      for (const s of PINNED_SETTINGS) await c.query(s)
      readers.push(c)
    }
    const schemaDone = Promise.all((['pre-data', 'post-data'] as const).map((section) =>
      runClient(rt, schemaDumpArgv(bin, rt.clientArgs(), database(rt), section, snap), { stdoutFile: path.join(partial, `schema/${section}.sql`) })))
    schemaDone.catch(() => undefined)
    const storagePromise = archiveStorage(req.storageDir ?? projectPath(cfg, cfg.STORAGE_DIR), path.join(partial, STORAGE_ARCHIVE))
    storagePromise.catch(() => undefined)
    // reltuples is -1 for a table never vacuumed nor analyzed (one just created and filled): no estimate then
    const [est] = await pgQuery<{ n: string; unknown: string }>(coord, `SELECT coalesce(sum(greatest(c.reltuples, 0)), 0)::bigint::text AS n,
      count(*) FILTER (WHERE c.reltuples < 0 AND pg_relation_size(c.oid) > 0)::text AS unknown
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r' AND n.nspname NOT IN ${SYSTEM_SCHEMAS}`)
    const progress = startProgress(`dump ${name}`, Number(est.unknown) > 0 ? null : Number(est.n))
    const results: ManifestTable[] = []
    try {
      // tables unchanged since an earlier snapshot: its files, hard-linked (share.ts); --full: none
      const shared = req.full ? [] : await pgShareUnchanged(cfg, readers, { tables: info.tables, snapshotDir: partial, progress })
      results.push(...shared)
      const taken = new Set(shared.flatMap((t) => t.files.map((f) => f.file)))
      const queue = info.tables.filter((t) => !shared.some((x) => x.name === t.name)).map((t) => ({ t, file: freeName(taken, info.tables.indexOf(t), t.name) }))
      await Promise.all(readers.map(async (c) => {
        for (let job = queue.shift(); job; job = queue.shift()) {
          const bar = progress.item(job.t.name, 0)
          const r = await copyOutToFile(c, job.t, path.join(partial, job.file), (n) => bar.update(n))
          bar.done()
          results.push({ name: job.t.name, rows: r.rows, checksum: r.sha256, bytes: r.bytes, columns: job.t.columns, loadColumns: '',
            files: [{ file: job.file, rows: r.rows, bytes: r.bytes, sha256: r.fileSha256 }] })
        }
      }))
      await schemaDone
    } finally { progress.stop() }
    for (const c of conns.splice(0)) await c.end().catch(() => undefined)
    fs.writeFileSync(path.join(partial, 'schema/postgres.json'), JSON.stringify(info, null, 2) + '\n')
    const storage = await storagePromise
    results.sort((a, b) => a.name.localeCompare(b.name))
    const files: Manifest['files'] = {}
    for (const t of results) for (const f of t.files) files[f.file] = { bytes: f.bytes, sha256: f.sha256 }
    files[STORAGE_ARCHIVE] = { bytes: storage.archiveBytes, sha256: storage.archiveSha256 }
    const schemaHash = crypto.createHash('sha256')
    for (const rel of PG_SCHEMA_FILES) {
      files[rel] = await sha256File(path.join(partial, rel))
      if (rel.endsWith('.sql')) schemaHash.update(fs.readFileSync(path.join(partial, rel)))
    }
    const manifest: Manifest = {
      format: FORMAT, formatVersion: FORMAT_VERSION, name, kind: 'logical', created: new Date(t0).toISOString(),
      datakeepVersion: datakeepVersion(), engine: { flavor: 'postgres', version },
      database: { name: database(rt), charset: info.encoding, collation: info.collation },
      git: await gitState(cfg.projectDir), schemaHash: schemaHash.digest('hex'), durationMs: Date.now() - t0,
      tables: results,
      storage: { files: storage.files, bytes: storage.bytes, treeHash: storage.treeHash, archive: STORAGE_ARCHIVE },
      files, ...(req.seedHash ? { seedHash: req.seedHash } : {}),
    }
    writeManifest(partial, manifest)
    replaceDir(partial, final)
    giveTo(invokingOwner(cfg), final)
    return { dir: final, manifest }
  } catch (e) {
    for (const c of conns) await c.end().catch(() => undefined)
    removeDir(partial)
    throw diskFull(e, path.dirname(final), name) ?? e
  } finally {
    offInterrupt()
  }
}

const database = (rt: Runtime) => rt.admin.database
