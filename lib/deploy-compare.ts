// make postdeploy: the row counts now against the latest predeploy snapshot's manifest. A table
// gone, or one that lost more than POSTDEPLOY_MAX_LOSS percent of its rows, fails; growth is fine.
import type { Config } from './config.ts'
import type { TableCount } from './db.ts'
import type { Engine } from './engines/types.ts'
import { UserError, failure } from './errors.ts'
import { listSnapshots } from './snapshot/catalog.ts'
import { readManifest, type Manifest } from './snapshot/manifest.ts'
import { backupRoot, snapshotPath } from './snapshot/names.ts'
import { PREDEPLOY_PREFIX } from './deploy.ts'

export type Change = 'gone' | 'lost' | 'same' | 'grew' | 'new'

export interface TableDiff {
  table: string
  before: number | null
  after: number | null
  change: Change
  /** Percent of the rows lost (0 unless change is lost or gone). */
  lossPct: number
  fail: boolean
}

/** Compares counts table by table; pure. Tables come out in name order. */
export function compareCounts(before: { name: string; rows: number }[], after: Map<string, number>, maxLossPct: number): TableDiff[] {
  const names = [...new Set([...before.map((t) => t.name), ...after.keys()])].sort()
  const was = new Map(before.map((t) => [t.name, t.rows]))
  return names.map((table): TableDiff => {
    const b = was.get(table) ?? null
    const a = after.get(table) ?? null
    if (b === null) return { table, before: null, after: a, change: 'new', lossPct: 0, fail: false }
    if (a === null) return { table, before: b, after: null, change: 'gone', lossPct: 100, fail: true }
    if (a >= b) return { table, before: b, after: a, change: a === b ? 'same' : 'grew', lossPct: 0, fail: false }
    const lossPct = ((b - a) / b) * 100
    return { table, before: b, after: a, change: 'lost', lossPct, fail: lossPct > maxLossPct }
  })
}

const pct = (n: number) => `${Number(n.toFixed(1))}%`

/** The rows of the differences table (unchanged tables left out): table, before, after, change, result. */
export function diffRows(diffs: TableDiff[], maxLossPct: number): (string | number)[][] {
  return diffs.filter((d) => d.change !== 'same').map((d) => {
    const result = d.fail ? 'FAIL' : d.change === 'lost' ? `ok (within ${maxLossPct}%)` : 'ok'
    const change = d.change === 'gone' ? 'gone' : d.change === 'new' ? 'new'
      : d.change === 'grew' ? `+${d.after! - d.before!}` : `-${d.before! - d.after!} (-${pct(d.lossPct)})`
    return [d.table, d.before ?? '-', d.after ?? '-', change, result]
  })
}

export const DIFF_HEADERS = ['table', 'before', 'after', 'change', 'result']

/** The newest predeploy snapshot whose manifest reads, and the newer ones that did not. */
export function latestPredeploy(cfg: Config): { name: string; manifest: Manifest; skipped: string[] } {
  // the name carries the UTC time, so name order is time order
  const names = listSnapshots(cfg).map((s) => s.name).filter((n) => n.startsWith(PREDEPLOY_PREFIX)).sort().reverse()
  const skipped: string[] = []
  for (const name of names) {
    try { return { name, manifest: readManifest(snapshotPath(cfg, name)), skipped } } catch (e) {
      skipped.push(`${name} (${(e as Error).message})`)
    }
  }
  throw new UserError(`no predeploy snapshot in ${backupRoot(cfg)}${skipped.length ? ` (unreadable: ${skipped.join('; ')})` : ''}`, {
    hint: 'run make predeploy first, before the next deploy',
  })
}

/**
 * Current rows of every base table. A table whose snapshot kept its system-versioning history is
 * counted with its history, as the manifest counted it.
 */
async function currentCounts(engine: Engine, tables: TableCount[], history: Set<string>): Promise<Map<string, number>> {
  const out = new Map<string, number>()
  for (const t of tables) {
    if (t.type !== 'table') continue
    let rows = t.rows
    if (history.has(t.table)) {
      try {
        rows = await engine.withSql(async (sql) => Number((await sql.query<{ n: string }>(`SELECT COUNT(*) AS n FROM ${sql.ident(t.table)} FOR SYSTEM_TIME ALL`))[0].n))
      } catch { /* no longer versioned: its current rows are all it has */ }
    }
    out.set(t.table, rows)
  }
  return out
}

export interface PostdeployResult {
  snapshot: string
  created: string
  maxLossPct: number
  diffs: TableDiff[]
  /** Newer predeploy snapshots passed over because their manifest does not read. */
  skipped: string[]
}

export async function postdeployCompare(cfg: Config, engine: Engine): Promise<PostdeployResult> {
  const { name, manifest, skipped } = latestPredeploy(cfg)
  const database = engine.runtime.admin.database
  const history = new Set(manifest.tables.filter((t) => t.history).map((t) => t.name))
  const now = await engine.inspect()
  if (!now.exists || !now.tables) {
    const rows = manifest.tables.reduce((a, t) => a + t.rows, 0)
    throw failure(`database ${database} does not exist (it had ${manifest.tables.length} tables, ${rows} rows at ${name})`, restoreHint(name))
  }
  const after = await currentCounts(engine, now.tables, history)
  return { snapshot: name, created: manifest.created, maxLossPct: cfg.POSTDEPLOY_MAX_LOSS, diffs: compareCounts(manifest.tables, after, cfg.POSTDEPLOY_MAX_LOSS), skipped }
}

export function restoreHint(snapshot: string): string {
  return `to restore: make data_load ARGS="--name ${snapshot}"`
}

/** The error postdeploy exits with (1), or null when no table lost more than it may. */
export function postdeployFailure(r: PostdeployResult): UserError | null {
  const failed = r.diffs.filter((d) => d.fail)
  if (failed.length === 0) return null
  const list = failed.map((d) => `${d.table} (${d.change === 'gone' ? 'gone' : `-${pct(d.lossPct)}`})`).join(', ')
  const limit = r.maxLossPct > 0 ? ` more than POSTDEPLOY_MAX_LOSS=${r.maxLossPct}%` : ''
  return failure(`${failed.length} ${failed.length === 1 ? 'table' : 'tables'} lost rows${limit} since ${r.snapshot}: ${list}`, restoreHint(r.snapshot))
}
