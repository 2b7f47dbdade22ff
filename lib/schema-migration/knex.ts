// The Knex migration file (ESM or CommonJS): up() recreates the plan's schema in the connection's
// database, down() drops what up() created, in reverse. Tables go through Knex's schema builder when
// it writes them exactly (builder.ts), else knex.raw with the server's own text; routines, views,
// triggers and events are knex.raw, each under the session settings it was created under.
import { js, createTableCode, foreignKeyCode } from './builder.ts'
import { builderName } from './table-ddl.ts'
import type { MigrationPlan, PostObject } from './plan.ts'
import { DDL_SQL_MODE } from '../snapshot/schema-session.ts'
import { ident } from '../db.ts'

export type ModuleFormat = 'esm' | 'cjs'

const I = '    '

/** A statement's text as JavaScript: one literal per line, so SHOW CREATE's layout stays readable and exact. */
function sqlLiteral(sql: string, indent: string): string {
  const lines = sql.split('\n')
  if (lines.length === 1) return js(sql)
  return `[\n${lines.map((l) => `${indent}  ${js(l)},`).join('\n')}\n${indent}].join('\\n')`
}

function sessionOf(o: PostObject): string {
  const s: Record<string, string> = { sqlMode: o.sqlMode, characterSetClient: o.characterSetClient, collationConnection: o.collationConnection }
  if (o.databaseCollation) s.databaseCollation = o.databaseCollation
  if (o.timeZone) s.timeZone = o.timeZone
  return `{ ${Object.entries(s).map(([k, v]) => `${k}: ${js(v)}`).join(', ')} }`
}

