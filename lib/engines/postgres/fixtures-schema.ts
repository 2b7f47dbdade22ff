// What JSON fixtures need to know of a PostgreSQL database: its tables (schema-qualified outside
// public), each column's kind (how its values travel, domains resolved to their base type), keys,
// foreign keys, identity and serial sequences, triggers. From the catalog, in the caller's transaction.
import { pgQuery, qname, type PgClient } from './db.ts'
import { displayName, SYSTEM_SCHEMAS } from './inspect.ts'

/** How a column's values travel between the server's text and JSON (lib/engines/postgres/fixtures-values.ts). */
export type PgKind = 'int' | 'decimal' | 'float' | 'bool' | 'json' | 'jsonb' | 'binary' | 'money' | 'text' | 'array' | 'other'

export interface PgColumn {
  name: string
  kind: PgKind
  /** For an array: its elements' kind. */
  elem: PgKind | null
  /** format_type's text: "numeric(30,10)", "timestamp with time zone", "mood", "text[]". */
  type: string
  /** GENERATED ALWAYS AS (...) STORED: the server computes it, fixtures leave it out. */
  computed: boolean
  /** GENERATED ALWAYS AS IDENTITY: a given value needs OVERRIDING SYSTEM VALUE. */
  alwaysIdentity: boolean
}

export interface PgFixtureTable {
  /** As shown and as the fixture's "table": bare in public, `schema.table` elsewhere. */
  name: string
  schema: string
  table: string
  oid: number
  /** 'r' a table (a leaf partition too), 'p' a partitioned table (loadable, never dumped: its partitions are). */
  relkind: string
  columns: PgColumn[]
  primaryKey: string[]
  /** Unique keys an upsert can name (primary key first): plain columns, no predicate. */
  uniqueKeys: string[][]
  /** Triggers the load's replica role holds off (enabled for origin sessions, not internal). */
  triggers: string[]
  estimatedRows: number
}

export interface PgForeignKey {
  name: string
  child: string
  parent: string
  childColumns: string[]
  parentColumns: string[]
  /** NOT VALID keys were never checked against old rows: a load does not check them either (as pg_dump). */
  validated: boolean
}

const KINDS: Record<string, PgKind> = {
  int2: 'int', int4: 'int', int8: 'int', numeric: 'decimal', float4: 'float', float8: 'float', bool: 'bool',
  json: 'json', jsonb: 'jsonb', bytea: 'binary', money: 'money', text: 'text', varchar: 'text', bpchar: 'text', name: 'text', citext: 'text',
}

export function pgKindOf(base: string, category: string): PgKind {
  return category === 'A' ? 'array' : KINDS[base] ?? 'other'
}

/** Every table of the database but the system's and extensions' (partitioned ones too, for loading), by name. */
export async function readFixtureSchema(c: PgClient): Promise<Map<string, PgFixtureTable>> {
  const rels = await pgQuery<{ oid: number; schema: string; table: string; relkind: string; est: string }>(c, `
    SELECT c.oid::int AS oid, n.nspname AS schema, c.relname AS table, c.relkind::text AS relkind, greatest(c.reltuples, 0)::bigint::text AS est
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ${SYSTEM_SCHEMAS} AND n.nspname NOT LIKE 'pg_temp%' AND n.nspname NOT LIKE 'pg_toast%'
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
    ORDER BY 2, 3`)
  const oids = rels.map((r) => r.oid)
  const cols = await pgQuery<{ rel: number; name: string; type: string; generated: boolean; identity: string; base: string; cat: string; elem: string | null; elemcat: string | null }>(c, `
    SELECT a.attrelid::int AS rel, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.attgenerated <> '' AS generated,
      a.attidentity::text AS identity, bt.typname AS base, bt.typcategory::text AS cat, ebt.typname AS elem, ebt.typcategory::text AS elemcat
    FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
    JOIN pg_type bt ON bt.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
    LEFT JOIN pg_type et ON et.oid = bt.typelem AND bt.typcategory = 'A'
    LEFT JOIN pg_type ebt ON ebt.oid = CASE WHEN et.typtype = 'd' THEN et.typbasetype ELSE et.oid END
    WHERE a.attrelid = ANY($1::oid[]) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attrelid, a.attnum`, [oids])
  const keys = await pgQuery<{ rel: number; primary: boolean; columns: string[] }>(c, `
    SELECT i.indrelid::int AS rel, i.indisprimary AS primary,
      (SELECT array_agg(a.attname::text ORDER BY k.ord) FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, ord)
        JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum) AS columns
    FROM pg_index i WHERE i.indrelid = ANY($1::oid[]) AND i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL
    ORDER BY i.indisprimary DESC, i.indexrelid`, [oids])
  const triggers = await pgQuery<{ rel: number; name: string }>(c, `
    SELECT tgrelid::int AS rel, tgname AS name FROM pg_trigger WHERE tgrelid = ANY($1::oid[]) AND NOT tgisinternal AND tgenabled = 'O' ORDER BY tgname`, [oids])
  const out = new Map<string, PgFixtureTable>()
  const byOid = new Map<number, PgFixtureTable>()
  for (const r of rels) {
    const t: PgFixtureTable = { name: displayName(r.schema, r.table), schema: r.schema, table: r.table, oid: r.oid, relkind: r.relkind,
      columns: [], primaryKey: [], uniqueKeys: [], triggers: [], estimatedRows: Number(r.est) }
    out.set(t.name, t)
    byOid.set(r.oid, t)
  }
  for (const col of cols) {
    const kind = pgKindOf(col.base, col.cat)
    byOid.get(col.rel)?.columns.push({ name: col.name, kind, elem: kind === 'array' ? pgKindOf(col.elem ?? '', col.elemcat ?? '') : null,
      type: col.type, computed: col.generated, alwaysIdentity: col.identity === 'a' })
  }
  for (const k of keys) {
    const t = byOid.get(k.rel)
    if (!t || !k.columns) continue
    if (k.primary) t.primaryKey = k.columns
    t.uniqueKeys.push(k.columns)
  }
  for (const tr of triggers) byOid.get(tr.rel)?.triggers.push(tr.name)
  return out
}

