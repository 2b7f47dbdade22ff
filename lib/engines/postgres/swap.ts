// The atomic part of a PostgreSQL load: the live database stops taking connections, its sessions
// end, and the verified side database takes its name in one transaction (RENAME live -> old,
// side -> live); the owner and database-level settings carry over; the old one is dropped.
import { info } from '../../log.ts'
import { failure } from '../../errors.ts'
import { dropTempDatabase, pgQuery, qi, ql, type PgClient } from './db.ts'

/** Sessions connected to `database`, other than this one. */
export async function sessionsOn(c: PgClient, database: string): Promise<number> {
  return Number((await pgQuery<{ n: string }>(c, 'SELECT count(*)::text AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [database]))[0].n)
}

async function terminateAll(c: PgClient, database: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    await c.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [database])
    if (await sessionsOn(c, database) === 0) return
    await new Promise((r) => setTimeout(r, 50))
  }
  throw failure(`sessions on ${database} did not end`, 'stop the application, then run the load again')
}

/**
 * Puts `side` in place of `live` (`c` is connected to another database). Before the rename nothing
 * of the live database changed but that it briefly refused connections (put back on failure).
 */
export async function swapDatabases(c: PgClient, opts: { live: string; side: string; old: string }): Promise<void> {
  const { live, side, old } = opts
  const [cur] = await pgQuery<{ owner: string }>(c, 'SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = $1', [live])
  await terminateAll(c, side)
  if (!cur) { await c.query(`ALTER DATABASE ${qi(side)} RENAME TO ${qi(live)}`); return }
  const settings = await pgQuery<{ s: string }>(c,
    `SELECT unnest(setconfig) AS s FROM pg_db_role_setting WHERE setdatabase = (SELECT oid FROM pg_database WHERE datname = $1) AND setrole = 0`, [live])
  const n = await sessionsOn(c, live)
  if (n) info(`${n} connection${n === 1 ? '' : 's'} to ${live} will be closed (applications must reconnect)`)
  await c.query(`ALTER DATABASE ${qi(live)} WITH ALLOW_CONNECTIONS false`)
  try {
    await terminateAll(c, live)
    await c.query('BEGIN')
    await c.query(`ALTER DATABASE ${qi(live)} RENAME TO ${qi(old)}`)
    await c.query(`ALTER DATABASE ${qi(side)} RENAME TO ${qi(live)}`)
    await c.query(`ALTER DATABASE ${qi(live)} OWNER TO ${qi(cur.owner)}`)
    for (const { s } of settings) {
      const eq = s.indexOf('=')
      await c.query(`ALTER DATABASE ${qi(live)} SET ${qi(s.slice(0, eq))} = ${ql(s.slice(eq + 1))}`)
    }
    await c.query('COMMIT')
  } catch (e) {
    await c.query('ROLLBACK').catch(() => undefined)
    await c.query(`ALTER DATABASE ${qi(live)} WITH ALLOW_CONNECTIONS true`).catch(() => undefined)
    throw e
  }
  await dropTempDatabase(c, old)
}
