// Fault injection for the reliability suite (tests/faults): run a real script, wait for a point
// observed from outside (tests/support/fault-points.ts), hit it with a signal, then judge what is
// left. Every case is recorded for scripts/reliability-report.ts (tests/support/fault-results.ts).
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import * as assert from 'uvu/assert'
import type { Config } from '../../lib/config.ts'
import { verifySnapshot } from '../../lib/snapshot/catalog.ts'
import { leftovers, leftoversWith } from './fault-points.ts'
import { faultCase } from './fault-results.ts'
import { fingerprint, type Fingerprint } from './fingerprint.ts'
import { lastLine, runScript, spawnScript, type ScriptResult, type TestStack } from './stack.ts'

/** What the engine-neutral part of the harness needs of a test project (a MariaDB TestStack or a PostgreSQL one). */
export interface FaultStack { dir: string; env: Record<string, string>; cfg: Config }

// ---- hitting a point ----------------------------------------------------------------------

export interface Hit { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; hit: boolean; ms: number }

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/**
 * Starts scripts/<name>.ts, polls `at` every 10 ms and sends `signal` the first time it holds
 * (null: `at` itself did the harm, e.g. killed the server); `afterSignal` then runs (e.g. lets a
 * held table go). Resolves when the script has exited.
 */
export async function interruptAt(stack: FaultStack, name: string, args: string[], opts: {
  signal: NodeJS.Signals | null; at: () => boolean | Promise<boolean>; env?: Record<string, string>; afterSignal?: () => Promise<void>
}): Promise<Hit> {
  const t0 = Date.now()
  const child = spawnScript(stack, name, args, opts.env)
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (d) => { stdout += d })
  child.stderr!.on('data', (d) => { stderr += d })
  let exited = false
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => { exited = true; resolve({ code, signal }) }))
  let hit = false
  while (!exited && !hit) {
    if (await opts.at()) {
      hit = !exited && (opts.signal === null || child.kill(opts.signal))
      if (hit) await opts.afterSignal?.()
      break
    }
    await sleep(10)
  }
  const { code, signal } = await closed
  return { code, signal, stdout, stderr, hit, ms: Date.now() - t0 }
}

// ---- judging ------------------------------------------------------------------------------

/** A world's leftovers: its engine's temporary databases (default: MariaDB's folders in the data directory). */
async function worldLeftovers(w: World<FaultStack>): Promise<string[]> {
  return w.tempDatabases ? leftoversWith(w.stack, await w.tempDatabases()) : leftovers(w.stack as TestStack)
}

/** Which known state a world's live database is in (its engine's fingerprint; default MariaDB's), or null. */
export async function worldState(w: World<FaultStack>): Promise<string | null> {
  if (!w.read) return stateOf(w.stack as TestStack, w.database, w.known, w.files)
  const fp = await w.read().catch(() => null)
  return fp ? matchState(w.stack, fp, w.known, w.files) : null
}

/** Which of the known states the live database is in, or null: a mix, or data lost. */
export async function stateOf(stack: TestStack, database: string, known: Record<string, Fingerprint>,
  files: Record<string, string> = {}): Promise<string | null> {
  // a half-done swap can leave a view that no longer reads: that, too, is a mix
  const fp = await stack.db((db) => fingerprint(db, database), null).catch(() => null)
  return fp ? matchState(stack, fp, known, files) : null
}

function matchState(stack: FaultStack, fp: Fingerprint, known: Record<string, Fingerprint>, files: Record<string, string> = {}): string | null {
  for (const [name, k] of Object.entries(known)) {
    try { assert.equal(comparable(fp), comparable(k)) } catch { continue /* not this one */ }
    // the uploaded files belong to the same state as the database, or it is a mix
    if (files[name] !== undefined && storageText(stack) !== files[name]) return null
    return name
  }
  return null
}

/** The fault world's one uploaded file, as the live storage folder holds it ('' when missing). */
function storageText(stack: FaultStack): string {
  try { return fs.readFileSync(path.join(stack.dir, 'data/storage/upload.txt'), 'utf8') } catch { return '' }
}

/** schema_migrations records when each migration ran (a rebuilt _init has new times): rows count, not times. */
function comparable(fp: Fingerprint): Fingerprint {
  const m = fp.tables.schema_migrations
  return m ? { ...fp, tables: { ...fp.tables, schema_migrations: { ...m, checksum: '(times differ)' } } } : fp
}

/**
 * The snapshots named that no longer verify. Per case this runs data-verify's own check in this
 * process (a spawn costs a second); `spawned` runs the real `data-verify --name x` scripts.
 */
export async function unverified(stack: FaultStack, names: string[], spawned = false): Promise<string[]> {
  if (spawned) {
    const rs = await Promise.all(names.map((n) => runScript(stack, 'data-verify', ['--name', n])))
    return names.filter((_, i) => rs[i].code !== 0)
  }
  const bad: string[] = []
  for (const n of names) {
    const problems = await verifySnapshot(stack.cfg, null, n, false).catch((e: Error) => [e.message])
    if (problems.length) bad.push(`${n}: ${problems.join('; ')}`)
  }
  return bad
}

