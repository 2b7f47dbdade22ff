// A MariaDB/MySQL snapshot's schema as the model (Engine.snapshotSchemaModel on MariaDB): its
// schema/schema.json (checked against the manifest) created, without rows, in a scratch database
// `_dk_scratch_<pid>_...` on the running server, read from the catalog, then dropped (on an interrupt
// too; a crash leaves debris the next data operation drops).
import fs from 'node:fs'
import path from 'node:path'
import type { Config } from '../config.ts'
import { ident, serverVersion, withDb, type Connection } from '../db.ts'
import { failure, onInterrupt, UserError } from '../errors.ts'
import { tempDbName } from '../snapshot/load.ts'
import { checkSomeFiles, readManifest } from '../snapshot/manifest.ts'
import { requireSnapshot } from '../snapshot/names.ts'
import { createPostData, createTables } from '../snapshot/schema-apply.ts'
import type { SchemaObject, SchemaSnapshot } from '../snapshot/schema.ts'
import { lexingOf, rewriteDatabase } from '../snapshot/schema-text.ts'
import { readSchema } from './catalog-mariadb.ts'
import type { Schema } from './model.ts'

const ANOTHER_WAY = 'compare on a server of the same engine, or against a schema.json: make schema_diff ARGS="--against docs/schema/schema.json"'

/** The model carries the snapshot's database name, so definitions compare with the live ones. */
export async function readMariadbSnapshotSchema(cfg: Config, admin: Connection, name: string, verb: string): Promise<Schema> {
  const dir = requireSnapshot(cfg, name, verb)
  const m = readManifest(dir)
  // another engine's snapshot has no schema/schema.json: refused as such, not as damaged
  if (m.engine.flavor !== 'mariadb' && m.engine.flavor !== 'mysql') {
    throw new UserError(`snapshot "${name}" is from ${m.engine.flavor} ${m.engine.version}; this server is MariaDB/MySQL, which cannot create its schema`, { hint: ANOTHER_WAY })
  }
  const problems = await checkSomeFiles(dir, m, ['schema/schema.json'])
  if (problems.length) throw failure(`snapshot "${name}" is damaged: ${problems.join('; ')}`, 'compare against another snapshot (make data_list)')
  const snap = JSON.parse(fs.readFileSync(path.join(dir, 'schema/schema.json'), 'utf8')) as SchemaSnapshot
  return withDb(admin, async (db) => {
    const version = await serverVersion(db)
    const flavor = /mariadb/i.test(version) ? 'mariadb' : 'mysql'
    if (m.engine.flavor !== flavor) {
      throw new UserError(`snapshot "${name}" is from ${m.engine.flavor} ${m.engine.version}; this server is ${flavor} ${version}, which cannot create its schema`, { hint: ANOTHER_WAY })
    }
    const scratch = tempDbName('scratch')
    // on an interrupt the connection may be busy with a CREATE: the drop takes one of its own
    const forget = onInterrupt(() => withDb(admin, async (d) => { await d.query(`DROP DATABASE IF EXISTS ${ident(scratch)}`) }, { database: null }))
    try {
      const { events, statuses } = disabledEvents(snap.events)
      await createTables(db, scratch, snap)
      await createPostData(db, scratch, { ...snap, events })
      const s = await readSchema(db, scratch)
      return renamed({ ...s, events: s.events.map((e) => ({ ...e, status: statuses.get(e.name) ?? e.status })) }, scratch, snap)
    } finally {
      await db.query(`DROP DATABASE IF EXISTS ${ident(scratch)}`)
      forget()
    }
  }, { database: null })
}
const EVENT_STATUS = /^([\s\S]*? ON COMPLETION (?:NOT )?PRESERVE )(ENABLE|DISABLE ON SLAVE|DISABLE)\b/
const STATUS_NAME: Record<string, string> = { ENABLE: 'ENABLED', DISABLE: 'DISABLED', 'DISABLE ON SLAVE': 'SLAVESIDE_DISABLED' }

/**
 * The snapshot's events created DISABLEd: an enabled one could fire in the scratch database while it
 * exists, and its body may name other databases. Their statuses, as the catalog names them, are put
 * back into the model read.
 */
export function disabledEvents(events: SchemaObject[]): { events: SchemaObject[]; statuses: Map<string, string> } {
  const statuses = new Map<string, string>()
  return {
    statuses,
    events: events.map((o) => {
      const m = EVENT_STATUS.exec(o.create)
      if (!m) throw failure(`cannot read the status of event ${o.name} in the snapshot's SHOW CREATE EVENT text`, 'compare against a schema.json instead: make schema_diff ARGS="--against docs/schema/schema.json"')
      statuses.set(o.name, STATUS_NAME[m[2]])
      return { ...o, create: `${m[1]}DISABLE${o.create.slice(m[0].length)}` }
    }),
  }
}

/**
 * The scratch database's name replaced by the snapshot's own in the model and its definitions, as
 * the statements were written (`_dk_scratch_1`.t -> `db`.t, _dk_scratch_1.t -> db.t), each body
 * tokenized under the sql_mode it was created with.
 */
function renamed(s: Schema, from: string, snap: SchemaSnapshot): Schema {
  const to = snap.database.name
  const modes = new Map([...snap.routines, ...snap.triggers, ...snap.events].map((o) => [o.name, o.sqlMode]))
  const swap = (v: string, name?: string) => rewriteDatabase(v, from, to, lexingOf(name === undefined ? undefined : modes.get(name)))
  return {
    ...s,
    database: to,
    views: s.views.map((v) => ({ ...v, definition: swap(v.definition) })),
    routines: s.routines.map((r) => ({ ...r, definition: swap(r.definition, r.name) })),
    triggers: s.triggers.map((x) => ({ ...x, statement: swap(x.statement, x.name) })),
    events: s.events.map((e) => ({ ...e, definition: swap(e.definition, e.name) })),
  }
}
