// Every destructive command checks all of its input before its safety snapshot: a load of a
// damaged snapshot or of a file that is not there fails in a moment, takes no safety snapshot and
// so never pushes a good one out of SAFETY_KEEP. Engine-neutral: the manifest and its files.
import fs from 'node:fs'
import path from 'node:path'
import type { Config } from '../config.ts'
import { failure } from '../errors.ts'
import { checkFiles, readManifest } from '../snapshot/manifest.ts'
import { requireSnapshot } from '../snapshot/names.ts'
import { isPhysical } from '../snapshot/physical.ts'

/**
 * A snapshot about to be loaded: its name, its manifest, every file's size and hash (a physical
 * snapshot: every file's size here; their hashes are checked as they are copied, before anything
 * is replaced). Throws the same line the load would.
 */
export async function checkSnapshotInput(cfg: Config, name: string | undefined, verb: string): Promise<void> {
  const dir = requireSnapshot(cfg, name, verb)
  const m = readManifest(dir)
  const problems = isPhysical(m) ? sizeProblems(dir, m.files) : await checkFiles(dir, m)
  if (problems.length) {
    throw failure(`snapshot "${name}" is damaged: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? `; and ${problems.length - 5} more` : ''}`,
      'nothing was changed; load another snapshot (make data_list) or take a new one')
  }
}

function sizeProblems(dir: string, files: Record<string, { bytes: number }>): string[] {
  return Object.entries(files).flatMap(([rel, f]) => {
    if (rel.includes('..') || path.isAbsolute(rel)) return [`${rel}: a path outside the snapshot`]
    let size: number
    try { size = fs.statSync(path.join(dir, rel)).size } catch { return [`${rel}: missing`] }
    return size === f.bytes ? [] : [`${rel}: ${size} bytes, the manifest says ${f.bytes} (truncated or altered)`]
  })
}
