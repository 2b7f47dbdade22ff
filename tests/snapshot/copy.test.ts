// data_copy and data_rename through the real scripts: the copy is complete, named in its
// manifest, verified and loadable; existing targets need --force; names follow data_dump's rules;
// a damaged source is refused; _init and safety snapshots keep their names.
import fs from 'node:fs'
import path from 'node:path'
import { suite } from '../support/uvu.ts'
import * as assert from 'uvu/assert'
import { query } from '../../lib/db.ts'
import { readManifest, writeManifest } from '../../lib/snapshot/manifest.ts'
import { deadPid } from '../support/faults.ts'
import { lastLine, makeStack, runScript, type TestStack } from '../support/stack.ts'

const t = suite('data_copy and data_rename', { stack: null as unknown as TestStack })

t.before(async (ctx) => {
  ctx.stack = await makeStack()
  await ctx.stack.db(async (db) => {
    await db.query('CREATE TABLE t1 (id INT PRIMARY KEY, v VARCHAR(20))')
    await db.query("INSERT INTO t1 VALUES (1, 'one'), (2, 'two'), (3, 'three')")
  })
  fs.mkdirSync(path.join(ctx.stack.dir, 'data/storage/img'), { recursive: true })
  fs.writeFileSync(path.join(ctx.stack.dir, 'data/storage/img/a.png'), 'png bytes')
  const r = await runScript(ctx.stack, 'data-dump', ['--name', 's1'])
  assert.is(r.code, 0, r.stderr)
})
t.after(async (ctx) => { await ctx.stack?.destroy() })

const snap = (stack: TestStack, name: string, ...p: string[]) => path.join(stack.dir, 'data/backups', name, ...p)
/** The backup folder's entries but datakeep's own (_binlog, _journal.json, _safety). */
const own = (stack: TestStack) => fs.readdirSync(path.join(stack.dir, 'data/backups')).filter((n) => !n.startsWith('_')).sort()
const rows = (stack: TestStack) => stack.db((db) => query<{ id: number; v: string }>(db, 'SELECT id, v FROM t1 ORDER BY id'))

t('data_copy makes a verified copy named in its manifest, files hard-linked; the source is untouched', async ({ stack }) => {
  const r = await runScript(stack, 'data-copy', ['--name', 's1', '--to', 'c1'])
  assert.is(r.code, 0, r.stderr)
  assert.match(lastLine(r.stderr), /^done: copied snapshot s1 to c1: \d+ files?, .+ \(all hard-linked\), verified, in \d+\.\d s$/)
  const m = readManifest(snap(stack, 'c1'))
  assert.is(m.name, 'c1')
  assert.equal(m.files, readManifest(snap(stack, 's1')).files)
  assert.is(readManifest(snap(stack, 's1')).name, 's1')
  const data = Object.keys(m.files)[0]
  assert.is(fs.statSync(snap(stack, 'c1', data)).ino, fs.statSync(snap(stack, 's1', data)).ino)
  for (const name of ['s1', 'c1']) {
    const v = await runScript(stack, 'data-verify', ['--name', name, '--deep'])
    assert.is(v.code, 0, v.stderr)
  }
  assert.equal(own(stack), ['c1', 's1'], 'no partial folder left')
})

t('an existing target is refused without --force (exit 2, nothing changed) and replaced with it', async ({ stack }) => {
  await stack.db((db) => db.query("UPDATE t1 SET v = 'changed' WHERE id = 1"))
  let r = await runScript(stack, 'data-dump', ['--name', 's2'])
  assert.is(r.code, 0, r.stderr)
  const before = fs.readFileSync(snap(stack, 'c1', 'manifest.json'), 'utf8')
  r = await runScript(stack, 'data-copy', ['--name', 's2', '--to', 'c1'])
  assert.is(r.code, 2)
  assert.is(lastLine(r.stderr), 'datakeep: snapshot "c1" already exists; nothing was changed; to replace it: make data_copy ARGS="--name s2 --to c1 --force"')
  assert.is(fs.readFileSync(snap(stack, 'c1', 'manifest.json'), 'utf8'), before)
  r = await runScript(stack, 'data-copy', ['--name', 's2', '--to', 'c1', '--force'])
  assert.is(r.code, 0, r.stderr)
  assert.match(lastLine(r.stderr), /^done: copied snapshot s2 to c1 \(replacing the old one\)/)
  assert.is(readManifest(snap(stack, 'c1')).schemaHash, readManifest(snap(stack, 's2')).schemaHash)
  r = await runScript(stack, 'data-load', ['--name', 'c1', '--no-safety'])
  assert.is(r.code, 0, r.stderr)
  assert.match(lastLine(r.stderr), /^done: loaded snapshot c1 into app/)
  assert.equal((await rows(stack))[0], { id: 1, v: 'changed' })
})

t('names follow data_dump\'s rules; the source must exist', async ({ stack }) => {
  const cases: [string[], string][] = [
    [['--name', 's1', '--to', '../x'], 'datakeep: invalid snapshot name "../x": names are letters, digits, ".", "_" and "-", at most 64 characters, not starting with "." or "-"'],
    [['--name', 's1', '--to', ''], 'datakeep: invalid snapshot name "": names are letters, digits, ".", "_" and "-", at most 64 characters, not starting with "." or "-"'],
    [['--name', 's1', '--to', '_mine'], 'datakeep: snapshot name "_mine" is reserved: names starting with "_" belong to datakeep (_init is the seed); pick a name without the leading "_"'],
    [['--name', 's1', '--to', 's1'], 'datakeep: --to names snapshot "s1" itself; pick another name: make data_copy ARGS="--name s1 --to <new-name>"'],
    [['--name', 's1'], 'datakeep: data_copy needs the new name; usage: make data_copy ARGS="--name s1 --to <new-name>"'],
    [['--name', 'nosuch', '--to', 'x'], `datakeep: snapshot "nosuch" does not exist in ${path.join(stack.dir, 'data/backups')}; available: c1, s1, s2`],
  ]
  for (const [args, line] of cases) {
    const r = await runScript(stack, 'data-copy', args)
    assert.is(r.code, 2, args.join(' '))
    assert.is(lastLine(r.stderr), line)
  }
  assert.equal(own(stack), ['c1', 's1', 's2'])
})

