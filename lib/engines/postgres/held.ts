// Safety snapshots held in the server (PostgreSQL): `CREATE DATABASE ... TEMPLATE <live> STRATEGY
// FILE_COPY` copies the database's files in one step (0.24-0.53 s for a 219 MB database here, against
// 3.8-4.0 s for a logical snapshot: docs/performance-postgres.md), kept under a `_dkheld_` name that
// refuses connections. Its snapshot folder (kind "database") names it and holds the storage archive and
// each table's row count; loading it copies it again (TEMPLATE, so it can be loaded twice) into the side
// database, checks the row counts and swaps as every load does. The copy needs no other session on the
// live database: it is taken when there is none, or when the operation closes them anyway (a load,
// undo, INIT_CLEAN); otherwise, or without the right to create databases, the snapshot is a logical one.
import fs from 'node:fs'
import path from 'node:path'
import { projectPath, type Config } from '../../config.ts'
import { failure, onInterrupt } from '../../errors.ts'
import { isProcessAlive, removeDir } from '../../fs-util.ts'
import { count, info, step } from '../../log.ts'
import { giveTo, invokingOwner } from '../../owner.ts'
import type { Runtime } from '../../runtime/types.ts'
import { listSnapshots } from '../../snapshot/catalog.ts'
import { datakeepVersion, gitState, replaceDir, STORAGE_ARCHIVE } from '../../snapshot/dump.ts'
import { FORMAT, FORMAT_VERSION, readManifest, writeManifest, type Manifest } from '../../snapshot/manifest.ts'
import { partialPath, snapshotPath } from '../../snapshot/names.ts'
import { withBackupUmask } from '../../snapshot/private.ts'
import { archiveStorage } from '../../snapshot/storage.ts'
import { pgConnect, pgQuery, pgVersion, qi, ql, qname, withPg, type PgClient } from './db.ts'
import { readPgSchema } from './dump.ts'
import { sessionsOn } from './swap.ts'

/** Held databases' prefix: not the temporary `_dk_` one, whose databases are debris once their process is gone. */
export const HELD_PREFIX = '_dkheld_'

/** The operations that close the live database's sessions anyway: closing them a moment earlier for the copy changes nothing for the application. */
const CLOSES_SESSIONS = new Set(['data_load', 'undo', 'INIT_LOAD', 'INIT_CLEAN', 'seed_data'])

export type HeldManifest = Manifest & { kind: 'database'; held: { database: string; owner: string } }

export function isPgHeld(m: { kind?: string }): m is HeldManifest {
  return m.kind === 'database'
}

/** Ends every other session on `database` and copies it; retried while a new session slips in between. */
async function copyDatabase(c: PgClient, from: string, to: string, owner: string, closeSessions: boolean): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    if (closeSessions) await c.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [from])
    try {
      await c.query(`CREATE DATABASE ${qi(to)} TEMPLATE ${qi(from)} OWNER ${qi(owner)} STRATEGY FILE_COPY`)
      return
    } catch (e) {
      // 55006: "source database is being accessed by other users"
      if ((e as { code?: string }).code !== '55006' || attempt >= 20) throw e
      await new Promise((r) => setTimeout(r, 50))
    }
  }
}

/**
 * A safety snapshot `name` held in the server, or why not (the caller then takes a logical one):
 * sessions an operation must not close, or no right to create databases.
 */
