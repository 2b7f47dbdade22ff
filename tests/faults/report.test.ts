// scripts/reliability-report.ts: results file in, docs table out; the total of data lost is right,
// volatile parts are steadied, and a run with a failure or a loss exits 1.
import fs from 'node:fs'
import path from 'node:path'
import { test } from '../support/uvu.ts'
import * as assert from 'uvu/assert'
import type { CaseRecord } from '../support/fault-results.ts'
import { lastLine, runScript, tempDir } from '../support/stack.ts'

const dir = tempDir('datakeep-report-')
const project = { dir, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', CI: 'true' } }
test.after(() => { fs.rmSync(dir, { recursive: true, force: true }) })

const base: CaseRecord = {
  name: 'x', operation: 'data_load', fault: 'kill -9', point: 'early', expected: 'live = a or b',
  outcome: 'ok', dataLost: false, passed: true, ms: 10, at: '2026-01-02T03:04:05.000Z',
}

async function report(cases: CaseRecord[]) {
  const results = path.join(dir, 'results.json')
  const out = path.join(dir, 'reliability.md')
  fs.writeFileSync(results, JSON.stringify({ cases }))
  fs.rmSync(out, { force: true })
  const r = await runScript(project, 'reliability-report', ['--results', results, '--out', out])
  return { ...r, doc: fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : '' }
}

test('every case is a row; the totals say data lost: 0', async () => {
  const r = await report([
    { ...base, name: 'one', outcome: 'exit 1: "no space left on /tmp/datakeep-test-AbC123/small-disk | x"' },
    { ...base, name: 'two', operation: 'data_dump', outcome: 'refused: (pid 4242) since 2026-11-21T11:24:47.333Z; kill 4242' },
    { ...base, name: 'three', operation: 'data_dump (PostgreSQL)' },
  ])
  assert.is(r.code, 0, r.stderr)
  assert.is(lastLine(r.stderr), `done: wrote ${path.join(dir, 'reliability.md')}: 3 cases, all passed, data lost: 0`)
  assert.match(r.doc, '**3 cases (1 on PostgreSQL, 2 on MariaDB), 3 passed, 0 failed. Data lost: 0.**')
  assert.match(r.doc, '| data_dump | kill -9 | early | live = a or b | refused: (pid N) since <time>; kill N | no |')
  assert.match(r.doc, '| data_load | kill -9 | early | live = a or b | exit 1: "no space left on <project>/small-disk \\| x" | no |')
  assert.ok(r.doc.indexOf('| data_dump |') < r.doc.indexOf('| data_load |'), 'grouped by operation')
})

test('a failed case or a loss is shown and makes the report exit 1', async () => {
  const r = await report([{ ...base, name: 'a' }, { ...base, name: 'b', passed: false, dataLost: true, outcome: 'the live database is a mix' }])
  assert.is(r.code, 1)
  assert.match(lastLine(r.stderr), /2 cases, 1 failed, data lost in 1; fix the failing cases/)
  assert.match(r.doc, 'Data lost: 1.**')
  assert.match(r.doc, '| **FAILED** the live database is a mix | **yes** |')
})

test('no results: exit 2 with the command that makes them', async () => {
  const r = await runScript(project, 'reliability-report', ['--results', path.join(dir, 'none.json'), '--out', path.join(dir, 'x.md')])
  assert.is(r.code, 2)
  assert.is(lastLine(r.stderr), `datakeep: no fault-suite results at ${path.join(dir, 'none.json')}; run the fault suite first: make test ARGS=faults`)
})

test.run()
