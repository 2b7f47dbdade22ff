// Progress and messages go to stderr; stdout is kept for results (paths, tables, --json).
import pc from 'picocolors'
import { redact } from './redact.ts'

let verbose = false
let plain = !process.stderr.isTTY

/** Set once from config: VERBOSE echoes commands, CI or no TTY gives plain lines. */
export function configureLog(opts: { verbose: boolean; ci: boolean }): void {
  verbose = opts.verbose
  plain = opts.ci || !process.stderr.isTTY
}

export const isVerbose = () => verbose
export const isPlain = () => plain

export function info(msg: string): void {
  process.stderr.write(redact(msg) + '\n')
}

export function step(msg: string): void {
  process.stderr.write((plain ? '- ' : pc.cyan('› ')) + redact(msg) + '\n')
}

export function warn(msg: string): void {
  process.stderr.write((plain ? 'warning: ' : pc.yellow('warning: ')) + redact(msg) + '\n')
}

export function done(msg: string): void {
  process.stderr.write((plain ? 'done: ' : pc.green('✔ ')) + redact(msg) + '\n')
}

export function debug(msg: string): void {
  if (verbose) process.stderr.write(pc.dim('$ ' + redact(msg)) + '\n')
}

/** Results: the only writer to stdout. */
export function result(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : text + '\n')
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let i = 0
  let v = n
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++ }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`
}

/** "1 row", "2 rows", "0 tables": a number with its noun, singular for exactly one. */
export function count(n: number, noun: string): string {
  return `${n} ${n === 1 ? noun : `${noun}s`}`
}

export function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`
}

/** A plain text table, columns padded; numbers right-aligned. */
export function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))]
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)))
  // "-" stands for an unknown number (a damaged snapshot's rows): the column stays right-aligned
  const numeric = headers.map((_, i) => rows.some((r) => typeof r[i] === 'number') && rows.every((r) => typeof r[i] === 'number' || r[i] === '-'))
  const line = (r: string[]) =>
    r.map((c, i) => (numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd()
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...cells.slice(1).map(line)].join('\n')
}
