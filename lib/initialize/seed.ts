// Seeding and _init: the seed is built in a scratch database (created, migrated, seeded), dumped as
// the snapshot _init (the old one stays until the new one is complete), then loaded like any snapshot.
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { projectPath, type Config } from '../config.ts'
import { ident, withDb, type Db } from '../db.ts'
import { failure, onInterrupt } from '../errors.ts'
import { info, step } from '../log.ts'
import { runHook } from '../hooks.ts'
import { migrate, migrationsHash } from '../migrate/index.ts'
import { run } from '../run.ts'
import { forDatabase, type Runtime } from '../runtime/index.ts'
import { dumpSnapshot } from '../snapshot/dump.ts'
import { tempDbName } from '../snapshot/load.ts'
import { readManifest } from '../snapshot/manifest.ts'
import { snapshotPath } from '../snapshot/names.ts'

export const INIT = '_init'

/** Seeders in name order: *.sql and *.ts (a `storage/` folder beside them is the seed's uploaded files). */
export function seedFiles(cfg: Config): string[] {
  const dir = projectPath(cfg, cfg.SEED_DIR)
  if (!fs.existsSync(dir)) return []
  return fs.readdirSync(dir).filter((f) => /\.(sql|ts)$/.test(f) && !f.endsWith('.d.ts')).sort().map((f) => path.join(dir, f))
}

/** What _init is built from: migrations, seeders (and the commands that replace them). */
export function seedHash(cfg: Config): string {
  const h = crypto.createHash('sha256')
  h.update(`migrations:${migrationsHash(cfg)}\0migrate:${cfg.MIGRATE_COMMAND}\0seed:${cfg.SEED_COMMAND}\0`)
  for (const f of seedFiles(cfg)) h.update(`${path.basename(f)}\0`).update(fs.readFileSync(f)).update('\0')
  const storage = path.join(projectPath(cfg, cfg.SEED_DIR), 'storage')
  if (fs.existsSync(storage)) h.update(`storage:${fs.readdirSync(storage, { recursive: true }).sort().join('\0')}`)
  return h.digest('hex')
}

export function initSnapshot(cfg: Config): { exists: boolean; seedHash: string | null } {
  try {
    const m = readManifest(snapshotPath(cfg, INIT))
    return { exists: true, seedHash: m.seedHash ?? null }
  } catch { return { exists: false, seedHash: null } }
}

/**
 * A seeder module. A TypeScript one needs tsx: already loaded when this code runs from source (under
 * tsx), not in the bundle make runs (lib/launch.mjs), where tsx imports it.
 */
export type Seeder<D = Db> = (ctx: { db: D; log: (msg: string) => void }) => Promise<void>
export async function importSeeder<D = Db>(file: string): Promise<Seeder<D> | null> {
  const url = pathToFileURL(file).href
  const ts = /\.[cm]?ts$/.test(file) && !import.meta.url.endsWith('.ts')
  const mod = await (ts ? import('tsx/esm/api').then(({ tsImport }) => tsImport(url, import.meta.url)) : import(url)) as { default?: unknown }
  // a seeder outside an ES module package comes back as CommonJS: its exports object is `default`
  const fn = typeof mod.default === 'object' && mod.default !== null ? (mod.default as { default?: unknown }).default : mod.default
  return typeof fn === 'function' ? fn as Seeder<D> : null
}

/** Runs the seeders against the runtime's database (a scratch one when building _init). */
export async function runSeeders(cfg: Config, rt: Runtime): Promise<number> {
  if (cfg.SEED_COMMAND) { await runHook(cfg, rt, 'SEED_COMMAND'); return 1 }
  const files = seedFiles(cfg)
  for (const file of files) {
    step(`seed ${path.basename(file)}`)
    if (file.endsWith('.sql')) {
      await run(rt.target, ['mariadb', ...rt.clientArgs(), '--binary-mode', rt.admin.database], { env: rt.clientEnv(), input: fs.createReadStream(file) })
        .catch((e) => { throw failure(`seed ${path.basename(file)} failed: ${(e as Error).message}`) })
      continue
    }
    const seeder = await importSeeder(file)
    if (!seeder) throw failure(`seed ${path.basename(file)} has no default export (export default async ({ db, log }) => { ... })`)
    await withDb(rt.admin, async (db) => {
      try { await seeder({ db, log: info }) } catch (e) { throw failure(`seed ${path.basename(file)} failed: ${(e as Error).message}`) }
    })
  }
  return files.length
}

/** Builds _init from scratch: create, migrate, seed, dump. The live database is not touched. */
export async function buildInit(cfg: Config, rt: Runtime): Promise<void> {
  const scratch = tempDbName('scratch')
  const drop = async () => { await withDb(rt.admin, (db) => db.query(`DROP DATABASE IF EXISTS ${ident(scratch)}`), { database: null }) }
  const off = onInterrupt(drop)
  try {
    await withDb(rt.admin, (db) => db.query(`CREATE DATABASE ${ident(scratch)}`), { database: null })
    const sr = forDatabase(rt, scratch)
    await migrate(cfg, sr)
    const n = await runSeeders(cfg, sr)
    step(`seeded a scratch database with ${n} seeder${n === 1 ? '' : 's'}; storing it as ${INIT}`)
    await dumpSnapshot(cfg, sr, { name: INIT, reservedOk: true, force: true, storageDir: path.join(projectPath(cfg, cfg.SEED_DIR), 'storage'), seedHash: seedHash(cfg) })
  } finally {
    await drop().catch(() => undefined)
    off()
  }
}
