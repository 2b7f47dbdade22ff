// The live database's schema model, read by the catalog reader of the configured engine. The one place
// that picks a reader: schema_docs (and the other schema targets) call this, never a catalog file.
import type { Config } from '../config.ts'
import { withDb } from '../db.ts'
import { engineName } from '../engines/name.ts'
import type { Runtime } from '../runtime/types.ts'
import type { Schema } from './model.ts'

/** `rt`: the engine's runtime (`(await selectEngine(cfg)).runtime`); its admin connection's database is read. */
export async function readLiveSchema(cfg: Config, rt: Runtime): Promise<Schema> {
  const database = rt.admin.database
  if (engineName(cfg) === 'postgres') {
    // loaded only on PostgreSQL, as lib/engines/index.ts loads each engine's files; the engine's own connection
    const [{ withPg }, { readSchema }] = await Promise.all([import('../engines/postgres/db.ts'), import('./catalog-postgres.ts')])
    return withPg(rt.admin, (c) => readSchema(c, database))
  }
  const { readSchema } = await import('./catalog-mariadb.ts')
  return withDb(rt.admin, (db) => readSchema(db, database))
}
