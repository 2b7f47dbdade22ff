// The atomic part of a load: staged tables replace the live ones in one RENAME TABLE, the live
// database's views, routines, triggers and events are recreated, and any failure puts back what was.
import { databaseExists, ident, query, type Db } from '../db.ts'
import { failure } from '../errors.ts'
import { createPostData, dropPostData, readSchema, type SchemaSnapshot } from './schema.ts'

async function tablesOf(db: Db, database: string): Promise<string[]> {
  const rows = await query<{ name: string }>(db,
    `SELECT TABLE_NAME AS name FROM information_schema.TABLES
     WHERE TABLE_SCHEMA = ? AND TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED', 'SEQUENCE') ORDER BY TABLE_NAME`, [database])
  return rows.map((r) => r.name)
}

function renameAll(pairs: [string, string, string][]): string {
  // [table, from-db, to-db]: one statement, so every table moves or none does.
  return 'RENAME TABLE ' + pairs.map(([t, from, to]) => `${ident(from)}.${ident(t)} TO ${ident(to)}.${ident(t)}`).join(', ')
}

/**
 * Replaces the tables of `live` by those of `stage` (which must hold no triggers), then creates
 * `post`'s views, routines, triggers and events in `live`. On any failure the live database is
 * put back as it was. `oldDb` receives the replaced tables and is dropped at the end.
 */
export async function swapIn(db: Db, opts: { live: string; stage: string; oldDb: string; post: SchemaSnapshot; charset: string; collation: string }): Promise<void> {
  const { live, stage, oldDb, post } = opts
  await db.query('SET SESSION lock_wait_timeout = 30, foreign_key_checks = 0')
  if (!(await databaseExists(db, live))) {
    await db.query(`CREATE DATABASE ${ident(live)} CHARACTER SET ${opts.charset} COLLATE ${opts.collation}`)
  }
  const before = await readSchema(db, live)
  const liveTables = await tablesOf(db, live)
  const stageTables = await tablesOf(db, stage)
  await db.query(`CREATE DATABASE ${ident(oldDb)}`)
  await dropPostData(db, live)
  const forward: [string, string, string][] = [
    ...liveTables.map((t): [string, string, string] => [t, live, oldDb]),
    ...stageTables.map((t): [string, string, string] => [t, stage, live]),
  ]
  try {
    if (forward.length) await db.query(renameAll(forward))
  } catch (e) {
    await createPostData(db, live, before)
    throw lockHint(e, live)
  }
  try {
    await createPostData(db, live, post)
    await db.query(`ALTER DATABASE ${ident(live)} CHARACTER SET ${opts.charset} COLLATE ${opts.collation}`)
  } catch (e) {
    // Put the old tables and objects back; the new tables go back to staging to be dropped.
    await dropPostData(db, live).catch(() => undefined)
    if (forward.length) await db.query(renameAll(forward.map(([t, from, to]): [string, string, string] => [t, to, from])))
    await createPostData(db, live, before)
    throw e
  }
  await db.query(`DROP DATABASE ${ident(oldDb)}`)
}

function lockHint(e: unknown, live: string): Error {
  const err = e as { code?: string; message: string }
  if (err.code === 'ER_LOCK_WAIT_TIMEOUT') {
    return failure(`another connection holds a lock on a table of ${live}; nothing was changed`,
      'to fix: stop the application (or close its long transactions) and run the load again')
  }
  return e as Error
}
