// docs/performance.md as the benchmark renders it (bench/docs.ts) from a results file: the page
// says how many runs each median stands on. Nothing here runs the benchmark or asserts a time.
import fs from 'node:fs'
import path from 'node:path'
import { suite } from './support/uvu.ts'
import * as assert from 'uvu/assert'
import { renderMarkdown } from '../bench/docs.ts'
import type { BenchResult } from '../bench/report.ts'
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

t.run()
