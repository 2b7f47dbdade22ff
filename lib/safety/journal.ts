// The undo journal: each destructive operation records, before it changes anything, which snapshot
// holds the state before it (a safety snapshot just taken, or an existing one that already held
// exactly that state) and what it was. `undo` follows the newest record, never "the newest safety
// snapshot", and is recorded itself, so a second undo returns to where the first one started.
import fs from 'node:fs'
import path from 'node:path'
import type { Config } from '../config.ts'
import { backupModes } from '../snapshot/private.ts'
import { backupRoot } from '../snapshot/names.ts'

export interface JournalEntry {
  /** the operation (data_load, seed_data, INIT_CLEAN, undo, ...) */
  operation: string
  /** the command as the user typed it, when known */
  command?: string
  /** when it started (ISO time) */
  at: string
  /** the snapshot that holds the state before it; null when none does */
  before: string | null
  /** why there is none (empty database, --no-safety), or how the snapshot was chosen */
  reason: string
  /** false until the operation succeeded: a failed one changed nothing, and undo passes over it */
  done?: boolean
}

const KEEP = 50

export function journalPath(cfg: Config): string {
  return path.join(backupRoot(cfg), '_journal.json')
}

export function readJournal(cfg: Config): JournalEntry[] {
  const file = journalPath(cfg)
  if (!fs.existsSync(file)) return []
  try {
    const doc = JSON.parse(fs.readFileSync(file, 'utf8')) as { entries?: JournalEntry[] }
    return Array.isArray(doc.entries) ? doc.entries : []
  } catch {
    return [] // a damaged journal is replaced by the next record; undo then says there is nothing to follow
  }
}

/** Appends a record: written to a temporary name (owner-only, like every file beside the snapshots) and renamed. */
export function recordOperation(cfg: Config, entry: JournalEntry): void {
  write(cfg, [...readJournal(cfg), entry])
}

function write(cfg: Config, entries: JournalEntry[]): void {
  const file = journalPath(cfg)
  const modes = backupModes(cfg)
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: modes.dir })
  const tmp = `${file}.tmp-${process.pid}`
  fs.writeFileSync(tmp, JSON.stringify({ entries: entries.slice(-KEEP) }, null, 2) + '\n', { mode: modes.file })
  fs.renameSync(tmp, file)
}

/** The operation recorded last by this process succeeded: undo may now follow its record. */
export function markDone(cfg: Config): void {
  const entries = readJournal(cfg)
  const last = entries[entries.length - 1]
  if (!last || last.done !== false) return
  last.done = true
  write(cfg, entries)
}

/** The newest record of an operation that took effect: what undo restores. */
export function lastOperation(cfg: Config): JournalEntry | null {
  return [...readJournal(cfg)].reverse().find((e) => e.done !== false) ?? null
}
