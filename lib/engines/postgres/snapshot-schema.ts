// A PostgreSQL snapshot's schema as the model (Engine.snapshotSchemaModel, for schema_diff --against
// <snapshot>): schema/pre-data.sql and schema/post-data.sql, checked against the manifest, created
// without rows in a scratch database `_dk_scratch_<pid>_<time>` as a load creates its side database
// (psql -1 for pre-data, then post-data), read by the catalog reader (catalog.ts), then dropped, on an
// interrupt too (a crash leaves one that cleanPgDebris drops once its process is gone).
import fs from 'node:fs'
import path from 'node:path'
import type { Config } from '../../config.ts'
import { failure, onInterrupt, UserError } from '../../errors.ts'
import type { Runtime } from '../../runtime/types.ts'
import type { Schema } from '../../schema-docs/model.ts'
import { tempDbName } from '../../snapshot/load.ts'
import { checkSomeFiles, readManifest } from '../../snapshot/manifest.ts'
import { requireSnapshot } from '../../snapshot/names.ts'
import { readSchema } from './catalog.ts'
import { dropTempDatabase, withPg } from './db.ts'
import { createSide, withoutOwners } from './load.ts'
import { applyPostData } from './post-data.ts'
import { checkPrerequisites } from './preflight.ts'
import { psqlArgv, runClient, toolsDir } from './tools.ts'

const SCHEMA_FILES = ['schema/pre-data.sql', 'schema/post-data.sql'] as const

export async function pgSnapshotSchema(cfg: Config, rt: Runtime, name: string, verb: string): Promise<Schema> {
  const dir = requireSnapshot(cfg, name, verb)
  const m = readManifest(dir)
  if (m.engine.flavor !== 'postgres') {
    throw new UserError(`snapshot "${name}" is from ${m.engine.flavor} ${m.engine.version}; this server is PostgreSQL, which cannot create its schema`, {
      hint: `compare on a server of the same engine, or against a schema.json: make ${verb} ARGS="--against docs/schema/schema.json"`,
    })
  }
  const problems = await checkSomeFiles(dir, m, SCHEMA_FILES)
  if (problems.length) throw failure(`snapshot "${name}" is damaged: ${problems.join('; ')}`, 'compare against another snapshot (make data_list)')
  // owners and grants are not part of the model: left out, so no role the snapshot names is needed here
  const [pre, post] = SCHEMA_FILES.map((f) => withoutOwners(fs.readFileSync(path.join(dir, f), 'utf8')))
  await withPg(rt.admin, (c) => checkPrerequisites(c, `${pre}\n${post}`, name, { roles: false }), { database: null })
  const scratch = tempDbName('scratch')
  const drop = () => withPg(rt.admin, (c) => dropTempDatabase(c, scratch), { database: null })
  // WITH (FORCE) ends the sessions still in it (psql, the catalog read) when the signal came
  const forget = onInterrupt(drop)
  try {
    await withPg(rt.admin, (c) => createSide(c, scratch, null, m.database.charset || 'UTF8'), { database: null })
    await runClient(rt, psqlArgv(toolsDir(cfg, rt), rt.clientArgs(), scratch, { single: true }), { input: pre })
    await applyPostData(rt.admin, scratch, post, 1)
    return await withPg(rt.admin, (c) => readSchema(c, m.database.name), { database: scratch })
  } finally {
    await drop()
    forget()
  }
}
