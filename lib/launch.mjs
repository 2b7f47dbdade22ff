// The entry every make target goes through: `node lib/launch.mjs <script> [args]` runs
// scripts/<script>.ts from an esbuild bundle (esbuild comes with tsx), built on first use and again
// whenever a source changed, into .build/<key>/. Loading ~90 TypeScript files through tsx costs about
// 0.6 s on every command; the bundle adds about 0.1 s to Node's own start (0.13 s on a 2-core
// machine). Plain JavaScript: it runs before any TypeScript loader could. `node --import tsx
// scripts/<script>.ts` still runs the sources themselves.
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const BUILD = path.join(ROOT, '.build')
/** Bundles of other sources older than this are removed (a command started earlier may still read one). */
const KEEP_OLD_MS = 60 * 60 * 1000

/** Every .ts file under `dir` of `root`, relative to `root`, sorted. */
function sources(root, dir) {
  return fs.readdirSync(path.join(root, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => path.relative(root, path.join(e.parentPath ?? e.path, e.name)))
    .sort()
}

/**
 * One key for the sources, the installed packages and this launcher (its build options shape the
 * bundle): any edit, new or removed file gives another.
 */
export function sourceKey(root = ROOT) {
  const h = crypto.createHash('sha256').update(fs.readFileSync(fileURLToPath(import.meta.url))).update('\0')
  for (const rel of [...sources(root, 'lib'), ...sources(root, 'scripts'), 'package-lock.json']) {
    h.update(`${rel}\0`).update(fs.readFileSync(path.join(root, rel))).update('\0')
  }
  return h.digest('hex').slice(0, 16)
}

/** Builds every script into .build/<key>: written beside it, renamed in whole (two builders at once are fine). */
export async function buildBundles(key = sourceKey()) {
  const out = path.join(BUILD, key)
  if (fs.existsSync(out)) return out
  const { build } = await import('esbuild')
  const tmp = `${out}.tmp-${process.pid}`
  try {
    await build({
      entryPoints: fs.readdirSync(path.join(ROOT, 'scripts')).filter((f) => f.endsWith('.ts')).map((f) => path.join(ROOT, 'scripts', f)),
      bundle: true, splitting: true, format: 'esm', platform: 'node', target: 'node20', outdir: tmp,
      outExtension: { '.js': '.mjs' }, logLevel: 'error',
      // tsx stays outside: seed.ts registers it only to import a TypeScript seeder. So does iconv-lite
      // (mysql2's decoder for other character sets): bundled, its 0.5 MB of encoding tables were
      // parsed on every start; from node_modules it reads a table only when a charset needs it
      external: ['tsx', 'tsx/*', 'esbuild', 'iconv-lite'],
      // CommonJS packages inside an ES module bundle call require()
      banner: { js: "import { createRequire as __datakeepRequire } from 'node:module'; const require = __datakeepRequire(import.meta.url);" },
    })
    fs.renameSync(tmp, out)
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true })
    if (!fs.existsSync(out)) throw e // else another command built the same sources first
  }
  for (const old of fs.readdirSync(BUILD)) {
    const p = path.join(BUILD, old)
    if (old !== key && Date.now() - fs.statSync(p).mtimeMs > KEEP_OLD_MS) fs.rmSync(p, { recursive: true, force: true })
  }
  return out
}

/**
 * Runs scripts/<script>.ts from the bundle in this process, with `args` as its arguments; its main()
 * sets the exit code. An unknown script: one line and exit 2.
 */
export async function launch(script, args, usage = 'to see the targets: make help') {
  const source = path.join(ROOT, 'scripts', `${script}.ts`)
  if (!/^[a-z][a-z0-9-]*$/.test(script) || !fs.existsSync(source)) {
    console.error(`datakeep: no script "${script}" in scripts/; ${usage}`)
    process.exit(2)
  }
  const dir = await buildBundles()
  // the script sees the argv it would under tsx: [node, scripts/<script>.ts, ...its arguments]
  process.argv.splice(1, process.argv.length - 1, source, ...args)
  await import(pathToFileURL(path.join(dir, `${script}.mjs`)).href)
}

// realpath: run through a symlink (a project's lib/ linked to this checkout), node loads the real file
if (process.argv[1] && fileURLToPath(import.meta.url) === fs.realpathSync(path.resolve(process.argv[1]))) {
  await launch(process.argv[2] ?? '', process.argv.slice(3))
}
