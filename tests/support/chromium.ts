// A real headless Chromium for the tests that open a generated page: Debian's `chromium`, installed
// with apt-get when root and missing (as tests/run.ts does for MariaDB), otherwise one clear failure
// naming the install command. Driven by playwright-core (a pinned devDependency, no browser download).
import fs from 'node:fs'
import { chromium, type BrowserContext } from 'playwright-core'
import { HOST, run } from '../../lib/run.ts'
import { tempDir } from './stack.ts'

export const CHROMIUM = '/usr/bin/chromium'

/** No network of its own (updates, sync, QUIC), no sandbox (tests run as root), a fresh profile. */
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run', '--disable-quic'] as const

/** What to do when Chromium is missing: install it (root on Debian) or say how. */
export function chromiumInstallPlan(opts: { isRoot: boolean; hasApt: boolean }):
  { action: 'apt'; argv: string[][] } | { action: 'tell'; command: string } {
  if (opts.isRoot && opts.hasApt) {
    // another apt-get on the machine (a second test file installing something) holds the lock: wait for it
    return { action: 'apt', argv: [['apt-get', 'update'], ['apt-get', '-o', 'DPkg::Lock::Timeout=600', 'install', '-y', 'chromium']] }
  }
  return { action: 'tell', command: opts.hasApt ? 'sudo apt-get install -y chromium' : `install Chromium at ${CHROMIUM} with your package manager` }
}

export async function ensureChromium(): Promise<string> {
  if (fs.existsSync(CHROMIUM)) return CHROMIUM
  const plan = chromiumInstallPlan({ isRoot: process.getuid?.() === 0, hasApt: fs.existsSync('/usr/bin/apt-get') })
  if (plan.action === 'tell') throw new Error(`the browser tests need Debian's chromium at ${CHROMIUM}; to fix: ${plan.command}`)
  process.stderr.write('installing chromium (the browser tests open the generated pages in it)\n')
  for (const argv of plan.argv) await run(HOST, argv, { env: { DEBIAN_FRONTEND: 'noninteractive' }, timeoutMs: 15 * 60_000 })
  if (!fs.existsSync(CHROMIUM)) throw new Error(`apt-get installed chromium but ${CHROMIUM} is not there`)
  return CHROMIUM
}

/** A headless Chromium with a fresh profile folder (--user-data-dir, removed at exit by tempDir); close the context to stop it. */
export async function launchChromium(viewport = { width: 1280, height: 900 }): Promise<BrowserContext> {
  const executablePath = await ensureChromium()
  return chromium.launchPersistentContext(tempDir('datakeep-chromium-'), { executablePath, headless: true, args: [...CHROMIUM_ARGS], viewport })
}
