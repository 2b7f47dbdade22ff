// What a benchmark run found, as data (the results JSON) and as text: medians per tool and size,
// datakeep's ratios against the targets of the issue, and docs/performance.md.
import { table } from '../lib/log.ts'
import type { IncrementalResult } from './incremental.ts'
import type { Measure } from './tools.ts'

export interface ToolResult {
  status: 'ok' | 'failed' | 'missing'
  /** Why it is missing or what failed (a wrong restore is a failure). */
  reason?: string
  dump: Measure[]
  restore: Measure[]
}

export interface SizeResult {
  /** A shared dataset's name (sakila); absent for generated data. */
  dataset?: string
  rows: number; tables: number; dataBytes: number
  /** How long generating (or loading) the data took. */
  generateMs: number
  tools: Record<string, ToolResult>
}

/** How a size is named in the tables: its rows, or the dataset and its rows. */
export function sizeLabel(size: SizeResult): string {
  return size.dataset ? `${size.dataset} (${size.rows.toLocaleString('en-US')})` : size.rows.toLocaleString('en-US')
}

export interface Machine {
  nproc: number; memoryMb: number; cpu: string; os: string; mariadb: string; node: string; mydumper: string | null
  /** 5-minute load average at the start and the end: above nproc, others competed for the CPUs. */
  loadAverage: { start: number; end: number }
}

export interface BenchResult {
  date: string; seed: string; runs: number; command: string; machine: Machine; totalMs: number
  /** The generated sizes: the series the targets and the plot are read from. */
  sizes: SizeResult[]
  /** Shared datasets (sakila), measured the same way. */
  datasets?: SizeResult[]
  /** The incremental series (bench/incremental.ts); absent with --no-incremental and in runs before it existed. */
  incremental?: IncrementalResult
}

/** The targets of the issue, as ratios of datakeep's median to the other tool's. */
export const TARGETS = { dumpVsMydumper: 1.0, loadVsMyloader: 0.7, rssMb: 200, physicalVsCopy: 2.0 }

