// docs/performance.svg: median time against rows for each tool, dump and restore side by side,
// log-log axes (a straight line of slope 1 is linear time). Hand-written SVG, no dependency.
import type { BenchResult } from './report.ts'
import { summarize } from './report.ts'

const COLORS = ['#d62728', '#1f77b4', '#2ca02c', '#7f7f7f', '#9467bd', '#ff7f0e', '#8c564b']
const PANEL_W = 440
const PANEL_H = 300
const M = { left: 58, right: 16, top: 34, bottom: 44 }

export interface Series { tool: string; points: { rows: number; ms: number }[] }

/** Per tool, the median dump or restore time at each size it succeeded at. */
export function series(result: BenchResult, kind: 'dumpMs' | 'restoreMs'): Series[] {
  const tools = [...new Set(result.sizes.flatMap((s) => Object.keys(s.tools)))]
  return tools.map((tool) => ({
    tool,
    points: result.sizes.flatMap((s) => {
      const r = s.tools[tool]
      if (!r || r.status !== 'ok') return []
      const ms = summarize(tool, r)[kind]
      return Number.isFinite(ms) && ms > 0 ? [{ rows: s.rows, ms }] : []
    }),
  }))
}

/** 1, 2, 5 steps of each decade inside [lo, hi]. */
export function logTicks(lo: number, hi: number): number[] {
  const out: number[] = []
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e
      if (v >= lo && v <= hi) out.push(v)
    }
  }
  return out
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
const fmtRows = (n: number) => (n >= 1e6 ? `${n / 1e6}M` : n >= 1e3 ? `${n / 1e3}k` : String(n))
const fmtSec = (s: number) => (s >= 1 ? String(s) : s.toFixed(2).replace(/0+$/, ''))

function panel(title: string, all: Series[], x0: number, xr: [number, number], yr: [number, number]): string {
  const w = PANEL_W - M.left - M.right
  const h = PANEL_H - M.top - M.bottom
  const sx = (v: number) => x0 + M.left + ((Math.log10(v) - Math.log10(xr[0])) / (Math.log10(xr[1]) - Math.log10(xr[0]))) * w
  const sy = (v: number) => M.top + h - ((Math.log10(v) - Math.log10(yr[0])) / (Math.log10(yr[1]) - Math.log10(yr[0]))) * h
  const parts: string[] = [`<text x="${x0 + M.left + w / 2}" y="20" text-anchor="middle" font-weight="bold">${esc(title)}</text>`,
    `<rect x="${x0 + M.left}" y="${M.top}" width="${w}" height="${h}" fill="none" stroke="#999"/>`]
  for (const t of logTicks(yr[0], yr[1])) {
    parts.push(`<line x1="${x0 + M.left}" x2="${x0 + M.left + w}" y1="${sy(t).toFixed(1)}" y2="${sy(t).toFixed(1)}" stroke="#eee"/>`,
      `<text x="${x0 + M.left - 6}" y="${(sy(t) + 4).toFixed(1)}" text-anchor="end">${fmtSec(t / 1000)}</text>`)
  }
  const sizes = [...new Set(all.flatMap((s) => s.points.map((p) => p.rows)))].sort((a, b) => a - b)
  for (const t of sizes) {
    parts.push(`<line x1="${sx(t).toFixed(1)}" x2="${sx(t).toFixed(1)}" y1="${M.top}" y2="${M.top + h}" stroke="#eee"/>`,
      `<text x="${sx(t).toFixed(1)}" y="${M.top + h + 16}" text-anchor="middle">${fmtRows(t)}</text>`)
  }
  parts.push(`<text x="${x0 + M.left + w / 2}" y="${PANEL_H - 8}" text-anchor="middle">rows</text>`,
    `<text transform="translate(${x0 + 14},${M.top + h / 2}) rotate(-90)" text-anchor="middle">seconds (median)</text>`)
  all.forEach((s, i) => {
    const color = COLORS[i % COLORS.length]
    const pts = s.points.map((p) => `${sx(p.rows).toFixed(1)},${sy(p.ms).toFixed(1)}`)
    if (pts.length > 1) parts.push(`<polyline fill="none" stroke="${color}" stroke-width="${s.tool === 'datakeep' ? 3 : 1.5}" points="${pts.join(' ')}"/>`)
    for (const p of pts) parts.push(`<circle cx="${p.split(',')[0]}" cy="${p.split(',')[1]}" r="3.5" fill="${color}"/>`)
  })
  return parts.join('\n')
}

/** The whole SVG document. */
export function renderSvg(result: BenchResult): string {
  const dump = series(result, 'dumpMs')
  const restore = series(result, 'restoreMs')
  const all = [...dump, ...restore].flatMap((s) => s.points)
  const width = PANEL_W * 2
  const legendY = PANEL_H + 10
  const height = legendY + 24 * Math.ceil(dump.length / 4) + 8
  if (all.length === 0) {
    return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="60" font-family="sans-serif" font-size="12"><text x="10" y="30">no measurement succeeded</text></svg>\n`
  }
  const rows = all.map((p) => p.rows)
  const ms = all.map((p) => p.ms)
  const xr: [number, number] = [Math.min(...rows) / 1.4, Math.max(...rows) * 1.4]
  const yr: [number, number] = [Math.min(...ms) / 1.5, Math.max(...ms) * 1.5]
  const legend = dump.map((s, i) => {
    const x = 20 + (i % 4) * 215
    const y = legendY + 24 * Math.floor(i / 4) + 10
    return `<rect x="${x}" y="${y - 9}" width="14" height="10" fill="${COLORS[i % COLORS.length]}"/><text x="${x + 20}" y="${y}">${esc(s.tool)}</text>`
  })
  return [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    panel('dump', dump, 0, xr, yr), panel('restore', restore, PANEL_W, xr, yr), ...legend, '</svg>', ''].join('\n')
}
