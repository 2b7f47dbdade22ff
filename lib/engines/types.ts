// The engine seam: what the lifecycle code (scripts, snapshots, safety, initialize, deploy checks)
// asks of a database, one implementation per engine (lib/engines/mariadb/, lib/engines/postgres/).
// Engine-neutral code holds an Engine and never branches on its name: a difference belongs here.
import type { ConnectInfo } from '../connect-info.ts'
import type { CheckReport } from '../deploy.ts'
import type { TableCount } from '../db.ts'
import type { HostTool } from '../host-tools.ts'
import type { Runtime } from '../runtime/types.ts'
import type { RecoveryTarget } from '../pitr/recover.ts'
import type { DestructiveOp } from '../safety/guard.ts'
import type { Manifest } from '../snapshot/manifest.ts'
import type { StackStatus } from '../stack.ts'
import type { DumpedFixture, DumpOptions as FixtureDumpOptions, LoadOptions as FixtureLoadOptions, LoadResult as FixtureLoadResult } from '../fixtures/types.ts'
import type { Marker } from '../initialize/marker.ts'
import type { Schema } from '../schema-docs/model.ts'
import type { MigrateResult, MigrationState } from '../migrate/runner.ts'
import type { EngineName } from './name.ts'

export type { EngineName }

/** One connection's worth of SQL. Placeholders are the engine's own (`?` for MariaDB, `$1` for PostgreSQL). */
export interface SqlSession {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>
  /** The identifier quoted for this engine (`a` or "a"). */
  ident(name: string): string
}

/** A base table's exact row count and content checksum (null where the engine computes none). */
export interface TableState { name: string; rows: number; checksum: string | null }

export interface Inspection {
  version: string
  /** The application database exists. */
  exists: boolean
  /** Its tables, views and sequences with exact row counts; null when it does not exist. */
  tables: TableCount[] | null
}

export interface DumpRequest {
  name: string
  force?: boolean
  /** The tool's own snapshots (_init, _safety/...) may use reserved names. */
  reservedOk?: boolean
  /** Tables as their server files where the engine can (MariaDB: InnoDB tablespaces). */
  physical?: boolean
  /** The whole server's files (MariaDB: mariadb-backup; PostgreSQL: pg_basebackup). */
  wholeServer?: boolean
  threads?: number
  /** Every table written anew, none shared with an earlier snapshot (MariaDB: lib/snapshot/share.ts; PostgreSQL: postgres/share.ts). */
  full?: boolean
  /** A whole-server snapshot of only what changed since a base (MariaDB: mariadb-backup --incremental). */
  chain?: { type: 'incremental' | 'differential'; base?: string }
  /** The uploaded-files folder to archive (default STORAGE_DIR). */
  storageDir?: string
  seedHash?: string
}
export interface DumpResult { dir: string; manifest: Manifest }
export interface LoadResult { name: string; tables: number; rows: number; files: number; ms: number }
export interface SqlDumpRequest { name: string; gzip: boolean; force: boolean }
/** A plain SQL file and the stock client's command that restores it. */
export interface SqlDumpResult { file: string; restoreCommand: string }
/** A planned point-in-time recovery: what it replays, and where it ended once loaded. */
export interface Recovery {
  summary: string
  events: number
  reached(): string
}
/** make schema_migration: the application database's schema as one migration file in `dir` (docs/schema-migration.md). */
export interface SchemaMigrationRequest { format: 'knex' | 'sql'; module: 'esm' | 'cjs'; tables: string[] | null; dir: string; usage: string }
/** The file written and make schema_migration's one-line account of it. */
export interface SchemaMigrationResult { file: string; summary: string }
export interface ProtectRequest { op: DestructiveOp; confirm?: string; noSafety?: boolean }
export interface ProtectResult { snapshot: string | null; reason: string }

/**
 * initialize's steps on one engine (lib/initialize/ plans and drives them; seed_data uses them too).
 * The built-in migrations, the marker (database `_datakeep`), the seeders, `_init`, fixtures and hooks.
 */
export interface Lifecycle {
  /** Whether the application database exists and how many base tables it holds (from the catalog). */
  countTables(): Promise<{ exists: boolean; tables: number }>
  migrationState(): Promise<MigrationState>
  /** Pending migrations applied (or MIGRATE_COMMAND run). */
  migrate(): Promise<MigrateResult>
  /**
   * make rollback: the down sections of the `steps` newest applied migrations, newest first; `beforeRun`
   * (the guard and safety snapshot) once every one of them passed its checks.
   */
  rollback(steps: number, opts?: { beforeRun?: (plan: string[]) => Promise<void> }): Promise<{ rolledBack: string[] }>
  readMarker(): Promise<Marker | null>
  writeMarker(m: Omit<Marker, 'database' | 'at'>): Promise<void>
  createDatabase(): Promise<void>
  /** The application database dropped and created empty (the caller has protected it first). */
  emptyDatabase(): Promise<void>
  /** `_init` rebuilt: a scratch database created, migrated, seeded and dumped; the live one untouched. */
  buildInit(): Promise<void>
  /** A snapshot loaded as initialize loads it (INIT_LOAD, _init). */
  load(name: string): Promise<LoadResult>
  loadFixtures(): Promise<{ rows: number; files: number }>
  /** A *_COMMAND hook (REINDEX_COMMAND, INDEX_CHECK_COMMAND); null when it is not set. */
  runHook(key: 'REINDEX_COMMAND' | 'INDEX_CHECK_COMMAND', opts?: { nothrow?: boolean }): Promise<{ code: number } | null>
}