// ---- data ---------------------------------------------------------------------------------

/**
 * The application schema of the fault suite: a big table (so points can be hit), a small one with
 * a trigger, a view and a routine (so a half-done swap that loses them shows).
 */
export function appSchemaSql(): string {
  return `CREATE TABLE big (id INT PRIMARY KEY AUTO_INCREMENT, pad VARCHAR(120) NOT NULL) ENGINE=InnoDB;
CREATE TABLE note (id INT PRIMARY KEY AUTO_INCREMENT, body VARCHAR(200) NOT NULL, n INT NOT NULL DEFAULT 0) ENGINE=InnoDB;
CREATE TRIGGER note_bi BEFORE INSERT ON note FOR EACH ROW SET NEW.n = CHAR_LENGTH(NEW.body);
CREATE VIEW note_count AS SELECT COUNT(*) AS notes FROM note;
CREATE FUNCTION big_rows() RETURNS INT READS SQL DATA RETURN (SELECT COUNT(*) FROM big);`
}

/**
 * Fills `big` with `rows` rows whose content depends on `salt` (so states differ in every page).
 * INSERT ... SELECT reserves AUTO_INCREMENT values ahead, which a server restart forgets: the
 * counter is set back to the next id so it means the same before and after a crash.
 */
export function fillSql(rows: number, salt: string): string {
  return `INSERT INTO big (pad) SELECT REPEAT(MD5(CONCAT('${salt}', seq)), 3) FROM seq_1_to_${rows};
INSERT INTO note (body) VALUES ('${salt} one'), ('${salt} two');
ALTER TABLE big AUTO_INCREMENT = 1;`
}

/** The rows the fault suite uses: a load's data phase then lasts most of a second, long enough to hit with 10 ms polling. */
export const ROWS = 300_000

/** The bytes of a loading table's file that mean "mid-data": `big` ends near 50 MB, and starts at 9. */
export const MID_BYTES = 20 << 20

export function lastLines(text: string, n = 3): string {
  return text.trim().split('\n').filter(Boolean).slice(-n).join(' | ')
}

// ---- one interrupted operation, judged --------------------------------------------------

/** What a fault file knows: the live database's possible states and the snapshots that must survive. */
export interface World<S extends FaultStack = TestStack> {
  stack: S
  database: string
  known: Record<string, Fingerprint>
  snapshots: string[]
  /** The state the live database is in now (a key of `known`). */
  current: string
  /** Per state, the uploaded file it holds: database and files must always be of one state. */
  files?: Record<string, string>
  /** The live database's fingerprint on this engine (default: MariaDB's, tests/support/fingerprint.ts). */
  read?: () => Promise<Fingerprint>
  /** datakeep's temporary databases on the server (default: MariaDB's folders in the data directory). */
  tempDatabases?: () => Promise<string[]>
}

export interface Interruption {
  operation: string
  script: string
  args: string[]
  env?: Record<string, string>
  signal: 'SIGKILL' | 'SIGINT' | 'SIGTERM'
  point: string
  at: () => boolean | Promise<boolean>
  afterSignal?: () => Promise<void>
  /** The state the operation would reach if it completed. */
  target: string
  /** More to assert at the end (what the operation must not have left or changed); says what held. */
  check?: () => Promise<string>
}

const FAULT = { SIGKILL: 'kill -9', SIGINT: 'SIGINT (Ctrl-C)', SIGTERM: 'SIGTERM' } as const

/**
 * Runs `x` to its point, interrupts it and asserts the rules: the live database is as before or
 * wholly the target (never a mix), every snapshot verifies. A signal the script can catch: exit
 * 130, one clear last line, nothing left behind (no temp folders or databases, lock released).
 * kill -9 cannot be caught, and the server has no transactional DDL: what the killed process left
 * is judged after the next `make initialize` (what one runs after a crash, and it changes no data
 * here), which must settle it, say so, and leave the live database as before or wholly the target.
 */
