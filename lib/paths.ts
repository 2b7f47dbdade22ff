// Where datakeep itself is installed: the folder of its package.json, found from this file, so the
// answer is the same when the code runs from lib/ under tsx and from a bundle in .build/ (launch.mjs).
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

function findRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'docker/mysql/conf.d'))) return dir
    if (path.dirname(dir) === dir) throw new Error(`datakeep's own folder (package.json, docker/) not found above ${from}`)
  }
}

/** The datakeep checkout (or installed copy) this code belongs to. */
export const TOOL_DIR = findRoot(path.dirname(fileURLToPath(import.meta.url)))

/** A file or folder of datakeep's own, by its path inside the checkout. */
export const toolPath = (rel: string): string => path.join(TOOL_DIR, rel)

/**
 * The fault suite's results (tests/faults), read by reliability_report: inside this checkout and
 * ignored by git, never a fixed file in /tmp that two users or two clones would share.
 */
export const RELIABILITY_RESULTS = toolPath('tests/faults/.results.json')
