// schema_migration: the database's schema as one migration that rebuilds it exactly: for Knex (ESM or CommonJS) or as a datakeep baseline.
// usage: make schema_migration ARGS="--format knex --module esm|cjs [--tables a,b] [--out DIR]" or ARGS="--format sql [--out DIR]"
// needs: the server running (make up). Each engine writes its own (Engine.writeSchemaMigration).
import fs from 'node:fs'
import path from 'node:path'
import { parseFlags } from '../lib/args.ts'
import { loadConfig, projectPath } from '../lib/config.ts'
import { selectEngine } from '../lib/engines/index.ts'
import { UserError, main } from '../lib/errors.ts'
import { done, result } from '../lib/log.ts'
import { giveTo, invokingOwner } from '../lib/owner.ts'
import { splitList } from '../lib/schema-docs/select.ts'

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
  const engine = await selectEngine(cfg)
  const dir = projectPath(cfg, values.out ?? (format === 'knex' ? 'data/knex-migrations' : cfg.MIGRATIONS_DIR))
  const existed = fs.existsSync(dir)
  const { file, summary } = await engine.writeSchemaMigration({ format, module: mod, tables: splitList(values.tables), dir, usage: USAGE })
  // under sudo, the file (and a folder made for it) belong to the person who ran it
  giveTo(invokingOwner(cfg), existed ? file : dir)
  result(path.relative(cfg.projectDir, file) || file)
  done(summary)
})
