// schema_lint: report the schema's anomalies (no primary key, unindexed foreign key, nullable unique column, implied relation, type mismatch); exit 1 when an error rule fires.
// usage: make schema_lint [ARGS="--errors rule,rule --ignore rule:table.column --json"]   (defaults: SCHEMA_LINT_ERRORS, SCHEMA_LINT_IGNORE)
// needs: the server running (make up).
import { parseFlags } from '../lib/args.ts'
import { loadConfig } from '../lib/config.ts'
import { failure, main } from '../lib/errors.ts'
import { count, done, result, table } from '../lib/log.ts'
import { lintPolicy, lintSchema, RULE_NAMES } from '../lib/schema-docs/lint.ts'
import { readLiveSchema } from '../lib/schema-docs/read.ts'

const USAGE = 'make schema_lint [ARGS="--errors rule,rule|all|none --ignore rule[:table[.column]],... --json"]'

main(async () => {
  const { values } = parseFlags(process.argv.slice(2), { errors: { type: 'string' }, ignore: { type: 'string' }, json: { type: 'boolean' } }, USAGE)
  const cfg = loadConfig({ flags: { SCHEMA_LINT_ERRORS: values.errors, SCHEMA_LINT_IGNORE: values.ignore } })
  const policy = lintPolicy(cfg.SCHEMA_LINT_ERRORS, cfg.SCHEMA_LINT_IGNORE)
  const schema = await readLiveSchema(cfg, 'schema_lint')
  const findings = lintSchema(schema, policy)
  const errors = findings.filter((f) => f.level === 'error')
  if (values.json) result(JSON.stringify({ database: schema.database, errorRules: RULE_NAMES.filter((r) => policy.errors.has(r)), findings }, null, 2))
  else if (findings.length) result(table(['level', 'rule', 'table', 'column', 'message'], findings.map((f) => [f.level, f.rule, f.table, f.column, f.message])))
  const summary = `${count(errors.length, 'error')} and ${count(findings.length - errors.length, 'warning')} in ${count(schema.tables.length, 'table')} of ${schema.database}`
  if (errors.length) {
    throw failure(`schema_lint: ${summary} (rules ${[...new Set(errors.map((f) => f.rule))].join(', ')})`,
      'fix the schema, or make a rule a warning (SCHEMA_LINT_ERRORS) or ignore a finding (SCHEMA_LINT_IGNORE=rule:table.column); docs/schema-docs.md')
  }
  done(`schema_lint: ${summary}`)
})