export async function takeHeldSafety(cfg: Config, rt: Runtime, operation: string, name: string): Promise<{ snapshot: string } | { fallback: string }> {
  const live = rt.admin.database
  const t0 = Date.now()
  const held = `${HELD_PREFIX}${process.pid}_${t0.toString(36)}`
  const c = await pgConnect(rt.admin, { database: null })
  try {
    const sessions = await sessionsOn(c, live)
    if (sessions && !CLOSES_SESSIONS.has(operation)) {
      return { fallback: `${count(sessions, 'session')} connected to ${live}: a copy of the database would close ${sessions === 1 ? 'it' : 'them'}, so a logical snapshot instead` }
    }
    const [{ owner, can }] = await pgQuery<{ owner: string; can: boolean }>(c, `SELECT pg_get_userbyid(d.datdba) AS owner,
      (SELECT rolsuper OR rolcreatedb FROM pg_roles WHERE rolname = current_user) AS can FROM pg_database d WHERE d.datname = $1`, [live])
    if (!can) return { fallback: `role ${rt.admin.user} cannot create databases (CREATEDB), which a copy of ${live} needs: a logical snapshot instead` }
    if (sessions) info(`closing ${count(sessions, 'session')} on ${live} for the copy (${operation} closes them anyway; applications must reconnect)`)
    step(`taking safety snapshot ${name} before ${operation}: a copy of database ${live} held in the server`)
    return await withBackupUmask(cfg, async () => {
      const final = snapshotPath(cfg, name)
      const partial = partialPath(final)
      fs.mkdirSync(partial, { recursive: true })
      const [{ pid }] = await pgQuery<{ pid: number }>(c, 'SELECT pg_backend_pid() AS pid')
      // Ctrl-C: the copy is cancelled, the partial folder and the copy removed (nothing left behind)
      const offInterrupt = onInterrupt(() => removeDir(partial, () => withPg(rt.admin, async (x) => {
        await x.query('SELECT pg_cancel_backend($1)', [pid])
        await dropHeld(x, held)
      }, { database: null })))
      try {
        const storage = archiveStorage(projectPath(cfg, cfg.STORAGE_DIR), path.join(partial, STORAGE_ARCHIVE))
        storage.catch(() => undefined)
        await copyDatabase(c, live, held, owner, sessions > 0)
        // the rows of each table, read in the copy before it stops taking connections: a load checks them
        const tables = await withPg(rt.admin, async (h) => {
          const out = []
          for (const t of (await readPgSchema(h)).tables) {
            const [{ n }] = await pgQuery<{ n: string }>(h, `SELECT count(*)::text AS n FROM ONLY ${qname(t.schema, t.table)}`)
            out.push({ name: t.name, rows: Number(n), checksum: null, bytes: 0, files: [], columns: t.columns, loadColumns: '' })
          }
          return out
        }, { database: held })
        await c.query(`ALTER DATABASE ${qi(held)} WITH ALLOW_CONNECTIONS false`)
        await c.query(`COMMENT ON DATABASE ${qi(held)} IS ${ql(`datakeep safety snapshot ${name} of ${live} before ${operation}`)}`)
        const s = await storage
        const m: HeldManifest = {
          format: FORMAT, formatVersion: FORMAT_VERSION, name, kind: 'database', created: new Date(t0).toISOString(),
          datakeepVersion: datakeepVersion(), engine: { flavor: 'postgres', version: await pgVersion(c) },
          database: { name: live, charset: '', collation: '' }, git: await gitState(cfg.projectDir), schemaHash: '',
          durationMs: Date.now() - t0, tables: tables.sort((a, b) => a.name.localeCompare(b.name)),
          storage: { files: s.files, bytes: s.bytes, treeHash: s.treeHash, archive: STORAGE_ARCHIVE },
          files: { [STORAGE_ARCHIVE]: { bytes: s.archiveBytes, sha256: s.archiveSha256 } },
          held: { database: held, owner },
        }
        writeManifest(partial, m)
        offInterrupt() // from here the snapshot is complete: the rename into place is one step
        replaceDir(partial, final)
        giveTo(invokingOwner(cfg), final)
        return { snapshot: name }
      } catch (e) {
        offInterrupt()
        removeDir(partial)
        await dropHeld(c, held).catch(() => undefined)
        throw e
      }
    })
  } finally { await c.end().catch(() => undefined) }
}

/** Drops a held copy; any other name is refused: the application's database is never dropped here. */
async function dropHeld(c: PgClient, heldDb: string): Promise<void> {
  if (!heldDb.startsWith(HELD_PREFIX)) throw new Error(`refusing to drop ${heldDb}: not a held safety copy`)
  // FORCE: a session the copy's own row count left (an interrupted run) does not keep it
  await c.query(`DROP DATABASE IF EXISTS ${qi(heldDb)} WITH (FORCE)`)
}

/** A held snapshot's database is there; null when it is, else why the snapshot cannot be loaded. */
export async function heldProblem(c: PgClient, m: HeldManifest): Promise<string | null> {
  const found = await pgQuery(c, 'SELECT 1 FROM pg_database WHERE datname = $1', [m.held.database])
  return found.length ? null : `its database ${m.held.database} is no longer in the server (a new volume or cluster, or dropped by hand)`
}

/** Fills `side` from a held snapshot (a copy of its database) and returns the tables whose rows differ from its manifest. */
export async function fillFromHeld(rt: Runtime, m: HeldManifest, side: string): Promise<string[]> {
  await withPg(rt.admin, async (c) => {
    const problem = await heldProblem(c, m)
    if (problem) throw failure(`snapshot "${m.name}" cannot be loaded: ${problem}`, 'nothing was changed; load another snapshot (make data_list)')
    await copyDatabase(c, m.held.database, side, m.held.owner, false)
  }, { database: null })
  return withPg(rt.admin, async (c) => {
    const bad: string[] = []
    const specs = (await readPgSchema(c)).tables
    for (const t of m.tables) {
      const spec = specs.find((x) => x.name === t.name)
      if (!spec) { bad.push(`${t.name}: missing`); continue }
      const [{ n }] = await pgQuery<{ n: string }>(c, `SELECT count(*)::text AS n FROM ONLY ${qname(spec.schema, spec.table)}`)
      if (Number(n) !== t.rows) bad.push(`${t.name}: ${n} rows, the manifest says ${t.rows}`)
    }
    return bad
  }, { database: side })
}

/**
 * Held databases no snapshot folder names any more (pruned, deleted, or a run killed before its
 * folder was written), their process gone: dropped. Returns their names.
 */
export async function dropUnheld(cfg: Config, c: PgClient, alive = isProcessAlive): Promise<string[]> {
  const rows = await pgQuery<{ name: string }>(c, 'SELECT datname AS name FROM pg_database WHERE starts_with(datname, $1)', [HELD_PREFIX])
  if (!rows.length) return []
  const named = new Set<string>()
  for (const s of listSnapshots(cfg)) {
    if (s.kind !== 'database') continue
    try { const m = readManifest(snapshotPath(cfg, s.name)); if (isPgHeld(m)) named.add(m.held.database) } catch { /* unreadable: names nothing */ }
  }
  const gone = rows.map((r) => r.name).filter((n) => {
    if (named.has(n)) return false
    // one being taken now (by this process or a living one) has no folder yet
    const pid = Number(/^_dkheld_(\d+)_/.exec(n)?.[1] ?? 0)
    return pid !== process.pid && !(pid > 0 && alive(pid))
  })
  for (const n of gone) await dropHeld(c, n)
  return gone
}
