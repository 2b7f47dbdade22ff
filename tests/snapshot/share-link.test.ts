// Placing a shared table's files (lib/snapshot/share.ts linkShared), on real files: a hard link where
// the earlier snapshot is on the same filesystem; a copy where a link cannot be made (another
// filesystem: /dev/shm, a tmpfs, against the temp folder's disk); never a file that differs from
// the manifest it comes from, and nothing left behind then.
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { suite } from '../support/uvu.ts'
import * as assert from 'uvu/assert'
import { linkShared, type ShareCandidate } from '../../lib/snapshot/share.ts'
import { tempDir } from '../support/stack.ts'

const t = suite('share: placing the files')

/** An earlier snapshot's table in `dir`: two data files and its manifest entry. */
function earlier(dir: string): ShareCandidate {
  fs.mkdirSync(path.join(dir, 'data'), { recursive: true })
  const files = ['data/t.0001.tsv.zst', 'data/t.0002.tsv.zst'].map((file, i) => {
    const bytes = crypto.randomBytes(1000 + i)
    fs.writeFileSync(path.join(dir, file), bytes)
    return { file, rows: 10, bytes: bytes.length, sha256: crypto.createHash('sha256').update(bytes).digest('hex') }
  })
  return { from: 'old', dir, table: { name: 't', rows: 20, checksum: '42', bytes: 2001, files, columns: ['a'], loadColumns: '' } }
}

function fresh(): string {
  const dir = path.join(tempDir('datakeep-share-'), 'new')
  fs.mkdirSync(path.join(dir, 'data'), { recursive: true })
  return dir
}

t('same filesystem: hard links to the earlier files', async () => {
  const c = earlier(path.join(tempDir('datakeep-share-'), 'old'))
  const dir = fresh()
  const entry = await linkShared(c, dir)
  assert.equal(entry, { ...c.table, shared: { from: 'old' } })
  for (const f of c.table.files) assert.is(fs.statSync(path.join(dir, f.file)).ino, fs.statSync(path.join(c.dir, f.file)).ino)
})

t('another filesystem: a copy, byte for byte, checked against the manifest', async () => {
  assert.ok(fs.existsSync('/dev/shm'), 'the test needs /dev/shm (a tmpfs) as a second filesystem')
  const old = fs.mkdtempSync('/dev/shm/datakeep-share-')
  try {
    const c = earlier(old)
    const dir = fresh()
    assert.is.not(fs.statSync(old).dev, fs.statSync(dir).dev, 'two filesystems')
    const entry = await linkShared(c, dir)
    assert.equal(entry?.shared, { from: 'old' })
    for (const f of c.table.files) {
      const st = fs.statSync(path.join(dir, f.file))
      assert.is(st.nlink, 1)
      assert.ok(fs.readFileSync(path.join(dir, f.file)).equals(fs.readFileSync(path.join(old, f.file))), f.file)
    }
  } finally {
    fs.rmSync(old, { recursive: true, force: true })
  }
})

t('a file that differs from its manifest: nothing shared, nothing left in the new snapshot', async () => {
  const c = earlier(path.join(tempDir('datakeep-share-'), 'old'))
  const second = path.join(c.dir, c.table.files[1].file)
  const bytes = fs.readFileSync(second)
  bytes[0] ^= 0xff
  fs.writeFileSync(second, bytes)
  const dir = fresh()
  assert.is(await linkShared(c, dir), null)
  assert.equal(fs.readdirSync(path.join(dir, 'data')), [])
})

t.run()
