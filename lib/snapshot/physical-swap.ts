// What a physical load leaves beside the local server's data directory when it is killed: the
// copy being made (`.partial-`), the data from before the load (`.old-`), a failed copy or an old
// one being deleted (`.failed-`, `.removing-`). Only file operations: the local runtime can call
// this before it starts the server without importing the snapshot code.
import fs from 'node:fs'
import path from 'node:path'
import { failure } from '../errors.ts'
import { isProcessAlive } from '../fs-util.ts'

export interface DataDirDebris {
  /** The `.old-` folder renamed back because the data directory itself was missing. */
  restored: string | null
  removed: string[]
  /** `.old-` folders left in place: the load swapped in but never finished verifying. */
  unsettled: string[]
}

const DEBRIS = /^\.(partial|old|removing|failed)-(\d+)(?:-(\d+))?$/

/** The debris of processes that are gone, newest first. */
function findDebris(dataDir: string): { path: string; kind: string; time: number }[] {
  const base = path.basename(dataDir)
  let names: string[]
  try { names = fs.readdirSync(path.dirname(dataDir)) } catch { return [] }
  return names.flatMap((n) => {
    const m = n.startsWith(`${base}.`) ? DEBRIS.exec(n.slice(base.length)) : null
    return m && !isProcessAlive(Number(m[2])) ? [{ path: path.join(path.dirname(dataDir), n), kind: m[1], time: Number(m[3] ?? 0) }] : []
  }).sort((a, b) => b.time - a.time)
}

/**
 * Settles what a killed load left, never losing data: a missing data directory gets the newest
 * `.old-` back (the kill came between the two renames); copies and failed or half-deleted folders
 * are removed. An `.old-` beside a data directory is left alone and returned: the server may have
 * been used since on the loaded data, so only the user can say which one to keep.
 */
export function settleDataDir(dataDir: string): DataDirDebris {
  const found = findDebris(dataDir)
  const olds = found.filter((d) => d.kind === 'old')
  let restored: string | null = null
  if (!fs.existsSync(dataDir) && olds.length > 0) {
    fs.renameSync(olds[0].path, dataDir)
    restored = olds[0].path
  }
  const removed: string[] = []
  for (const d of found) {
    if (d.kind === 'old') continue
    // retried: a copy its killed process started may still be writing into it for a moment
    fs.rmSync(d.path, { recursive: true, force: true, maxRetries: 20, retryDelay: 50 })
    removed.push(d.path)
  }
  return { restored, removed, unsettled: olds.map((d) => d.path).filter((p) => p !== restored) }
}

/** The sentence (and commands) for an `.old-` folder settleDataDir left in place. */
export function unsettledAdvice(dataDir: string, old: string): string {
  return `a physical load was interrupted after its swap: ${dataDir} holds the snapshot it loaded, ${old} the data from before; `
    + `to keep the loaded data: rm -rf '${old}'; to go back: make down && mv '${dataDir}' '${dataDir}.discard' && mv '${old}' '${dataDir}' && make up`
}

/** The rollback: stop whatever runs on the new folder, move it aside, the old one back, start. */
export async function putBack(rt: { stop(): Promise<unknown>; start(): Promise<unknown> }, dataDir: string, old: string, cause: unknown): Promise<void> {
  const failed = `${dataDir}.failed-${process.pid}-${Date.now()}`
  try {
    await rt.stop()
    if (fs.existsSync(old)) { // else the first rename failed: the live folder never moved
      if (fs.existsSync(dataDir)) fs.renameSync(dataDir, failed)
      fs.renameSync(old, dataDir)
    }
    await rt.start()
  } catch (e) {
    throw failure(`loading failed (${(cause as Error).message}) and so did putting the old data back (${(e as Error).message})`,
      fs.existsSync(old) ? `the data from before the load is in ${old}: make down, then mv '${old}' '${dataDir}' and make up` : 'read the server log, then make up')
  }
  fs.rmSync(failed, { recursive: true, force: true })
}