export interface Engine {
  readonly name: EngineName
  /** Where the server lives: start (a new volume initialized on the way), stop, state, data, volumes. */
  readonly runtime: Runtime
  /** The host's client tools the commands run (installed by make up as root, else named). */
  hostTools(): HostTool[]

  /** Runs `fn` on one connection to `database` (default: the application's; null: none). */
  withSql<T>(fn: (sql: SqlSession) => Promise<T>, database?: string | null): Promise<T>
  /** The server's version and the application database's tables with exact row counts. */
  inspect(): Promise<Inspection>
  /** Rows and checksum of every base table, read in one consistent snapshot (safety checks, deploy compares). */
  tableStates(): Promise<TableState[]>
  /** make status's facts; make check's report (exit 1 on its problems). */
  status(): Promise<StackStatus>
  /** How to connect (host, port, socket, database, accounts) and the config key of each password, never the password. */
  connectInfo(): ConnectInfo
  check(): Promise<CheckReport>

  /** After make up, and make initialize: the database made ready (lib/initialize/ with the INIT_ flags, through lifecycle()). */
  initialize(opts: { confirm?: string; noSafety?: boolean; dryRun?: boolean }): Promise<void>
  /** initialize's and seed_data's steps on this engine. */
  lifecycle(): Lifecycle
  /**
   * Before a destructive operation: the environment guard (on this engine's database), then a fresh
   * safety snapshot, recorded in the undo journal as the state before `req.op`.
   */
  protect(req: ProtectRequest): Promise<ProtectResult>
  /** A safety snapshot of the live database now (none when it is empty or `skip`); `reuse`: a fresh matching one may stand in. */
  safetySnapshot(operation: string, opts?: { skip?: boolean; reuse?: boolean }): Promise<ProtectResult>
  /** After a load: pending migrations and the search index, where the engine has them. */
  afterLoad(): Promise<void>

  /** A consistent snapshot of database + uploaded files: written beside its place, renamed in when complete. */
  dump(req: DumpRequest): Promise<DumpResult>
  /**
   * After a data_dump and before a stop: the server's logs copied out for point-in-time recovery
   * (MariaDB: the binary logs); a failure is a warning, the logs stay on the server.
   */
  copyLogs(): Promise<void>
  /**
   * Before the volume is removed: what later recovery needs copied out of it (MariaDB: the binary logs,
   * from the running server, or from the stopped local server's data directory).
   */
  keepLogs(serverUp: boolean): Promise<void>
  /**
   * Point-in-time recovery, before anything changes: the snapshot whole and every log up to `target`
   * present; what will be replayed (MariaDB: binary logs, lib/pitr/).
   */
  planRecovery(name: string, target: RecoveryTarget): Promise<Recovery>
  /**
   * A snapshot about to be loaded, checked whole before anything is written (the safety snapshot
   * included): its name, manifest and every file, and that this server can take it. Throws the line
   * the load would. `verb` names the command in messages (data_load, undo).
   */
  checkSnapshot(name: string | undefined, verb: string): Promise<void>
  /**
   * Loads a snapshot into a side database, verifies every table against the manifest, swaps it in with
   * the files. `noOwner`: everything is loaded as the application role, the snapshot's owners and grants
   * left out. `recovery`: the planned changes replayed into the side database before the swap.
   */
  load(name: string | undefined, opts?: { noOwner?: boolean; recovery?: Recovery | null }): Promise<LoadResult>
  /** data_verify --deep: every file checked, the snapshot loaded into a scratch database and compared; the problems found. */
  verifyDeep(name: string | undefined): Promise<string[]>
  /** One plain SQL file the stock client restores (`--format sql`). */
  dumpSql(req: SqlDumpRequest): Promise<SqlDumpResult>
  /** A stock dump file (.sql, .gz, .zst) imported into a side database, then swapped in. */
  importSql(file: string): Promise<{ tables: number; ms: number }>
  /** Leftovers of interrupted runs (side databases, partial folders): removed, and named. */
  cleanDebris(): Promise<string[]>
  /** The application database's schema as the engine-neutral model of lib/schema-docs/model.ts (schema_docs, lint, diff). */
  schemaModel(): Promise<Schema>
  /**
   * A snapshot's schema as the same model (schema_diff --against <snapshot>): its schema files checked
   * against the manifest, created without rows in a scratch database `_dk_scratch_<pid>_<time>` on this
   * server, read by the catalog reader schemaModel uses, and dropped (on an interrupt too). The model
   * carries the snapshot's database name. `verb` names the command in messages.
   */
  snapshotSchemaModel(name: string, verb: string): Promise<Schema>

  /** JSON fixtures (format in lib/fixtures/, docs/fixtures.md): one `<table>.json` per table, values exact, from one consistent read. */
  dumpFixtures(opts?: FixtureDumpOptions): Promise<DumpedFixture[]>
  /**
   * Every fixture file (datakeep's or Django's dumpdata) checked, `beforeLoad` run, then upserted in one
   * transaction in foreign-key order, the tables' triggers held off unless `withTriggers`.
   */
  loadFixtures(opts?: FixtureLoadOptions): Promise<FixtureLoadResult>
  /**
   * make schema_migration: the application database's schema as one migration that rebuilds it, for
   * Knex or as a datakeep baseline, written (temporary name, then rename) in `req.dir`.
   */
  writeSchemaMigration(req: SchemaMigrationRequest): Promise<SchemaMigrationResult>
}
