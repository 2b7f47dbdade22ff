// The MariaDB/MySQL engine: an adapter over the modules that implement it today (lib/runtime/,
// lib/snapshot/, lib/safety/, lib/initialize/), so the lifecycle code reaches them through the seam.
import type { Config } from '../../config.ts'
import { connectInfo } from '../../connect-info.ts'
import { UserError, failure } from '../../errors.ts'
import { readSchema as readCatalog } from '../../schema-docs/catalog-mariadb.ts'
import { readMariadbSnapshotSchema } from '../../schema-docs/snapshot-mariadb.ts'
import { databaseExists, ident, query, serverVersion, tableCounts, withDb } from '../../db.ts'
import { checkStack } from '../../deploy.ts'
import { afterLoad } from '../../initialize/after-load.ts'
import { initialize } from '../../initialize/index.ts'
import { recordLoad } from '../../initialize/marker.ts'
import { refuseNewerSchema } from '../../migrate/index.ts'
import { archiveBinlogs, archiveFromDataDir, copyBinlogs } from '../../pitr/archive.ts'
import { LocalRuntime } from '../../runtime/local.ts'
import { describeTarget, prepareRecovery, replayInto, type RecoveryTarget, type ReplayPlan } from '../../pitr/recover.ts'
import { selectRuntime } from '../../runtime/index.ts'
import type { Runtime } from '../../runtime/types.ts'
import { beforeDestructive } from '../../safety/destructive.ts'
import { checkSnapshotInput } from '../../safety/preflight.ts'
import { ensureSafetySnapshot } from '../../safety/snapshot.ts'
import { openReaders } from '../../snapshot/consistent.ts'
import { verifySnapshot } from '../../snapshot/catalog.ts'
import { cleanDebris } from '../../snapshot/debris.ts'
import { dumpSnapshot } from '../../snapshot/dump.ts'
import { loadSnapshot, openSnapshot } from '../../snapshot/load.ts'
import { dumpPhysical } from '../../snapshot/physical-dump.ts'
import { isPhysical } from '../../snapshot/physical.ts'
import { dumpFixtures, loadFixtures } from '../../fixtures/index.ts'
import { dumpSqlFile, importSqlFile } from '../../snapshot/sql-file.ts'
import { checkSqlFile } from '../../snapshot/sql-import.ts'
import { baseTables, readStates } from '../../snapshot/table-states.ts'
import { stackStatus } from '../../stack.ts'
import { writeMariadbSchemaMigration } from '../../schema-migration/index.ts'
import type { Engine, Recovery, SchemaMigrationRequest, SqlSession } from '../types.ts'
import { mariadbLifecycle } from './lifecycle.ts'

export async function mariadbEngine(cfg: Config): Promise<Engine> {
  return new MariadbEngine(cfg, await selectRuntime(cfg))
}

export class MariadbEngine implements Engine {
  readonly name = 'mariadb' as const
  constructor(private readonly cfg: Config, readonly runtime: Runtime) {}

  hostTools() {
    return [{ cmd: 'zstd', pkg: 'zstd' }, ...(this.runtime.name === 'docker' ? [] : [{ cmd: 'mariadb', pkg: 'mariadb-client' }])]
  }

  withSql<T>(fn: (sql: SqlSession) => Promise<T>, database?: string | null): Promise<T> {
    return withDb(this.runtime.admin, (db) => fn({ query: (sql, params) => query(db, sql, params), ident }), { database })
  }

  async inspect() {
    const name = this.runtime.admin.database
    return withDb(this.runtime.admin, async (db) => {
      const version = await serverVersion(db)
      const exists = await databaseExists(db, name)
      return { version, exists, tables: exists ? await tableCounts(db, name) : null }
    }, { database: null })
  }

  async tableStates() {
    const database = this.runtime.admin.database
    const { readers, locked } = await openReaders(this.runtime.admin, 1, async (db) => baseTables(db, database))
    try {
      return (await readStates(readers.workers, database, locked)).map(({ name, rows, checksum }) => ({ name, rows, checksum }))
    } finally { await readers.close() }
  }

  status() { return stackStatus(this.runtime) }
  connectInfo() { return connectInfo(this.cfg, this.runtime) }
  check() { return checkStack(this.cfg, this.runtime) }
  async initialize(opts: { confirm?: string; noSafety?: boolean; dryRun?: boolean }) { await initialize(this.cfg, this, opts) }
  lifecycle() { return mariadbLifecycle(this.cfg, this.runtime) }
  protect(req: Parameters<Engine['protect']>[0]) {
    return beforeDestructive(this.cfg, this.runtime, req.op, { confirm: req.confirm, noSafety: req.noSafety })
  }
  safetySnapshot(operation: string, opts: { skip?: boolean; reuse?: boolean } = {}) { return ensureSafetySnapshot(this.cfg, this.runtime, operation, opts) }
  afterLoad() { return afterLoad(this.cfg, this.runtime) }

