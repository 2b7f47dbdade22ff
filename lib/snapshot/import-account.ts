// The account a plain SQL import runs under: created for one import, granted on its staging
// database alone, dropped afterwards (and by the debris cleanup after a crash). Whatever the file
// tries beyond that database (another schema, GRANT, CREATE USER, SET GLOBAL, SHUTDOWN, FILE) the
// server itself refuses: the confinement does not depend on reading the file right.
import crypto from 'node:crypto'
import { isProcessAlive } from '../fs-util.ts'
import { query, type Db } from '../db.ts'
import { failure } from '../errors.ts'

export const IMPORT_USER_PREFIX = '_dk_import_'

/** Both host patterns: the client connects over the socket (localhost) or TCP (%); an anonymous ''@localhost must not win. */
const HOSTS = ['localhost', '%']

export interface ImportAccount { user: string; password: string }

export function importUserName(pid = process.pid): string {
  return `${IMPORT_USER_PREFIX}${pid}_${Date.now().toString(36)}`
}

/** A database name as a GRANT pattern: `_` and `%` are wildcards there, so they are escaped to mean themselves. */
export function grantDatabase(database: string): string {
  return '`' + database.replace(/`/g, '``').replace(/[\\_%]/g, (c) => '\\' + c) + '`'
}

/**
 * Everything a dump needs inside its own database and nothing outside it: tables, indexes, data,
 * LOCK TABLES, temporary tables, views, triggers, routines, events. No GRANT OPTION, nothing global.
 */
export const IMPORT_PRIVILEGES = ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'CREATE', 'DROP', 'REFERENCES', 'INDEX', 'ALTER',
  'CREATE TEMPORARY TABLES', 'LOCK TABLES', 'EXECUTE', 'CREATE VIEW', 'SHOW VIEW', 'CREATE ROUTINE', 'ALTER ROUTINE', 'EVENT', 'TRIGGER']

export async function createImportAccount(db: Db, stage: string): Promise<ImportAccount> {
  const account: ImportAccount = { user: importUserName(), password: crypto.randomBytes(24).toString('base64url') }
  try {
    for (const host of HOSTS) {
      // placeholders: the password is sent as a value, never part of a logged statement text
      await db.query('CREATE USER ?@? IDENTIFIED BY ?', [account.user, host, account.password])
      await db.query(`GRANT ${IMPORT_PRIVILEGES.join(', ')} ON ${grantDatabase(stage)}.* TO ?@?`, [account.user, host])
    }
  } catch (e) {
    await dropImportAccount(db, account.user).catch(() => undefined)
    const err = e as { errno?: number; message?: string }
    if ([1044, 1045, 1142, 1227, 1410].includes(err.errno ?? 0)) {
      throw failure(`data_load --file runs the file as a throwaway account confined to the staging database, and this connection's account may not create one (${err.message}); nothing was changed`,
        'connect as an account with CREATE USER and GRANT OPTION (e.g. the server\'s root) for the import, or load the file with the stock client yourself')
    }
    throw e
  }
  return account
}

/** Ends the account's sessions (a client cut short may still run a statement), then drops it. */
export async function dropImportAccount(db: Db, user: string): Promise<void> {
  const sessions = await query<{ id: number }>(db, 'SELECT ID AS id FROM information_schema.PROCESSLIST WHERE USER = ?', [user])
  for (const s of sessions) await db.query(`KILL ${Number(s.id)}`).catch(() => undefined) // ended meanwhile
  for (const host of HOSTS) await db.query('DROP USER IF EXISTS ?@?', [user, host])
}

/** Import accounts whose process is gone (kill -9, power loss): dropped; returns their names. */
export async function importAccountDebris(db: Db): Promise<string[]> {
  // an account that may not read mysql.user (an external server's application user) cannot have created any
  const rows = await query<{ u: string }>(db, 'SELECT DISTINCT User AS u FROM mysql.user WHERE User LIKE ?', [`${IMPORT_USER_PREFIX.replace(/_/g, '\\_')}%`])
    .catch((e: { errno?: number }) => { if (e.errno === 1142 || e.errno === 1044) return []; throw e })
  const dead = rows.map((r) => r.u).filter((u) => {
    const m = /^_dk_import_(\d+)_/.exec(u)
    return m !== null && !isProcessAlive(Number(m[1]))
  })
  for (const u of dead) await dropImportAccount(db, u)
  return dead
}
