// data_dump under faults, on each engine: kill -9 and Ctrl-C early, mid-data and just before the
// rename into place (also over an existing snapshot with --force), and a power loss between the two
// renames of a replace. No half snapshot is ever listed; every existing one still verifies, unchanged.
import fs from 'node:fs'
import * as assert from 'uvu/assert'
import { ENGINE_CASES, type AnyStack } from '../support/engine-cases.ts'
import { deadPid, interruptCase, slowCommand, unverified, type World } from '../support/faults.ts'
import { backups, partialHasData, partialOf, snapshotsOnDisk } from '../support/fault-points.ts'
import { faultCase } from '../support/fault-results.ts'
import { faultSuite } from '../support/fault-suite.ts'
import { twoStates } from '../support/fault-worlds.ts'
import { lastLine, runScript } from '../support/stack.ts'

const manifest = (w: World<AnyStack>, name: string) => fs.readFileSync(backups(w.stack, name, 'manifest.json'), 'utf8')

/** The dump never shows up as a snapshot, and with --force the one it would replace is the same. */
function unchanged(w: World<AnyStack>, name: string, replaced?: string): () => Promise<string> {
  const before = replaced ? manifest(w, replaced) : null
  return async () => {
    assert.equal(snapshotsOnDisk(w.stack), ['a', 'b'], 'snapshots on disk')
    if (!replaced) return `no snapshot ${name}`
    assert.is(manifest(w, replaced), before, `snapshot ${replaced} was changed`)
    return `snapshot ${replaced} unchanged`
  }
}

for (const [engine, c] of Object.entries(ENGINE_CASES)) {
  const t = faultSuite(`faults: data_dump on ${engine}`, c, twoStates)

  const dump = (w: World<AnyStack>, signal: 'SIGKILL' | 'SIGINT', point: string, at: () => boolean, name: string, opts: { force?: boolean; env?: Record<string, string> } = {}) =>
    interruptCase(w, {
      operation: c.op('data_dump'), script: 'data-dump', args: ['--name', name, ...(opts.force ? ['--force'] : [])], env: opts.env,
      signal, point: opts.force ? `${point}, --force over ${name}` : point, at, target: w.current, check: unchanged(w, name, opts.force ? name : undefined),
    })

  t('kill -9 early (snapshot folder just created)', async ({ w }) => {
    await dump(w, 'SIGKILL', 'early', () => partialOf(w.stack, 'x') !== null, 'x')
  })

  t('kill -9 mid-data', async ({ w }) => {
    await dump(w, 'SIGKILL', 'mid-data', () => partialHasData(w.stack, 'x', 'big', 1 << 20), 'x')
  })

  t('kill -9 just before the rename into place, replacing a snapshot', async ({ w }) => {
    // the last step before the rename asks git for the commit: a slow git holds the dump there
    const git = slowCommand(w.stack, 'git', 3)
    await dump(w, 'SIGKILL', 'just before the rename', git.called, 'a', { force: true, env: git.env })
  })

  t('SIGINT early', async ({ w }) => {
    await dump(w, 'SIGINT', 'early', () => partialOf(w.stack, 'x') !== null, 'x')
  })

  t('SIGINT mid-data', async ({ w }) => {
    await dump(w, 'SIGINT', 'mid-data', () => partialHasData(w.stack, 'x', 'big', 1 << 20), 'x')
  })

  t('SIGINT just before the rename into place, replacing a snapshot', async ({ w }) => {
    const git = slowCommand(w.stack, 'git', 3)
    await dump(w, 'SIGINT', 'just before the rename', git.called, 'b', { force: true, env: git.env })
  })

  t('power loss between the two renames of a replace: the old snapshot is put back', async ({ w }) => {
    await faultCase({
      ...c.record('data_dump power loss between the renames of --force', 'data_dump'), fault: 'power loss (simulated)',
      point: 'old snapshot moved aside, new one not yet in place',
      expected: 'the next operation puts the old snapshot back (it verifies) and removes the new partial one',
    }, async (log) => {
      // the exact state replaceDir leaves if the machine stops between its two renames
      const before = manifest(w, 'a')
      const pid = deadPid()
      const stamp = Date.now()
      fs.cpSync(backups(w.stack, 'a'), backups(w.stack, `a.partial-${pid}-${stamp}`), { recursive: true })
      fs.renameSync(backups(w.stack, 'a'), backups(w.stack, `a.old-${pid}-${stamp}`))
      const r = await runScript(w.stack, 'initialize')
      assert.is(r.code, 0, r.stderr)
      log.lost(!fs.existsSync(backups(w.stack, 'a', 'manifest.json')))
      assert.match(r.stderr, `put back snapshot ${backups(w.stack, 'a')}: an interrupted replace had moved it aside`)
      assert.is(manifest(w, 'a'), before)
      assert.equal(await unverified(w.stack, w.snapshots), [])
      assert.equal(await c.leftovers(w.stack), [])
      return `snapshot a put back and verifies; partial removed; last line: ${lastLine(r.stderr)}`
    })
  })

  t('every snapshot still verifies with the real data-verify script', async ({ w }) => {
    assert.equal(await unverified(w.stack, w.snapshots, true), [])
  })

  t.run()
}
