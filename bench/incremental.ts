// make bench_incremental: what a snapshot costs after 1% of one table's rows changed (datakeep's
// shared tables against a full dump and mydumper -t 2), and a point-in-time recovery against loading
// the snapshot alone. usage: tsx bench/incremental.ts [--rows 3000000] [--seed s]
import fs from 'node:fs'
import path from 'node:path'
import { parseFlags } from '../lib/args.ts'
import { withDb } from '../lib/db.ts'
import { dirSize } from '../lib/fs-util.ts'
import { main } from '../lib/errors.ts'
import { formatBytes, result, step, table } from '../lib/log.ts'
import { listSnapshots } from '../lib/snapshot/catalog.ts'
import { makeStack, tempDir } from '../tests/support/stack.ts'
import { DEFAULT_SEED, generateDatabase } from './generate.ts'
import { datakeepArgv, mydumperArgv, optionsFile, timed } from './tools.ts'

const USAGE = 'tsx bench/incremental.ts [--rows 3000000] [--seed s]'
const DB = 'bench'

main(async () => {
  const { values } = parseFlags(process.argv.slice(2), { rows: { type: 'string' }, seed: { type: 'string' } }, USAGE)
  const rows = Number(values.rows ?? 3_000_000)
  const stack = await makeStack({ env: { MYSQL_DATABASE: DB } })
  try {
    step(`generating ${rows} rows`)
    await generateDatabase(stack.rt.admin, DB, { rows, seed: values.seed ?? DEFAULT_SEED })
    const env = { cwd: stack.dir, env: stack.env }
    const snapBytes = (name: string) => dirSize(path.join(stack.dir, stack.cfg.DATA_BACKUP_DIRNAME, name))
    const added = (name: string) => listSnapshots(stack.cfg).find((s) => s.name === name)!.added
    const sql = (q: string) => withDb(stack.rt.admin, (db) => db.query(q), { database: DB })
    const out: (string | number)[][] = []

    step('full snapshot, then 1% of orders changed')
    const full = await timed(datakeepArgv('data-dump', 'base', ['--full']), env)
    out.push(['datakeep data_dump --full (before the change)', (full.ms / 1000).toFixed(2), formatBytes(snapBytes('base')), formatBytes(snapBytes('base'))])
    await sql("UPDATE orders SET note = CONCAT('changed ', id) WHERE id % 100 = 0")
    const shared = await timed(datakeepArgv('data-dump', 'next'), env)
    out.push(['datakeep data_dump (unchanged tables shared)', (shared.ms / 1000).toFixed(2), formatBytes(snapBytes('next')), formatBytes(added('next'))])
    const again = await timed(datakeepArgv('data-dump', 'next-full', ['--full']), env)
    out.push(['datakeep data_dump --full', (again.ms / 1000).toFixed(2), formatBytes(snapBytes('next-full')), formatBytes(added('next-full'))])
    const cnf = path.join(tempDir('bench-inc-'), 'my.cnf')
    fs.writeFileSync(cnf, optionsFile(stack), { mode: 0o600 })
    const dir = tempDir('bench-mydumper-')
    fs.rmSync(dir, { recursive: true })
    const my = await timed(mydumperArgv(cnf, DB, dir, 2), {}).catch(() => null)
    out.push(['mydumper -t 2 (uncompressed)', my ? (my.ms / 1000).toFixed(2) : 'not installed', my ? formatBytes(dirSize(dir)) : '-', my ? formatBytes(dirSize(dir)) : '-'])

    step('recovery: writes after the snapshot, a moment, more writes')
    await sql("UPDATE customers SET notes = 'recovery bench' WHERE id % 50 = 0")
    await new Promise((r) => setTimeout(r, 1100))
    const until = new Date(Math.ceil(Date.now() / 1000) * 1000)
    await new Promise((r) => setTimeout(r, until.getTime() - Date.now() + 100))
    await sql('DELETE FROM product_tags WHERE product_id % 10 = 0')
    const pitr = await timed([...datakeepArgv('data-load', 'next'), '--until', until.toISOString(), '--no-safety'], env)
    const plain = await timed([...datakeepArgv('data-load', 'next'), '--no-safety'], env)
    out.push([`datakeep data_load --until (snapshot + replay)`, (pitr.ms / 1000).toFixed(2), '-', '-'])
    out.push(['datakeep data_load (the snapshot alone)', (plain.ms / 1000).toFixed(2), '-', '-'])
    result(`${rows} rows; 1% of orders changed (${DB})\n` + table(['step', 'seconds', 'size', 'bytes added'], out))
  } finally {
    await stack.destroy()
  }
})
