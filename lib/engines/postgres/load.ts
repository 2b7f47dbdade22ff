// data_load on PostgreSQL: the snapshot checked whole, loaded into a side database (pre-data schema,
// COPY FROM of every table in parallel, sequences set, post-data schema, populated materialized
// views refreshed), every table verified (rows and the hash of its COPY text), the files restored,
// then swapped in (swap.ts). Until the swap the live database is untouched.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { projectPath, type Config } from '../../config.ts'
import { UserError, failure, onInterrupt, serverGoneDuringLoad } from '../../errors.ts'
import type { Connection } from '../../db.ts'
import { debug } from '../../log.ts'
import { invokingOwner } from '../../owner.ts'
import { startProgress } from '../../progress.ts'
import type { Runtime } from '../../runtime/types.ts'
import { commandSummary, withLock } from '../../safety/lock.ts'
import { tempDbName } from '../../snapshot/load.ts'
import { checkFiles, namedAsFolder, readManifest, type Manifest } from '../../snapshot/manifest.ts'
import { requireSnapshot } from '../../snapshot/names.ts'
import { discardStorage, restoreStorage, stageStorage, type StagedStorage } from '../../snapshot/storage.ts'
import type { LoadResult } from '../types.ts'
import { copyDigest, copyInFromFile } from './copy.ts'
import { dropTempDatabase, PINNED_SETTINGS, pgConnect, pgQuery, qi, qname, ql, withPg, type PgClient } from './db.ts'
import { cleanPgDebris } from './debris.ts'
import type { PgSchemaInfo } from './dump.ts'
import { applyPostData } from './post-data.ts'
import { fillFromHeld, heldProblem, isPgHeld } from './held.ts'
import { isPgPhysical } from './physical.ts'
import { checkPhysicalSnapshot, pgLoadPhysical } from './physical-load.ts'
import { checkPrerequisites } from './preflight.ts'
import { assertNoPgTempMentions } from './invariant.ts'
import { refuseNewerPgSchema } from './migrate.ts'
import { swapDatabases } from './swap.ts'
import { psqlArgv, runClient, toolsDir, withRole } from './tools.ts'

/** Refuses a snapshot PostgreSQL cannot take as one (another engine's), with the way that works. */
export function checkPgEngine(m: Manifest): void {
  if (m.engine.flavor !== 'postgres') {
    throw new UserError(`snapshot "${m.name}" is from ${m.engine.flavor} ${m.engine.version}; this server is PostgreSQL`, {
      hint: 'load it into a server of the same engine, or import a plain SQL dump with: make data_load ARGS="--file dump.sql"',
    })
  }
}

/** Who owns the loaded database: the live one's owner, else POSTGRES_USER when it exists, else null (the superuser). */
export async function sideOwner(c: PgClient, live: string, fallbackOwner: string): Promise<string | null> {
  const [cur] = await pgQuery<{ owner: string }>(c, 'SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = $1', [live])
  return cur?.owner ?? ((await pgQuery(c, 'SELECT 1 FROM pg_roles WHERE rolname = $1', [fallbackOwner])).length ? fallbackOwner : null)
}

/** An empty side database for a load. */
export async function createSide(c: PgClient, side: string, owner: string | null, encoding = 'UTF8'): Promise<void> {
  await c.query(`CREATE DATABASE ${qi(side)} TEMPLATE template0 ENCODING ${ql(encoding)}${owner ? ` OWNER ${qi(owner)}` : ''}`)
}

interface OpenedSnapshot { dir: string; m: Manifest; info: PgSchemaInfo }

