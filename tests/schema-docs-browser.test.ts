// The schema site for sakila opened in a real headless Chromium (Debian's chromium, installed when
// root and missing): a screenshot, every table, every internal link resolving, the diagrams parsed
// from the SVG in the page (one box per table, one edge per foreign key), no console error, no network.
import fs from 'node:fs'
import path from 'node:path'
import type { BrowserContext } from 'playwright-core'
import * as assert from 'uvu/assert'
import type { Schema } from '../lib/schema-docs/model.ts'
import { chromiumInstallPlan, launchChromium } from './support/chromium.ts'
import { sakilaStack } from './support/sakila.ts'
import { openSite, pngSize, screenshotOverview, type OpenedSite } from './support/schema-site.ts'
import type { TestStack } from './support/stack.ts'
import { runScript } from './support/stack.ts'
import { suite } from './support/uvu.ts'

const SAKILA_TABLES = ['actor', 'address', 'category', 'city', 'country', 'customer', 'film', 'film_actor', 'film_category',
  'film_text', 'inventory', 'language', 'payment', 'rental', 'staff', 'store']

const s = suite('schema docs in a browser', {
  stack: null as unknown as TestStack, ctx: null as unknown as BrowserContext, site: null as unknown as OpenedSite, schema: null as unknown as Schema,
})
s.before(async (c) => {
  c.stack = await sakilaStack()
  const r = await runScript(c.stack, 'schema-docs', ['--out', 'site'])
  assert.is(r.code, 0, r.stderr)
  c.schema = JSON.parse(fs.readFileSync(path.join(c.stack.dir, 'site/schema.json'), 'utf8'))
  c.ctx = await launchChromium()
  c.site = await openSite(c.ctx, path.join(c.stack.dir, 'site/index.html'))
})
s.after(async (c) => {
  await c.ctx?.close()
  await c.stack?.destroy()
})

/** Every diagram's boxes and edges as the browser has them: [{ graph, boxes: [{ name, href, w, h }], edges: [{ id, cls, from, to, label, dashed }] }] */
const readDiagrams = (site: OpenedSite) => site.page.evaluate(() => [...document.querySelectorAll('svg g.graph')].map((g) => ({
  graph: g.id,
  boxes: [...g.querySelectorAll('g.node.table')].map((n) => {
    const a = n.querySelector('a')
    const r = (n as SVGGElement).getBBox()
    return { name: n.querySelector('title')?.textContent ?? '', href: a?.getAttribute('href') ?? a?.getAttribute('xlink:href') ?? '', w: r.width, h: r.height }
  }),
  edges: [...g.querySelectorAll('g.edge')].map((e) => {
    const [from, to] = (e.querySelector('title')?.textContent ?? '').split('->').map((x) => x.split(':')[0])
    return { id: e.id, cls: e.getAttribute('class'), from, to, label: e.querySelector('text')?.textContent ?? '',
      dashed: !!e.querySelector('path')?.getAttribute('stroke-dasharray') }
  }),
})))

s('the page loads from file:// with no console error and no request, and a screenshot is taken', async ({ stack, site }) => {
  assert.equal(site.errors, [], 'console and page errors')
  assert.equal(site.requests, [], 'requests other than the page itself')
  const png = await screenshotOverview(site.page, path.join(stack.dir, 'overview.png'))
  assert.equal(fs.readFileSync(path.join(stack.dir, 'overview.png')), png)
  const { width, height } = pngSize(png)
  assert.is(width, 1280)
  assert.ok(height > 500, `height ${height}: the diagram is in the picture`)
  // a blank or near-blank picture of this size compresses to a few KiB
  assert.ok(png.length > 40_000, `${png.length} bytes`)
  // the diagram was laid out: as wide as its box allows, and taller than a line of text
  const svg = await site.page.locator('#diagram-all svg').boundingBox()
  assert.ok(svg && svg.width > 1000 && svg.height > 300, JSON.stringify(svg))
})

s('every sakila table has its section, its row in the overview and a heading the browser shows', async ({ site }) => {
  const seen = await site.page.evaluate(() => ({
    sections: [...document.querySelectorAll('section.table')].map((e) => e.id),
    overview: [...document.querySelectorAll('table.overview tbody tr td:first-child')].map((e) => e.textContent),
    visible: [...document.querySelectorAll('section.table h3')].filter((e) => (e as HTMLElement).offsetHeight > 0).map((e) => e.textContent),
  }))
  assert.equal(seen.sections, SAKILA_TABLES.map((t) => `table-${t}`))
  assert.equal(seen.overview, SAKILA_TABLES)
  assert.equal(seen.visible, SAKILA_TABLES)
})

