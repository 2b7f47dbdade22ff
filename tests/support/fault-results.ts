// The fault suite's records (tests/faults and the engine suites): every case, whatever happens to it,
// is written to one results file that scripts/reliability-report.ts turns into docs/reliability.md.
import fs from 'node:fs'
import { RELIABILITY_RESULTS } from '../../lib/paths.ts'

export interface CaseRecord {
  /** Unique across the suite; a re-run replaces the record of the same name. */
  name: string
  operation: string
  fault: string
  point: string
  expected: string
  outcome: string
  /** null: the case failed before the data could be judged. */
  dataLost: boolean | null
  passed: boolean
  ms: number
  at: string
}

/** Where the results go; tests (never lib/) may take the path from the environment. */
export function resultsPath(): string {
  return process.env.DATAKEEP_RELIABILITY_RESULTS || RELIABILITY_RESULTS
}

export function recordCase(rec: CaseRecord, file = resultsPath()): void {
  // test files run two at a time (tests/run.ts): the read-modify-write holds a lock folder
  const lock = `${file}.lock`
  for (let i = 0; ; i++) {
    try { fs.mkdirSync(lock); break } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
      // a holder that died long ago (kill -9 of a test process) does not block the suite
      if (i > 500 && Date.now() - fs.statSync(lock).mtimeMs > 10_000) { fs.rmSync(lock, { recursive: true, force: true }); continue }
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10)
    }
  }
  try {
    let cases: CaseRecord[] = []
    try { cases = (JSON.parse(fs.readFileSync(file, 'utf8')) as { cases: CaseRecord[] }).cases ?? [] } catch { /* first case */ }
    cases = cases.filter((c) => c.name !== rec.name).concat(rec)
    const tmp = `${file}.tmp-${process.pid}`
    fs.writeFileSync(tmp, JSON.stringify({ cases }, null, 2) + '\n')
    fs.renameSync(tmp, file)
  } finally {
    fs.rmSync(lock, { recursive: true, force: true })
  }
}

export interface CaseLog {
  /** Say whether data was lost as soon as it is known (before other assertions can fail). */
  lost(yes: boolean): void
}

/**
 * Runs one case and records it whatever happens. `fn` returns the outcome in words; a thrown
 * assertion is recorded as a failure (and rethrown so uvu reports it).
 */
export async function faultCase(meta: Pick<CaseRecord, 'name' | 'operation' | 'fault' | 'point' | 'expected'>,
  fn: (log: CaseLog) => Promise<string>): Promise<void> {
  const t0 = Date.now()
  let dataLost: boolean | null = null
  const log: CaseLog = { lost: (yes) => { dataLost = yes } }
  try {
    const outcome = await fn(log)
    recordCase({ ...meta, outcome, dataLost: dataLost ?? false, passed: true, ms: Date.now() - t0, at: new Date().toISOString() })
  } catch (e) {
    const msg = (e as Error).message.split('\n')[0]
    recordCase({ ...meta, outcome: msg, dataLost, passed: false, ms: Date.now() - t0, at: new Date().toISOString() })
    throw e
  }
}
