// The PostgreSQL series of make bench (and make bench_postgres alone): races datakeep's data_dump and
// data_load against pg_dump -Fd -j2, pg_dump | zstd, pg_dump -Fd -j2 -Z0 and pg_restore -j2, on
// generated data in a private cluster; every restore verified (rows and the hash of each table's COPY
// text); pg_restore's sections timed apart and the load's two ways to verify measured side by side.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { copyDigest } from '../lib/engines/postgres/copy.ts'
import type pg from 'pg'
import { PINNED_SETTINGS, pgConnect, qi, qname } from '../lib/engines/postgres/db.ts'
import { readPgSchema, type PgSchemaInfo } from '../lib/engines/postgres/dump.ts'
import { clientBinDir } from '../lib/engines/postgres/tools.ts'
import { step } from '../lib/log.ts'
import { HOST, run } from '../lib/run.ts'
import { generateSql } from './pg-generate.ts'
import { makePgStack, type PgTestStack } from '../tests/support/pg-stack.ts'
import { LAUNCHER, runScript } from '../tests/support/stack.ts'
import { timed as measured, type Measure } from './tools.ts'

/** Rows and COPY-text hash of every table of `database`: the same digest the loader verifies with. */
async function digests(s: PgTestStack, database: string): Promise<Record<string, string>> {
  const c = await pgConnect(s.engine.runtime.admin, { database })
  try {
    for (const q of PINNED_SETTINGS) await c.query(q)
    const out: Record<string, string> = {}
    for (const t of (await readPgSchema(c)).tables) { const d = await copyDigest(c, t); out[t.name] = `${d.rows}:${d.sha256}` }
    return out
  } finally { await c.end() }
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now()
  await fn()
  return (performance.now() - t0) / 1000
}

/** Every table of `database` verified with `n` connections by `check`: the load's two ways to verify, side by side. */
type PgTable = PgSchemaInfo['tables'][number]

async function verifyAll(s: PgTestStack, database: string, n: number, check: (c: pg.Client, t: PgTable) => Promise<unknown>): Promise<number> {
  const conns = await Promise.all(Array.from({ length: n }, () => pgConnect(s.engine.runtime.admin, { database })))
  try {
    for (const c of conns) for (const q of PINNED_SETTINGS) await c.query(q)
    const queue = [...(await readPgSchema(conns[0])).tables]
    return await timed(() => Promise.all(conns.map(async (c) => { for (let t = queue.shift(); t; t = queue.shift()) await check(c, t) })))
  } finally { for (const c of conns) await c.end() }
}

/** Rows and an order-independent sum of each row's hash, computed by the server (no bytes leave it). */
const aggregateSql = (t: PgTable) => `SELECT count(*), sum(hashtextextended(r::text, 0)::numeric) FROM (SELECT ${t.columns.map(qi).join(', ')} FROM ${qname(t.schema, t.table)}) r`

/** A script run under GNU time: wall seconds, peak RSS and CPU of the script and its children (zstd). */
async function scriptMeasure(s: PgTestStack, name: string, args: string[]): Promise<Measure> {
  return measured([process.execPath, LAUNCHER, name, ...args], { env: s.env, cwd: s.dir })
}

const dirBytes = (p: string): number => fs.statSync(p).isDirectory()
  ? fs.readdirSync(p).reduce((a, e) => a + dirBytes(path.join(p, e)), 0) : fs.statSync(p).size

export const PG_DEFAULT_SIZES = [300_000, 1_000_000]

