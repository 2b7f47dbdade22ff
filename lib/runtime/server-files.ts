// The server's own data files, for tables copied as their files (tablespace snapshots): the local
// runtime reads and writes its private data directory; the docker runtime streams each file through
// `docker compose exec` (no bind mount needed), writing as the server's user inside the container.
import fs from 'node:fs'
import path from 'node:path'
import { Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import zlib from 'node:zlib'
import { crc32File } from '../fs-util.ts'
import { run, spawnPipe, type Target } from '../run.ts'

export interface ServerFiles {
  /** Copies `rel` (under the server's data directory) to the new host file `to`: its size and crc32, read on the way. */
  fetch(rel: string, to: string): Promise<{ bytes: number; crc32: string }>
  /** Puts the host file `from` at `rel`, owned by the server's user. */
  put(from: string, rel: string): Promise<void>
  /** Removes `rel`; nothing when it is not there. */
  remove(rel: string): Promise<void>
}

/**
 * The local runtime's: the kernel copies (a reflink where the filesystem has them) while the
 * crc32 is read from the source, which the caller holds unchanged (FLUSH TABLES ... FOR EXPORT).
 */
export function localServerFiles(dataDir: string): ServerFiles {
  return {
    async fetch(rel, to) {
      const from = path.join(dataDir, rel)
      const [, sum] = await Promise.all([fs.promises.copyFile(from, to, fs.constants.COPYFILE_EXCL | fs.constants.COPYFILE_FICLONE), crc32File(from)])
      return sum
    },
    put: (from, rel) => fs.promises.copyFile(from, path.join(dataDir, rel)),
    remove: (rel) => fs.promises.rm(path.join(dataDir, rel), { force: true }),
  }
}

/** What runs inside the container for each file operation (pure; tested as data). */
export const serverFileArgv = {
  read: (abs: string) => ['cat', '--', abs],
  // sh's "$1", not a path pasted into the script: any name stays one argument
  write: (abs: string) => ['sh', '-c', 'cat > "$1"', 'sh', abs],
  remove: (abs: string) => ['rm', '-f', '--', abs],
}

/** crc32 and size of what streams through. */
function crc32Tap(): Transform & { sum(): { bytes: number; crc32: string } } {
  let crc = 0
  let bytes = 0
  const t = new Transform({
    transform(chunk: Buffer, _enc, done) { crc = zlib.crc32(chunk, crc); bytes += chunk.length; done(null, chunk) },
  }) as Transform & { sum(): { bytes: number; crc32: string } }
  t.sum = () => ({ bytes, crc32: crc.toString(16).padStart(8, '0') })
  return t
}

/**
 * A compose service's: `cat` of each file out of the container into this machine's file (its
 * crc32 taken as it streams), `cat >` into it as `user` (the server's, so it can import the file).
 */
export function composeServerFiles(target: Target & { kind: 'compose' }, dataDir: string, user: string): ServerFiles {
  const inside = (rel: string) => path.posix.join(dataDir, rel)
  const asServer: Target = { ...target, user }
  return {
    async fetch(rel, to) {
      const p = spawnPipe(target, serverFileArgv.read(inside(rel)))
      const tap = crc32Tap()
      try {
        await Promise.all([pipeline(p.stdout, tap, fs.createWriteStream(to, { flags: 'wx' })), p.done])
      } catch (e) {
        p.kill()
        throw e
      }
      return tap.sum()
    },
    async put(from, rel) {
      const p = spawnPipe(asServer, serverFileArgv.write(inside(rel)))
      try {
        await Promise.all([pipeline(fs.createReadStream(from), p.stdin), p.done])
      } catch (e) {
        p.kill()
        throw e
      }
    },
    remove: async (rel) => { await run(asServer, serverFileArgv.remove(inside(rel))) },
  }
}
