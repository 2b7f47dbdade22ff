// The generated schema site in a real browser: open index.html from file:// recording console errors,
// page errors and every request that is not a local file; take the screenshot the README shows.
import fs from 'node:fs'
import { pathToFileURL } from 'node:url'
import type { BrowserContext, Page } from 'playwright-core'

export interface OpenedSite {
  page: Page
  /** console messages of type error, uncaught page errors, failed requests */
  errors: string[]
  /** every URL the page asked for other than its own file: should stay empty (no network) */
  requests: string[]
}

export async function openSite(ctx: BrowserContext, indexHtml: string): Promise<OpenedSite> {
  const page = await ctx.newPage()
  const url = pathToFileURL(indexHtml).href
  const opened: OpenedSite = { page, errors: [], requests: [] }
  page.on('console', (m) => { if (m.type() === 'error') opened.errors.push(`console: ${m.text()}`) })
  page.on('pageerror', (e) => opened.errors.push(`page error: ${e.message}`))
  page.on('requestfailed', (r) => opened.errors.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`))
  page.on('request', (r) => { if (r.url().split('#')[0] !== url) opened.requests.push(r.url()) })
  await page.goto(url, { waitUntil: 'load' })
  return opened
}

/**
 * The top of the page down to the end of the whole-database diagram (title, summary, contents,
 * diagram), as PNG, written to `out` through a temporary name. Returns the PNG's bytes.
 */
export async function screenshotOverview(page: Page, out: string): Promise<Buffer> {
  await page.evaluate(() => window.scrollTo(0, 0))
  const box = await page.locator('#diagram-all').boundingBox()
  if (!box) throw new Error('the page has no #diagram-all to screenshot')
  const width = page.viewportSize()?.width ?? 1280
  const png = await page.screenshot({ clip: { x: 0, y: 0, width, height: Math.ceil(box.y + box.height + 16) } })
  const tmp = `${out}.tmp-${process.pid}`
  fs.writeFileSync(tmp, png)
  fs.renameSync(tmp, out)
  return png
}

/** A PNG's width and height, from its IHDR chunk. */
export function pngSize(png: Buffer): { width: number; height: number } {
  if (png.subarray(0, 8).toString('hex') !== '89504e470d0a1a0a' || png.subarray(12, 16).toString() !== 'IHDR') throw new Error('not a PNG')
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) }
}
