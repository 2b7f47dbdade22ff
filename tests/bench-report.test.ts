// docs/performance.md as the benchmark renders it (bench/docs.ts) from a results file: the page
// says how many runs each median stands on, and carries the incremental series' table when the run
// has one (bench/incremental-report.ts). Nothing here runs the benchmark or asserts a time.
import fs from 'node:fs'
import path from 'node:path'
import { suite } from './support/uvu.ts'
import * as assert from 'uvu/assert'
import { renderMarkdown } from '../bench/docs.ts'
import type { IncrementalResult } from '../bench/incremental.ts'
import { incrementalRatios, incrementalText } from '../bench/incremental-report.ts'
import type { BenchResult } from '../bench/report.ts'
import { HOST, run } from '../lib/run.ts'
import { REPO } from './support/stack.ts'

const t = suite('bench report')

/** The newest committed results: a real run's shape, machine and all. */
function committedResult(): BenchResult {
  const dir = path.join(REPO, 'bench/results')
  const newest = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort().pop()
  if (!newest) throw new Error(`no results in ${dir}`)
  return JSON.parse(fs.readFileSync(path.join(dir, newest), 'utf8'))
}

t('every tool with every run: the page says the runs and names no exception', () => {
  const r = committedResult()
  r.runs = 3
  for (const s of [...r.datasets ?? [], ...r.sizes]) {
    for (const tool of Object.values(s.tools)) {
      if (tool.status !== 'ok') continue
      tool.dump = Array.from({ length: r.runs }, () => tool.dump[0])
      tool.restore = Array.from({ length: r.runs }, () => tool.restore[0])
    }
  }
  const md = renderMarkdown(r, 'bench/results/x.json')
  assert.match(md, 'Median of 3 runs per tool and size, the tools alternating within each run. "restore"')
  assert.not.match(md, ', except ')
})

t('a tool that ran once at the big sizes is named, with where and why', () => {
  const r = committedResult()
  r.runs = 3
  const big = r.sizes.filter((s) => s.rows >= 1_000_000)
  assert.ok(big.length > 0, 'the committed run has a size of 1,000,000 rows or more')
  for (const s of big) {
    const t = s.tools['mariadb-dump+zstd']
    t.dump = t.dump.slice(0, 1)
    t.restore = t.restore.slice(0, 1)
  }
  const md = renderMarkdown(r, 'bench/results/x.json').replace(/\n/g, ' ')
  const where = big.map((s) => `${s.rows.toLocaleString('en-US')} rows`).join(' and ')
  assert.match(md, `Median of 3 runs per tool and size, the tools alternating within each run, except mariadb-dump+zstd: one run at ${where} (its restore replays every INSERT`)
})

/** A series as bench/incremental.ts records it, with round numbers (MiB = 1048576 bytes). */
function series(): IncrementalResult {
  const MiB = 1048576
  return {
    rows: 3_000_000, tableRows: 450_000, changedRows: 4_500,
    base: { ms: 9_000, cpuMs: 6_000, bytes: 200 * MiB, added: 200 * MiB },
    shared: { ms: 5_000, cpuMs: 2_500, bytes: 200 * MiB, added: 20 * MiB },
    full: { ms: 10_000, cpuMs: 6_500, bytes: 200 * MiB, added: 200 * MiB },
    mydumper: { status: 'ok', step: { ms: 4_000, cpuMs: 3_000, bytes: 400 * MiB, added: 400 * MiB } },
    replayedRows: 4_800, recovery: { ms: 24_000 }, loadAlone: { ms: 30_000 },
  }
}

t('the incremental series: its steps and ratios in docs/performance.md, between the targets and what was measured', () => {
  const r = committedResult()
  r.incremental = series()
  const md = renderMarkdown(r, 'bench/results/x.json')
  const at = md.indexOf('## Incremental snapshots and point-in-time recovery')
  assert.ok(at > md.indexOf('## Targets') && at < md.indexOf('## What was measured'), 'the section sits after the targets')
  assert.match(md, '3,000,000 rows; 4,500 of the 450,000 rows of orders changed (1%)')
  assert.match(md, '| step | wall s | CPU s (command) | snapshot size | bytes added |')
  assert.match(md, '| data_dump after 1% of orders changed (unchanged tables shared) | 5.00 | 2.50 | 200.0 MiB | 20.0 MiB |')
  assert.match(md, '| data_dump --full after the change (every table written) | 10.00 | 6.50 | 200.0 MiB | 200.0 MiB |')
  assert.match(md, '| mydumper -t 2 after the change (uncompressed) | 4.00 | 3.00 | 400.0 MiB | 400.0 MiB |')
  assert.match(md, '| data_load --until a moment (the snapshot + 4,800 changed rows replayed) | 24.00 | - | - | - |')
  assert.match(md, '| shared snapshot / data_dump --full | 0.50x | 0.10x |')
  assert.match(md, '| shared snapshot / mydumper -t 2 | 1.25x | 0.05x |')
  assert.match(md, '| data_load --until / data_load alone | 0.80x | - |')
  assert.match(incrementalText(r.incremental), /^incremental series: 3,000,000 rows/)
})

t('the incremental series without mydumper says why; a run without the series says how to measure it', () => {
  const s = series()
  s.mydumper = { status: 'missing', reason: 'mydumper is not installed (apt-get install mydumper)' }
  assert.equal(incrementalRatios(s)[1], ['shared snapshot / mydumper -t 2', '-', '-'])
  const r = committedResult()
  r.incremental = s
  assert.match(renderMarkdown(r, 'x.json'), '| mydumper -t 2 after the change | missing: mydumper is not installed (apt-get install mydumper) | - | - | - |')
  delete r.incremental
  const without = renderMarkdown(r, 'x.json')
  assert.match(without, 'This run has no incremental series (it ran with `--no-incremental`')
  assert.match(without, 'make bench_incremental')
})

t('bench/run.ts refuses --incremental-rows with --no-incremental before starting anything', async () => {
  const r = await run(HOST, [process.execPath, '--import', 'tsx', 'bench/run.ts', '--no-incremental', '--incremental-rows', '5000'], { cwd: REPO, nothrow: true })
  assert.is(r.code, 2, r.stderr)
  assert.match(r.stderr, '--incremental-rows goes without --no-incremental')
})

t('bench/run.ts refuses --postgres-sizes with --no-postgres, and bad PostgreSQL sizes, before starting anything', async () => {
  const r = await run(HOST, [process.execPath, '--import', 'tsx', 'bench/run.ts', '--no-postgres', '--postgres-sizes', '5000'], { cwd: REPO, nothrow: true })
  assert.is(r.code, 2, r.stderr)
  assert.match(r.stderr, '--postgres-sizes goes without --no-postgres')
  const bad = await run(HOST, [process.execPath, '--import', 'tsx', 'bench/postgres.ts', '--sizes', '12x'], { cwd: REPO, nothrow: true })
  assert.is(bad.code, 2, bad.stderr)
  assert.match(bad.stderr, '--sizes 12x: whole numbers of rows')
})

t.run()