export async function interruptCase(w: World<FaultStack>, x: Interruption): Promise<void> {
  const before = w.current
  const fault = FAULT[x.signal]
  const live = before === x.target ? `live unchanged (${before})` : `live = ${before} or ${x.target}`
  const expected = x.signal === 'SIGKILL'
    ? `${live} once the next make initialize has settled the debris (which it reports); snapshots verify`
    : `exit 130; ${live}; no temp files, staging databases or lock left; snapshots verify`
  await faultCase({ name: `${x.operation} ${fault} ${x.point}`, operation: x.operation, fault, point: x.point, expected }, async (log) => {
    const r = await interruptAt(w.stack, x.script, x.args, { signal: x.signal, at: x.at, env: x.env, afterSignal: x.afterSignal })
    assert.ok(r.hit, `${x.script} ended (exit ${r.code}) before reaching "${x.point}": ${lastLines(r.stderr)}`)
    let outcome = ''
    if (x.signal === 'SIGKILL') {
      assert.is(r.signal, 'SIGKILL')
      const raw = await worldState(w)
      const debris = await worldLeftovers(w)
      outcome = `killed after ${(r.ms / 1000).toFixed(1)} s (live right then: ${raw ?? 'between the swap\'s steps'}); `
        + `${debris.length} leftover${debris.length === 1 ? '' : 's'}, ` + await settle(w, debris)
    } else {
      assert.is(r.code, 130, `exit code (stderr: ${lastLines(r.stderr)})`)
      const last = lastLine(r.stderr)
      const said = /^datakeep: interrupted \(SIG[A-Z]+\)(; cleaned up| before the swap: nothing changed| after the swap: snapshot (\S+) is loaded)$/.exec(last)
      assert.ok(said, `the last line: ${last}`)
      // a load says which state it left, and that must be the state found
      if (said![1].startsWith(' before')) assert.is(await worldState(w), before, 'said: before the swap')
      if (said![2]) assert.is(await worldState(w), x.target, `said: after the swap (snapshot ${said![2]})`)
      assert.equal(await worldLeftovers(w), [], 'left behind')
      outcome = `exit 130 after ${(r.ms / 1000).toFixed(1)} s (${said![1].replace(/^[; ]+/, '')}), nothing left behind`
    }
    const state = await worldState(w)
    log.lost(state === null)
    assert.ok(state !== null, `the live database is neither ${before} nor ${x.target}: a mix`)
    assert.ok([before, x.target].includes(state!), `the live database became ${state}`)
    w.current = state!
    const bad = await unverified(w.stack, w.snapshots)
    if (bad.length) log.lost(true)
    assert.equal(bad, [], 'snapshots that no longer verify')
    const more = x.check ? `; ${await x.check()}` : ''
    return `${outcome}; live = ${state}; ${w.snapshots.length} snapshots verify${more}`
  })
}

/** The next `make initialize` after a kill -9: it must report every piece of debris and remove it. */
async function settle(w: World<FaultStack>, debris: string[]): Promise<string> {
  const r: ScriptResult = await runScript(w.stack, 'initialize', [])
  assert.is(r.code, 0, `the next initialize failed: ${lastLines(r.stderr)}`)
  for (const d of debris.filter((x) => x !== 'data/datakeep.lock')) {
    assert.match(r.stderr, d.startsWith('database ') ? d : path.basename(d), `the next initialize did not report ${d}`)
  }
  assert.equal(await worldLeftovers(w), [], 'left behind after the next initialize')
  const swap = /(finished|undid) the interrupted swap/.exec(r.stderr)
  return `the next initialize removed ${debris.length === 1 ? 'it' : 'them'}${swap ? ` and ${swap[1]} the swap` : ''}`
}

export async function sqlIn(stack: TestStack, statements: string, database = 'app'): Promise<void> {
  await stack.db(async (db) => {
    // one statement at a time: the connection does not allow multiple statements
    for (const s of splitSql(statements)) await db.query(s)
  }, database)
}

/** Splits the suite's own simple SQL (no semicolons inside strings or bodies) into statements. */
function splitSql(text: string): string[] {
  return text.split(/;\s*/).map((s) => s.trim()).filter(Boolean)
}

export async function dumpOk(stack: FaultStack, name: string, env: Record<string, string> = {}): Promise<void> {
  const r = await runScript(stack, 'data-dump', ['--name', name, '--force'], env)
  if (r.code !== 0) throw new Error(`data-dump ${name}: ${lastLines(r.stderr)}`)
}

/**
 * A PATH in which `cmd` first marks that it was called, then sleeps before running the real one:
 * the moment an operation reaches that command becomes a point the test can see and hit.
 */
export function slowCommand(stack: FaultStack, cmd: string, seconds: number): { env: Record<string, string>; called: () => boolean } {
  const real = (stack.env.PATH ?? '').split(':').map((d) => path.join(d, cmd)).find((p) => fs.existsSync(p))
  if (!real) throw new Error(`${cmd} is not on PATH`)
  const dir = path.join(stack.dir, `.slow-${cmd}`)
  const mark = path.join(dir, 'called')
  fs.mkdirSync(dir, { recursive: true })
  fs.rmSync(mark, { force: true })
  fs.writeFileSync(path.join(dir, cmd), `#!/bin/sh\ntouch '${mark}'\nsleep ${seconds}\nexec '${real}' "$@"\n`, { mode: 0o755 })
  return { env: { PATH: `${dir}:${stack.env.PATH}` }, called: () => fs.existsSync(mark) }
}

/** A pid no process has: one that has just exited. */
export function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', ''])
  return r.pid
}

/** Puts the live database back in state `a` (a complete load), when a case left it elsewhere. */
export async function backToA(w: World<FaultStack>): Promise<void> {
  if (w.current === 'a') return
  const r = await runScript(w.stack, 'data-load', ['--name', 'a'])
  if (r.code !== 0) throw new Error(`data-load a: ${lastLines(r.stderr)}`)
  w.current = 'a'
}
