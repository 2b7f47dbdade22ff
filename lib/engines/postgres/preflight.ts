// What a snapshot's schema needs of the server it is loaded into, checked before anything is
// created: the roles it names (owners, grants) and the extensions it creates. A load that would
// stop halfway on them is refused with the list instead.
import { UserError } from '../../errors.ts'
import { pgQuery, type PgClient } from './db.ts'

const IDENT = String.raw`("(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)`
const unquote = (s: string) => s.startsWith('"') ? s.slice(1, -1).replace(/""/g, '"') : s.toLowerCase()

/** Roles named by OWNER TO, GRANT ... TO and REVOKE ... FROM in pg_dump's schema text. */
export function requiredRoles(sql: string): string[] {
  const out = new Set<string>()
  for (const m of sql.matchAll(new RegExp(`OWNER TO ${IDENT};`, 'g'))) out.add(unquote(m[1]))
  for (const m of sql.matchAll(/^(?:GRANT .* TO|REVOKE .* FROM) (.+);$/gm)) {
    for (const r of m[1].replace(/ WITH GRANT OPTION$/, '').split(/,\s*/)) {
      const name = r.trim()
      if (/^(PUBLIC|CURRENT_USER|SESSION_USER)$/i.test(name)) continue
      out.add(unquote(name.replace(/^GROUP /, '')))
    }
  }
  return [...out].sort()
}

/** Extensions pg_dump's schema creates. */
export function requiredExtensions(sql: string): string[] {
  return [...new Set([...sql.matchAll(new RegExp(`^CREATE EXTENSION IF NOT EXISTS ${IDENT}`, 'gm'))].map((m) => unquote(m[1])))].sort()
}

/** Refuses (exit 2, nothing changed) when roles or extensions the schema needs are missing here. */
export async function checkPrerequisites(c: PgClient, schemaSql: string, snapshot: string, opts: { roles: boolean } = { roles: true }): Promise<void> {
  const roles = opts.roles ? requiredRoles(schemaSql) : []
  const haveRoles = new Set((await pgQuery<{ r: string }>(c, 'SELECT rolname AS r FROM pg_roles')).map((x) => x.r))
  const missingRoles = roles.filter((r) => !haveRoles.has(r))
  const exts = requiredExtensions(schemaSql)
  const haveExts = new Set((await pgQuery<{ e: string }>(c, 'SELECT name AS e FROM pg_available_extensions')).map((x) => x.e))
  const missingExts = exts.filter((e) => !haveExts.has(e))
  if (missingRoles.length) {
    throw new UserError(`snapshot "${snapshot}" names roles this server does not have: ${missingRoles.join(', ')}; nothing was changed`, {
      hint: `create them first (psql: ${missingRoles.map((r) => `CREATE ROLE "${r}";`).join(' ')}), or load it as the application role: make data_load ARGS="--name ${snapshot} --no-owner"`,
    })
  }
  if (missingExts.length) {
    throw new UserError(`snapshot "${snapshot}" needs extensions this server does not have: ${missingExts.join(', ')}; nothing was changed`, {
      hint: 'install them on the server (Debian: the postgresql-<version>-<extension> or postgresql-contrib package), then load again',
    })
  }
}