/** Reads a snapshot and checks it whole (engine, every file, roles and extensions) before anything is touched. */
async function openPgSnapshot(cfg: Config, rt: Runtime, name: string | undefined, verb: string, opts: { noOwner?: boolean } = {}): Promise<OpenedSnapshot> {
  const dir = requireSnapshot(cfg, name, verb)
  const m = readManifest(dir)
  checkPgEngine(m)
  const problems = await checkFiles(dir, m)
  if (problems.length) throw failure(`snapshot "${name}" is damaged: ${problems.join('; ')}`, 'nothing was changed; load another snapshot (make data_list) or take a new one')
  const info = JSON.parse(fs.readFileSync(path.join(dir, 'schema/postgres.json'), 'utf8')) as PgSchemaInfo
  const schemaSql = ['pre-data', 'post-data'].map((f) => fs.readFileSync(path.join(dir, `schema/${f}.sql`), 'utf8')).join('\n')
  await withPg(rt.admin, (c) => checkPrerequisites(c, schemaSql, m.name, { roles: !opts.noOwner }), { database: null })
  return { dir, m, info }
}

/**
 * Creates `side` and fills it as pg_restore would: pre-data, every table's rows (COPY, in parallel),
 * sequences, post-data (indexes, constraints, triggers), populated materialized views refreshed.
 * Returns the tables whose rows or hash differ from the manifest.
 */
/** pg_dump's schema text without ownership and privileges (`--no-owner`: everything belongs to whoever loads it). */
export function withoutOwners(sql: string): string {
  return sql.split('\n').filter((l) => !/^(ALTER [A-Z ]+ .* OWNER TO .*;|GRANT .*;|REVOKE .*;)$/.test(l)).join('\n')
}

/**
 * `asRole`: the whole load runs as that role (the application's, for --no-owner): every object is
 * created by it and belongs to it, and the snapshot's owners and grants are left out.
 */
async function fillSide(cfg: Config, rt: Runtime, { dir, m, info }: OpenedSnapshot, side: string, owner: string | null, asRole?: string): Promise<string[]> {
  const bin = toolsDir(cfg, rt)
  const t0 = Date.now()
  const phase = (what: string) => debug(`load: ${what} at ${Date.now() - t0} ms`)
  const conn = asRole ? { ...rt.admin, user: asRole, password: cfg.POSTGRES_PASSWORD } : rt.admin
  const schema = (f: string) => { const t = fs.readFileSync(path.join(dir, `schema/${f}.sql`), 'utf8'); return asRole ? withoutOwners(t) : t }
  await withPg(rt.admin, (c) => createSide(c, side, asRole ?? owner, info.encoding), { database: null })
  await runClient(rt, psqlArgv(bin, asRole ? withRole(rt.clientArgs(), asRole) : rt.clientArgs(), side, { single: true }),
    { input: schema('pre-data'), env: asRole ? { PGPASSWORD: cfg.POSTGRES_PASSWORD } : {} })
  phase('pre-data done')
  const problems = await loadTables(conn, cfg, dir, m, info, side)
  phase('rows loaded and verified')
  await withPg(conn, async (c) => {
    for (const s of info.sequences) await c.query(`SELECT pg_catalog.setval(${ql(qname(s.schema, s.name))}, ${s.lastValue}, ${s.isCalled})`)
  }, { database: side })
  await applyPostData(conn, side, schema('post-data'), threadsFor(cfg, info.tables.length))
  phase('post-data done')
  await withPg(conn, async (c) => { for (const v of info.matviews) await c.query(`REFRESH MATERIALIZED VIEW ${qname(v.schema, v.name)}`) }, { database: side })
  // the invariant of every load, before anything is swapped: nothing names a temporary database
  await withPg(rt.admin, (c) => assertNoPgTempMentions(c, m.name), { database: side })
  return problems
}

const dropDatabase = (rt: Runtime, name: string) => withPg(rt.admin, async (c) => {
  await dropTempDatabase(c, name)
}, { database: null })