export function median(xs: number[]): number {
  if (xs.length === 0) return NaN
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

export interface Summary {
  tool: string; status: ToolResult['status']; reason?: string; dumpMs: number; restoreMs: number
  /** CPU time of the command and of the server together (NaN without GNU time). */
  dumpCpuMs: number; restoreCpuMs: number
  /** Peak RSS in MB of the dump, of the restore, and the larger of the two. */
  dumpRssMb: number; restoreRssMb: number; rssMb: number; bytes: number
}

const cpu = (m: Measure) => (m.cpuMs === undefined ? NaN : m.cpuMs + (m.serverCpuMs ?? 0))

const peakMb = (ms: Measure[]) => {
  const kb = ms.map((m) => m.rssKb ?? NaN).filter(Number.isFinite)
  return kb.length ? Math.max(...kb) / 1024 : NaN
}

/** Medians of one tool at one size (NaN where it did not run). */
export function summarize(tool: string, r: ToolResult): Summary {
  const dumpRssMb = peakMb(r.dump)
  const restoreRssMb = peakMb(r.restore)
  return {
    tool, status: r.status, reason: r.reason,
    dumpMs: median(r.dump.map((m) => m.ms)),
    restoreMs: median(r.restore.map((m) => m.ms)),
    dumpCpuMs: median(r.dump.map(cpu)),
    restoreCpuMs: median(r.restore.map(cpu)),
    dumpRssMb, restoreRssMb, rssMb: peakMb([...r.dump, ...r.restore]),
    bytes: median(r.dump.map((m) => m.bytes ?? NaN).filter(Number.isFinite)),
  }
}

const sec = (ms: number) => (Number.isFinite(ms) ? (ms / 1000).toFixed(2) : '-')
const mb = (n: number) => (Number.isFinite(n) ? (n / 1048576).toFixed(0) : '-')
const ratio = (a: number, b: number) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}x` : '-')

function statusText(s: Summary): string {
  if (s.status === 'ok') return 'ok'
  return `${s.status.toUpperCase()}: ${s.reason ?? ''}`.trim()
}

/** Rows of the medians table: one per size and tool (the generated sizes, or `sizes`). */
export function mediansRows(result: BenchResult, sizes = result.sizes): string[][] {
  return sizes.flatMap((size) => Object.entries(size.tools).map(([tool, r]) => {
    const s = summarize(tool, r)
    const rss = (v: number) => (Number.isFinite(v) ? v.toFixed(0) : '-')
    return [sizeLabel(size), tool, sec(s.dumpMs), sec(s.restoreMs), sec(s.dumpCpuMs), sec(s.restoreCpuMs),
      rss(s.dumpRssMb), rss(s.restoreRssMb), mb(s.bytes), statusText(s)]
  }))
}

export const MEDIANS_HEADERS = ['rows', 'tool', 'dump s', 'restore s', 'dump CPU s', 'restore CPU s', 'dump RSS MB', 'restore RSS MB', 'output MB', 'status']

/** datakeep against the others, per size: the ratios the issue sets targets for, and the rest. */
export function ratioRows(result: BenchResult, sizes = result.sizes): string[][] {
  return sizes.map((size) => {
    const get = (name: string) => (size.tools[name] && size.tools[name].status === 'ok' ? summarize(name, size.tools[name]) : null)
    const dk = get('datakeep')
    const my = get('mydumper -t 2')
    const md = get('mariadb-dump+zstd')
    const cp = get('cp -a datadir')
    const d = dk?.dumpMs ?? NaN
    const l = dk?.restoreMs ?? NaN
    return [sizeLabel(size),
      ratio(d, my?.dumpMs ?? NaN), ratio(l, my?.restoreMs ?? NaN),
      ratio(dk?.dumpCpuMs ?? NaN, my?.dumpCpuMs ?? NaN), ratio(dk?.restoreCpuMs ?? NaN, my?.restoreCpuMs ?? NaN), ratio(d, md?.dumpMs ?? NaN), ratio(l, md?.restoreMs ?? NaN),
      ratio(d, cp?.dumpMs ?? NaN), ratio(l, cp?.restoreMs ?? NaN),
      Number.isFinite(d) ? (d * 1000 / size.rows).toFixed(1) : '-', Number.isFinite(l) ? (l * 1000 / size.rows).toFixed(1) : '-']
  })
}

export const RATIO_HEADERS = ['rows', 'dump / mydumper', 'load / myloader', 'dump CPU / mydumper', 'load CPU / myloader', 'dump / mariadb-dump', 'load / mariadb', 'dump / cp', 'load / cp', 'dump µs/row', 'load µs/row']

/** Each target of the issue with the measured value at the largest size, and whether it is met. */
export function targetRows(result: BenchResult): string[][] {
  const size = result.sizes[result.sizes.length - 1]
  if (!size) return []
  const dk = size.tools.datakeep ? summarize('datakeep', size.tools.datakeep) : null
  const my = size.tools['mydumper -t 2']?.status === 'ok' ? summarize('mydumper', size.tools['mydumper -t 2']) : null
  const rows: string[][] = []
  const check = (what: string, value: number, target: number, unit: string) =>
    rows.push([what, Number.isFinite(value) ? `${value.toFixed(2)}${unit}` : 'not measured', `<= ${target}${unit}`,
      Number.isFinite(value) ? (value <= target ? 'met' : 'NOT met') : '-'])
  check('dump vs mydumper -t 2', (dk?.dumpMs ?? NaN) / (my?.dumpMs ?? NaN), TARGETS.dumpVsMydumper, 'x')
  check('load vs myloader -t 2', (dk?.restoreMs ?? NaN) / (my?.restoreMs ?? NaN), TARGETS.loadVsMyloader, 'x')
  check('dump CPU vs mydumper -t 2 (CPU time, client + server)', (dk?.dumpCpuMs ?? NaN) / (my?.dumpCpuMs ?? NaN), TARGETS.dumpVsMydumper, 'x')
  check('load CPU vs myloader -t 2 (CPU time, client + server)', (dk?.restoreCpuMs ?? NaN) / (my?.restoreCpuMs ?? NaN), TARGETS.loadVsMyloader, 'x')
  check('peak RSS (dump or load)', dk?.rssMb ?? NaN, TARGETS.rssMb, ' MB')
  // the physical path against a raw copy of the data directory: the copy alone, and the copy
  // with the server stopped and started around it (a load of the files must restart the server)
  const ok = (name: string) => (size.tools[name]?.status === 'ok' ? size.tools[name] : null)
  const ph = ok('datakeep --physical')
  const cp = ok('cp -a datadir')
  const phs = ph ? summarize('datakeep --physical', ph) : null
  const cps = cp ? summarize('cp', cp) : null
  const around = (ms: Measure[]) => median(ms.map((m) => m.ms + (m.extra?.stopMs ?? 0) + (m.extra?.startMs ?? 0)))
  check('physical dump vs cp -a of the data directory', (phs?.dumpMs ?? NaN) / (cps?.dumpMs ?? NaN), TARGETS.physicalVsCopy, 'x')
  check('physical load vs cp -a of the data directory', (phs?.restoreMs ?? NaN) / (cps?.restoreMs ?? NaN), TARGETS.physicalVsCopy, 'x')
  check('physical load vs stop + cp -a + start', (phs?.restoreMs ?? NaN) / (cp ? around(cp.restore) : NaN), TARGETS.physicalVsCopy, 'x')
  // linear: time per row at the largest size within 1.5x of that at the size before it (the
  // smallest size is dominated by the fixed start-up cost, which would flatter the slope)
  const first = result.sizes[result.sizes.length - 2]
  if (first && first !== size && first.tools.datakeep && dk) {
    const f = summarize('datakeep', first.tools.datakeep)
    const grow = Math.max((dk.dumpMs / size.rows) / (f.dumpMs / first.rows), (dk.restoreMs / size.rows) / (f.restoreMs / first.rows))
    check(`time per row, ${size.rows.toLocaleString('en-US')} vs ${first.rows.toLocaleString('en-US')} rows`, grow, 1.5, 'x')
  }
  return rows.map((r) => [`${size.rows.toLocaleString('en-US')} rows: ${r[0]}`, ...r.slice(1)])
}

export const TARGET_HEADERS = ['target', 'measured', 'goal', '']

/** The stdout report: medians, ratios, targets. */
export function textReport(result: BenchResult): string {
  const data = result.datasets ?? []
  return [table(MEDIANS_HEADERS, mediansRows(result, [...data, ...result.sizes])), '',
    table(RATIO_HEADERS, ratioRows(result, [...data, ...result.sizes])), '', table(TARGET_HEADERS, targetRows(result))].join('\n')
}

export function markdownTable(headers: string[], rows: string[][]): string {
  const esc = (c: string) => c.replace(/\|/g, '\\|')
  return [`| ${headers.map(esc).join(' | ')} |`, `|${headers.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`)].join('\n')
}

/** Stop and start of the server around the physical tools, and mariadb-backup's two steps. */
export function physicalNotes(result: BenchResult): string[] {
  const out: string[] = []
  for (const size of [...result.datasets ?? [], ...result.sizes]) {
    const parts: string[] = []
    for (const [tool, r] of Object.entries(size.tools)) {
      const all = [...r.dump, ...r.restore].map((m) => m.extra ?? {})
      const pick = (k: string) => median(all.map((e) => e[k]).filter((v): v is number => v !== undefined))
      const bits = ['backupMs', 'prepareMs', 'stopMs', 'startMs'].filter((k) => Number.isFinite(pick(k)))
        .map((k) => `${k.replace('Ms', '')} ${sec(pick(k))} s`)
      if (bits.length) parts.push(`${tool}: ${bits.join(', ')}`)
    }
    if (parts.length) out.push(`- ${sizeLabel(size)} rows: ${parts.join('; ')}`)
  }
  return out
}
