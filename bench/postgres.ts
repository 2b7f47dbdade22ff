// make bench_postgres: races datakeep's PostgreSQL data_dump and data_load against pg_dump -Fd -j2,
// pg_dump | zstd, pg_dump -Fd -j2 -Z0 and pg_restore -j2, on generated data in a private cluster;
// every restore verified (rows and the hash of each table's COPY text). Never part of the tests.
// usage: tsx bench/postgres.ts [--sizes 300000,1000000] [--runs 1]
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseFlags } from '../lib/args.ts'
import { copyDigest } from '../lib/engines/postgres/copy.ts'
import { PINNED_SETTINGS, pgConnect, qi } from '../lib/engines/postgres/db.ts'
import { readPgSchema } from '../lib/engines/postgres/dump.ts'
import { clientBinDir } from '../lib/engines/postgres/tools.ts'
import { main } from '../lib/errors.ts'
import { result, step } from '../lib/log.ts'
import { HOST, run } from '../lib/run.ts'
import { generateSql } from './pg-generate.ts'
import { makePgStack, type PgTestStack } from '../tests/support/pg-stack.ts'
import { runScript } from '../tests/support/stack.ts'

const USAGE = 'tsx bench/postgres.ts [--sizes 300000,1000000] [--runs 1]'

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

const dirBytes = (p: string): number => fs.statSync(p).isDirectory()
  ? fs.readdirSync(p).reduce((a, e) => a + dirBytes(path.join(p, e)), 0) : fs.statSync(p).size

main(async () => {
  const { values } = parseFlags(process.argv.slice(2), { sizes: { type: 'string' }, runs: { type: 'string' } }, USAGE)
  const sizes = (values.sizes ?? '300000,1000000').split(',').map(Number)
  const runs = Number(values.runs ?? 1)
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
      for (let r = 0; r < runs; r++) {
        const fd = path.join(work, 'fd'); const fd0 = path.join(work, 'fd0'); const plain = path.join(work, 'plain.sql.zst')
        for (const p of [fd, fd0, plain]) fs.rmSync(p, { recursive: true, force: true })
        keep('data_dump', await timed(async () => { const x = await runScript(s, 'data-dump', ['--name', 'bench', '--force']); if (x.code) throw new Error(x.stderr) }))
        keep('pg_dump -Fd -j2', await timed(() => run(HOST, [path.join(bin, 'pg_dump'), ...args, '-Fd', '-j2', '-f', fd, '-d', 'app'])))
        keep('pg_dump -Fd -j2 -Z0', await timed(() => run(HOST, [path.join(bin, 'pg_dump'), ...args, '-Fd', '-j2', '-Z0', '-f', fd0, '-d', 'app'])))
        keep('pg_dump | zstd', await timed(() => run(HOST, ['bash', '-o', 'pipefail', '-c', `"$0" "$@" | zstd -q -3 > ${JSON.stringify(plain)}`, path.join(bin, 'pg_dump'), ...args, '-d', 'app'])))
        keep('data_load', await timed(async () => { const x = await runScript(s, 'data-load', ['--name', 'bench', '--no-safety']); if (x.code) throw new Error(x.stderr) }))
        if (JSON.stringify(await digests(s, 'app')) !== JSON.stringify(want)) throw new Error('data_load: the restored tables differ from the source')
        await s.pg(async (c) => { await c.query('DROP DATABASE IF EXISTS restored'); await c.query(`CREATE DATABASE restored TEMPLATE template0 OWNER ${qi('app')}`) }, null)
        keep('pg_restore -j2', await timed(() => run(HOST, [path.join(bin, 'pg_restore'), ...args, '-j2', '-d', 'restored', fd])))
        if (JSON.stringify(await digests(s, 'restored')) !== JSON.stringify(want)) throw new Error('pg_restore: the restored tables differ from the source')
      }
      const snapBytes = dirBytes(path.join(s.dir, 'data/backups/bench'))
      lines.push('', `${rows.toLocaleString('en-US')} rows, ${(size / 1048576).toFixed(0)} MB database, best of ${runs}; snapshot ${(snapBytes / 1048576).toFixed(0)} MB`)
      for (const [k, v] of Object.entries(best)) lines.push(`  ${k.padEnd(20)} ${v.toFixed(2)} s`)
      lines.push(`  dump: ${(best.data_dump / best['pg_dump -Fd -j2']).toFixed(2)}x pg_dump -Fd -j2 (target <= 0.6), ${(best.data_dump / best['pg_dump | zstd']).toFixed(2)}x pg_dump | zstd (target <= 1.0)`)
      lines.push(`  load: ${(best.data_load / best['pg_restore -j2']).toFixed(2)}x pg_restore -j2 (target <= 0.7); data_load includes its verification and swap`)
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true })
    await s.destroy()
  }
  result(lines.join('\n'))
})
