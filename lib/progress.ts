// Progress for long work: one bar per item being worked on plus a total on a terminal (rows, bytes,
// ETA); plain lines (one per finished item) when not a TTY or under CI.
import cliProgress from 'cli-progress'
import { formatBytes, info, isPlain } from './log.ts'

export interface ItemProgress {
  update(rows: number, bytes?: number): void
  done(): void
}

export interface Progress {
  item(name: string, expectedRows: number): ItemProgress
  stop(): void
}

export function startProgress(title: string, expectedRows: number): Progress {
  if (isPlain()) return plainProgress(title, expectedRows)
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
  const sum = () => [...done.values()].reduce((a, b) => a + b, 0)
  return {
    item(name, rows) {
      const bar = multi.create(Math.max(rows, 1), 0, { name: name.slice(0, 24).padEnd(24), size: '' })
      let last = 0
      let lastBytes = 0
      return {
        update(r, b = 0) {
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
        done() { bar.update(last); multi.remove(bar) },
      }
    },
    stop() { multi.stop() },
  }
}

function plainProgress(title: string, expectedRows: number): Progress {
  const started = Date.now()
  let rowsDone = 0
  info(`${title}: about ${expectedRows} rows`)
  return {
    item(name) {
      let rows = 0
      let bytes = 0
      return {
        update(r, b = 0) { rows = r; bytes = b },
        done() {
          rowsDone += rows
          const secs = (Date.now() - started) / 1000
          info(`  ${name}: ${rows} rows${bytes ? `, ${formatBytes(bytes)}` : ''} (${rowsDone}/${expectedRows} rows, ${secs.toFixed(1)} s)`)
        },
      }
    },
    stop() { /* each item printed its own line */ },
  }
}