s('every internal link, in the HTML and in the SVG diagrams, resolves to an element on the page', async ({ site }) => {
  const links = await site.page.evaluate(() => [...document.querySelectorAll('a')]
    .map((a) => a.getAttribute('href') ?? a.getAttribute('xlink:href'))
    .filter((h): h is string => !!h)
    .map((h) => ({ href: h, found: h.startsWith('#') && !!document.getElementById(decodeURIComponent(h.slice(1))) })))
  assert.equal(links.filter((l) => !l.href.startsWith('#')), [], 'no link leaves the page')
  assert.equal(links.filter((l) => !l.found), [], 'links to no element')
  assert.ok(links.length > 150, `${links.length} links`)
  const inDiagrams = await site.page.evaluate(() => document.querySelectorAll('svg a[href^="#table-"], svg a[*|href^="#table-"]').length)
  assert.ok(inDiagrams >= 16 * 2, `${inDiagrams} links in the diagrams: one per box`)
  const ids = await site.page.evaluate(() => [...document.querySelectorAll('[id]')].map((e) => e.id))
  assert.equal(ids.filter((id, i) => ids.indexOf(id) !== i), [], 'duplicate ids')
})

s('the whole-database diagram: one box per table linking to its section, one edge per foreign key with its cardinality, the implied one dashed', async ({ site, schema }) => {
  const all = (await readDiagrams(site)).find((d) => d.graph === 'er-all')!
  assert.ok(all, 'the diagram er-all is in the page')
  assert.equal(all.boxes.map((b) => b.name).sort(), SAKILA_TABLES)
  for (const b of all.boxes) {
    assert.is(b.href, `#table-${b.name}`)
    assert.ok(b.w > 40 && b.h > 30, `${b.name} is drawn: ${b.w}x${b.h}`)
  }
  const fks = schema.tables.flatMap((t) => t.foreignKeys.map((f) => ({ id: `fk-${t.name}-${f.name}`, from: t.name, to: f.refTable })))
  assert.is(fks.length, 22)
  const drawn = all.edges.filter((e) => e.cls === 'edge fk')
  assert.equal(drawn.map((e) => ({ id: e.id, from: e.from, to: e.to })).sort((a, b) => a.id < b.id ? -1 : 1), fks.sort((a, b) => a.id < b.id ? -1 : 1))
  for (const e of drawn) assert.match(e.label, /^[1n]:(1|0\.\.1)$/, e.id)
  assert.is(drawn.find((e) => e.id === 'fk-film-fk_film_language_original')!.label, 'n:0..1')
  assert.is(drawn.find((e) => e.id === 'fk-store-fk_store_staff')!.label, '1:1')
  assert.ok(drawn.every((e) => !e.dashed))
  const implied = all.edges.filter((e) => e.cls === 'edge implied')
  assert.equal(implied.map((e) => [e.id, e.from, e.to, e.label, e.dashed]), [['implied-film_text-film_id', 'film_text', 'film', 'implied: film_id', true]])
  assert.is(all.edges.length, drawn.length + implied.length)
})

s('each table section holds its neighbourhood diagram: it, its neighbours, and the edges that touch it', async ({ site, schema }) => {
  const diagrams = await readDiagrams(site)
  for (const t of schema.tables) {
    const d = diagrams.find((x) => x.graph === `er-table-${t.name}`)
    assert.ok(d, t.name)
    const inSection = await site.page.evaluate((n) => !!document.querySelector(`section#table-${n} svg g#er-table-${n}`), t.name)
    assert.ok(inSection, `${t.name}'s diagram is in its section`)
    const touching = schema.tables.flatMap((c) => c.foreignKeys.filter((f) => c.name === t.name || f.refTable === t.name).map((f) => `${c.name}->${f.refTable}`))
    const near = new Set([t.name, ...touching.flatMap((e) => e.split('->'))])
    if (t.name === 'film' || t.name === 'film_text') near.add(t.name === 'film' ? 'film_text' : 'film')
    assert.equal(d!.boxes.map((b) => b.name).sort(), [...near].sort(), t.name)
    assert.equal(d!.edges.filter((e) => e.cls === 'edge fk').map((e) => `${e.from}->${e.to}`).sort(), touching.sort(), t.name)
    for (const b of d!.boxes) assert.is(b.href, `#table-${b.name}`)
  }
})

s('clicking a box in the diagram goes to its table', async ({ site }) => {
  await site.page.locator('#diagram-all g#box-language a').click()
  assert.is(await site.page.evaluate(() => location.hash), '#table-language')
  const box = await site.page.locator('#table-language h3').boundingBox()
  assert.ok(box && box.y >= 0 && box.y < 900, `the section is in view: ${JSON.stringify(box)}`)
  assert.equal(site.errors, [])
})

s('a missing chromium is installed by apt-get when root, else the failure names the command', () => {
  assert.equal(chromiumInstallPlan({ isRoot: true, hasApt: true }),
    { action: 'apt', argv: [['apt-get', 'update'], ['apt-get', '-o', 'DPkg::Lock::Timeout=600', 'install', '-y', 'chromium']] })
  assert.equal(chromiumInstallPlan({ isRoot: false, hasApt: true }), { action: 'tell', command: 'sudo apt-get install -y chromium' })
  assert.equal(chromiumInstallPlan({ isRoot: true, hasApt: false }), { action: 'tell', command: 'install Chromium at /usr/bin/chromium with your package manager' })
})

s.run()
