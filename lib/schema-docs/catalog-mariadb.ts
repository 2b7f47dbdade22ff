// MariaDB/MySQL catalog -> schema model. The only file with MariaDB's catalog queries; a second
// engine implements the same readSchema(db, database) in its own file.
import { query, type Db } from '../db.ts'
import { byName, type Column, type ForeignKey, type Index, type Schema, type Table } from './model.ts'

type Row = Record<string, any>
const str = (v: unknown) => (v == null ? '' : String(v))
const groupBy = (rows: Row[], key: string) => {
  const m = new Map<string, Row[]>()
  for (const r of rows) { const k = r[key]; m.set(k, [...(m.get(k) ?? []), r]) }
  return m
}

export async function readSchema(db: Db, database: string): Promise<Schema> {
  const q = (sql: string) => query<Row>(db, sql, [database])
  const tables = await q(`SELECT TABLE_NAME name, TABLE_TYPE type, ENGINE engine, TABLE_ROWS nrows,
      DATA_LENGTH + INDEX_LENGTH bytes, TABLE_COMMENT comment, CREATE_OPTIONS opts
    FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?`)
  const cols = groupBy(await q(`SELECT TABLE_NAME t, COLUMN_NAME name, COLUMN_TYPE type, IS_NULLABLE n,
      COLUMN_DEFAULT d, COLUMN_KEY k, EXTRA x, COLUMN_COMMENT c, GENERATION_EXPRESSION g
    FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME, ORDINAL_POSITION`), 't')
  const stats = groupBy(await q(`SELECT TABLE_NAME t, INDEX_NAME name, NON_UNIQUE nu, INDEX_TYPE kind, COLUMN_NAME col
    FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX`), 't')
  const fkRows = groupBy(await q(`SELECT k.TABLE_NAME t, k.CONSTRAINT_NAME name, k.COLUMN_NAME col,
      k.REFERENCED_TABLE_NAME rt, k.REFERENCED_COLUMN_NAME rc, r.DELETE_RULE del, r.UPDATE_RULE upd
    FROM information_schema.KEY_COLUMN_USAGE k JOIN information_schema.REFERENTIAL_CONSTRAINTS r
      ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME AND r.TABLE_NAME = k.TABLE_NAME
    WHERE k.TABLE_SCHEMA = ? AND k.REFERENCED_TABLE_NAME IS NOT NULL
    ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION`), 't')
  const checks = groupBy(await q(`SELECT TABLE_NAME t, CONSTRAINT_NAME name, CHECK_CLAUSE clause
    FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ?`), 't')
  const parts = groupBy(await q(`SELECT TABLE_NAME t, PARTITION_METHOD m, PARTITION_EXPRESSION e, COUNT(*) n
    FROM information_schema.PARTITIONS WHERE TABLE_SCHEMA = ? AND PARTITION_NAME IS NOT NULL
    GROUP BY TABLE_NAME, PARTITION_METHOD, PARTITION_EXPRESSION`), 't')
  const trig = await q(`SELECT TRIGGER_NAME name, EVENT_OBJECT_TABLE tbl, ACTION_TIMING timing,
      EVENT_MANIPULATION event, ACTION_STATEMENT stmt FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ?`)
  const views = await q(`SELECT TABLE_NAME name, VIEW_DEFINITION def FROM information_schema.VIEWS WHERE TABLE_SCHEMA = ?`)
  const routines = await q(`SELECT ROUTINE_NAME name, ROUTINE_TYPE type, ROUTINE_DEFINITION def
    FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ?`)
  const events = await q(`SELECT EVENT_NAME name, INTERVAL_VALUE iv, INTERVAL_FIELD f, EXECUTE_AT at, STATUS status,
      EVENT_DEFINITION def FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ?`)

  const base = tables.filter((t) => t.type !== 'VIEW' && t.type !== 'SEQUENCE')
  const tableNames = new Set(base.map((t) => t.name))
  const model: Table[] = base.map((t) => {
    const columns: Column[] = (cols.get(t.name) ?? []).map((c) => ({
      name: c.name, type: c.type, nullable: c.n === 'YES', default: c.d == null ? null : String(c.d),
      key: str(c.k), extra: str(c.x), comment: str(c.c), generated: c.g ? String(c.g) : null,
    }))
    const idx = new Map<string, Index>()
    for (const s of stats.get(t.name) ?? []) {
      const i = idx.get(s.name) ?? { name: s.name, unique: Number(s.nu) === 0, kind: s.kind, columns: [] as string[] }
      i.columns.push(s.col)
      idx.set(s.name, i)
    }
    const fks = new Map<string, ForeignKey>()
    for (const f of fkRows.get(t.name) ?? []) {
      const k = fks.get(f.name) ?? { name: f.name, columns: [] as string[], refTable: f.rt, refColumns: [] as string[], onDelete: f.del, onUpdate: f.upd }
      k.columns.push(f.col); k.refColumns.push(f.rc)
      fks.set(f.name, k)
    }
    const p = parts.get(t.name)?.[0]
    return {
      name: t.name, engine: str(t.engine), rows: Number(t.nrows ?? 0), bytes: Number(t.bytes ?? 0), comment: str(t.comment),
      columns, primaryKey: idx.get('PRIMARY')?.columns ?? [],
      indexes: [...idx.values()].filter((i) => i.name !== 'PRIMARY').sort(byName),
      foreignKeys: [...fks.values()].sort(byName),
      checks: (checks.get(t.name) ?? []).map((c) => ({ name: c.name, clause: c.clause })).sort(byName),
      triggers: trig.filter((x) => x.tbl === t.name).map((x) => x.name).sort(),
      partitioning: p ? `${p.m}(${p.e ?? ''}) ${p.n} partitions` : null,
    }
  }).sort(byName)
  return {
    format: 'datakeep-schema/1', engine: 'mariadb', database,
    tables: model,
    views: views.map((v) => ({
      name: v.name, definition: str(v.def),
      // what a view reads: every table or view named in its definition, as MariaDB writes it (`db`.`t`)
      reads: [...new Set([...str(v.def).matchAll(/`[^`]+`\.`([^`]+)`/g)].map((m) => m[1]))]
        .filter((n) => tableNames.has(n) || views.some((o) => o.name === n)).sort(),
    })).sort(byName),
    routines: routines.map((r) => ({ name: r.name, type: r.type, definition: str(r.def) })).sort(byName),
    triggers: trig.map((x) => ({ name: x.name, table: x.tbl, timing: x.timing, event: x.event, statement: x.stmt })).sort(byName),
    events: events.map((e) => ({ name: e.name, schedule: e.at ? `AT ${e.at}` : `EVERY ${e.iv} ${e.f}`, status: e.status, definition: str(e.def) })).sort(byName),
    sequences: tables.filter((t) => t.type === 'SEQUENCE').map((t) => String(t.name)).sort(),
  }
}
