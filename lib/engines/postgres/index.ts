// The PostgreSQL engine: a private cluster (local) or a server at DATABASE_URL (external);
// snapshots through one exported snapshot and COPY, loads through a side database and a rename.
import type { Config } from '../../config.ts'
import { UserError, failure } from '../../errors.ts'
import { info, step } from '../../log.ts'
import type { Runtime } from '../../runtime/types.ts'
import { guardDestructive } from '../../safety/guard.ts'
import { recordOperation } from '../../safety/journal.ts'
import { checkSnapshotInput } from '../../safety/preflight.ts'
import { namedAsFolder, readManifest } from '../../snapshot/manifest.ts'
import { defaultName, requireSnapshot, SAFETY_DIR, snapshotPath } from '../../snapshot/names.ts'
import fs from 'node:fs'
import type { DumpRequest, Engine, ProtectRequest, Recovery, SchemaMigrationRequest, SqlDumpRequest, SqlSession } from '../types.ts'
import { PINNED_SETTINGS, pgConnect, pgDatabaseExists, pgQuery, qi, withPg } from './db.ts'
import { cleanPgDebris } from './debris.ts'
import { pgDumpSnapshot } from './dump.ts'
import { dockerEngineAnswers } from '../../runtime/docker.ts'
import { PgDockerRuntime } from './docker.ts'
import { PgExternalRuntime } from './external.ts'
import { pgCheck, pgInspect, pgStatus, relations } from './inspect.ts'
import { checkPgEngine, pgLoadSnapshot, pgVerifyDeep } from './load.ts'
import { dropUnheld, heldProblem, isPgHeld, takeHeldSafety } from './held.ts'
import { isPgPhysical } from './physical.ts'
import { pgDumpPhysical } from './physical-dump.ts'
import { checkPhysicalSnapshot, checkPhysicalTarget } from './physical-load.ts'
import { PgLocalRuntime } from './local.ts'
import { pgDumpSqlFile, pgImportSqlFile } from './sql-file.ts'
import { copyDigest } from './copy.ts'
import { initialize } from '../../initialize/index.ts'
import { loadMarker } from '../../initialize/marker.ts'
import { pgConnectInfo } from './connect.ts'
import { pgLifecycle } from './lifecycle.ts'
import { runPgHook } from './hooks.ts'
import { pgMigrate } from './migrate.ts'
import { readPgSchema } from './dump.ts'
import { readSchema as readCatalog } from './catalog.ts'
import { pgSnapshotSchema } from './snapshot-schema.ts'
import { pgDumpFixtures } from './fixtures-dump.ts'
import { pgLoadFixtures } from './fixtures-load.ts'
import { pgWriteSchemaMigration } from './schema-migration.ts'

export async function postgresRuntime(cfg: Config): Promise<Runtime> {
  let name = cfg.DATAKEEP_RUNTIME
  if (name === 'auto') name = (await dockerEngineAnswers()) ? 'docker' : 'local'
  if (name === 'external') return new PgExternalRuntime(cfg)
  if (name === 'docker') return new PgDockerRuntime(cfg)
  return new PgLocalRuntime(cfg)
}

export async function postgresEngine(cfg: Config): Promise<Engine> {
  return new PostgresEngine(cfg, await postgresRuntime(cfg))
}

export class PostgresEngine implements Engine {
  readonly name = 'postgres' as const
  constructor(private readonly cfg: Config, readonly runtime: Runtime) {}

  hostTools() { return [{ cmd: 'zstd', pkg: 'zstd' }] } // the PostgreSQL programs are found by path (bin.ts)

  withSql<T>(fn: (sql: SqlSession) => Promise<T>, database?: string | null): Promise<T> {
    return withPg(this.runtime.admin, (c) => fn({ query: (sql, params) => pgQuery(c, sql, params), ident: qi }), { database })
  }
  inspect() { return pgInspect(this.runtime) }
  async tableStates() {
    const c = await pgConnect(this.runtime.admin)
    try {
      await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY')
      for (const s of PINNED_SETTINGS) await c.query(s)
      const out = []
      for (const t of (await readPgSchema(c)).tables) { const d = await copyDigest(c, t); out.push({ name: t.name, rows: d.rows, checksum: d.sha256 }) }
      return out.sort((a, b) => a.name.localeCompare(b.name))
    } finally { await c.end().catch(() => undefined) }
  }
  status() { return pgStatus(this.runtime) }
  connectInfo() { return pgConnectInfo(this.cfg, this.runtime) }
  check() { return pgCheck(this.cfg, this.runtime, new Date(), () => this.lifecycle().readMarker()) }

  async initialize(opts: { confirm?: string; noSafety?: boolean; dryRun?: boolean }) { await initialize(this.cfg, this, opts) }
  lifecycle() { return pgLifecycle(this.cfg, this.runtime) }

  /** The guard on this engine's database, then a safety snapshot, recorded in the undo journal (as on MariaDB). */
  async protect(req: ProtectRequest) {
    guardDestructive(this.cfg, req.op, req.confirm, this.runtime.admin.database)
    const r = await this.safetySnapshot(req.op.name, { skip: req.noSafety })
    recordOperation(this.cfg, { operation: req.op.name, command: req.op.command, at: new Date().toISOString(), before: r.snapshot, reason: r.reason, done: false })
    info(r.reason + (r.snapshot ? `; to go back: make undo (or make data_load ARGS="--name ${r.snapshot}")` : ''))
    return r
  }

