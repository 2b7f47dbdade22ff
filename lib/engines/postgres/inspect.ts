// What a PostgreSQL database holds: its tables (every schema but the system ones), views, sequences
// with exact row counts; status and check reports in the shapes make status and make check print.
import type { Config } from '../../config.ts'
import type { TableCount } from '../../db.ts'
import { checkProblems, type CheckReport } from '../../deploy.ts'
import type { Marker } from '../../initialize/marker.ts'
import type { Runtime } from '../../runtime/types.ts'
import { listSnapshots } from '../../snapshot/catalog.ts'
import type { StackStatus } from '../../stack.ts'
import { pgDatabaseExists, pgQuery, pgVersion, qname, withPg, type PgClient } from './db.ts'

/** Schemas that hold no user data. */
export const SYSTEM_SCHEMAS = "('pg_catalog', 'information_schema', 'pg_toast')"

/** The displayed name: bare in public, schema-qualified elsewhere. */
export function displayName(schema: string, name: string): string {
  return schema === 'public' ? name : `${schema}.${name}`
}

export interface PgRelation { schema: string; name: string; kind: string }

/** Tables (leaf partitions included, partitioned parents not: they hold no rows), views and sequences not owned by an extension. */
export async function relations(c: PgClient): Promise<PgRelation[]> {
  return pgQuery<PgRelation>(c, `
    SELECT n.nspname AS schema, c.relname AS name, c.relkind::text AS kind
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S') AND n.nspname NOT IN ${SYSTEM_SCHEMAS} AND n.nspname NOT LIKE 'pg_temp%' AND n.nspname NOT LIKE 'pg_toast%'
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
    ORDER BY n.nspname, c.relname`)
}

export async function pgTableCounts(c: PgClient): Promise<TableCount[]> {
  const out: TableCount[] = []
  for (const r of await relations(c)) {
    const type = r.kind === 'v' ? 'view' : r.kind === 'S' ? 'sequence' : r.kind === 'm' ? 'materialized view' : 'table'
    if (r.kind !== 'r' && r.kind !== 'm') { if (r.kind !== 'p') out.push({ table: displayName(r.schema, r.name), type, rows: 0 }); continue }
    const populated = r.kind !== 'm' || (await pgQuery<{ p: boolean }>(c, 'SELECT relispopulated AS p FROM pg_class WHERE oid = $1::regclass', [qname(r.schema, r.name)]))[0].p
    const n = populated ? Number((await pgQuery<{ n: string }>(c, `SELECT count(*) AS n FROM ${qname(r.schema, r.name)}`))[0].n) : 0
    out.push({ table: displayName(r.schema, r.name), type, rows: n })
  }
  return out
}

export async function pgInspect(rt: Runtime): Promise<{ version: string; exists: boolean; tables: TableCount[] | null }> {
  const name = rt.admin.database
  const head = await withPg(rt.admin, async (c) => ({ version: await pgVersion(c), exists: await pgDatabaseExists(c, name) }), { database: null })
  return { ...head, tables: head.exists ? await withPg(rt.admin, pgTableCounts) : null }
}

export async function pgStatus(rt: Runtime): Promise<StackStatus> {
  const state = await rt.state()
  const data = await rt.data()
  const status: StackStatus = {
    runtime: rt.name,
    server: { running: state.running, detail: state.detail, version: null },
    data: { where: data.where, exists: data.exists, bytes: data.bytes ?? null },
    database: { name: rt.admin.database, exists: false, tables: null },
  }
  if (!state.running) return status
  const i = await pgInspect(rt)
  status.server.version = `PostgreSQL ${i.version}`
  status.database.exists = i.exists
  status.database.tables = i.tables
  return status
}

export async function pgCheck(cfg: Config, rt: Runtime, now = new Date(), readMarker: () => Promise<Marker | null> = async () => null): Promise<CheckReport> {
  const s = await pgStatus(rt)
  const snapshots = listSnapshots(cfg)
  const newest = snapshots.find((x) => x.created !== null)
  const tables = s.database.tables
  const report: CheckReport = {
    runtime: s.runtime, server: s.server, data: s.data,
    database: { name: s.database.name, exists: s.server.running ? s.database.exists : null, tables, rows: tables ? tables.filter((t) => t.type === 'table').reduce((a, t) => a + t.rows, 0) : null },
    marker: null, markerRows: null,
    snapshot: newest ? { name: newest.name, created: newest.created!, ageMs: now.getTime() - Date.parse(newest.created!) } : null,
    restoreFrom: snapshots.find((x) => (x.rows ?? 0) > 0)?.name ?? null,
    problems: [],
  }
  if (s.server.running) {
    // initialize's marker (database _datakeep): an empty database it says was filled is a problem
    report.marker = await readMarker()
    const loaded = report.marker?.snapshot ? snapshots.find((x) => x.name === report.marker!.snapshot) : undefined
    report.markerRows = loaded?.rows ?? null
  }
  report.problems = checkProblems(report)
  return report
}
