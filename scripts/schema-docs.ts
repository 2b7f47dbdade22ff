// schema_docs: document the database's schema: index.html (with an SVG ER diagram), schema.json (the model), schema.md, schema.mmd, schema.svg.
// usage: make schema_docs [ARGS="--out DIR --tables a,b --columns field,type,default,null,key,extra,comment"]
// needs: the server running (make up).
import { parseFlags } from '../lib/args.ts'
import { loadConfig } from '../lib/config.ts'
import { main } from '../lib/errors.ts'
import { done, result } from '../lib/log.ts'
import { readLiveSchema } from '../lib/schema-docs/read.ts'
import { selectColumns, selectTables, splitList } from '../lib/schema-docs/select.ts'
import { schemaDocFiles, writeDocFiles } from '../lib/schema-docs/write.ts'

const USAGE = 'make schema_docs [ARGS="--out DIR --tables a,b --columns field,type,default,null,key,extra,comment"]'

main(async () => {
  const { values } = parseFlags(process.argv.slice(2), { out: { type: 'string' }, tables: { type: 'string' }, columns: { type: 'string' } }, USAGE)
  const attrs = selectColumns(splitList(values.columns), USAGE)
  const cfg = loadConfig()
  const schema = selectTables(await readLiveSchema(cfg, 'schema_docs'), splitList(values.tables), USAGE)
  const files = writeDocFiles(values.out ?? 'docs/schema', await schemaDocFiles(schema, attrs))
  result(files.join('\n'))
  done(`documented ${schema.tables.length} tables and ${schema.views.length} views of ${schema.database} in ${values.out ?? 'docs/schema'}`)
})
