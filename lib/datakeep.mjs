#!/usr/bin/env node
// The `datakeep` command (package.json "bin"): `npx datakeep <target> [args]` runs the script the
// Makefile's target runs (data_load and data-load both name scripts/data-load.ts), in this process,
// so its exit code is exact: 0 done, 1 failed (postdeploy found a loss), 2 misuse or refused,
// 130 interrupted. make turns every failed recipe into 2. Targets and descriptions come from the Makefile.
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { launch } from './launch.mjs'

const ROOT = fileURLToPath(new URL('..', import.meta.url))

/** The Makefile's targets that run a script: target -> { script, about }; aliases follow their target. */
export function targets(makefile = fs.readFileSync(path.join(ROOT, 'Makefile'), 'utf8')) {
  const found = new Map()
  const aliases = []
  const lines = makefile.split('\n')
  lines.forEach((line, i) => {
    const m = /^([a-z][a-z0-9_]*):([^#]*)## (.*)$/.exec(line)
    if (!m) return
    const recipe = /^\t\$\(RUN\) ([a-z][a-z0-9-]*)/.exec(lines[i + 1] ?? '')
    if (recipe) found.set(m[1], { script: recipe[1], about: m[3] })
    else if (/^\s*[a-z][a-z0-9_]*\s*$/.test(m[2])) aliases.push([m[1], m[2].trim(), m[3]])
  })
  for (const [alias, target, about] of aliases) if (found.has(target)) found.set(alias, { script: found.get(target).script, about })
  return found
}

function usage(all) {
  const width = Math.max(...[...all.keys()].map((k) => k.length))
  return ['usage: datakeep <command> [args]   (the make targets that run a script; data_load or data-load)', '',
    ...[...all].map(([k, v]) => `  ${k.padEnd(width)}  ${v.about}`), ''].join('\n')
}

if (process.argv[1] && fs.realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const all = targets()
  const [command = '', ...args] = process.argv.slice(2)
  if (command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(usage(all))
  } else {
    const byScript = [...all.values()].find((t) => t.script === command)
    const chosen = all.get(command) ?? byScript
    if (!chosen) {
      process.stderr.write(command === '' ? usage(all)
        : `datakeep: no command "${command}" (test, bench and typecheck run through make); to see the commands: npx datakeep help\n`)
      process.exit(2)
    }
    await launch(chosen.script, args, 'to see the commands: npx datakeep help')
  }
}
