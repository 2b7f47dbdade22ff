// The deployment checklist as commands: `check` says whether the data is where it should be,
// `predeploy` snapshots it, `postdeploy` compares row counts with that snapshot (lib/deploy-compare.ts).
import type { Config } from './config.ts'
import { databaseExists, serverVersion, tableCounts, withDb, type TableCount } from './db.ts'
import { describeMarker, readMarker, type Marker } from './initialize/marker.ts'
import type { Runtime } from './runtime/index.ts'
import { listSnapshots } from './snapshot/catalog.ts'
import type { Engine } from './engines/types.ts'
import type { DumpResult } from './snapshot/dump.ts'
import { defaultName } from './snapshot/names.ts'

/** Marker actions that put data in: after one of them, an empty database means data was lost. */
export const DATA_ACTIONS: readonly Marker['action'][] = ['loaded', 'seeded']

export interface Problem { message: string; hint: string }

export interface CheckReport {
  runtime: string
  server: { running: boolean; detail: string; version: string | null }
  data: { where: string; exists: boolean; bytes: number | null }
  database: { name: string; exists: boolean | null; tables: TableCount[] | null; rows: number | null }
  /** What initialize last did to this database (lib/initialize/marker.ts); null when it never ran. */
  marker: Marker | null
  /** Rows in the snapshot the marker names, when that snapshot is here (0: an empty load is no loss). */
  markerRows: number | null
  snapshot: { name: string; created: string; ageMs: number } | null
  /** The newest snapshot with rows: what the hints offer to restore when data went missing. */
  restoreFrom: string | null
  problems: Problem[]
}

/** Rows in the application's tables (views and sequences left out). */
export function appRows(tables: TableCount[]): number {
  return tables.filter((t) => t.type === 'table').reduce((a, t) => a + t.rows, 0)
}

/** What `make check` finds; never throws for a stopped server or a missing database. */
export async function checkStack(cfg: Config, rt: Runtime, now = new Date()): Promise<CheckReport> {
  const state = await rt.state()
  const data = await rt.data()
  const name = rt.admin.database
  const snapshots = listSnapshots(cfg)
  const newest = snapshots.find((s) => s.created !== null)
  const report: CheckReport = {
    runtime: rt.name,
    server: { running: state.running, detail: state.detail, version: null },
    data: { where: data.where, exists: data.exists, bytes: data.bytes ?? null },
    database: { name, exists: null, tables: null, rows: null },
    marker: null,
    markerRows: null,
    snapshot: newest ? { name: newest.name, created: newest.created!, ageMs: now.getTime() - Date.parse(newest.created!) } : null,
    restoreFrom: snapshots.find((s) => (s.rows ?? 0) > 0)?.name ?? null,
    problems: [],
  }
  if (state.running) {
    try {
      await withDb(rt.admin, async (db) => {
        report.server.version = await serverVersion(db)
        report.database.exists = await databaseExists(db, name)
        if (!report.database.exists) return
        const tables = await tableCounts(db, name)
        report.database.tables = tables
        report.database.rows = appRows(tables)
      }, { database: null })
      report.marker = await readMarker(rt)
      const loaded = report.marker?.snapshot ? snapshots.find((s) => s.name === report.marker!.snapshot) : undefined
      report.markerRows = loaded?.rows ?? null
    } catch (e) {
      report.server = { running: false, detail: `does not answer: ${(e as Error).message}`, version: null }
    }
  }
  report.problems = checkProblems(report)
  return report
}

/** The hint after data went missing: load the newest snapshot with data, or start afresh when there is none. */
function restoreHint(r: CheckReport, fresh: string): string {
  return r.restoreFrom ? `to restore the newest snapshot with data: make data_load ARGS="--name ${r.restoreFrom}"` : fresh
}

/** Why `make check` fails (exit 1): data, server or database missing, or emptied after a load. */
export function checkProblems(r: CheckReport): Problem[] {
  const out: Problem[] = []
  if (!r.data.exists) {
    out.push({ message: `the server's data (${r.data.where}) is missing`, hint: restoreHint(r, 'for a new stack: make up') })
  }
  if (!r.server.running) out.push({ message: `the database server is not running (${r.server.detail})`, hint: 'to fix: make up' })
  if (r.database.exists === false) {
    out.push({ message: `database ${r.database.name} does not exist`, hint: restoreHint(r, 'to create it: make initialize') })
  }
  const m = r.marker
  if (r.database.rows === 0 && m && DATA_ACTIONS.includes(m.action) && r.markerRows !== 0) {
    out.push({
      message: `database ${r.database.name} is empty, but it was ${describeMarker(m)} (the datakeep marker says so)`,
      hint: restoreHint(r, 'to fill it again: make initialize'),
    })
  }
  return out
}

/** An age for people: "45 s", "12 min", "3 h 5 min", "2 d 4 h". */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000))
  if (s < 60) return `${s} s`
  const min = Math.floor(s / 60)
  if (min < 60) return `${min} min`
  const h = Math.floor(min / 60)
  if (h < 48) return `${h} h ${min % 60} min`
  return `${Math.floor(h / 24)} d ${h % 24} h`
}

export const PREDEPLOY_PREFIX = 'predeploy-'

/** The snapshot taken before a deploy: predeploy-<UTC YYYYMMDDHHMMSS>. Its manifest holds the row counts. */
export function predeploy(engine: Pick<Engine, 'dump'>, now = new Date()): Promise<DumpResult> {
  return engine.dump({ name: `${PREDEPLOY_PREFIX}${defaultName(now)}` })
}
