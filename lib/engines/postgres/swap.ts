// The atomic part of a PostgreSQL load: the live database stops taking connections, its sessions
// end, and the verified side database takes its name in one transaction (RENAME live -> old,
// side -> live); the owner and database-level settings carry over; the old one is dropped. A load's
// files switch right after, journaled in the side database's comment: it becomes the live one's in
// the same transaction, so a run killed between the two renames is finished by the next (recoverPgSwap).
import { info } from '../../log.ts'
import { failure } from '../../errors.ts'
import { isProcessAlive } from '../../fs-util.ts'
import { completeStoragePlacement, placeStorage } from '../../snapshot/storage.ts'
import { dropTempDatabase, pgQuery, qi, ql, type PgClient } from './db.ts'

/** What a swap carrying files leaves in the comment of the database it puts in place, until the files are placed. */
const JOURNAL_TAG = 'datakeep-swap:'
interface SwapJournal { pid: number; storage: { staging: string; real: string }; comment: string | null }

const commentOf = async (c: PgClient, database: string) => (await pgQuery<{ comment: string | null }>(c,
  "SELECT shobj_description(oid, 'pg_database') AS comment FROM pg_database WHERE datname = $1", [database]))[0]?.comment ?? null
const setComment = (c: PgClient, database: string, comment: string | null) =>
  c.query(`COMMENT ON DATABASE ${qi(database)} IS ${comment === null ? 'NULL' : ql(comment)}`)

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
export async function swapDatabases(c: PgClient, opts: { live: string; side: string; old: string
  /** the snapshot's files staged beside their folder: placed right after the databases switch */
  storage?: { staging: string; real: string } }): Promise<void> {
  const { live, side, old } = opts
  const [cur] = await pgQuery<{ owner: string }>(c, 'SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = $1', [live])
  await terminateAll(c, side)
  const journal: SwapJournal | null = opts.storage ? { pid: process.pid, storage: opts.storage, comment: cur ? await commentOf(c, live) : null } : null
  if (journal) await setComment(c, side, JOURNAL_TAG + JSON.stringify(journal))
  if (!cur) {
    await c.query(`ALTER DATABASE ${qi(side)} RENAME TO ${qi(live)}`)
    if (journal) await finishSwap(c, live, journal)
    return
  }
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
  if (journal) await finishSwap(c, live, journal)
  await dropTempDatabase(c, old)
}

/** The second half of a swap with files: the staged folder takes its place, then the journal goes. */
async function finishSwap(c: PgClient, live: string, j: SwapJournal): Promise<void> {
  placeStorage(j.storage).finish()
  await setComment(c, live, j.comment)
}

/**
 * Finishes a swap whose process died after the databases switched and before its files were placed
 * (the live database still carries the journal): the staged folder is put in place. Returns what it
 * did, or null. Runs before the storage debris is removed, which would take the staged folder.
 */
export async function recoverPgSwap(c: PgClient, live: string): Promise<string | null> {
  const comment = await commentOf(c, live)
  if (!comment?.startsWith(JOURNAL_TAG)) return null
  const j = JSON.parse(comment.slice(JOURNAL_TAG.length)) as SwapJournal
  if (j.pid !== process.pid && isProcessAlive(j.pid)) return null // its own run is placing them now
  const files = completeStoragePlacement(j.storage)
  await setComment(c, live, j.comment)
  return `finished the interrupted swap of ${live}: the snapshot's database was in place${files ? `; ${files}` : ' with its files'}`
}