function upBody(p: MigrationPlan): string[] {
  const out: string[] = []
  if (p.sequences.length) out.push(`${I}// sequences (a table's default may read one)`)
  for (const q of p.sequences) out.push(`${I}await k.raw(${sqlLiteral(q.create, I)})`)
  if (p.tables.length) out.push(`${I}// tables, each after those it references; foreign keys follow once all exist`)
  for (const t of p.tables) {
    if (t.spec) {
      out.push(`${I}await k.schema.createTable(${js(t.name)}, (t) => {`, ...createTableCode(t.spec).map((l) => `${I}  ${l}`), `${I}})`)
    } else {
      out.push(`${I}await k.raw(${sqlLiteral(t.create, I)})`)
    }
  }
  const fks = p.tables.flatMap((t) => t.foreignKeys.map((fk) => ({ table: t.name, fk })))
  if (fks.length) out.push(`${I}// foreign keys`)
  for (const { table, fk } of fks) {
    const viaBuilder = fk.refDatabase === null && [table, fk.name, fk.refTable, ...fk.columns, ...fk.refColumns].every(builderName)
    out.push(viaBuilder
      ? `${I}await k.schema.alterTable(${js(table)}, (t) => { ${foreignKeyCode(fk)} })`
      : `${I}await k.raw(${js(`ALTER TABLE ${ident(table)} ADD ${fk.text}`)})`)
  }
  for (const { table, fk } of p.omittedForeignKeys) out.push(`${I}// left out (--tables): ${table}: ${fk.text}`)
  if (p.post.length) out.push(`${I}// routines, views, triggers (in firing order) and events, each under the settings it was created under`)
  for (const o of p.post) {
    out.push(`${I}await create(k, ${sessionOf(o)}, ${sqlLiteral(o.text, I)})${o.definer ? ` // definer was ${o.definer}` : ''}`)
  }
  return out
}

const DROP: Record<string, string> = {
  view: 'VIEW', procedure: 'PROCEDURE', function: 'FUNCTION', trigger: 'TRIGGER', event: 'EVENT', package: 'PACKAGE', 'package body': 'PACKAGE BODY',
}

function downBody(p: MigrationPlan): string[] {
  const out: string[] = []
  for (const o of [...p.post].reverse()) {
    // MariaDB before 11.4 knows the word PACKAGE only in Oracle mode
    const drop = `DROP ${DROP[o.kind]} IF EXISTS ${ident(o.name)}`
    out.push(o.kind.startsWith('package') ? `${I}await create(k, { sqlMode: 'ORACLE' }, ${js(drop)})` : `${I}await k.raw(${js(drop)})`)
  }
  const fks = p.tables.flatMap((t) => t.foreignKeys.map((fk) => ({ table: t.name, fk })))
  for (const { table, fk } of fks.reverse()) {
    out.push(builderName(table) && builderName(fk.name)
      ? `${I}await k.schema.alterTable(${js(table)}, (t) => { t.dropForeign(${JSON.stringify(fk.columns)}, ${js(fk.name)}) })`
      : `${I}await k.raw(${js(`ALTER TABLE ${ident(table)} DROP FOREIGN KEY ${ident(fk.name)}`)})`)
  }
  for (const t of [...p.tables].reverse()) {
    out.push(builderName(t.name) ? `${I}await k.schema.dropTable(${js(t.name)})` : `${I}await k.raw(${js(`DROP TABLE ${ident(t.name)}`)})`)
  }
  for (const q of [...p.sequences].reverse()) out.push(`${I}await k.raw(${js(`DROP SEQUENCE ${ident(q.name)}`)})`)
  return out
}

/** Helpers the file carries, so it needs nothing but knex and a mysql2 connection. */
const HELPERS = `
const DDL_MODE = ${js(DDL_SQL_MODE)}
const DDL_SESSION = \`SET SESSION sql_mode = '\${DDL_MODE}', character_set_client = 'utf8mb4', collation_connection = 'utf8mb4_general_ci'\`

/**
 * Runs fn on one connection (a transaction when knex is not one already): session settings hold
 * from one statement to the next, and are put back at the end.
 */
async function onOneConnection(knex, fn) {
  const run = async (k) => {
    await k.raw('SET @dk_mode = @@SESSION.sql_mode, @dk_csc = @@SESSION.character_set_client, @dk_cc = @@SESSION.collation_connection, @dk_tz = @@SESSION.time_zone')
    await k.raw(DDL_SESSION)
    try {
      await fn(k)
    } finally {
      await k.raw('SET SESSION sql_mode = @dk_mode, character_set_client = @dk_csc, collation_connection = @dk_cc, time_zone = @dk_tz')
    }
  }
  return knex.isTransaction ? run(knex) : knex.transaction(run)
}

/**
 * Sends one CREATE under the sql_mode, character sets, time zone and database collation its object
 * was created under (SHOW CREATE shows them back). Text the connection would not carry unchanged
 * under a client character set other than UTF-8 goes as hex, which the server reads as UTF-8.
 */
async function create(k, s, sql) {
  const [[{ coll }]] = await k.raw('SELECT @@collation_database AS coll')
  const alter = s.databaseCollation && s.databaseCollation !== coll
  if (alter) await k.raw(\`ALTER DATABASE COLLATE \${s.databaseCollation}\`)
  const csc = s.characterSetClient || 'utf8mb4'
  await k.raw(\`SET SESSION sql_mode = '\${s.sqlMode}', character_set_client = '\${csc}', collation_connection = '\${s.collationConnection || 'utf8mb4_general_ci'}'\`
    + (s.timeZone ? \`, time_zone = '\${s.timeZone}'\` : ''))
  try {
    const hex = !/^utf8/i.test(csc) && /[^\\x00-\\x7f]/.test(sql)
    await k.raw(hex ? \`EXECUTE IMMEDIATE CONVERT(0x\${Buffer.from(sql, 'utf8').toString('hex')} USING utf8mb4)\` : sql)
  } finally {
    await k.raw(DDL_SESSION + ', time_zone = @dk_tz')
    if (alter) await k.raw(\`ALTER DATABASE COLLATE \${coll}\`)
  }
}
`

/** The whole file. `source` names the database and server it was generated from (a comment). */
export function knexMigration(p: MigrationPlan, format: ModuleFormat, source: string): string {
  const head = [
    `// The schema of database ${p.database.name} (${source}), written by datakeep: make schema_migration.`,
    '// up() recreates it in an empty database (create that database with the same default character set',
    `// and collation: ${p.database.charset} / ${p.database.collation}); down() drops what up() created.`,
    "// Tables use Knex's schema builder where its SQL is exact, knex.raw with the server's own text where",
    '// not; docs/schema-migration.md lists which construct takes which path. AUTO_INCREMENT counters and',
    '// sequence positions are data and are not carried; definers become the account that runs it.',
    '',
  ]
  const up = ['  await onOneConnection(knex, async (k) => {', ...upBody(p), '  })']
  const down = ['  await onOneConnection(knex, async (k) => {', ...downBody(p), '  })']
  const fn = (name: string, body: string[]) => format === 'esm'
    ? [`export async function ${name}(knex) {`, ...body, '}']
    : [`exports.${name} = async function ${name}(knex) {`, ...body, '}']
  return [...(format === 'cjs' ? ["'use strict'", ''] : []), ...head, ...fn('up', up), '', ...fn('down', down), HELPERS].join('\n')
}