  /**
   * A safety snapshot of a database that holds tables (the newest SAFETY_KEEP kept): always a new one, never
   * an existing snapshot proven equal (as MariaDB may reuse): the held copy costs less than reading every row
   * to prove it (0.2-0.5 s against about 1 s for 219 MB); where the copy cannot be taken, a logical one.
   */
  async safetySnapshot(operation: string, opts: { skip?: boolean } = {}) {
    if (opts.skip) return { snapshot: null, reason: '--no-safety: no safety snapshot taken' }
    // whether it holds tables, from the catalog (counting every table's rows would read them all)
    const exists = await withPg(this.runtime.admin, (c) => pgDatabaseExists(c, this.runtime.admin.database), { database: null })
    const tables = exists ? (await withPg(this.runtime.admin, relations)).filter((r) => r.kind === 'r' || r.kind === 'p').length : 0
    if (!tables) return { snapshot: null, reason: `database ${this.runtime.admin.database} is empty: nothing to keep` }
    const base = `${SAFETY_DIR}/${operation}-${defaultName()}`
    let name = base
    for (let i = 2; fs.existsSync(snapshotPath(this.cfg, name)); i++) name = `${base}-${i}`
    // the fastest correct path: a copy of the database held in the server (held.ts), else a logical snapshot
    await withPg(this.runtime.admin, (c) => dropUnheld(this.cfg, c), { database: null })
    const held = await takeHeldSafety(this.cfg, this.runtime, operation, name)
    // pruned to SAFETY_KEEP only after the command succeeded (afterDestructive); a pruned one's database goes with the next debris check
    if ('snapshot' in held) return { snapshot: name, reason: `safety snapshot ${name} taken (a copy of the database, held in the server)` }
    info(held.fallback)
    step(`taking safety snapshot ${name} before ${operation}`)
    await this.dump({ name, reservedOk: true })
    return { snapshot: name, reason: `safety snapshot ${name} taken` }
  }
  /** After a load, as on MariaDB (lib/initialize/after-load.ts): migrations newer than the loaded data (or MIGRATE_COMMAND), then the search index. */
  async afterLoad() {
    const r = await pgMigrate(this.cfg, this.runtime)
    if (r.applied.length) info(`applied ${r.applied.length} pending migration${r.applied.length === 1 ? '' : 's'} after the load`)
    if (this.cfg.REINDEX_COMMAND && !this.cfg.INIT_SKIP_INDEX) {
      info('rebuilding the search index (REINDEX_COMMAND)')
      await runPgHook(this.cfg, this.runtime, 'REINDEX_COMMAND')
    }
  }

  dump(req: DumpRequest) {
    return req.wholeServer ? pgDumpPhysical(this.cfg, this.runtime, req) : pgDumpSnapshot(this.cfg, this.runtime, req)
  }
  async copyLogs() { /* WAL archiving for point-in-time recovery on PostgreSQL: not yet */ }
  async keepLogs() { /* no WAL archive to keep yet */ }
  async planRecovery(): Promise<Recovery> {
    throw new UserError('point-in-time recovery is not available on PostgreSQL yet', { hint: 'load the snapshot itself: make data_load ARGS="--name <name>"' })
  }
  /** Another engine's snapshot refused; a physical one checked whole (sha256, pg_verifybackup) and against this cluster (major version, databases). */
  async checkSnapshot(name: string | undefined, verb: string) {
    const dir = requireSnapshot(this.cfg, name, verb)
    const m = readManifest(dir)
    checkPgEngine(m)
    if (isPgHeld(m)) {
      await checkSnapshotInput(this.cfg, name, verb)
      const problem = await withPg(this.runtime.admin, (c) => heldProblem(c, m), { database: null })
      if (problem) throw failure(`snapshot "${name}" cannot be loaded: ${problem}`, 'nothing was changed; load another snapshot (make data_list)')
      return
    }
    if (!isPgPhysical(m)) return checkSnapshotInput(this.cfg, name, verb)
    await checkPhysicalTarget(namedAsFolder(m, name!), this.runtime)
    const problems = await checkPhysicalSnapshot(this.cfg, dir, m)
    if (problems.length) {
      throw failure(`snapshot "${name}" is damaged: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? `; and ${problems.length - 5} more` : ''}`,
        'nothing was changed; load another snapshot (make data_list) or take a new one')
    }
  }
  async load(name: string | undefined, opts: { noOwner?: boolean } = {}) {
    const r = await pgLoadSnapshot(this.cfg, this.runtime, name, { ...opts, refuseNewer: true })
    // the marker follows what was last loaded, as on MariaDB: check then says "loaded from snapshot <name>"
    await this.lifecycle().writeMarker(loadMarker({ snapshot: r.name }, r.tables))
    return r
  }
  verifyDeep(name: string | undefined) { return pgVerifyDeep(this.cfg, this.runtime, name) }
  dumpSql(req: SqlDumpRequest) { return pgDumpSqlFile(this.cfg, this.runtime, req) }
  async importSql(file: string) {
    const r = await pgImportSqlFile(this.cfg, this.runtime, file)
    await this.lifecycle().writeMarker(loadMarker({ file }, r.tables))
    return r
  }
  cleanDebris() { return cleanPgDebris(this.cfg, this.runtime) }
  schemaModel() { return withPg(this.runtime.admin, (c) => readCatalog(c, this.runtime.admin.database)) }
  snapshotSchemaModel(name: string, verb: string) { return pgSnapshotSchema(this.cfg, this.runtime, name, verb) }
  dumpFixtures(opts: Parameters<Engine['dumpFixtures']>[0] = {}) { return pgDumpFixtures(this.cfg, this.runtime, opts) }
  loadFixtures(opts: Parameters<Engine['loadFixtures']>[0] = {}) { return pgLoadFixtures(this.cfg, this.runtime, opts) }
  writeSchemaMigration(req: SchemaMigrationRequest) { return pgWriteSchemaMigration(this.cfg, this.runtime, req) }
}
