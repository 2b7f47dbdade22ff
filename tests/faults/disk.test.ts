// A full disk during a dump, on each engine: the snapshot folder lives on a 2 MB tmpfs (as root)
// and the dump needs more. It fails with one clear line (exit 1), leaves no partial folder and no
// temporary database, and the snapshot already there still verifies.
import fs from 'node:fs'
import path from 'node:path'
import { suite } from '../support/uvu.ts'
import * as assert from 'uvu/assert'
import { HOST, run } from '../../lib/run.ts'
import { BINLOG_DIR } from '../../lib/pitr/archive.ts'
import { ENGINE_CASES, type AnyStack } from '../support/engine-cases.ts'
import { dumpOk } from '../support/faults.ts'
import { faultCase } from '../support/fault-results.ts'
import { lastLine, runScript } from '../support/stack.ts'

const SMALL = 'small-disk'

for (const [name, c] of Object.entries(ENGINE_CASES)) {
  const t = suite(`faults: disk full on ${name}`, { stack: null as unknown as AnyStack, mounted: '' })
  t.before(async (ctx) => {
    // a real small filesystem; mounting needs root, which the suite has (it installs its servers with apt)
    if (process.getuid?.() !== 0) throw new Error('the disk-full case mounts a tmpfs and needs root')
    ctx.stack = await c.stack({ DATA_BACKUP_DIRNAME: SMALL })
    const dir = path.join(ctx.stack.dir, SMALL)
    fs.mkdirSync(dir)
    await run(HOST, ['mount', '-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', dir])
    ctx.mounted = dir
    await c.small(ctx.stack)
    await dumpOk(ctx.stack, 'fits')
    await c.big(ctx.stack)
  })
  t.after(async (ctx) => {
    if (ctx.mounted) await run(HOST, ['umount', ctx.mounted], { nothrow: true })
    await ctx.stack?.destroy()
  })

  t('a dump that fills the disk: exit 1, a clear line, no partial folder, the old snapshot verifies', async ({ stack }) => {
    await faultCase({
      ...c.record('data_dump disk full', 'data_dump'), fault: 'disk full (2 MB tmpfs)', point: 'mid-data',
      expected: 'exit 1 with a line naming the full disk; no partial folder; existing snapshots verify; lock released',
    }, async (log) => {
      const r = await runScript(stack, 'data-dump', ['--name', 'huge'])
      const v = await runScript(stack, 'data-verify', ['--name', 'fits'])
      log.lost(v.code !== 0)
      assert.is(v.code, 0, v.stderr)
      assert.is(r.code, 1, r.stderr)
      const line = lastLine(r.stderr)
      assert.is(line, `datakeep: no space left on ${path.join(stack.dir, SMALL)} while writing snapshot "huge"; the partial snapshot was removed, the others are untouched; `
        + 'to fix: free space there (make data_prune) or set DATA_BACKUP_DIRNAME to a bigger disk, then dump again')
      assert.equal(await c.leftovers(stack), [])
      // the binary log archive (MariaDB: the dump of fits copied the logs) is no partial snapshot
      assert.equal(fs.readdirSync(path.join(stack.dir, SMALL)).filter((n) => n !== BINLOG_DIR && !n.startsWith('_')), ['fits'], 'the snapshot folder (no partial left)')
      return `exit 1: "${line}"; no partial folder; fits verifies`
    })
  })

  t.run()
}
