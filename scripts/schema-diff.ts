// schema_diff: what changed between the live schema and a schema.json (default docs/schema/schema.json) or a snapshot's schema; exit 1 on any difference.
// usage: make schema_diff [ARGS="--against docs/schema/schema.json|<snapshot name> --json"]
// needs: the server running (make up).
import fs from 'node:fs'
import path from 'node:path'
import { parseFlags } from '../lib/args.ts'
import { loadConfig } from '../lib/config.ts'
import { failure, main } from '../lib/errors.ts'
import { count, done, result, table } from '../lib/log.ts'
import { DIFF_HEADERS, diffRows, diffSchemas } from '../lib/schema-docs/diff.ts'
import { readLiveSchema, readSchemaFile, readSnapshotSchema } from '../lib/schema-docs/read.ts'

const USAGE = 'make schema_diff [ARGS="--against docs/schema/schema.json|<snapshot name> --json"]'

main(async () => {
  const { values } = parseFlags(process.argv.slice(2), { against: { type: 'string' }, json: { type: 'boolean' } }, USAGE)
  const cfg = loadConfig()
  const against = values.against ?? 'docs/schema/schema.json'
  // a file when one is there or the name says so; otherwise a snapshot's name (_safety/<name> too)
  const isFile = against.endsWith('.json') || fs.existsSync(against)
  const before = isFile ? readSchemaFile(path.resolve(against)) : await readSnapshotSchema(cfg, against, 'schema_diff')
  const after = await readLiveSchema(cfg, 'schema_diff')
  const changes = diffSchemas(before, after)
  const what = `${after.database} against ${isFile ? against : `snapshot ${against}`}`
  if (values.json) result(JSON.stringify({ database: after.database, against, equal: changes.length === 0, changes }, null, 2))
  else if (changes.length) result(table(DIFF_HEADERS, diffRows(changes)))
  if (changes.length) {
    throw failure(`schema_diff: ${count(changes.length, 'difference')} in ${what}`,
      isFile ? `to accept them: make schema_docs${against === 'docs/schema/schema.json' ? '' : ` ARGS="--out ${path.dirname(against)}"`}, and commit the files` : undefined)
  }
  done(`schema_diff: ${what}: the same schema`)
})