t('a damaged source is refused (exit 1) and no copy appears', async ({ stack }) => {
  fs.cpSync(snap(stack, 's1'), snap(stack, 'd1'), { recursive: true })
  writeManifest(snap(stack, 'd1'), { ...readManifest(snap(stack, 'd1')), name: 'd1' })
  const data = Object.keys(readManifest(snap(stack, 'd1')).files).find((f) => f.startsWith('data/'))!
  fs.truncateSync(snap(stack, 'd1', data), 3)
  const r = await runScript(stack, 'data-copy', ['--name', 'd1', '--to', 'd2'])
  assert.is(r.code, 1)
  assert.match(lastLine(r.stderr), /^datakeep: snapshot "d1" is damaged: .*truncated or altered\); nothing was copied; check it with: make data_verify ARGS="--name d1"$/)
  assert.not.ok(fs.readdirSync(path.join(stack.dir, 'data/backups')).some((n) => n.startsWith('d2')))
  removeFolder(snap(stack, 'd1'))
})

const removeFolder = (p: string) => fs.rmSync(p, { recursive: true, force: true })

t('data_rename: the new name holds a verified, loadable snapshot; the old name is gone', async ({ stack }) => {
  let r = await runScript(stack, 'data-rename', ['--name', 's1', '--to', 'r1'])
  assert.is(r.code, 0, r.stderr)
  assert.match(lastLine(r.stderr), /^done: renamed snapshot s1 to r1: \d+ files?, verified, in \d+\.\d s$/)
  assert.equal(own(stack), ['c1', 'r1', 's2'])
  assert.is(readManifest(snap(stack, 'r1')).name, 'r1')
  r = await runScript(stack, 'data-load', ['--name', 'r1', '--no-safety'])
  assert.is(r.code, 0, r.stderr)
  assert.match(lastLine(r.stderr), /^done: loaded snapshot r1 into app/)
  assert.equal(await rows(stack), [{ id: 1, v: 'one' }, { id: 2, v: 'two' }, { id: 3, v: 'three' }])
  r = await runScript(stack, 'data-rename', ['--name', 'r1', '--to', 'c1'])
  assert.is(r.code, 2)
  assert.is(lastLine(r.stderr), 'datakeep: snapshot "c1" already exists; nothing was changed; to replace it: make data_rename ARGS="--name r1 --to c1 --force"')
})

t('data_rename leaves _init and safety snapshots their names (copy them instead)', async ({ stack }) => {
  await stack.db((db) => db.query("UPDATE t1 SET v = 'unsaved' WHERE id = 2")) // so the load takes a safety snapshot
  const r0 = await runScript(stack, 'data-load', ['--name', 'c1'])
  assert.is(r0.code, 0, r0.stderr)
  const safety = fs.readdirSync(path.join(stack.dir, 'data/backups/_safety'))[0]
  let r = await runScript(stack, 'data-rename', ['--name', `_safety/${safety}`, '--to', 'kept'])
  assert.is(r.code, 2)
  assert.is(lastLine(r.stderr), `datakeep: snapshot "_safety/${safety}" belongs to datakeep (make undo restores safety snapshots) and keeps its name; copy it instead: make data_copy ARGS="--name _safety/${safety} --to kept"`)
  r = await runScript(stack, 'data-copy', ['--name', `_safety/${safety}`, '--to', 'kept'])
  assert.is(r.code, 0, r.stderr)
  assert.is(readManifest(snap(stack, 'kept')).name, 'kept')
  assert.ok(fs.existsSync(path.join(stack.dir, 'data/backups/_safety', safety, 'manifest.json')))
})

t('a copy killed before its rename left <to>.partial-*: the next copy removes it, says so, and completes', async ({ stack }) => {
  const dead = path.join(stack.dir, 'data/backups', `c9.partial-${deadPid()}-${Date.now()}`)
  fs.cpSync(snap(stack, 's2'), dead, { recursive: true })
  const r = await runScript(stack, 'data-copy', ['--name', 's2', '--to', 'c9'])
  assert.is(r.code, 0, r.stderr)
  assert.match(r.stderr, `removed debris of an interrupted run: ${dead}`)
  assert.not.ok(fs.existsSync(dead))
  assert.is(readManifest(snap(stack, 'c9')).name, 'c9')
})

t('--help prints the usage (exit 0); an unknown flag exits 2 with it', async ({ stack }) => {
  for (const name of ['data-copy', 'data-rename']) {
    const help = await runScript(stack, name, ['--help'])
    assert.is(help.code, 0, name)
    assert.match(help.stdout, new RegExp(`^usage: make ${name.replace('-', '_')} ARGS="--name <snapshot> --to <new-name> \\[--force\\]"`))
    const bad = await runScript(stack, name, ['--bogus'])
    assert.is(bad.code, 2, name)
    assert.match(lastLine(bad.stderr), /^datakeep: Unknown option '--bogus'; usage: make /)
  }
})

t.run()
