// schema_docs: document the database's schema: index.html (with an SVG ER diagram), schema.json (the model), schema.md, schema.mmd, schema.svg.
// usage: make schema_docs [ARGS="--out DIR --tables a,b --columns field,type,default,null,key,extra,comment"]
// needs: the server running (make up).
import { parseFlags } from '../lib/args.ts'
import { loadConfig } from '../lib/config.ts'
import { withDb } from '../lib/db.ts'
import { UserError, main } from '../lib/errors.ts'
import { done, result } from '../lib/log.ts'
import { selectRuntime } from '../lib/runtime/index.ts'
import { readSchema } from '../lib/schema-docs/catalog-mariadb.ts'
import { selectColumns, selectTables, splitList } from '../lib/schema-docs/select.ts'
import { schemaDocFiles, writeDocFiles } from '../lib/schema-docs/write.ts'

const USAGE = 'make schema_docs [ARGS="--out DIR --tables a,b --columns field,type,default,null,key,extra,comment"]'

main(async () => {
  const { values } = parseFlags(process.argv.slice(2), { out: { type: 'string' }, tables: { type: 'string' }, columns: { type: 'string' } }, USAGE)
  const attrs = selectColumns(splitList(values.columns), USAGE)
  const cfg = loadConfig()
  // the PostgreSQL catalog reader (lib/schema-docs/catalog-postgres.ts) is not written yet: refuse before connecting
  if (cfg.DB_ENGINE !== 'mariadb') throw new UserError(`schema_docs reads MariaDB/MySQL catalogs only so far; DB_ENGINE is ${cfg.DB_ENGINE} and nothing was written`, { hint: 'run it against a MariaDB database: DB_ENGINE=mariadb make schema_docs' })
  const rt = await selectRuntime(cfg)
  const database = rt.admin.database
  const schema = selectTables(await withDb(rt.admin, (db) => readSchema(db, database)), splitList(values.tables), USAGE)
  const files = writeDocFiles(values.out ?? 'docs/schema', await schemaDocFiles(schema, attrs))
  result(files.join('\n'))
  done(`documented ${schema.tables.length} tables and ${schema.views.length} views of ${database} in ${values.out ?? 'docs/schema'}`)
})
