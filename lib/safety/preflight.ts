// Every destructive command checks all of its input before its safety snapshot: a load of a
// damaged snapshot or of a file that is not there fails in a moment, takes no safety snapshot and
// so never pushes a good one out of SAFETY_KEEP.
import fs from 'node:fs'
import path from 'node:path'
import type { Config } from '../config.ts'
import { failure } from '../errors.ts'
import { openSnapshot, type OpenedSnapshot } from '../snapshot/load.ts'
import { readManifest } from '../snapshot/manifest.ts'
import { requireSnapshot } from '../snapshot/names.ts'
import { isPhysical } from '../snapshot/physical.ts'

/**
 * A snapshot about to be loaded: its name, its manifest, every file's size and hash (a physical
 * snapshot: every file's size here; their hashes are checked as they are copied, before anything
 * is replaced). Returns the checked snapshot for the load, or null for a physical one.
 */
export async function checkSnapshotInput(cfg: Config, name: string | undefined, verb: string): Promise<OpenedSnapshot | null> {
  const dir = requireSnapshot(cfg, name, verb)
  const head = readManifest(dir)
  if (!isPhysical(head)) return openSnapshot(cfg, name, verb)
  const problems = Object.entries(head.files).flatMap(([rel, f]) => {
    if (rel.includes('..') || path.isAbsolute(rel)) return [`${rel}: a path outside the snapshot`]
    let size: number
    try { size = fs.statSync(path.join(dir, rel)).size } catch { return [`${rel}: missing`] }
    return size === f.bytes ? [] : [`${rel}: ${size} bytes, the manifest says ${f.bytes} (truncated or altered)`]
  })
  if (problems.length) {
    throw failure(`snapshot "${name}" is damaged: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? `; and ${problems.length - 5} more` : ''}`,
      'nothing was changed; load another snapshot (make data_list) or take a new one')
  }
  return null
}
