// Messages a new user met on sakila (issue 12, item 6): how to connect, what was last loaded, progress
// within its total and "1 row", a copied snapshot folder, data_list around a damaged entry, --name "",
// nothing printed after "cleaning up", views counted apart from tables, the fault results' place.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { suite } from './support/uvu.ts'
import * as assert from 'uvu/assert'
import { RELIABILITY_RESULTS } from '../lib/paths.ts'
import { itemLine } from '../lib/progress.ts'
import { resultsPath } from './support/fault-results.ts'
import { sakilaStack } from './support/sakila.ts'
import { lastLine, REPO, runScript, spawnScript, type TestStack } from './support/stack.ts'

const t = suite('messages', { stack: null as unknown as TestStack })

t.before(async (ctx) => {
  ctx.stack = await sakilaStack()
  await ctx.stack.db(async (db) => {
    await db.query('CREATE TABLE one_row (id INT PRIMARY KEY)')
    await db.query('INSERT INTO one_row VALUES (1)')
  })
})
t.after(async (ctx) => { await ctx.stack?.destroy() })

const backups = (stack: TestStack) => path.join(stack.dir, 'data/backups')

t('status says how to connect: host, port, socket, users and where each password is set, never the password', async ({ stack }) => {
  fs.writeFileSync(path.join(stack.dir, '.env'), 'MYSQL_PASSWORD=app-secret-in-env\n')
  try {
    const r = await runScript(stack, 'status')
    assert.is(r.code, 0, r.stderr)
    const lines = r.stdout.split('\n')
    const at = lines.findIndex((l) => l.startsWith('connect:'))
    assert.is(lines[at], `connect:   host 127.0.0.1, port ${stack.cfg.MYSQL_PORT}, socket ${stack.rt.paths.socket}, database sakila`)
    assert.is(lines[at + 1], '           user app, password MYSQL_PASSWORD (in .env); user root, password MYSQL_ROOT_PASSWORD (in the environment)')
    const j = await runScript(stack, 'status', ['--json'])
    assert.equal(JSON.parse(j.stdout).connect, {
      host: '127.0.0.1', port: stack.cfg.MYSQL_PORT, socket: stack.rt.paths.socket, database: 'sakila',
      users: [{ user: 'app', password: 'MYSQL_PASSWORD (in .env)' }, { user: 'root', password: 'MYSQL_ROOT_PASSWORD (in the environment)' }],
    })
    for (const out of [r.stdout + r.stderr, j.stdout + j.stderr]) {
      assert.not.match(out, 'app-secret-in-env')
      assert.not.match(out, stack.env.MYSQL_ROOT_PASSWORD)
    }
  } finally {
    fs.rmSync(path.join(stack.dir, '.env'))
  }
})

t('check counts views apart from tables; "1 row", not "1 rows"', async ({ stack }) => {
  const r = await runScript(stack, 'check')
  assert.match(r.stdout, /^database: {2}sakila, 17 tables, 7 views, \d+ rows$/m)
  assert.match(r.stdout, /^one_row +table +1$/m)
})

