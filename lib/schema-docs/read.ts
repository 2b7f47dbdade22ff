// Where a schema model comes from: the live database or a snapshot (each read by the configured
// engine: Engine.schemaModel, Engine.snapshotSchemaModel), or a schema.json written by schema_docs.
// Scripts call these and stay engine-neutral.
import fs from 'node:fs'
import type { Config } from '../config.ts'
import { selectEngine } from '../engines/index.ts'
import { UserError } from '../errors.ts'
import type { Schema } from './model.ts'

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
 * A snapshot's schema as the model, read by the configured engine: created without rows in a scratch
 * database `_dk_scratch_<pid>_...` on the running server, read from its catalog, and dropped.
 */
export async function readSnapshotSchema(cfg: Config, name: string, verb: string): Promise<Schema> {
  return (await selectEngine(cfg)).snapshotSchemaModel(name, verb)
}
