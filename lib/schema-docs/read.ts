// Where a schema model comes from: the live database (the one place that picks an engine's catalog
// reader), a schema.json written by schema_docs, or a snapshot (its schema created in a scratch
// database on the same server, read, and dropped). Scripts call these and stay engine-neutral.
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import type { Config } from '../config.ts'
import { ident, serverVersion, withDb, type Connection, type Db } from '../db.ts'
import { engineName, selectEngine } from '../engines/index.ts'
import { failure, onInterrupt, UserError } from '../errors.ts'
import { selectRuntime } from '../runtime/index.ts'
import { tempDbName } from '../snapshot/load.ts'
import { readManifest } from '../snapshot/manifest.ts'
import { requireSnapshot } from '../snapshot/names.ts'
import { createPostData, createTables } from '../snapshot/schema-apply.ts'
import type { SchemaObject, SchemaSnapshot } from '../snapshot/schema.ts'
import { lexingOf, rewriteDatabase } from '../snapshot/schema-text.ts'
import { readSchema } from './catalog-mariadb.ts'
import type { Schema } from './model.ts'

/** Refuses, before connecting, an engine whose snapshots cannot be read back as a model yet. */
function requireMariadb(cfg: Config, verb: string): void {
  const engine = engineName(cfg)
  if (engine !== 'mariadb') {
    throw new UserError(`${verb} reads a snapshot's schema on MariaDB/MySQL only so far; DB_ENGINE is ${engine} and nothing was written`, {
      hint: `compare against a schema.json instead: make ${verb} ARGS="--against docs/schema/schema.json"`,
    })
  }
}

async function withAdmin<T>(cfg: Config, fn: (db: Db, conn: Connection) => Promise<T>): Promise<T> {
  const rt = await selectRuntime(cfg)
  return withDb(rt.admin, (db) => fn(db, rt.admin), { database: null })
}

/** The application database's schema, read from its catalog by the configured engine (the one place that picks it). */
export async function readLiveSchema(cfg: Config, _verb: string): Promise<Schema> {
  return (await selectEngine(cfg)).schemaModel()
}

/** A schema.json that schema_docs wrote (exit 2 when it is missing or is not one). */
export function readSchemaFile(file: string): Schema {
  let s: Schema
  try {
    s = JSON.parse(fs.readFileSync(file, 'utf8'))
  } catch (e) {
    const err = e as NodeJS.ErrnoException
    throw new UserError(err.code === 'ENOENT' ? `${file} does not exist` : `${file} is not readable JSON (${err.message.split('\n')[0]})`, {
      hint: 'write it with: make schema_docs (docs/schema/schema.json), or name a snapshot: make schema_diff ARGS="--against <snapshot>"',
    })
  }
  if (s?.format !== 'datakeep-schema/1' || !Array.isArray(s.tables)) {
    throw new UserError(`${file} is not a schema.json written by schema_docs (format datakeep-schema/1)`, { hint: 'write it with: make schema_docs' })
  }
  return s
}

/**
 * A snapshot's schema as the model: its schema/schema.json (checked against the manifest) created,
 * without rows, in a scratch database `_dk_scratch_<pid>_...` on the running server, read from the
 * catalog, then dropped (on an interrupt too; a crash leaves debris the next data operation drops).
 * The model carries the snapshot's database name, so definitions compare with the live ones.
 */
export async function readSnapshotSchema(cfg: Config, name: string, verb: string): Promise<Schema> {
  requireMariadb(cfg, verb)
  const dir = requireSnapshot(cfg, name, verb)
  const m = readManifest(dir)
  const file = path.join(dir, 'schema/schema.json')
  const text = fs.readFileSync(file)
  const want = m.files['schema/schema.json']
  if (!want || !('sha256' in want) || crypto.createHash('sha256').update(text).digest('hex') !== want.sha256) {
    throw failure(`snapshot "${name}" is damaged: schema/schema.json does not match its manifest`, 'compare against another snapshot (make data_list)')
  }
  const snap = JSON.parse(text.toString('utf8')) as SchemaSnapshot
  return withAdmin(cfg, async (db, conn) => {
    const version = await serverVersion(db)
    const flavor = /mariadb/i.test(version) ? 'mariadb' : 'mysql'
    if (m.engine.flavor !== flavor) {
      throw new UserError(`snapshot "${name}" is from ${m.engine.flavor} ${m.engine.version}; this server is ${flavor} ${version}, which cannot create its schema`, {
        hint: 'compare on a server of the same engine, or against a schema.json: make schema_diff ARGS="--against docs/schema/schema.json"',
      })
    }
    const scratch = tempDbName('scratch')
    // on an interrupt the connection may be busy with a CREATE: the drop takes one of its own
    const forget = onInterrupt(() => withDb(conn, async (d) => { await d.query(`DROP DATABASE IF EXISTS ${ident(scratch)}`) }, { database: null }))
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
  })
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