/** The columns fixtures carry: all but the generated ones. */
export function pgFixtureColumns(t: PgFixtureTable): PgColumn[] {
  return t.columns.filter((c) => !c.computed)
}

/** Foreign keys between the database's tables (one per constraint, not its copies on partitions). */
export async function readPgForeignKeys(c: PgClient): Promise<PgForeignKey[]> {
  const rows = await pgQuery<{ name: string; cs: string; ct: string; ps: string; pt: string; cc: string[]; pc: string[]; validated: boolean }>(c, `
    SELECT k.conname AS name, cn.nspname AS cs, cc.relname AS ct, pn.nspname AS ps, pc.relname AS pt, k.convalidated AS validated,
      (SELECT array_agg(a.attname::text ORDER BY x.ord) FROM unnest(k.conkey) WITH ORDINALITY x(n, ord) JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = x.n) AS cc,
      (SELECT array_agg(a.attname::text ORDER BY x.ord) FROM unnest(k.confkey) WITH ORDINALITY x(n, ord) JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = x.n) AS pc
    FROM pg_constraint k JOIN pg_class cc ON cc.oid = k.conrelid JOIN pg_namespace cn ON cn.oid = cc.relnamespace
    JOIN pg_class pc ON pc.oid = k.confrelid JOIN pg_namespace pn ON pn.oid = pc.relnamespace
    WHERE k.contype = 'f' AND k.conparentid = 0 AND cn.nspname NOT IN ${SYSTEM_SCHEMAS} ORDER BY 2, 3, 1`)
  return rows.map((r) => ({ name: r.name, child: displayName(r.cs, r.ct), parent: displayName(r.ps, r.pt), childColumns: r.cc, parentColumns: r.pc, validated: r.validated }))
}

/** Sequences that number a column (serial's OWNED BY, identity), with their increment. */
export interface OwnedSequence { sequence: string; table: string; tableSql: string; column: string; increment: string }

export async function readOwnedSequences(c: PgClient): Promise<OwnedSequence[]> {
  const rows = await pgQuery<{ ss: string; sn: string; ts: string; tn: string; col: string; inc: string }>(c, `
    SELECT sn.nspname AS ss, s.relname AS sn, tn.nspname AS ts, t.relname AS tn, a.attname AS col, q.seqincrement::text AS inc
    FROM pg_depend d JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S' JOIN pg_namespace sn ON sn.oid = s.relnamespace
    JOIN pg_sequence q ON q.seqrelid = s.oid
    JOIN pg_class t ON t.oid = d.refobjid JOIN pg_namespace tn ON tn.oid = t.relnamespace
    JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
    WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i') AND tn.nspname NOT IN ${SYSTEM_SCHEMAS}
    ORDER BY 1, 2`)
  return rows.map((r) => ({ sequence: qname(r.ss, r.sn), table: displayName(r.ts, r.tn), tableSql: qname(r.ts, r.tn), column: r.col, increment: r.inc }))
}

/** Each table's ancestors by inheritance or partitioning (child name -> parent names). */
export async function readPgParents(c: PgClient): Promise<Map<string, string[]>> {
  const rows = await pgQuery<{ cs: string; cn: string; ps: string; pn: string }>(c, `
    SELECT cn.nspname AS cs, cc.relname AS cn, pn.nspname AS ps, pc.relname AS pn FROM pg_inherits i
    JOIN pg_class cc ON cc.oid = i.inhrelid JOIN pg_namespace cn ON cn.oid = cc.relnamespace
    JOIN pg_class pc ON pc.oid = i.inhparent JOIN pg_namespace pn ON pn.oid = pc.relnamespace`)
  const out = new Map<string, string[]>()
  for (const r of rows) {
    const child = displayName(r.cs, r.cn)
    out.set(child, [...(out.get(child) ?? []), displayName(r.ps, r.pn)])
  }
  return out
}
