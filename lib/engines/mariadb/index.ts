// The MariaDB/MySQL engine: an adapter over the modules that implement it today (lib/runtime/,
// lib/snapshot/, lib/safety/, lib/initialize/), so the lifecycle code reaches them through the seam.
import type { Config } from '../../config.ts'
import { UserError } from '../../errors.ts'
import { databaseExists, ident, query, serverVersion, tableCounts, withDb } from '../../db.ts'
import { checkStack } from '../../deploy.ts'
import { afterLoad } from '../../initialize/after-load.ts'
import { initialize } from '../../initialize/index.ts'
import { refuseNewerSchema } from '../../migrate/index.ts'
import { selectRuntime } from '../../runtime/index.ts'
import type { Runtime } from '../../runtime/types.ts'
import { beforeDestructive } from '../../safety/destructive.ts'
import { openReaders } from '../../snapshot/consistent.ts'
import { verifySnapshot } from '../../snapshot/catalog.ts'
import { cleanDebris } from '../../snapshot/debris.ts'
import { dumpSnapshot } from '../../snapshot/dump.ts'
import { loadSnapshot } from '../../snapshot/load.ts'
import { dumpPhysical } from '../../snapshot/physical-dump.ts'
import { dumpSqlFile, importSqlFile } from '../../snapshot/sql-file.ts'
import { baseTables, readStates } from '../../snapshot/table-states.ts'
import { stackStatus } from '../../stack.ts'
import type { Engine, SqlSession } from '../types.ts'

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
  check() { return checkStack(this.cfg, this.runtime) }
  async initialize(opts: { confirm?: string; noSafety?: boolean }) { await initialize(this.cfg, this.runtime, opts) }
  protect(req: Parameters<Engine['protect']>[0]) {
    return beforeDestructive(this.cfg, this.runtime, req.op, { confirm: req.confirm, noSafety: req.noSafety })
  }
  afterLoad() { return afterLoad(this.cfg, this.runtime) }

  dump(req: Parameters<Engine['dump']>[0]) {
    return req.wholeServer
      ? dumpPhysical(this.cfg, this.runtime, { name: req.name, force: req.force })
      : dumpSnapshot(this.cfg, this.runtime, req)
  }
  load(name: string | undefined, opts: { noOwner?: boolean } = {}) {
    if (opts.noOwner) {
      throw new UserError('--no-owner is for PostgreSQL snapshots: a MariaDB snapshot names no owners to leave out', { hint: `make data_load ARGS="--name ${name}"` })
    }
    return loadSnapshot(this.cfg, this.runtime, name, { beforeSwap: (stage) => refuseNewerSchema(this.cfg, this.runtime, stage) })
  }
  verifyDeep(name: string | undefined) { return verifySnapshot(this.cfg, this.runtime, name, true) }
  async dumpSql(req: Parameters<Engine['dumpSql']>[0]) {
    const file = await dumpSqlFile(this.cfg, this.runtime, req)
    return { file, restoreCommand: `mariadb <database> < ${req.gzip ? '<(gunzip -c ' + file + ')' : file}` }
  }
  importSql(file: string) { return importSqlFile(this.cfg, this.runtime, file) }
  cleanDebris() { return cleanDebris(this.cfg, this.runtime) }
}
