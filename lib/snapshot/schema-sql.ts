// The schema as SQL for the stock client (`mariadb <database> < file`), naming no database so
// it restores into whichever one the user picks. Each object is created under its own session
// settings; definers are left out, so whoever restores becomes the definer.
import { failure } from '../errors.ts'
import { setvalSql } from './schema-apply.ts'
import { DDL_SQL_MODE } from './schema-session.ts'
import type { SchemaObject, SchemaSnapshot } from './schema.ts'
import { clientSafe, executeImmediateHex, lexingOf, pickDelimiter, rewriteDatabase } from './schema-text.ts'
import { ident } from '../db.ts'

/** A name (charset, collation) written bare, after checking it is one. */
export function bare(v: string): string {
  if (!/^\w+$/.test(v)) throw failure(`the snapshot holds an unexpected character set or collation: ${JSON.stringify(v)}`)
  return v
}

/** A setting's value as a literal; names of modes, charsets and zones never need escaping. */
export function lit(v: string): string {
  if (!/^[\w,+:\-/. ]*$/.test(v)) throw failure(`the snapshot holds an unexpected session setting: ${JSON.stringify(v)}`)
  return `'${v}'`
}

export const SAVE = 'SET @dk_mode = @@SESSION.sql_mode, @dk_csc = @@SESSION.character_set_client, @dk_cc = @@SESSION.collation_connection, @dk_tz = @@SESSION.time_zone, @dk_fk = @@SESSION.foreign_key_checks;'
export const RESTORE = 'SET SESSION sql_mode = @dk_mode, character_set_client = @dk_csc, collation_connection = @dk_cc, time_zone = @dk_tz, foreign_key_checks = @dk_fk;'
export const DDL_SESSION = `SET SESSION sql_mode = ${lit(DDL_SQL_MODE)}, character_set_client = 'utf8mb4', collation_connection = 'utf8mb4_general_ci';`

/**
 * One object's statements. The stock client drops comments and acts on backslashes, so a text
 * it would change is sent as hex through EXECUTE IMMEDIATE, which the server reads unchanged.
 */
function objectSql(o: SchemaObject, s: SchemaSnapshot): string[] {
  const mode = o.kind === 'view' ? DDL_SQL_MODE : (o.sqlMode ?? DDL_SQL_MODE)
  const text = rewriteDatabase(o.create, s.database.name, '', lexingOf(mode))
  const csc = o.characterSetClient ?? 'utf8mb4'
  const out = [`-- ${o.kind} ${o.name}${o.definer ? ` (definer was ${o.definer})` : ''}`]
  const coll = o.databaseCollation && o.databaseCollation !== s.database.collation ? o.databaseCollation : null
  if (coll) out.push(`ALTER DATABASE COLLATE ${bare(coll)};`)
  out.push(`SET SESSION sql_mode = ${lit(mode)}, character_set_client = ${lit(csc)}, collation_connection = ${lit(o.collationConnection ?? 'utf8mb4_general_ci')}`
    + (o.timeZone ? `, time_zone = ${lit(o.timeZone)};` : ';'))
  const delimiter = pickDelimiter(text)
  if (clientSafe(text, csc) && delimiter) out.push(`DELIMITER ${delimiter}`, text + delimiter, 'DELIMITER ;')
  else out.push(executeImmediateHex(text) + ';')
  out.push(DDL_SESSION)
  if (coll) out.push(`ALTER DATABASE COLLATE ${bare(s.database.collation)};`)
  return out
}

/**
 * SQL that recreates one phase of the schema in the client's current database: 'tables' (base
 * tables and sequences, no rows) or 'post' (routines, views, triggers, events, sequence values).
 */
export function schemaSql(s: SchemaSnapshot, phase: 'tables' | 'post'): string {
  const out = [
    `-- datakeep schema, ${phase === 'tables' ? 'tables and sequences (load before the data)' : 'routines, views, triggers, events and sequence values (load after the data)'}.`,
    '-- Restore into any database: mariadb <database> < this file. Definers are left out: the restoring user becomes the definer.',
    SAVE,
  ]
  if (phase === 'tables') {
    out.push('SET SESSION foreign_key_checks = 0;', DDL_SESSION,
      `ALTER DATABASE CHARACTER SET ${bare(s.database.charset)} COLLATE ${bare(s.database.collation)};`)
    for (const t of s.tables) out.push(`-- ${t.kind} ${t.name}`, t.create + ';')
  } else {
    out.push(DDL_SESSION)
    for (const o of [...s.routines, ...s.views, ...s.triggers, ...s.events]) out.push(...objectSql(o, s))
    for (const v of s.sequenceValues) out.push(setvalSql(v, ident(v.name)) + ';')
  }
  out.push(RESTORE, '')
  return out.join('\n')
}