export async function pgLoadSnapshot(cfg: Config, rt: Runtime, name: string | undefined, opts: { noOwner?: boolean; refuseNewer?: boolean } = {}): Promise<LoadResult> {
  const t0 = Date.now()
  const head = readManifest(requireSnapshot(cfg, name, 'data_load'))
  checkPgEngine(head)
  if (isPgPhysical(head)) {
    // the whole cluster: its roles, owners and grants come with it
    if (opts.noOwner) throw new UserError(`--no-owner is for logical snapshots: physical snapshot "${name}" puts back the whole cluster, roles included`, { hint: `make data_load ARGS="--name ${name}"` })
    return pgLoadPhysical(cfg, rt, requireSnapshot(cfg, name, 'data_load'), namedAsFolder(head, name!))
  }
  // a safety snapshot held in the server (held.ts): its database copied into the side one, its rows counted
  const held = isPgHeld(head) ? namedAsFolder(head, name!) : null
  if (held) {
    const problems = await checkFiles(requireSnapshot(cfg, name, 'data_load'), held)
    if (problems.length) throw failure(`snapshot "${name}" is damaged: ${problems.join('; ')}`, 'nothing was changed; load another snapshot (make data_list) or take a new one')
  }
  const snap = held ? { dir: requireSnapshot(cfg, name, 'data_load'), m: held, info: null } : await openPgSnapshot(cfg, rt, name, 'data_load', opts)
  const { dir, m } = snap
  return withLock(cfg, commandSummary(), async () => {
    await cleanPgDebris(cfg, rt)
    const live = rt.admin.database
    const side = tempDbName('stage')
    let swapping: Promise<void> | null = null
    let interrupted = false
    let staged: StagedStorage | null = null
    let staging: Promise<StagedStorage> | null = null
    const off = onInterrupt(async () => {
      interrupted = true
      const swapped = swapping ? await swapping.then(() => true, () => false) : false
      await dropDatabase(rt, side).catch(() => undefined)
      // once the swap began its journal owns the staged files (recoverPgSwap); files being staged when
      // the signal came are waited for, then removed
      if (!swapping) discardStorage(staging ? await staging.catch(() => null) : staged)
      return swapped ? `after the swap: snapshot ${m.name} is loaded` : 'before the swap: nothing changed'
    })
    try {
      const owner = await withPg(rt.admin, (c) => sideOwner(c, live, cfg.POSTGRES_USER), { database: null })
      const bad = held ? await fillFromHeld(rt, held, side)
        : await fillSide(cfg, rt, snap as OpenedSnapshot, side, owner, opts.noOwner ? cfg.POSTGRES_USER : undefined)
      if (bad.length) throw failure(`the loaded data does not match snapshot "${m.name}": ${bad.join('; ')}`, `nothing was changed; run make data_verify ARGS="--name ${m.name} --deep"`)
      if (opts.refuseNewer) await refuseNewerPgSchema(cfg, rt, side)
      if (interrupted) throw failure('interrupted before the swap; nothing was changed')
      // the files are made ready beside their folder and switch right after the databases do
      staging = stageStorage(path.join(dir, m.storage.archive), projectPath(cfg, cfg.STORAGE_DIR), m.storage.treeHash, { owner: invokingOwner(cfg) })
      staged = await staging
      if (interrupted) throw failure('interrupted before the swap; nothing was changed')
      const ts = Date.now()
      const files = staged
      swapping = withPg(rt.admin, (c) => swapDatabases(c, { live, side, old: tempDbName('old'), storage: files }), { database: null })
      await swapping
      debug(`load: swapped in ${Date.now() - ts} ms`)
      return { name: m.name, tables: m.tables.length, rows: m.tables.reduce((a, t) => a + t.rows, 0), files: m.storage.files, ms: Date.now() - t0 }
    } catch (e) {
      if (!interrupted && !swapping) discardStorage(staged) // never placed: the folder is as it was
      throw serverGoneDuringLoad(e, swapping !== null) ?? e
    } finally {
      await dropDatabase(rt, side).catch(() => undefined)
      off()
    }
  })
}

