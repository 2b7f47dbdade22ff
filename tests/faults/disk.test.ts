// A full disk during a dump: the snapshot folder lives on a 2 MB tmpfs (as root) and the dump
// needs more. It fails with one clear line (exit 1), leaves no partial folder, and the snapshot
// already there still verifies.
import fs from 'node:fs'
import path from 'node:path'
import { suite } from '../support/uvu.ts'
import * as assert from 'uvu/assert'
import { HOST, run } from '../../lib/run.ts'
import { appSchemaSql, dumpOk, faultCase, fillSql, leftovers, ROWS, sqlIn, unverified } from '../support/faults.ts'
import { lastLine, makeStack, runScript, type TestStack } from '../support/stack.ts'
import { BINLOG_DIR } from '../../lib/pitr/archive.ts'

const SMALL = 'small-disk'
const t = suite('faults: disk full', { stack: null as unknown as TestStack, mounted: '' })
t.before(async (ctx) => {
  ctx.stack = await makeStack({ env: { MYSQL_DATABASE: 'app', DATA_BACKUP_DIRNAME: SMALL } })
  const dir = path.join(ctx.stack.dir, SMALL)
  fs.mkdirSync(dir)
  // a real small filesystem; mounting needs root, which the suite has (it installs its server with apt)
  if (process.getuid?.() !== 0) throw new Error('the disk-full case mounts a tmpfs and needs root')
  await run(HOST, ['mount', '-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', dir])
  ctx.mounted = dir
  await sqlIn(ctx.stack, appSchemaSql() + '\n' + fillSql(1000, 'small'))
  await dumpOk(ctx.stack, 'fits')
  await sqlIn(ctx.stack, fillSql(ROWS, 'big'))
})
t.after(async (ctx) => {
  if (ctx.mounted) await run(HOST, ['umount', ctx.mounted], { nothrow: true })
  await ctx.stack?.destroy()
})

t('a dump that fills the disk: exit 1, a clear line, no partial folder, the old snapshot verifies', async ({ stack }) => {
  await faultCase({
    name: 'data_dump disk full', operation: 'data_dump', fault: 'disk full (2 MB tmpfs)', point: 'mid-data',
    expected: 'exit 1 with a line naming the full disk; no partial folder; existing snapshots verify; lock released',
  }, async (log) => {
    const r = await runScript(stack, 'data-dump', ['--name', 'huge'])
    const bad = await unverified(stack, ['fits'])
    log.lost(bad.length > 0)
    assert.equal(bad, [])
    assert.is(r.code, 1, r.stderr)
    const line = lastLine(r.stderr)
    assert.is(line, `datakeep: no space left on ${path.join(stack.dir, SMALL)} while writing snapshot "huge"; the partial snapshot was removed, the others are untouched; `
      + 'to fix: free space there (make data_prune) or set DATA_BACKUP_DIRNAME to a bigger disk, then dump again')
    assert.equal(await leftovers(stack), [])
    // the binary log archive (the dump of fits copied the logs) is no partial snapshot
    assert.equal(fs.readdirSync(path.join(stack.dir, SMALL)).filter((n) => n !== BINLOG_DIR), ['fits'], 'the snapshot folder (no partial left)')
    return `exit 1: "${line}"; no partial folder; fits verifies`
  })
})

t.run()
