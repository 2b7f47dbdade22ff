// Bad input and interruptions, on each engine: a clear line, the right exit code, the live data
// and every existing snapshot untouched. Names, a missing snapshot, a truncated file, a flipped
// byte, a deleted file, an edited manifest, another engine's snapshot, a server that is down,
// kill -9 in the middle of a dump and of a load.
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { suite } from '../support/uvu.ts'
import * as assert from 'uvu/assert'
import { ownerTag } from '../../lib/db.ts'
import { readManifest, writeManifest } from '../../lib/snapshot/manifest.ts'
import { ENGINE_CASES, type AnyStack } from '../support/engine-cases.ts'
import { partialHasData } from '../support/fault-points.ts'
import { sql, type Fingerprint } from '../support/fingerprint.ts'
import { lastLine, runScript, spawnScript, type TestStack } from '../support/stack.ts'
import { BINLOG_DIR } from '../../lib/pitr/archive.ts' // the binary log archive beside the snapshots

/** Big's data file as a message names it: MariaDB's `big.<n>.tsv.zst`, PostgreSQL's `<n>-big.copy.zst`. */
const BIG = String.raw`data\/(?:big\.[^:]+|\d+-big\.copy\.zst)`

for (const [engine, c] of Object.entries(ENGINE_CASES)) {
  const t = suite(`snapshot failures on ${engine}`, { stack: null as unknown as AnyStack, live: null as unknown as Fingerprint })
  t.before(async (ctx) => {
    ctx.stack = await c.stack()
    const storage = path.join(ctx.stack.dir, 'data/storage')
    fs.mkdirSync(storage, { recursive: true })
    fs.writeFileSync(path.join(storage, 'upload.txt'), 'uploaded\n')
    // a bigger table so interruptions land mid-work
    await c.sql(ctx.stack, `${c.tables}\n${c.objects}\n${c.fill(400_000, 'good')}`)
    const r = await runScript(ctx.stack, 'data-dump', ['--name', 'good'])
    if (r.code !== 0) throw new Error(r.stderr)
    ctx.live = await c.fingerprint(ctx.stack)
  })
  t.after(async (ctx) => {
    if (ctx.stack) await c.close(ctx.stack)
    await ctx.stack?.destroy()
  })

  const snap = (stack: AnyStack, ...p: string[]) => path.join(stack.dir, 'data/backups', ...p)
  const others = (stack: AnyStack) => fs.readdirSync(snap(stack)).filter((n) => n !== BINLOG_DIR && n !== '_journal.json' && n !== '_safety').sort()

  async function assertUntouched(stack: AnyStack, live: Fingerprint): Promise<void> {
    assert.equal(await c.fingerprint(stack), live, 'the live database changed')
    const v = await runScript(stack, 'data-verify', ['--name', 'good'])
    assert.is(v.code, 0, `snapshot good no longer verifies: ${v.stderr}`)
  }

  t('bad names are refused with the rule', async ({ stack }) => {
    for (const name of ['../x', '/etc', '', 'a b', '.hidden', '-x', 'x'.repeat(65), 'a/b']) {
      const r = await runScript(stack, 'data-dump', [`--name=${name}`])
      assert.is(r.code, 2, name)
      assert.is(lastLine(r.stderr), `datakeep: invalid snapshot name ${JSON.stringify(name)}: names are letters, digits, ".", "_" and "-", at most 64 characters, not starting with "." or "-"`)
    }
    const r = await runScript(stack, 'data-dump', ['--name', '_init'])
    assert.is(r.code, 2)
    assert.match(lastLine(r.stderr), 'snapshot name "_init" is reserved')
    assert.equal(others(stack), ['good'])
  })

  t('load needs an existing name and lists the available ones', async ({ stack }) => {
    let r = await runScript(stack, 'data-load')
    assert.is(r.code, 2)
    assert.is(lastLine(r.stderr), 'datakeep: data_load needs a snapshot name; usage: make data_load ARGS="--name <name>"; available: good')
    r = await runScript(stack, 'data-load', ['--name', 'nope'])
    assert.is(r.code, 2)
    assert.is(lastLine(r.stderr), `datakeep: snapshot "nope" does not exist in ${snap(stack)}; available: good`)
    r = await runScript(stack, 'data-load', ['--name', '../good'])
    assert.is(r.code, 2)
  })

  /** A copy of good, damaged: the load exits 1 with the line, nothing changes, verify fails too. */
  async function damaged(stack: AnyStack, live: Fingerprint, name: string, damage: (dir: string) => void, expect: string | RegExp) {
    fs.cpSync(snap(stack, 'good'), snap(stack, name), { recursive: true })
    damage(snap(stack, name))
    const r = await runScript(stack, 'data-load', ['--name', name])
    assert.is(r.code, 1, r.stderr)
    assert.match(lastLine(r.stderr), expect)
    await assertUntouched(stack, live)
    const v = await runScript(stack, 'data-verify', ['--name', name])
    assert.is(v.code, 1)
    fs.rmSync(snap(stack, name), { recursive: true })
  }

  const bigFile = (dir: string) => path.join(dir, 'data', fs.readdirSync(path.join(dir, 'data')).find((f) => new RegExp(`^${BIG.slice('data\\/'.length)}$`).test(f))!)

  t('a truncated data file: exit 1 naming the file, nothing changed', async ({ stack, live }) => {
    await damaged(stack, live, 'trunc', (dir) => {
      const f = bigFile(dir)
      fs.truncateSync(f, fs.statSync(f).size - 100)
    }, new RegExp(`snapshot "trunc" is damaged: ${BIG}: \\d+ bytes, the manifest says \\d+ \\(truncated or altered\\)`))
  })

  t('a flipped byte: exit 1 naming the file', async ({ stack, live }) => {
    await damaged(stack, live, 'flip', (dir) => {
      const f = bigFile(dir)
      const fd = fs.openSync(f, 'r+')
      const b = Buffer.alloc(1)
      fs.readSync(fd, b, 0, 1, 1000)
      b[0] ^= 0xff
      fs.writeSync(fd, b, 0, 1, 1000)
      fs.closeSync(fd)
    }, new RegExp(`${BIG}: sha256 differs from the manifest \\(altered\\)`))
  })

  t('a deleted file and an edited manifest are refused', async ({ stack, live }) => {
    await damaged(stack, live, 'gone', (dir) => fs.rmSync(path.join(dir, 'storage.tar.gz')), 'storage.tar.gz: missing')
    await damaged(stack, live, 'edited', (dir) => {
      const m = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'))
      m.tables[0].rows += 1
      fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(m, null, 2))
    }, 'manifest.json was edited or damaged')
  })

  t("another engine's snapshot is refused, with --file as the way", async ({ stack, live }) => {
    fs.cpSync(snap(stack, 'good'), snap(stack, 'foreign'), { recursive: true })
    const m = readManifest(snap(stack, 'foreign'))
    const foreign = m.engine.flavor === 'postgres' ? { flavor: 'mariadb' as const, version: '11.4.2-MariaDB' } : { flavor: 'postgres' as const, version: '16.4' }
    writeManifest(snap(stack, 'foreign'), { ...m, name: 'foreign', engine: foreign })
    const r = await runScript(stack, 'data-load', ['--name', 'foreign'])
    fs.rmSync(snap(stack, 'foreign'), { recursive: true })
    assert.is(r.code, 2, r.stderr)
    assert.match(r.stderr, `snapshot "foreign" is from ${foreign.flavor} ${foreign.version}; this server is `)
    assert.match(lastLine(r.stderr), 'make data_load ARGS="--file dump.sql"')
    await assertUntouched(stack, live)
  })

  t('deep verify loads into a scratch database and drops it', async ({ stack }) => {
    const r = await runScript(stack, 'data-verify', ['--name', 'good', '--deep'])
    assert.is(r.code, 0, r.stderr)
    assert.match(lastLine(r.stderr), 'snapshot good verified (deep: loaded and compared)')
    assert.equal(await c.tempDatabases(stack), [])
  })

  /** Starts scripts/<name>.ts and kills it (-9) the first time `ready` holds; resolves with its exit code (null: killed). */
  function killWhen(stack: AnyStack, name: string, args: string[], ready: () => boolean | Promise<boolean>): Promise<number | null> {
    return new Promise((resolve) => {
      const child = spawnScript(stack, name, args)
      let done = false
      child.on('close', (code) => { done = true; resolve(code) })
      const poll = async () => {
        while (!done) {
          if (await ready()) { child.kill('SIGKILL'); return }
          await new Promise((r) => setTimeout(r, 20))
        }
      }
      void poll()
    })
  }

  t('kill -9 in the middle of a dump: no snapshot listed, the others verify', async ({ stack, live }) => {
    const code = await killWhen(stack, 'data-dump', ['--name', 'mid'], () => partialHasData(stack, 'mid', 'big'))
    assert.is(code, null, 'the dump finished before it could be killed')
    const list = JSON.parse((await runScript(stack, 'data-list', ['--json'])).stdout)
    assert.equal(list.map((s: { name: string }) => s.name), ['good'])
    assert.not.ok(fs.existsSync(snap(stack, 'mid')))
    await assertUntouched(stack, live)
    // the next data operation removes the debris and says so
    const next = await runScript(stack, 'data-dump', ['--name', 'after-crash'])
    assert.is(next.code, 0, next.stderr)
    assert.match(next.stderr, /removed debris of an interrupted run: .*mid\.partial-/)
    assert.equal(others(stack), ['after-crash', 'good'])
    fs.rmSync(snap(stack, 'after-crash'), { recursive: true })
  })

  if (engine === 'MariaDB') {
    // MariaDB's server writes a dump's files itself (INTO OUTFILE) and goes on when the client dies
    t('a statement a killed dump left running on the server is stopped before its folder is removed', async (ctx) => {
      const stack = ctx.stack as TestStack
      // a pid that was real and is gone: the dump process the statement belonged to
      const dead = await new Promise<number>((resolve) => { const p = spawn('true'); p.on('close', () => resolve(p.pid!)) })
      const partial = snap(stack, `late.partial-${dead}-${Date.now()}`)
      fs.mkdirSync(path.join(partial, 'data'), { recursive: true })
      const tsv = path.join(partial, 'data', 'late.000.tsv')
      const orphan = stack.db((db) => db.query(`${ownerTag(dead)}SELECT SLEEP(6), 'x' INTO OUTFILE '${tsv}'`), null)
        .then(() => 'finished', (e: Error) => `stopped: ${e.message}`)
      const running = async () => Number((await sql(stack, "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE '/* datakeep pid=%SLEEP(6)%'")).trim())
      while (await running() === 0) await new Promise((r) => setTimeout(r, 20))
      const r = await runScript(stack, 'data-dump', ['--name', 'after-orphan'])
      assert.is(r.code, 0, r.stderr)
      assert.match(r.stderr, 'stopped 1 statement an interrupted run left running on the server')
      assert.match(r.stderr, /removed debris of an interrupted run: .*late\.partial-/)
      assert.is(await running(), 0, 'the orphaned statement still runs')
      assert.match(await orphan, /^stopped: /)
      assert.not.ok(fs.existsSync(partial))
      assert.equal(fs.readdirSync(snap(stack)).filter((n) => n.startsWith('late.')), [])
      fs.rmSync(snap(stack, 'after-orphan'), { recursive: true })
    })
  }

  t('kill -9 in the middle of a load: the live database is unchanged', async ({ stack, live }) => {
    await c.sql(stack, 'DELETE FROM big WHERE id > 1000')
    const changed = await c.fingerprint(stack)
    const code = await killWhen(stack, 'data-load', ['--name', 'good'], () => c.midData(stack))
    assert.is(code, null, 'the load finished before it could be killed')
    assert.equal(await c.fingerprint(stack), changed)
    // a complete load afterwards removes the staging debris and brings the snapshot back
    const r = await runScript(stack, 'data-load', ['--name', 'good'])
    assert.is(r.code, 0, r.stderr)
    assert.match(r.stderr, /removed debris of an interrupted run: database _dk_stage_/)
    assert.equal(await c.tempDatabases(stack), [])
    assert.equal(await c.fingerprint(stack), live)
  })

  t('prune prints its plan, deletes only with --yes, never reserved names', async ({ stack }) => {
    fs.cpSync(snap(stack, 'good'), snap(stack, '_init'), { recursive: true })
    for (const n of ['p1', 'p2']) assert.is((await runScript(stack, 'data-dump', ['--name', n])).code, 0)
    let r = await runScript(stack, 'data-prune', ['--keep', '1'])
    assert.is(r.code, 0)
    assert.match(r.stderr, 'would delete p1')
    assert.match(r.stderr, 'would delete good')
    assert.ok(fs.existsSync(snap(stack, 'p1')))
    const safetyBefore = fs.readdirSync(snap(stack, '_safety')).sort()
    assert.ok(safetyBefore.length > 0, 'the load above took a safety snapshot')
    r = await runScript(stack, 'data-prune', ['--keep', '1', '--yes'])
    assert.is(r.code, 0, r.stderr)
    assert.equal(others(stack), ['_init', 'p2'])
    assert.equal(fs.readdirSync(snap(stack, '_safety')).sort(), safetyBefore)
    r = await runScript(stack, 'data-prune', ['--keep', 'x'])
    assert.is(r.code, 2)
  })

  t('a server that is down: exit 1 with the command to start it', async ({ stack }) => {
    await stack.stop()
    for (const [name, args] of [['data-dump', ['--name', 'down']], ['data-load', ['--name', 'p2']]] as const) {
      const r = await runScript(stack, name, [...args])
      assert.is(r.code, 1, name)
      assert.match(lastLine(r.stderr), /^datakeep: the database server does not answer at socket .* \((ECONNREFUSED|ENOENT)\); to fix: make up$/)
    }
    assert.not.ok(fs.existsSync(snap(stack, 'down')))
    await c.start(stack)
  })

  t.run()
}
