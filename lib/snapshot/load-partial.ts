// data_load --tables a,b: restore some tables of a snapshot. The same staging and verification as
// a whole load (the tables are loaded into a staging database and checked against the manifest);
// the swap is one transaction instead of a RENAME TABLE: InnoDB points the foreign keys of the
// tables left alone at a renamed table, so renaming some tables out would take the others' keys
// with them. Each live table's rows are replaced (DELETE, INSERT ... SELECT from staging) with
// foreign key checks off (no cascade reaches other tables) and its triggers held off
// (trigger-guard.ts), verified against the manifest, then committed together: other sessions see
// all the old rows or all the new ones. The storage folder is restored only with withStorage.
import path from 'node:path'
import { projectPath, type Config } from '../config.ts'
import { connect, ident, query, serverVersion, withDb, type Db } from '../db.ts'
import { UserError, failure, onInterrupt } from '../errors.ts'
import { step } from '../log.ts'
import { invokingOwner } from '../owner.ts'
import type { Runtime } from '../runtime/index.ts'
import { cleanDebris } from './debris.ts'
import { checkEngine, loadTables, openSnapshot, tempDbName, verifyTable, type LoadResult } from './load.ts'
import type { Manifest } from './manifest.ts'
import { crossingOrphans, type Orphans } from './orphans.ts'
import { isPhysical } from './physical.ts'
import { createTables, readSchema, type SchemaSnapshot } from './schema.ts'
import { withoutAutoIncrement } from './schema-text.ts'
import { restoreStorage } from './storage.ts'
import { tableColumns } from './table-data.ts'
import { holdTriggers } from './trigger-guard.ts'

/** "a, b,a" -> ["a", "b"]; exit 2 for an empty list. */
export function parseTableList(text: string): string[] {
  const names = [...new Set(text.split(',').map((s) => s.trim()).filter(Boolean))]
  if (names.length === 0) throw new UserError('--tables needs table names', { hint: 'usage: make data_load ARGS="--name <name> --tables a,b"' })
  return names
}

/** Exit 2 naming the tables the snapshot does not hold, and listing those it does. */
export function checkTableNames(m: Manifest, names: string[]): void {
  if (isPhysical(m)) {
    throw new UserError(`snapshot "${m.name}" is a copy of the whole server: it restores whole, not table by table`, {
      hint: `load all of it (make data_load ARGS="--name ${m.name}") or take a logical snapshot to restore tables from`,
    })
  }
  const have = new Set(m.tables.map((t) => t.name))
  const unknown = names.filter((n) => !have.has(n))
  if (unknown.length) {
    throw new UserError(`snapshot "${m.name}" has no table${unknown.length === 1 ? '' : 's'} ${unknown.map((n) => JSON.stringify(n)).join(', ')}; nothing was changed`, {
      hint: `its tables: ${[...have].sort().join(', ')}`,
    })
  }
}

/**
 * Refuses (exit 2, before anything changes) a table the rows cannot simply be put back into: one
 * whose live definition differs from the snapshot's, one missing from the live database, one that
 * cannot roll back, or one whose history the snapshot holds.
 */
async function checkLive(db: Db, live: string, m: Manifest, schema: SchemaSnapshot, names: string[]): Promise<void> {
  const liveSchema = await readSchema(db, live)
  const liveCreate = new Map(liveSchema.tables.map((t) => [t.name, withoutAutoIncrement(t.create)]))
  const engines = new Map((await query<{ n: string; e: string | null }>(db,
    'SELECT TABLE_NAME AS n, ENGINE AS e FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?', [live])).map((r) => [r.n, r.e ?? '']))
  const full = `make data_load ARGS="--name ${m.name}"`
  for (const n of names) {
    const snap = schema.tables.find((t) => t.name === n)
    const mt = m.tables.find((t) => t.name === n)!
    const here = liveCreate.get(n)
    if (!snap || snap.kind !== 'table') throw new UserError(`${n} in snapshot "${m.name}" is not a base table; nothing was changed`, { hint: `load the whole snapshot: ${full}` })
    if (here === undefined) throw new UserError(`table ${n} does not exist in database ${live}; --tables puts rows back into existing tables; nothing was changed`, { hint: `load the whole snapshot: ${full}` })
    if (here !== withoutAutoIncrement(snap.create)) {
      throw new UserError(`table ${n} in database ${live} is defined differently from snapshot "${m.name}" (columns, keys or options changed since); --tables puts rows back into the same definition only; nothing was changed`, { hint: `load the whole snapshot: ${full}` })
    }
    if (mt.history) throw new UserError(`table ${n} is system-versioned with its history in the snapshot; --tables cannot put history back; nothing was changed`, { hint: `load the whole snapshot: ${full}` })
    if (!/^innodb$/i.test(engines.get(n) ?? '')) throw new UserError(`table ${n} uses the ${engines.get(n)} engine, which cannot roll back, so it cannot be replaced in one transaction; nothing was changed`, { hint: `load the whole snapshot: ${full}` })
  }
}

/** All the checks of a partial restore that need no writing, so a refusal comes before the safety snapshot. */
export async function checkSnapshotTables(cfg: Config, rt: Runtime, name: string, names: string[]): Promise<void> {
  const { manifest, schema } = await openSnapshot(cfg, name, 'data_load')
  checkTableNames(manifest, names)
  await withDb(rt.admin, (db) => checkLive(db, rt.admin.database, manifest, schema, names), { database: null })
}

