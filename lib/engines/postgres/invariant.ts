// The invariant every PostgreSQL load ends with, before the swap: nothing in the side database names
// one of datakeep's temporary databases (`_dk_...`). PostgreSQL cannot reference another database
// from a key or a view, but text can still carry the name (a function body, a default, a comment
// written by a tool that knew it): the load fails naming the object, and the live database stays.
import { failure } from '../../errors.ts'
import { TEMP_DB_PREFIX } from '../../snapshot/names.ts'
import { pgQuery, type PgClient } from './db.ts'

const USER_SCHEMAS = "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'"

/** Each object of the connected database whose definition contains the temporary prefix. */
export async function pgTempMentions(c: PgClient): Promise<string[]> {
  const like = `%${TEMP_DB_PREFIX.replace(/_/g, '\\_')}%`
  const probes: [string, string][] = [
    ['constraint', `SELECT n.nspname || '.' || r.relname || '.' || k.conname AS o FROM pg_constraint k
      JOIN pg_class r ON r.oid = k.conrelid JOIN pg_namespace n ON n.oid = r.relnamespace
      WHERE ${USER_SCHEMAS} AND pg_get_constraintdef(k.oid) LIKE $1`],
    ['column default', `SELECT n.nspname || '.' || r.relname || '.' || a.attname AS o FROM pg_attrdef d
      JOIN pg_class r ON r.oid = d.adrelid JOIN pg_namespace n ON n.oid = r.relnamespace
      JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
      WHERE ${USER_SCHEMAS} AND pg_get_expr(d.adbin, d.adrelid) LIKE $1`],
    ['view', `SELECT n.nspname || '.' || r.relname AS o FROM pg_class r JOIN pg_namespace n ON n.oid = r.relnamespace
      WHERE ${USER_SCHEMAS} AND r.relkind IN ('v', 'm') AND pg_get_viewdef(r.oid) LIKE $1`],
    ['function', `SELECT n.nspname || '.' || p.proname AS o FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE ${USER_SCHEMAS} AND p.prosrc LIKE $1`],
    ['trigger', `SELECT t.tgname AS o FROM pg_trigger t JOIN pg_class r ON r.oid = t.tgrelid JOIN pg_namespace n ON n.oid = r.relnamespace
      WHERE ${USER_SCHEMAS} AND NOT t.tgisinternal AND pg_get_triggerdef(t.oid) LIKE $1`],
    ['policy', `SELECT pol.polname AS o FROM pg_policy pol JOIN pg_class r ON r.oid = pol.polrelid JOIN pg_namespace n ON n.oid = r.relnamespace
      WHERE ${USER_SCHEMAS} AND (coalesce(pg_get_expr(pol.polqual, pol.polrelid), '') || coalesce(pg_get_expr(pol.polwithcheck, pol.polrelid), '')) LIKE $1`],
  ]
  const found: string[] = []
  for (const [kind, sql] of probes) for (const r of await pgQuery<{ o: string }>(c, sql, [like])) found.push(`${kind} ${r.o}`)
  return found
}

/** Throws, naming them, when objects of the connected (side) database mention a temporary database. */
export async function assertNoPgTempMentions(c: PgClient, snapshot: string): Promise<void> {
  const found = await pgTempMentions(c)
  if (found.length) {
    throw failure(`the loaded snapshot "${snapshot}" would leave objects naming datakeep's temporary databases (${found.join(', ')}); nothing was changed`,
      'this is a bug in datakeep: please report it with the snapshot\'s schema/ folder')
  }
}
