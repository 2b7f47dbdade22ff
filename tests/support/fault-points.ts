// Where an operation is, seen from outside (files on disk, the server's data directory and process
// list), and what an interrupted one left behind: the points the fault suite waits for and the debris
// it must not find. (Per engine: tests/support/engine-cases.ts.)
import fs from 'node:fs'
import path from 'node:path'
import { connect, ident, query, type Db } from '../../lib/db.ts'
import type { FaultStack } from './faults.ts'
import type { TestStack } from './stack.ts'

export const backups = (stack: FaultStack, ...p: string[]) => path.join(stack.dir, 'data/backups', ...p)

function list(dir: string): string[] {
  try { return fs.readdirSync(dir) } catch { return [] }
}
function size(file: string): number {
  try { return fs.statSync(file).size } catch { return 0 }
}

/** The partial folder of a dump in progress of `name`, or of a name it starts (safety snapshots are `_safety/<operation>-<time>`). */
export function partialOf(stack: FaultStack, name: string): string | null {
  const dir = path.dirname(backups(stack, name))
  const found = list(dir).find((n) => n.startsWith(path.basename(name)) && /\.partial-\d+-\d+$/.test(n))
  return found ? path.join(dir, found) : null
}

/** A dump in progress has written at least `bytes` of `table`'s data. */
export function partialHasData(stack: FaultStack, name: string, table: string, bytes = 1): boolean {
  const p = partialOf(stack, name)
  // MariaDB's data files are `<table>.*`, PostgreSQL's `<n>-<schema>-<table>.copy.zst`
  return p !== null && list(path.join(p, 'data')).some((f) => (f.startsWith(`${table}.`) || f.endsWith(`-${table}.copy.zst`) || f.endsWith(`.${table}.copy.zst`)) && size(path.join(p, 'data', f)) >= bytes)
}

/** The server's files of `table` in a temporary database `_dk_<kind>_*` are at least `bytes`. */
export function tempTableBytes(stack: TestStack, kind: 'stage' | 'scratch', table: string, bytes: number): boolean {
  const dataDir = stack.rt.paths.dataDir
  return list(dataDir).some((d) => d.startsWith(`_dk_${kind}_`)
    && list(path.join(dataDir, d)).some((f) => f.startsWith(`${table}.`) && size(path.join(dataDir, d, f)) >= bytes))
}

/** A temporary database of that kind exists (its folder in the data directory). */
export function tempDbExists(stack: TestStack, kind: 'stage' | 'scratch' | 'old'): boolean {
  return list(stack.rt.paths.dataDir).some((d) => d.startsWith(`_dk_${kind}_`))
}

export const lockFile = (stack: FaultStack) => path.join(stack.dir, 'data/datakeep.lock')

/** A root connection kept open for polling and holding locks. */
export async function watcher(stack: TestStack): Promise<Db> {
  return connect(stack.rt.admin, { database: null })
}

/** The swap's RENAME TABLE is waiting for a table lock (one the test holds). */
export async function renameWaiting(db: Db): Promise<boolean> {
  const rows = await query<{ n: string }>(db,
    "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE INFO LIKE 'RENAME TABLE%' AND STATE LIKE 'Waiting for%lock%'")
  return Number(rows[0].n) > 0
}

/** Cancels the swap's waiting RENAME, as its lock_wait_timeout would: those tables then never move. */
export async function cancelRename(db: Db): Promise<void> {
  const rows = await query<{ id: string }>(db, "SELECT ID AS id FROM information_schema.PROCESSLIST WHERE INFO LIKE 'RENAME TABLE%'")
  for (const r of rows) await db.query(`KILL QUERY ${Number(r.id)}`)
}

/**
 * Holds a shared metadata lock on a live table (an open transaction that read it), as an
 * application's long transaction would: the swap's RENAME waits for it, which freezes a load
 * "just before the swap" where the test can see it. Returns the release.
 */
export async function holdTable(stack: TestStack, database: string, table: string): Promise<() => Promise<void>> {
  const db = await connect(stack.rt.admin, { database: null })
  await db.query('START TRANSACTION')
  await db.query(`SELECT 1 FROM ${ident(database)}.${ident(table)} LIMIT 1`)
  let done = false
  return async () => {
    if (done) return
    done = true
    await db.query('COMMIT').catch(() => undefined)
    await db.end().catch(() => db.destroy())
  }
}

/** What an interrupted run may leave: partial/old folders, `_dk_` databases, storage staging, the lock. */
export function leftovers(stack: TestStack): string[] {
  return leftoversWith(stack, list(stack.rt.paths.dataDir).filter((d) => d.startsWith('_dk_')))
}

/** The same, with the temporary databases as the engine lists them. */
export function leftoversWith(stack: FaultStack, tempDbs: string[]): string[] {
  const root = backups(stack)
  const folders = [root, path.join(root, '_safety'), path.join(stack.dir, 'data')]
    .flatMap((d) => list(d).filter((n) => /\.(partial|old|removing|staging)-\d+/.test(n)).map((n) => path.relative(stack.dir, path.join(d, n))))
  return [...folders, ...tempDbs.map((d) => `database ${d}`), ...(fs.existsSync(lockFile(stack)) ? ['data/datakeep.lock'] : [])]
}

/** Complete snapshot folders (with a manifest) at the top level and under _safety. */
export function snapshotsOnDisk(stack: FaultStack): string[] {
  const top = list(backups(stack)).filter((n) => fs.existsSync(backups(stack, n, 'manifest.json')))
  const safety = list(backups(stack, '_safety')).filter((n) => fs.existsSync(backups(stack, '_safety', n, 'manifest.json'))).map((n) => `_safety/${n}`)
  return [...top, ...safety].sort()
}