/** data_verify --deep: every file, then a load into a scratch database compared with the manifest, and the files unpacked aside. */
export async function pgVerifyDeep(cfg: Config, rt: Runtime, name: string | undefined): Promise<string[]> {
  const dir = requireSnapshot(cfg, name, 'data_verify')
  const head = readManifest(dir)
  // a physical snapshot is the cluster's own files: its deep check is every file's sha256 and pg_verifybackup
  if (isPgPhysical(head)) return checkPhysicalSnapshot(cfg, dir, head)
  const problems = await checkFiles(dir, head)
  if (problems.length) return problems
  // a held snapshot (held.ts): its database there, a copy of it with the manifest's rows; else a load of the files
  const held = isPgHeld(head) ? head : null
  if (held) {
    const missing = await withPg(rt.admin, (c) => heldProblem(c, held), { database: null })
    if (missing) return [missing]
  }
  const snap = held ? null : await openPgSnapshot(cfg, rt, name, 'data_verify')
  const m = snap?.m ?? head
  const scratch = tempDbName('scratch')
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'datakeep-verify-'))
  const off = onInterrupt(async () => { fs.rmSync(tmp, { recursive: true, force: true }); await dropDatabase(rt, scratch) })
  try {
    const found = held ? await fillFromHeld(rt, held, scratch) : await fillSide(cfg, rt, snap!, scratch, null)
    await restoreStorage(path.join(dir, m.storage.archive), path.join(tmp, 'storage'), m.storage.treeHash)
      .catch((e) => { found.push(`${m.storage.archive}: ${(e as Error).message}`) })
    return found
  } finally {
    await dropDatabase(rt, scratch).catch(() => undefined)
    fs.rmSync(tmp, { recursive: true, force: true })
    off()
  }
}

function threadsFor(cfg: Config, n: number): number {
  return Math.max(1, Math.min(cfg.DUMP_THREADS || Math.min(4, os.availableParallelism()), n || 1))
}

async function withWorkers(conn: Connection, database: string, n: number, fn: (c: PgClient) => Promise<void>): Promise<void> {
  const conns: PgClient[] = []
  try {
    await Promise.all(Array.from({ length: n }, async () => {
      const c = await pgConnect(conn, { database })
      conns.push(c)
      for (const s of PINNED_SETTINGS) await c.query(s)
      await fn(c)
    }))
  } finally {
    for (const c of conns) await c.end().catch(() => undefined)
  }
}

/**
 * Loads every table in parallel, each verified by the connection that loaded it right after its load
 * (rows and the sha256 of its COPY text read back with the pinned settings), so the reading of one
 * table overlaps the loading of the next. Returns the differences from the manifest.
 */
async function loadTables(conn: Connection, cfg: Config, dir: string, m: Manifest, info: PgSchemaInfo, side: string): Promise<string[]> {
  const specs = new Map(info.tables.map((t) => [t.name, t]))
  const queue = [...m.tables].sort((a, b) => b.bytes - a.bytes)
  const progress = startProgress(`load ${m.name}`, m.tables.reduce((a, t) => a + t.rows, 0), { exact: true })
  const problems: string[] = []
  try {
    await withWorkers(conn, side, threadsFor(cfg, queue.length), async (c) => {
      // a crash loses only the side database: no commit needs to wait for its WAL
      await c.query('SET synchronous_commit = off')
      for (let t = queue.shift(); t; t = queue.shift()) {
        const spec = specs.get(t.name)
        if (!spec) throw failure(`snapshot "${m.name}" lists table ${t.name} that its schema/postgres.json does not describe`, 'the snapshot is damaged; load another one')
        const bar = progress.item(t.name, t.rows)
        for (const f of t.files) await copyInFromFile(c, spec, path.join(dir, f.file), (n) => bar.update(n))
        const problem = await verifyTable(c, spec, t)
        if (problem) problems.push(problem)
        bar.done()
      }
    })
  } finally { progress.stop() }
  return problems.sort()
}

async function verifyTable(c: PgClient, spec: PgSchemaInfo['tables'][number], t: Manifest['tables'][number]): Promise<string | null> {
  const d = await copyDigest(c, spec)
  if (d.rows !== t.rows) return `${t.name}: ${d.rows} rows, the manifest says ${t.rows}`
  if (t.checksum !== null && d.sha256 !== t.checksum) return `${t.name}: its rows hash to ${d.sha256.slice(0, 12)}, the manifest says ${t.checksum.slice(0, 12)}`
  return null
}
