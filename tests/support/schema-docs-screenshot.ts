// The screenshot the README shows (docs/schema-docs.png): sakila loaded into a private test server,
// `schema-docs` run as make runs it, the page opened in headless Chromium by the browser test's own
// code (tests/support/schema-site.ts). usage: node --import tsx tests/support/schema-docs-screenshot.ts [out.png]
import path from 'node:path'
import { launchChromium } from './chromium.ts'
import { sakilaStack } from './sakila.ts'
import { openSite, pngSize, screenshotOverview } from './schema-site.ts'
import { REPO, runScript } from './stack.ts'

const out = path.resolve(process.argv[2] ?? path.join(REPO, 'docs/schema-docs.png'))
const stack = await sakilaStack()
try {
  const r = await runScript(stack, 'schema-docs', ['--out', 'site'])
  if (r.code !== 0) throw new Error(`schema-docs exited ${r.code}: ${r.stderr}`)
  const ctx = await launchChromium()
  try {
    const site = await openSite(ctx, path.join(stack.dir, 'site/index.html'))
    if (site.errors.length || site.requests.length) throw new Error(`the page is not clean: ${[...site.errors, ...site.requests].join('; ')}`)
    const png = await screenshotOverview(site.page, out)
    const { width, height } = pngSize(png)
    console.log(`${out}: ${width}x${height}, ${Math.round(png.length / 1024)} KiB`)
  } finally { await ctx.close() }
} finally { await stack.destroy() }
