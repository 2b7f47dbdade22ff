// The database server crashing in the middle of a load, on each engine: MariaDB's server killed
// (kill -9 of mysqld, then restarted), PostgreSQL's backend writing the rows killed (PostgreSQL
// then ends every session and recovers by itself). The live database is as before the load,
// every snapshot verifies, and the next load works and removes what the crashed one left.
import fs from 'node:fs'
import * as assert from 'uvu/assert'
import { pgQuery } from '../../lib/engines/postgres/db.ts'
import { ENGINE_CASES, type AnyStack } from '../support/engine-cases.ts'
import { interruptAt, lastLines, unverified, worldState } from '../support/faults.ts'
import { faultCase } from '../support/fault-results.ts'
import { faultSuite } from '../support/fault-suite.ts'
import { twoStates } from '../support/fault-worlds.ts'
import type { PgTestStack } from '../support/pg-stack.ts'
import { lastLine, runScript, type TestStack } from '../support/stack.ts'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** The load's last line on every engine. */
const GONE = /^datakeep: the database server went away during the load \(.+\); the live database was not changed; start it \(make up\), then run the load again$/

/** Per engine: the crash (true once done) and how the server comes back. */
const CRASH: Record<string, { fault: string; crash(stack: AnyStack): Promise<boolean>; recover(stack: AnyStack): Promise<string> }> = {
  MariaDB: {
    fault: 'database server kill -9',
    crash: async (stack) => {
      process.kill(Number(fs.readFileSync((stack as TestStack).rt.paths.pidFile, 'utf8').trim()), 'SIGKILL')
      return true
    },
    recover: async (stack) => { await (stack as TestStack).rt.start(); return 'after a restart' },
  },
  PostgreSQL: {
    fault: 'database backend kill -9 (crash recovery)',
    crash: async (stack) => {
      const rows = await (stack as PgTestStack).pg((c) => pgQuery<{ pid: number }>(c,
        "SELECT pid FROM pg_stat_activity WHERE datname LIKE '\\_dk\\_stage\\_%' AND query LIKE 'COPY %FROM STDIN%' AND state = 'active'"), null)
      if (!rows[0]) return false
      process.kill(rows[0].pid, 'SIGKILL')
      return true
    },
    recover: async (stack) => {
      for (let i = 0; i < 200; i++) {
        if (await (stack as PgTestStack).pg((c) => c.query('SELECT 1'), null).then(() => true, () => false)) return 'after its crash recovery'
        await sleep(100)
      }
      throw new Error('the server did not come back after its crash recovery')
    },
  },
}

for (const [engine, c] of Object.entries(ENGINE_CASES)) {
  const t = faultSuite(`faults: server crash on ${engine}`, c, twoStates)
  const k = CRASH[engine]

  t('the server crashes mid-load: live as before, the next load works', async ({ w, stack }) => {
    await faultCase({
      ...c.record('data_load server killed mid-data', 'data_load'), fault: k.fault, point: 'mid-data',
      expected: 'exit 1 with a clear line; once the server is back live = b (as before); snapshots verify; the next load works and removes the debris',
    }, async (log) => {
      // the load is the process watched; the kill goes to the server it talks to
      let killed = false
      const r = await interruptAt(stack, 'data-load', ['--name', 'a'], {
        signal: null,
        at: async () => {
          if (killed || !await c.midData(stack)) return false
          killed = await k.crash(stack)
          return killed
        },
      })
      assert.ok(killed, `the load ended before the server could be killed: ${lastLines(r.stderr)}`)
      assert.is(r.code, 1, `exit code: ${lastLines(r.stderr)}`)
      const line = lastLine(r.stderr)
      assert.match(line, GONE)
      assert.not.match(r.stderr, /\n\s+at /, 'no stack trace')
      const back = await k.recover(stack)
      const state = await worldState(w)
      log.lost(state !== 'b')
      assert.is(state, 'b', 'the live database once the server is back')
      assert.equal(await unverified(stack, w.snapshots), [])
      // what the crashed load could not remove itself (the server was gone), the next run removes and names
      const debris = await c.tempDatabases(stack)
      const next = await runScript(stack, 'data-load', ['--name', 'a'])
      assert.is(next.code, 0, next.stderr)
      for (const d of debris) assert.match(next.stderr, `removed debris of an interrupted run: database ${d}`)
      assert.is(await worldState(w), 'a')
      w.current = 'a'
      assert.equal(await c.leftovers(stack), [])
      return `exit 1: "${line}"; ${back} live = b; the next load ${debris.length ? `removed ${debris.join(', ')} and ` : ''}loaded a`
    })
  })

  t.run()
}
