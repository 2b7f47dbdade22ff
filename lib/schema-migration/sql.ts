// The plan as a baseline in datakeep's own migration format (docs/migrations.md): the up section
// recreates the schema, the down section drops it. Its header lists the tables, so `make migrate` on
// a database that already has them records it as applied instead of running it (lib/migrate/baseline.ts).
import { ident } from '../db.ts'
import { ROUTINE } from '../migrate/parse.ts'
import { DDL_SESSION, RESTORE, SAVE, bare, lit } from '../snapshot/schema-sql.ts'
import { executeImmediateHex, needsHexSend } from '../snapshot/schema-text.ts'
import { BASELINE_HEADER } from '../migrate/baseline.ts'
import type { MigrationPlan, PostObject } from './plan.ts'

const SPLIT = '-- migrate:split'

/**
 * Whether the runner sends `text` unchanged as one statement: a routine chunk is sent whole (only its
 * final `;` dropped, the whole trimmed), a view is split at `;` ending a line. Anything in doubt is hex.
 */
function sendsVerbatim(o: PostObject): boolean {
  const t = o.text
  if (needsHexSend(t, o.characterSetClient) || /\r/.test(t) || t !== t.trim()) return false
  if (/^\s*--\s*migrate:|^\s*DELIMITER\s/im.test(t)) return false
  if (o.kind === 'view') return !/;[ \t]*(\n|$)/.test(t)
  return ROUTINE.test(t)
}

function objectChunks(o: PostObject, p: MigrationPlan): string[] {
  const coll = o.databaseCollation && o.databaseCollation !== p.database.collation ? o.databaseCollation : null
  const before = [`-- ${o.kind} ${o.name}${o.definer ? ` (definer was ${o.definer})` : ''}`]
  if (coll) before.push(`ALTER DATABASE COLLATE ${bare(coll)};`)
  before.push(`SET SESSION sql_mode = ${lit(o.sqlMode)}, character_set_client = ${lit(o.characterSetClient)}, collation_connection = ${lit(o.collationConnection)}`
    + (o.timeZone ? `, time_zone = ${lit(o.timeZone)};` : ';'))
  const after = [DDL_SESSION]
  if (coll) after.push(`ALTER DATABASE COLLATE ${bare(p.database.collation)};`)
  const statement = sendsVerbatim(o) ? `${o.text};` : `${executeImmediateHex(o.text)};`
  return [...before, SPLIT, statement, SPLIT, ...after]
}

const DROP: Record<string, string> = {
  view: 'VIEW', procedure: 'PROCEDURE', function: 'FUNCTION', trigger: 'TRIGGER', event: 'EVENT', package: 'PACKAGE', 'package body': 'PACKAGE BODY',
}

/** The file's text; `base` is its name without `.sql`, `source` where the schema was read (a comment). */
export function baselineMigration(p: MigrationPlan, base: string, source: string): string {
  const fks = p.tables.flatMap((t) => t.foreignKeys.map((fk) => ({ table: t.name, fk })))
  const up = [SAVE, DDL_SESSION]
  for (const q of p.sequences) up.push(`${q.create};`)
  for (const t of p.tables) up.push(`${t.create};`)
  for (const { table, fk } of fks) up.push(`ALTER TABLE ${ident(table)} ADD ${fk.text};`)
  for (const { table, fk } of p.omittedForeignKeys) up.push(`-- left out (--tables): ${table}: ${fk.text.replace(/\n/g, ' ')}`)
  for (const o of p.post) up.push(SPLIT, ...objectChunks(o, p))
  up.push(RESTORE)

  const down = [SAVE, DDL_SESSION]
  for (const o of [...p.post].reverse()) {
    const drop = `DROP ${DROP[o.kind]} IF EXISTS ${ident(o.name)};`
    // MariaDB before 11.4 knows the word PACKAGE only in Oracle mode
    down.push(...(o.kind.startsWith('package') ? ["SET SESSION sql_mode = 'ORACLE';", drop, DDL_SESSION] : [drop]))
  }
  for (const { table, fk } of [...fks].reverse()) down.push(`ALTER TABLE ${ident(table)} DROP FOREIGN KEY ${ident(fk.name)};`)
  for (const t of [...p.tables].reverse()) down.push(`DROP TABLE ${ident(t.name)};`)
  for (const q of [...p.sequences].reverse()) down.push(`DROP SEQUENCE ${ident(q.name)};`)
  down.push(RESTORE)

  return [
    `-- ${base}: the schema of database ${p.database.name} (${source}), written by datakeep: make schema_migration ARGS="--format sql".`,
    '-- On a database that already has every table named below, make migrate records it as applied without',
    '-- running it (docs/schema-migration.md). AUTO_INCREMENT counters and sequence positions are data and',
    '-- are not carried; definers become the account that runs it.',
    `${BASELINE_HEADER} ${JSON.stringify({ tables: p.tables.map((t) => t.name) })}`,
    '',
    '-- migrate:up',
    ...up,
    '',
    '-- migrate:down',
    ...down,
    '',
  ].join('\n')
}
