// schema_migration: the database's schema as one migration that rebuilds it exactly: for Knex (ESM or CommonJS) or as a datakeep baseline.
// usage: make schema_migration ARGS="--format knex --module esm|cjs [--tables a,b] [--out DIR]" or ARGS="--format sql [--out DIR]"
// needs: the server running (make up).
import fs from 'node:fs'
import path from 'node:path'
import { parseFlags } from '../lib/args.ts'
import { loadConfig, projectPath } from '../lib/config.ts'
import { withDb } from '../lib/db.ts'
import { UserError, main } from '../lib/errors.ts'
import { done, result } from '../lib/log.ts'
import { giveTo, invokingOwner } from '../lib/owner.ts'
import { selectRuntime } from '../lib/runtime/index.ts'
import { splitList } from '../lib/schema-docs/select.ts'
import { generateMigration } from '../lib/schema-migration/index.ts'

const USAGE = 'make schema_migration ARGS="--format knex|sql [--module esm|cjs] [--tables a,b] [--out DIR]"'

main(async () => {
  const { values } = parseFlags(process.argv.slice(2), {
    format: { type: 'string', default: 'knex' }, module: { type: 'string' }, tables: { type: 'string' }, out: { type: 'string' },
  }, USAGE)
  const format = values.format
  if (format !== 'knex' && format !== 'sql') throw new UserError(`--format must be knex or sql (got ${JSON.stringify(format)})`, { hint: `usage: ${USAGE}` })
  const mod = values.module ?? 'esm'
  if (mod !== 'esm' && mod !== 'cjs') throw new UserError(`--module must be esm or cjs (got ${JSON.stringify(mod)})`, { hint: `usage: ${USAGE}` })
  if (format === 'sql' && values.module) throw new UserError('--module applies to --format knex only', { hint: `usage: ${USAGE}` })
  const cfg = loadConfig()
  // the PostgreSQL catalog reader is not written yet: refuse before connecting
  if (cfg.DB_ENGINE !== 'mariadb') throw new UserError(`schema_migration reads MariaDB/MySQL schemas only so far; DB_ENGINE is ${cfg.DB_ENGINE} and nothing was written`, { hint: 'run it against a MariaDB database: DB_ENGINE=mariadb make schema_migration' })
  const rt = await selectRuntime(cfg)
  const database = rt.admin.database
  const dir = projectPath(cfg, values.out ?? (format === 'knex' ? 'data/knex-migrations' : cfg.MIGRATIONS_DIR))
  const existed = fs.existsSync(dir)
  const { file, plan } = await withDb(rt.admin, (db) => generateMigration(db, database, {
    format, module: mod, tables: splitList(values.tables), dir, usage: USAGE,
  }), { database: null })
  // under sudo, the file (and a folder made for it) belong to the person who ran it
  giveTo(invokingOwner(cfg), existed ? file : dir)
  const built = plan.tables.filter((t) => t.spec).length
  result(path.relative(cfg.projectDir, file) || file)
  done(`wrote the schema of ${database} as a ${format === 'knex' ? `Knex (${mod})` : 'baseline'} migration: ${plan.tables.length} tables`
    + (format === 'knex' ? ` (${built} through the schema builder, ${plan.tables.length - built} as SHOW CREATE text)` : '')
    + `, ${plan.tables.reduce((n, t) => n + t.foreignKeys.length, 0)} foreign keys, ${plan.post.length} views, routines, triggers and events, ${plan.sequences.length} sequences`
    + (plan.omittedForeignKeys.length ? `; left out ${plan.omittedForeignKeys.length} foreign keys to tables outside --tables` : ''))
})