t('dump progress: "1 row", and the done count never above the total shown', async ({ stack }) => {
  const r = await runScript(stack, 'data-dump', ['--name', 's1'])
  assert.is(r.code, 0, r.stderr)
  assert.match(r.stderr, /^ {2}one_row: 1 row[ ,]/m)
  assert.not.match(r.stderr, /\b1 rows\b/)
  const counts = [...r.stderr.matchAll(/\((\d+)\/(\d+) rows,/g)]
  assert.ok(counts.length >= 17, r.stderr)
  for (const [, done, total] of counts) assert.ok(Number(done) <= Number(total), `${done}/${total}`)
  // the reported case: InnoDB's estimate (the total) below the rows really dumped
  assert.is(itemLine('rental', 16044, 0, 26330, 26256, 1.25), '  rental: 16044 rows (26330/26330 rows, 1.3 s)')
  assert.is(itemLine('one_row', 1, 0, 5, 10, 0), '  one_row: 1 row (5/10 rows, 0.0 s)')
})

t('after data_load s1, check and up say "loaded from snapshot s1 at <time>"', async ({ stack }) => {
  const load = await runScript(stack, 'data-load', ['--name', 's1', '--no-safety'])
  assert.is(load.code, 0, load.stderr)
  const check = await runScript(stack, 'check')
  assert.match(check.stdout, /^marker: {4}loaded from snapshot s1 at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/m)
  const up = await runScript(stack, 'up')
  assert.is(up.code, 0, up.stderr)
  assert.match(up.stderr, /\(loaded from snapshot s1 at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\)/)
})

t('a copied snapshot folder is its own snapshot: data_load t4 says "loaded snapshot t4", not the s1 it copies', async ({ stack }) => {
  fs.cpSync(path.join(backups(stack), 's1'), path.join(backups(stack), 't4'), { recursive: true })
  const r = await runScript(stack, 'data-load', ['--name', 't4', '--no-safety'])
  assert.is(r.code, 0, r.stderr)
  assert.match(lastLine(r.stderr), /^done: loaded snapshot t4 into sakila: /)
  assert.not.match(r.stderr, /\bs1\b/)
  assert.match((await runScript(stack, 'check')).stdout, /^marker: {4}loaded from snapshot t4 at /m)
  const list = JSON.parse((await runScript(stack, 'data-list', ['--json'])).stdout) as { name: string; error: string | null }[]
  assert.equal(list.map((s) => [s.name, s.error]).sort(), [['s1', null], ['t4', null]])
})

t('data_list keeps its columns aligned around a damaged entry and says what is wrong below the table', async ({ stack }) => {
  fs.cpSync(path.join(backups(stack), 's1'), path.join(backups(stack), 'broken'), { recursive: true })
  fs.writeFileSync(path.join(backups(stack), 'broken/manifest.json'), '{ not json')
  const r = await runScript(stack, 'data-list')
  assert.is(r.code, 0, r.stderr)
  const lines = r.stdout.split('\n')
  const sep = lines[1]
  assert.match(sep, /^-+( +-+)+$/)
  const spans = [...sep.matchAll(/-+/g)].map((m) => ({ start: m.index!, end: m.index! + m[0].length }))
  const names = lines[0].split(/ +/)
  const rows = lines.slice(2, lines.indexOf(''))
  assert.equal(rows.map((l) => l.split(' ')[0]).sort(), ['broken', 's1', 't4'])
  for (const l of rows) {
    spans.forEach(({ start, end }, i) => {
      if (l.length <= start) return // an empty cell at the end of the line (trimmed)
      assert.ok(l.length <= end || l[end] === ' ', `the ${names[i]} cell ends at its column: ${JSON.stringify(l)}`)
      assert.ok(start === 0 || l[start - 1] === ' ', `the ${names[i]} cell starts at its column: ${JSON.stringify(l)}`)
      // numbers (and "-" for a damaged entry's) end at the column's right edge
      if (names[i] === 'tables' || names[i] === 'rows') assert.match(l.slice(start, end), /^ *(\d+|-)$/, `${names[i]}: ${JSON.stringify(l)}`)
    })
  }
  const below = lines.slice(lines.indexOf('') + 1).filter(Boolean)
  assert.equal(below, [
    'damaged: broken: manifest.json is unreadable (Expected property name or \'}\' in JSON at position 2)',
  ])
})

t('--name "" gets the same message from data_dump and data_load', async ({ stack }) => {
  const dump = await runScript(stack, 'data-dump', ['--name', ''])
  const load = await runScript(stack, 'data-load', ['--name', ''])
  assert.is(dump.code, 2)
  assert.is(load.code, 2)
  assert.is(lastLine(dump.stderr), lastLine(load.stderr))
  assert.match(lastLine(load.stderr), /^datakeep: invalid snapshot name "": names are letters/)
})

t('Ctrl-C during a dump: no progress line after "interrupted; cleaning up"', async ({ stack }) => {
  const seen: string[] = []
  for (let attempt = 0; attempt < 3; attempt++) {
    // --full: every table written (unchanged ones would be shared with s1 in no time, nothing to interrupt)
    const child = spawnScript(stack, 'data-dump', ['--name', `int${attempt}`, '--full'])
    let stderr = ''
    let sent = false
    child.stderr!.on('data', (d) => {
      stderr += d
      if (!sent && /^ {2}\S+: \d+ rows? /m.test(stderr)) { sent = true; child.kill('SIGINT') }
    })
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)))
    seen.push(`exit ${code}: ${lastLine(stderr)}`)
    if (code !== 130) continue // the dump finished before the signal: try again
    const after = stderr.slice(stderr.indexOf('cleaning up'))
    assert.not.match(after, /^ {2}\S+: \d+ rows? /m, stderr)
    assert.match(lastLine(stderr), /^datakeep: interrupted \(SIGINT\)/)
    return
  }
  assert.unreachable(`no dump was interrupted in 3 tries: ${seen.join(' | ')}`)
})

t('the fault suite\'s results live in this checkout, ignored by git, not a fixed file in /tmp', () => {
  const saved = process.env.DATAKEEP_RELIABILITY_RESULTS
  delete process.env.DATAKEEP_RELIABILITY_RESULTS
  try { assert.is(resultsPath(), RELIABILITY_RESULTS) } finally { if (saved !== undefined) process.env.DATAKEEP_RELIABILITY_RESULTS = saved }
  assert.ok(RELIABILITY_RESULTS.startsWith(REPO), RELIABILITY_RESULTS)
  const ignored = spawnSync('git', ['check-ignore', '-q', path.relative(REPO, RELIABILITY_RESULTS)], { cwd: REPO })
  assert.is(ignored.status, 0, 'git ignores the results file')
})

t.run()