/** Runs the series at each size (`runs` rounds, best kept) and returns its text report. */
export async function runPostgresSeries(opts: { sizes: number[]; runs: number }): Promise<string> {
  const { sizes, runs } = opts
  const s = await makePgStack()
  const bin = clientBinDir(s.cfg)
  const args = s.engine.runtime.clientArgs()
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'datakeep-pg-bench-'))
  const psql = (db: string, input: string) => run(HOST, [path.join(bin, 'psql'), ...args, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', db], { input })
  await runScript(s, 'status') // builds the scripts' bundle once, outside every timing
  const lines: string[] = [`PostgreSQL bench, ${os.availableParallelism()} cores, load average ${os.loadavg()[1].toFixed(2)}`]
  try {
    for (const rows of sizes) {
      step(`generating ${rows.toLocaleString('en-US')} rows`)
      await psql('app', generateSql(rows))
      const want = await digests(s, 'app')
      const size = Number((await s.pg((c) => c.query("SELECT pg_database_size('app') AS b"))).rows[0].b)
      const best: Record<string, number> = {}
      const keep = (k: string, v: number) => { best[k] = Math.min(best[k] ?? Infinity, v) }
      const rss: Record<string, number> = {}
      const cpu: Record<string, number> = {}
      const keepM = (k: string, m: Measure) => {
        keep(k, m.ms / 1000)
        if (m.rssKb) rss[k] = Math.max(rss[k] ?? 0, m.rssKb / 1024)
        if (m.cpuMs) cpu[k] = Math.min(cpu[k] ?? Infinity, m.cpuMs / 1000)
      }
      const tool = (name: string) => path.join(bin, name)
      const fresh = (db: string) => s.pg(async (c) => { await c.query(`DROP DATABASE IF EXISTS ${qi(db)}`); await c.query(`CREATE DATABASE ${qi(db)} TEMPLATE template0 OWNER ${qi('app')}`) }, null)
      for (let r = 0; r < runs; r++) {
        const fd = path.join(work, 'fd'); const fd0 = path.join(work, 'fd0'); const plain = path.join(work, 'plain.sql.zst')
        for (const p of [fd, fd0, plain]) fs.rmSync(p, { recursive: true, force: true })
        // a full snapshot, as pg_dump makes: the previous round's goes first, untimed, and --full shares nothing with
        // any other (an unchanged table would otherwise be linked from it, not written: not the race)
        fs.rmSync(path.join(s.dir, 'data/backups/bench'), { recursive: true, force: true })
        keepM('data_dump', await scriptMeasure(s, 'data-dump', ['--name', 'bench', '--full']))
        keepM('pg_dump -Fd -j2', await measured([tool('pg_dump'), ...args, '-Fd', '-j2', '-f', fd, '-d', 'app']))
        keepM('pg_dump -Fd -j2 -Z0', await measured([tool('pg_dump'), ...args, '-Fd', '-j2', '-Z0', '-f', fd0, '-d', 'app']))
        keep('pg_dump | zstd', await timed(() => run(HOST, ['bash', '-o', 'pipefail', '-c', `"$0" "$@" | zstd -q -3 > ${JSON.stringify(plain)}`, tool('pg_dump'), ...args, '-d', 'app'])))
        keepM('data_load', await scriptMeasure(s, 'data-load', ['--name', 'bench', '--no-safety']))
        if (JSON.stringify(await digests(s, 'app')) !== JSON.stringify(want)) throw new Error('data_load: the restored tables differ from the source')
        await fresh('restored')
        keepM('pg_restore -j2', await measured([tool('pg_restore'), ...args, '-j2', '-d', 'restored', fd]))
        if (JSON.stringify(await digests(s, 'restored')) !== JSON.stringify(want)) throw new Error('pg_restore: the restored tables differ from the source')
        // where pg_restore's time goes: its sections one after the other (the server's work a load cannot skip)
        await fresh('sections')
        for (const section of ['pre-data', 'data', 'post-data']) {
          keep(`  ${section}`, await timed(() => run(HOST, [tool('pg_restore'), ...args, '-j2', `--section=${section}`, '-d', 'sections', fd])))
        }
        // the load's verification, two ways, on the restored database with the load's 2 connections
        keep('verify: re-read', await verifyAll(s, 'restored', 2, (c, t) => copyDigest(c, t)))
        keep('verify: aggregate', await verifyAll(s, 'restored', 2, (c, t) => c.query(aggregateSql(t))))
      }
      const snapBytes = dirBytes(path.join(s.dir, 'data/backups/bench'))
      lines.push('', `${rows.toLocaleString('en-US')} rows, ${(size / 1048576).toFixed(0)} MB database, best of ${runs}; snapshot ${(snapBytes / 1048576).toFixed(0)} MB`)
      lines.push(`  ${'step'.padEnd(22)} ${'wall'.padStart(7)} ${'CPU'.padStart(7)} ${'peak RSS'.padStart(9)}`)
      for (const [k, v] of Object.entries(best)) {
        const c = cpu[k] !== undefined ? `${cpu[k].toFixed(2)} s` : '-'
        const m = rss[k] !== undefined ? `${rss[k].toFixed(0)} MB` : '-'
        lines.push(`  ${k.padEnd(22)} ${`${v.toFixed(2)} s`.padStart(7)} ${c.padStart(7)} ${m.padStart(9)}`)
      }
      lines.push(`  dump: ${(best.data_dump / best['pg_dump -Fd -j2']).toFixed(2)}x pg_dump -Fd -j2 (target <= 0.6), ${(best.data_dump / best['pg_dump | zstd']).toFixed(2)}x pg_dump | zstd (target <= 1.0)`)
      lines.push(`  load: ${(best.data_load / best['pg_restore -j2']).toFixed(2)}x pg_restore -j2 (target <= 0.7); data_load includes its verification and swap`)
      lines.push(`  RSS: data_dump ${rss.data_dump?.toFixed(0) ?? '-'} MB, data_load ${rss.data_load?.toFixed(0) ?? '-'} MB (target <= 200); CPU is this side's (the script and its zstd), not the server's`)
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true })
    await s.destroy()
  }
  return lines.join('\n')
}
