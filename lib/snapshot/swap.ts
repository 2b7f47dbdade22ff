// The atomic part of a load: staged tables replace the live ones in one RENAME TABLE, the live
// database's views, routines, triggers and events are recreated, and any failure puts back what was.
import { databaseExists, ident, query, type Db } from '../db.ts'
import { failure } from '../errors.ts'
import { TEMP_DB_PREFIX } from './names.ts'
import { repointReferences, tempMentions } from './references.ts'
import { createPostData, dropPostData, readSchema, type SchemaSnapshot } from './schema.ts'
import { completeStoragePlacement, discardStorage, placeStorage, type PlacedStorage } from './storage.ts'

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
export async function swapIn(db: Db, opts: { live: string; stage: string; oldDb: string; post: SchemaSnapshot; charset: string; collation: string
  /** the snapshot's uploaded files, staged beside the folder: they switch in the same journaled step as the tables */
  storage?: { staging: string; real: string } }): Promise<void> {
  const { live, stage, oldDb, post } = opts
  await db.query('SET SESSION lock_wait_timeout = 30, foreign_key_checks = 0')
  if (!(await databaseExists(db, live))) {
    await db.query(`CREATE DATABASE ${ident(live)} CHARACTER SET ${opts.charset} COLLATE ${opts.collation}`)
  }
  const before = await readSchema(db, live)
  const liveTables = await tablesOf(db, live)
  const stageTables = await tablesOf(db, stage)
  await db.query(`CREATE DATABASE ${ident(oldDb)}`)
  // written before anything changes: if this process dies (kill -9, power loss) from here on, the
  // next data operation finishes or undoes the swap from it (recoverSwap), never leaves a mix
  const journal: Journal = { live, stage, liveTables, stageTables, before, post, charset: opts.charset, collation: opts.collation, storage: opts.storage }
  await db.query(`CREATE TABLE ${ident(oldDb)}.${ident(SWAP_JOURNAL)} (doc LONGTEXT NOT NULL) ENGINE=InnoDB`)
  await db.query(`INSERT INTO ${ident(oldDb)}.${ident(SWAP_JOURNAL)} (doc) VALUES (?)`, [JSON.stringify(journal)])
  await dropPostData(db, live)
  const forward: [string, string, string][] = [
    ...liveTables.map((t): [string, string, string] => [t, live, oldDb]),
    ...stageTables.map((t): [string, string, string] => [t, stage, live]),
  ]
  try {
    if (forward.length) await db.query(renameAll(forward))
  } catch (e) {
    await createPostData(db, live, before)
    await db.query(`DROP DATABASE ${ident(oldDb)}`).catch(() => undefined)
    discardStorage(opts.storage) // nothing switched: the staged files go, the folder stays
    throw lockHint(e, live)
  }
  let placed: PlacedStorage | null = null
  try {
    // the files switch right after the tables, inside the journaled step: a crash from here on is
    // finished by the next run (recoverSwap puts the staged folder in place), never left half
    if (opts.storage) placed = placeStorage(opts.storage)
    await repointReferences(db, live)
    await createPostData(db, live, post)
    await db.query(`ALTER DATABASE ${ident(live)} CHARACTER SET ${opts.charset} COLLATE ${opts.collation}`)
    await checkNoTempMentions(db, live)
  } catch (e) {
    // Put the old tables and objects back; the new tables go back to staging to be dropped.
    await dropPostData(db, live).catch(() => undefined)
    // in reverse order: the snapshot's tables leave before the old ones come back under the same names
    if (forward.length) await db.query(renameAll(forward.map(([t, from, to]): [string, string, string] => [t, to, from]).reverse()))
    await repointReferences(db, live)
    await createPostData(db, live, before)
    if (placed) placed.undo()
    else discardStorage(opts.storage)
    await db.query(`DROP DATABASE ${ident(oldDb)}`).catch(() => undefined)
    throw e
  }
  await db.query(`DROP DATABASE ${ident(oldDb)}`)
  placed?.finish()
}

/**
 * The invariant every load ends with, before its swap is final: nothing in the live database
 * names one of the tool's temporary databases (all are dropped when the load ends).
 */
export async function checkNoTempMentions(db: Db, live: string): Promise<void> {
  const found = await tempMentions(db, live)
  if (found.length) {
    throw failure(`the load would leave ${found.join(', ')} in ${live} pointing at a temporary database of datakeep; the live database was put back as it was`,
      `databases named ${TEMP_DB_PREFIX}* are datakeep's own: rename any your objects use; otherwise report this with the snapshot's schema/schema.json`)
  }
}

/** The table in the swap's old database that says what the swap was doing. */
export const SWAP_JOURNAL = '_dk_swap_journal'

interface Journal {
  live: string; stage: string; liveTables: string[]; stageTables: string[]
  before: SchemaSnapshot; post: SchemaSnapshot; charset: string; collation: string
  /** the staged uploaded files and their folder, when the load carries files */
  storage?: { staging: string; real: string }
}

/**
 * Settles a swap whose process died, from the journal in `oldDb` (which the caller then drops).
 * If the RENAME had not happened, the live tables are untouched: their views, routines, triggers
 * and events are put back. If it had (it is atomic), the snapshot's tables are live: its objects
 * are created. Either way the live database is whole again. Returns what was done, or null when
 * `oldDb` holds no journal (nothing in the live database was touched).
 */
export async function recoverSwap(db: Db, oldDb: string): Promise<string | null> {
  const inOld = await tablesOf(db, oldDb)
  if (!inOld.includes(SWAP_JOURNAL)) return null
  const rows = await query<{ doc: string }>(db, `SELECT doc FROM ${ident(oldDb)}.${ident(SWAP_JOURNAL)}`)
  if (rows.length === 0) return null // died before writing it: nothing was dropped yet
  const j = JSON.parse(rows[0].doc) as Journal
  const renamed = j.liveTables.length > 0 ? inOld.includes(j.liveTables[0])
    : !(await tablesOf(db, j.stage)).includes(j.stageTables[0] ?? '')
  await db.query('SET SESSION foreign_key_checks = 0')
  await dropPostData(db, j.live)
  // either way, keys and defaults the RENAME left on a temporary database point at the live one
  await repointReferences(db, j.live)
  if (!renamed) {
    await createPostData(db, j.live, j.before)
    return `undid the interrupted swap of ${j.live}: its tables were not replaced; its views, routines, triggers and events are back`
  }
  await createPostData(db, j.live, j.post)
  await db.query(`ALTER DATABASE ${ident(j.live)} CHARACTER SET ${j.charset} COLLATE ${j.collation}`)
  // the files belong with the tables: a crash between the two renames is finished here
  const files = j.storage ? completeStoragePlacement(j.storage) : null
  return `finished the interrupted swap of ${j.live}: its tables had been replaced by the snapshot's; the snapshot's views, routines, triggers and events are created${files ? `; ${files}` : ''}`
}

function lockHint(e: unknown, live: string): Error {
  const err = e as { code?: string; message: string }
  if (err.code === 'ER_LOCK_WAIT_TIMEOUT') {
    return failure(`another connection holds a lock on a table of ${live}; nothing was changed`,
      'to fix: stop the application (or close its long transactions) and run the load again')
  }
  return e as Error
}