  dump(req: Parameters<Engine['dump']>[0]) {
    return req.wholeServer
      ? dumpPhysical(this.cfg, this.runtime, { name: req.name, force: req.force, chain: req.chain })
      : dumpSnapshot(this.cfg, this.runtime, req)
  }
  copyLogs() { return copyBinlogs(this.cfg, this.runtime) }
  async keepLogs(serverUp: boolean) {
    if (serverUp) await archiveBinlogs(this.cfg, this.runtime)
    else if (this.runtime instanceof LocalRuntime) await archiveFromDataDir(this.cfg, this.runtime.paths.dataDir)
  }

  async planRecovery(name: string, target: RecoveryTarget): Promise<Recovery> {
    const live = this.runtime.admin.database
    // the newest logs first: without them a recovery to a time would stop short of it, unnoticed
    await archiveBinlogs(this.cfg, this.runtime).catch((e: Error) => {
      const why = e.message.split('\n').find((l) => l.trim()) ?? ''
      throw new UserError(`point-in-time recovery needs the server's binary logs, which could not be read (${why}); nothing was changed`, {
        hint: this.runtime.name === 'external'
          ? 'on an external server they are read over the client protocol (mariadb-binlog --read-from-remote-server): the account of DATABASE_URL needs RELOAD, BINLOG MONITOR and REPLICATION SLAVE'
            + ` (GRANT RELOAD, BINLOG MONITOR, REPLICATION SLAVE ON *.* TO <account>); or load the snapshot alone: make data_load ARGS="--name ${name}"`
          : `start the server (make up), or load the snapshot alone: make data_load ARGS="--name ${name}"`,
      })
    })
    const { manifest } = await openSnapshot(this.cfg, name, 'data_load')
    // a whole-server load swaps data directories: there is no staging database to replay into
    if (isPhysical(manifest)) {
      throw new UserError(`snapshot "${name}" is a whole-server (physical) snapshot: point-in-time recovery starts from a snapshot of the database; nothing was changed`, {
        hint: `load it alone (make data_load ARGS="--name ${name}"), or recover from a logical snapshot: make data_list shows them; make data_timeline ARGS="--since ${name}" lists what happened since it`,
      })
    }
    const plan = await prepareRecovery(this.cfg, manifest, target, live)
    return {
      plan, events: plan.events.length, reached: () => plan.reached,
      summary: `recovery ${describeTarget(target)}: snapshot ${manifest.name}, then ${plan.events.length} transaction${plan.events.length === 1 ? '' : 's'} of ${live} from ${plan.chain.files.length} binary log${plan.chain.files.length === 1 ? '' : 's'}`,
    } as Recovery & { plan: ReplayPlan }
  }
  checkSnapshot(name: string | undefined, verb: string) { return checkSnapshotInput(this.cfg, name, verb) }
  async load(name: string | undefined, opts: { noOwner?: boolean; recovery?: Recovery | null } = {}) {
    if (opts.noOwner) {
      throw new UserError('--no-owner is for PostgreSQL snapshots: a MariaDB snapshot names no owners to leave out', { hint: `make data_load ARGS="--name ${name}"` })
    }
    const plan = (opts.recovery as (Recovery & { plan: ReplayPlan }) | null | undefined)?.plan
    const r = await loadSnapshot(this.cfg, this.runtime, name, {
      beforeSwap: async (stage) => {
        if (plan) await replayInto(this.runtime, plan, this.runtime.admin.database, stage)
        await refuseNewerSchema(this.cfg, this.runtime, stage)
      },
    })
    // the marker follows what was last loaded: up and check then say "loaded from snapshot <name>"
    await recordLoad(this.runtime, { snapshot: r.name }, r.tables)
    return r
  }
  verifyDeep(name: string | undefined) { return verifySnapshot(this.cfg, this.runtime, name, true) }
  async dumpSql(req: Parameters<Engine['dumpSql']>[0]) {
    const file = await dumpSqlFile(this.cfg, this.runtime, req)
    return { file, restoreCommand: `mariadb <database> < ${req.gzip ? '<(gunzip -c ' + file + ')' : file}` }
  }
  // checked whole here too (data_load checked it before its safety snapshot): the import needs the file's database
  async importSql(file: string) {
    const r = await importSqlFile(this.cfg, this.runtime, await checkSqlFile(this.cfg, file))
    await recordLoad(this.runtime, { file }, r.tables)
    return r
  }
  cleanDebris() { return cleanDebris(this.cfg, this.runtime) }
  schemaModel() {
    const conn = this.runtime.admin
    return withDb(conn, async (db) => {
      if (!(await databaseExists(db, conn.database))) throw failure(`database ${conn.database} does not exist on the server`, 'to create it: make initialize')
      return readCatalog(db, conn.database)
    }, { database: null })
  }
  snapshotSchemaModel(name: string, verb: string) { return readMariadbSnapshotSchema(this.cfg, this.runtime.admin, name, verb) }
  dumpFixtures(opts: Parameters<Engine['dumpFixtures']>[0] = {}) { return dumpFixtures(this.cfg, this.runtime, opts) }
  loadFixtures(opts: Parameters<Engine['loadFixtures']>[0] = {}) { return loadFixtures(this.cfg, this.runtime, opts) }
  writeSchemaMigration(req: SchemaMigrationRequest) { return writeMariadbSchemaMigration(this.runtime.admin, req) }
}
