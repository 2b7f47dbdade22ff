// The incremental series as tables (stdout, docs/performance.md): each step's time, size and bytes
// added, and the comparisons the issue asks for (shared snapshot against a full dump and mydumper;
// recovery to a time against loading the snapshot alone).
import { formatBytes, table } from '../lib/log.ts'
import { CHANGED_TABLE, type IncrementalResult, type IncrementalStep } from './incremental.ts'
import { markdownTable } from './report.ts'

export const INCREMENTAL_HEADERS = ['step', 'wall s', 'CPU s (command)', 'snapshot size', 'bytes added']

const sec = (ms: number | undefined) => (ms === undefined || !Number.isFinite(ms) ? '-' : (ms / 1000).toFixed(2))
const bytes = (n: number | undefined) => (n === undefined ? '-' : formatBytes(n))
const ratio = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined || !(b > 0) ? '-' : `${(a / b).toFixed(2)}x`)

export function incrementalRows(r: IncrementalResult): string[][] {
  const row = (label: string, s: IncrementalStep) => [label, sec(s.ms), sec(s.cpuMs), bytes(s.bytes), bytes(s.added)]
  const my = r.mydumper
  return [
    row('data_dump --full, before the change (the base)', r.base),
    row(`data_dump after 1% of ${CHANGED_TABLE} changed (unchanged tables shared)`, r.shared),
    row('data_dump --full after the change (every table written)', r.full),
    my.status === 'ok' ? row('mydumper -t 2 after the change (uncompressed)', my.step) : ['mydumper -t 2 after the change', `${my.status}: ${my.reason}`, '-', '-', '-'],
    row(`data_load --until a moment (the snapshot + ${r.replayedRows.toLocaleString('en-US')} changed rows replayed)`, r.recovery),
    row('data_load of the snapshot alone', r.loadAlone),
  ]
}

export const INCREMENTAL_RATIO_HEADERS = ['comparison', 'time', 'bytes']

/** The shared snapshot against the full dump and mydumper; the recovery against the load alone. */
export function incrementalRatios(r: IncrementalResult): string[][] {
  const my = r.mydumper.status === 'ok' ? r.mydumper.step : undefined
  return [
    ['shared snapshot / data_dump --full', ratio(r.shared.ms, r.full.ms), ratio(r.shared.added, r.full.added)],
    ['shared snapshot / mydumper -t 2', ratio(r.shared.ms, my?.ms), ratio(r.shared.added, my?.bytes)],
    ['data_load --until / data_load alone', ratio(r.recovery.ms, r.loadAlone.ms), '-'],
  ]
}

function what(r: IncrementalResult): string {
  return `${r.rows.toLocaleString('en-US')} rows; ${r.changedRows.toLocaleString('en-US')} of the ${r.tableRows.toLocaleString('en-US')} rows of ${CHANGED_TABLE} changed (1%)`
}

export function incrementalText(r: IncrementalResult): string {
  return [`incremental series: ${what(r)}`, table(INCREMENTAL_HEADERS, incrementalRows(r)), '', table(INCREMENTAL_RATIO_HEADERS, incrementalRatios(r))].join('\n')
}

/** The section of docs/performance.md; without a result (bench/run.ts --no-incremental) it says how to measure it. */
export function incrementalMarkdown(r: IncrementalResult | undefined): string {
  const head = '## Incremental snapshots and point-in-time recovery\n\n'
  if (!r) {
    return `${head}This run has no incremental series (it ran with \`--no-incremental\`, or before \`make bench\` had
it). \`make bench_incremental\` measures it alone: a snapshot after 1% of one table changed against a
full dump and mydumper, and a recovery to a time against loading the snapshot alone; docs/snapshot-format.md
and docs/recovery.md give the figures of such a run.\n`
  }
  return `${head}${what(r)}, on a private server of its own with binary logging on: a full snapshot first,
then the change, then a snapshot that shares the unchanged tables with it (docs/snapshot-format.md), a
\`--full\` one and mydumper. Then 2% of \`customers\` updated, a moment, 10% of \`product_tags\` deleted,
and the shared snapshot loaded back to the moment (\`data_load --until\`: load, replay of the updates
from the binary log, verify, swap; docs/recovery.md) against loading it alone, both without a safety
snapshot. "bytes added" is what the snapshot added to the backup folder (files no older snapshot
shares, as \`data_list\` shows it); mydumper's is its whole output. One run each.

${markdownTable(INCREMENTAL_HEADERS, incrementalRows(r))}

${markdownTable(INCREMENTAL_RATIO_HEADERS, incrementalRatios(r))}
`
}