export interface PartialOptions {
  /** Also restore the storage folder from the snapshot (a partial restore leaves it alone by default). */
  withStorage?: boolean
  beforeSwap?: (stage: string) => Promise<void>
}

export async function loadSnapshotTables(cfg: Config, rt: Runtime, name: string, names: string[], opts: PartialOptions = {}): Promise<LoadResult & { storage: boolean; orphans: Orphans[] }> {
  const t0 = Date.now()
  const { dir, manifest: whole, schema: wholeSchema } = await openSnapshot(cfg, name, 'data_load')
  checkTableNames(whole, names)
  const want = new Set(names)
  const m: Manifest = { ...whole, tables: whole.tables.filter((t) => want.has(t.name)) }
  const schema: SchemaSnapshot = { ...wholeSchema, tables: wholeSchema.tables.filter((t) => want.has(t.name)), sequenceValues: [] }
  const live = rt.admin.database
  await cleanDebris(cfg, rt)
  const stage = tempDbName('stage')
  return withDb(rt.admin, async (db) => {
    const { sameVersion } = checkEngine(m, await serverVersion(db), rt)
    await checkLive(db, live, m, wholeSchema, names)
    let writer: Db | null = null
    // (holdTriggers' own cleanup, newer, runs first: it ends the replacing transaction, puts the triggers back)
    const off = onInterrupt(async () => { await withDb(rt.admin, (d) => d.query(`DROP DATABASE IF EXISTS ${ident(stage)}`), { database: null }) })
    try {
      await db.query(`CREATE DATABASE ${ident(stage)} CHARACTER SET ${m.database.charset} COLLATE ${m.database.collation}`)
      await createTables(db, stage, schema)
      const problems = await loadTables(rt, cfg, dir, m, stage, sameVersion)
      if (problems.length) {
        throw failure(`the loaded data does not match snapshot "${m.name}": ${problems.join('; ')}`, `nothing was changed; run make data_verify ARGS="--name ${m.name} --deep"`)
      }
      await opts.beforeSwap?.(stage)
      writer = await connect(rt.admin, { database: null })
      const guard = await holdTriggers(rt.admin, writer, live, names, `load the whole snapshot: make data_load ARGS="--name ${m.name}"`)
      let orphans: Orphans[]
      try {
        orphans = await replaceRows(writer, live, stage, m, sameVersion)
      } finally {
        await guard?.release()
      }
      // after the commit, the step likelier to fail (a lock, a verification); the folder restore
      // either completes its own swap or leaves the folder as it was
      if (opts.withStorage) {
        await restoreStorage(path.join(dir, m.storage.archive), projectPath(cfg, cfg.STORAGE_DIR), m.storage.treeHash, { owner: invokingOwner(cfg) })
          .catch((e: Error) => {
            throw failure(`the rows of ${names.join(', ')} were restored from snapshot "${m.name}", but the storage folder could not be (${e.message}); it was left as it was`,
              `to restore it with the tables again: make data_load ARGS="--name ${m.name} --tables ${names.join(',')} --with-storage"`)
          })
      }
      return { name: m.name, tables: m.tables.length, rows: m.tables.reduce((a, t) => a + t.rows, 0), files: opts.withStorage ? m.storage.files : 0, ms: Date.now() - t0, storage: !!opts.withStorage, orphans }
    } finally {
      await writer?.end().catch(() => writer?.destroy())
      await db.query(`DROP DATABASE IF EXISTS ${ident(stage)}`).catch(() => undefined)
      off()
    }
  }, { database: null })
}

/**
 * One transaction: every table's rows replaced by the staged ones, each verified before the
 * commit. Returns the rows of foreign keys between these tables and the others left without a parent.
 */
async function replaceRows(db: Db, live: string, stage: string, m: Manifest, compareChecksums: boolean): Promise<Orphans[]> {
  await db.query("SET SESSION foreign_key_checks = 0, sql_mode = 'NO_AUTO_VALUE_ON_ZERO,NO_ENGINE_SUBSTITUTION', lock_wait_timeout = 30, autocommit = 0")
  await db.query('START TRANSACTION')
  try {
    for (const t of m.tables) {
      step(`${t.name}: replacing its rows in ${live} (${t.rows} row${t.rows === 1 ? '' : 's'})`)
      const cols = (await tableColumns(db, live, t.name)).filter((c) => !c.generated).map((c) => ident(c.name)).join(', ')
      await db.query(`DELETE FROM ${ident(live)}.${ident(t.name)}`)
      await db.query(`INSERT INTO ${ident(live)}.${ident(t.name)} (${cols}) SELECT ${cols} FROM ${ident(stage)}.${ident(t.name)}`)
      const problem = await verifyTable(db, live, t, compareChecksums)
      if (problem) throw failure(`after replacing the rows of ${live}.${t.name}: ${problem}; rolled back, nothing was changed`, `run make data_verify ARGS="--name ${m.name} --deep"`)
    }
    const orphans = await crossingOrphans(db, live, m.tables.map((t) => t.name))
    await db.query('COMMIT')
    return orphans
  } catch (e) {
    await db.query('ROLLBACK').catch(() => undefined)
    if ((e as { code?: string }).code === 'ER_LOCK_WAIT_TIMEOUT') {
      throw failure(`another connection holds a lock on a table of ${live}; nothing was changed`, 'to fix: stop the application (or close its long transactions) and run the load again')
    }
    throw e
  }
}
