// One error path: library code throws, main() prints once and sets the exit code.
import { redact } from './redact.ts'
import { isVerbose } from './log.ts'

export const EXIT = { ok: 0, failed: 1, misuse: 2, interrupted: 130 } as const

/** An error the user can act on: `message` says what happened, `hint` the exact next command. */
export class UserError extends Error {
  readonly hint?: string
  readonly exitCode: number
  constructor(message: string, opts: { hint?: string; exitCode?: number } = {}) {
    super(message)
    this.name = 'UserError'
    this.hint = opts.hint
    this.exitCode = opts.exitCode ?? EXIT.misuse
  }
}

/** --help: not an error; main() prints the usage to stdout and exits 0. */
export class HelpRequested extends Error {
  constructor(readonly usage: string) { super(usage) }
}

/** An operation that failed for a reason outside the user's input (exit 1). */
export function failure(message: string, hint?: string): UserError {
  return new UserError(message, { hint, exitCode: EXIT.failed })
}

/** The single line printed for an error: what happened, then the fix. */
export function errorLine(err: unknown): string {
  if (err instanceof UserError) {
    return redact(`datakeep: ${err.message}${err.hint ? `; ${err.hint}` : ''}`)
  }
  const e = err as { message?: string; code?: string }
  // mysql2 and node errors: keep their own words, the code helps search
  const code = e?.code && !String(e.message).includes(e.code) ? ` (${e.code})` : ''
  return redact(`datakeep: ${e?.message ?? String(err)}${code}`)
}

export function exitCodeOf(err: unknown): number {
  return err instanceof UserError ? err.exitCode : EXIT.failed
}

let signalled = false

/** True once SIGINT/SIGTERM reached main(): work still in flight stays quiet (no progress after "cleaning up"). */
export function interrupted(): boolean { return signalled }

/** A cleanup may return how the interrupted operation ended ("before the swap: nothing changed"). */
type Cleanup = () => Promise<void | string> | void | string
const cleanups = new Set<Cleanup>()

/** Work to undo if the process is interrupted (partial files, staging databases). */
export function onInterrupt(fn: Cleanup): () => void {
  cleanups.add(fn)
  return () => cleanups.delete(fn)
}

/** Runs the cleanups, newest first; returns what failed (best effort: the next run reports the debris). */
async function runCleanups(): Promise<{ failed: string[]; outcomes: string[] }> {
  const failed: string[] = []
  const outcomes: string[] = []
  for (const fn of [...cleanups].reverse()) {
    try {
      const said = await fn()
      if (typeof said === 'string') outcomes.push(said)
    } catch (e) { failed.push(redact(String((e as Error)?.message ?? e)).split('\n')[0]) }
  }
  cleanups.clear()
  return { failed, outcomes }
}

/**
 * The wrapper every script uses: runs `fn`, prints one line on error, sets process.exitCode.
 * SIGINT/SIGTERM run the registered cleanups and exit 130.
 */
export function main(fn: () => Promise<void>): void {
  let interrupted = false
  const onSignal = (sig: string) => {
    if (interrupted) return
    interrupted = true
    signalled = true
    process.stderr.write(`\ndatakeep: interrupted (${sig}); cleaning up\n`)
    // the work goes on while the cleanups run and may print: the last line says how it ended
    void runCleanups().then(({ failed, outcomes }) => {
      process.stderr.write(failed.length === 0
        ? (outcomes.length ? `datakeep: interrupted (${sig}) ${outcomes.join('; ')}\n` : `datakeep: interrupted (${sig}); cleaned up\n`)
        : `datakeep: interrupted (${sig}); ${failed.length} cleanup step${failed.length === 1 ? '' : 's'} failed (${failed[0]}): the next data operation removes what is left\n`)
      process.exit(EXIT.interrupted)
    })
  }
  process.on('SIGINT', () => onSignal('SIGINT'))
  process.on('SIGTERM', () => onSignal('SIGTERM'))
  // node ends a process whose event loop is empty even while the work still awaits something
  // that can no longer happen; that must not look like success (exit 0, no last line)
  let settled = false
  process.on('beforeExit', () => {
    if (settled || interrupted) return
    settled = true
    process.stderr.write('datakeep: internal error: the operation stopped before it finished (it waited for something that will not come); nothing after that point was done\n')
    process.exitCode = EXIT.failed
  })
  fn().finally(() => { settled = true }).then(
    () => { cleanups.clear() },
    async (err) => {
      if (interrupted) return
      if (err instanceof HelpRequested) { process.stdout.write(`usage: ${err.usage}\n`); return }
      await runCleanups()
      process.stderr.write(errorLine(err) + '\n')
      if (!(err instanceof UserError) && isVerbose() && err instanceof Error) {
        process.stderr.write(redact(String(err.stack)) + '\n')
      }
      process.exitCode = exitCodeOf(err)
    },
  )
}

/** A connection lost mid-load (the server stopped or crashed), on any engine, says so and what it means for the live data. */
export function serverGoneDuringLoad(e: unknown, swapBegun: boolean): Error | null {
  const err = e as { message?: string; code?: string }
  // MariaDB's client errors, and PostgreSQL's: a lost socket, or the server ending every session (57P01 shutdown, 57P02 crash of another backend, 57P03 recovering)
  if (!/ECONNRESET|EPIPE|PROTOCOL_CONNECTION_LOST|server has gone away|Lost connection|shutdown in progress|Connection terminated unexpectedly|57P0[123]/i.test(`${err?.message} ${err?.code ?? ''}`)) return null
  return swapBegun
    ? failure(`the database server went away during the swap (${err.message})`, 'start it (make up): that settles the interrupted swap (the live database is the old one or the snapshot, never a mix); then run the load again if needed')
    : failure(`the database server went away during the load (${err.message}); the live database was not changed`, 'start it (make up), then run the load again')
}
