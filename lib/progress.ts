// Progress for long work: one bar per item being worked on plus a total on a terminal (rows, bytes,
// ETA); plain lines (one per finished item) when not a TTY or under CI.
import cliProgress from 'cli-progress'
import { interrupted } from './errors.ts'
import { count, formatBytes, info, isPlain } from './log.ts'

export interface ItemProgress {
  update(rows: number, bytes?: number): void
  done(): void
}

export interface Progress {
  item(name: string, expectedRows: number): ItemProgress
  stop(): void
}

/**
 * Ctrl-C ends the progress at once: the work still in flight while the cleanups run prints
 * nothing after "interrupted; cleaning up", so the last line says how it ended.
 */
/** `expectedRows` null: no estimate (a PostgreSQL table never analyzed): the total grows with what was done. */
export function startProgress(title: string, expectedRows: number | null, opts: { exact?: boolean } = {}): Progress {
  const p = isPlain() ? plainProgress(title, expectedRows, !!opts.exact) : barProgress(title, expectedRows ?? 0)
  const quiet: ItemProgress = { update() { /* interrupted */ }, done() { /* interrupted */ } }
  return {
    item(name, rows) {
      if (interrupted()) { p.stop(); return quiet }
      const it = p.item(name, rows)
      // checked at each call: the signal comes while an item is in flight
      return { update: (r, b) => { if (interrupted()) p.stop(); else it.update(r, b) }, done: () => { if (interrupted()) p.stop(); else it.done() } }
    },
    stop() { p.stop() },
  }
}

function barProgress(title: string, expectedRows: number): Progress {
  const multi = new cliProgress.MultiBar({
    stream: process.stderr,
    clearOnComplete: true,
    hideCursor: true,
    format: ' {bar} {name} | {value}/{total} rows | {size} | ETA {eta_formatted}',
    barsize: 24,
    etaBuffer: 50,
  }, cliProgress.Presets.shades_classic)
  const total = multi.create(Math.max(expectedRows, 1), 0, { name: title.padEnd(24), size: '' })
  const done = new Map<string, number>()
  let bytesAll = 0
  let stopped = false
  const sum = () => [...done.values()].reduce((a, b) => a + b, 0)
  return {
    item(name, rows) {
      if (stopped) return { update() { /* stopped */ }, done() { /* stopped */ } }
      const bar = multi.create(Math.max(rows, 1), 0, { name: name.slice(0, 24).padEnd(24), size: '' })
      let last = 0
      let lastBytes = 0
      return {
        update(r, b = 0) {
          if (stopped) return
          done.set(name, r)
          bytesAll += b - lastBytes
          lastBytes = b
          last = r
          if (r > bar.getTotal()) bar.setTotal(r)
          bar.update(r, { size: formatBytes(b) })
          const s = sum()
          if (s > total.getTotal()) total.setTotal(s)
          total.update(s, { size: formatBytes(bytesAll) })
        },
        done() { if (!stopped) { bar.update(last); multi.remove(bar) } },
      }
    },
    stop() { if (!stopped) { stopped = true; multi.stop() } },
  }
}

/**
 * One finished item's line. The expected total is an estimate (InnoDB's row statistics for a dump):
 * the total shown grows with what was done, never below it (not "26330/26256 rows").
 */
export function itemLine(name: string, rows: number, bytes: number, rowsDone: number, expectedRows: number, secs: number): string {
  return `  ${name}: ${count(rows, 'row')}${bytes ? `, ${formatBytes(bytes)}` : ''} (${rowsDone}/${Math.max(rowsDone, expectedRows)} rows, ${secs.toFixed(1)} s)`
}

/** `exact`: the total is known (a load's manifest), not estimated (a dump's statistics). */
function plainProgress(title: string, estimate: number | null, exact: boolean): Progress {
  const started = Date.now()
  const expectedRows = estimate ?? 0
  let rowsDone = 0
  let stopped = false
  info(`${title}: ${estimate === null ? 'rows not estimated yet (tables never analyzed)' : `${exact ? '' : 'about '}${count(estimate, 'row')}`}`)
  return {
    item(name) {
      let rows = 0
      let bytes = 0
      return {
        update(r, b = 0) { rows = r; bytes = b },
        done() {
          rowsDone += rows
          // after stop() (the work was interrupted and is cleaning up) no line may follow
          if (!stopped) info(itemLine(name, rows, bytes, rowsDone, expectedRows, (Date.now() - started) / 1000))
        },
      }
    },
    stop() { stopped = true },
  }
}
