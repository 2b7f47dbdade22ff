// The server's own data files, for tables copied as their files (tablespace snapshots): the local
// runtime reads and writes its private data directory; the docker runtime streams them as tar through
// `docker compose exec` (no bind mount needed), writing as the server's user inside the container.
import fs from 'node:fs'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import * as tar from 'tar'
import { failure } from '../errors.ts'
import { crc32File, eachLimited } from '../fs-util.ts'
import { HOST, run, spawnPipe, type Pipe, type Target } from '../run.ts'

export interface ServerFiles {
  /**
   * Copies the files `names` of folder `dir` (under the server's data directory) into the host folder
   * `to`, which holds none of them yet: each one's size and crc32, by name.
   */
  fetch(dir: string, names: string[], to: string): Promise<Map<string, FileSum>>
  /** Puts the host files `names` of folder `from` into folder `dir` of the data directory, owned by the server's user. */
  put(from: string, names: string[], dir: string): Promise<void>
  /** Removes `names` from folder `dir`; one that is not there is no error. */
  remove(dir: string, names: string[]): Promise<void>
}

export interface FileSum { bytes: number; crc32: string }

/**
 * The local runtime's: the kernel copies (cp, a reflink where the filesystem has them), while
 * each crc32 is read from the source, two at a time, which the caller holds unchanged (FLUSH TABLES
 * ... FOR EXPORT): hashing costs no pass after the copy.
 */
export function localServerFiles(dataDir: string): ServerFiles {
  const COPY = fs.constants.COPYFILE_EXCL | fs.constants.COPYFILE_FICLONE
  return {
    async fetch(dir, names, to) {
      const out = new Map<string, FileSum>()
      // cp creates each copy with the process umask (the snapshot's modes) before any byte is in;
      // node's copyFile would give it the server's mode (0660). The sums read the sources meanwhile.
      await Promise.all([
        run(HOST, ['cp', '--reflink=auto', '-n', '-t', to, '--', ...names.map((n) => path.join(dataDir, dir, n))]),
        eachLimited(names, 2, async (name) => { out.set(name, await crc32File(path.join(dataDir, dir, name))) }),
      ])
      for (const n of names) if (!fs.existsSync(path.join(to, n))) throw failure(`copying ${n} from the server's data directory left no file`)
      return out
    },
    put: (from, names, dir) => eachLimited(names, 2, (name) => fs.promises.copyFile(path.join(from, name), path.join(dataDir, dir, name), COPY)),
    remove: (dir, names) => eachLimited(names, 4, (name) => fs.promises.rm(path.join(dataDir, dir, name), { force: true })),
  }
}

/** What runs inside the container (pure; tested as data): one tar stream each way for all of a step's files. */
export const serverFileArgv = {
  pack: (absDir: string, names: string[]) => ['tar', '-C', absDir, '-cf', '-', '--', ...names],
  unpack: (absDir: string) => ['tar', '-C', absDir, '-xf', '-', '--no-same-owner'],
  remove: (absDir: string, names: string[]) => ['rm', '-f', '--', ...names.map((n) => path.posix.join(absDir, n))],
}

/**
 * Waits for a command and the stream between it and this machine's files. The error that says
 * most wins: this machine's own (a file that exists, a full disk), else the command's (a file
 * missing in the container), else the stream's (what the first two left it to notice).
 */
async function streamed(p: Pipe, flow: () => Promise<void>): Promise<void> {
  const broke = await flow().then(() => null, (e: NodeJS.ErrnoException) => e)
  if (broke) {
    // a command that failed (a file missing in the container) ends on its own a moment after its
    // stream: its exit code and message say more than the signal a kill would leave
    const ended = await Promise.race([p.done.then(() => true, () => true), new Promise<boolean>((r) => setTimeout(() => r(false), 2000))])
    if (!ended) p.kill()
  }
  const ran = await p.done.then(() => null, (e: Error) => e)
  if (broke?.syscall) throw broke
  if (ran) throw ran
  if (broke) throw broke
}

/**
 * A compose service's: the files travel as one tar stream per step through `docker compose exec`
 * (each exec costs a compose start-up), out as the service runs, in as `user` (the server's, so it
 * owns and can import them). The crc32 of a fetched file is read once it is on this machine.
 */
export function composeServerFiles(target: Target & { kind: 'compose' }, dataDir: string, user: string): ServerFiles {
  const inside = (dir: string) => path.posix.join(dataDir, dir)
  const asServer: Target = { ...target, user }
  return {
    async fetch(dir, names, to) {
      const p = spawnPipe(target, serverFileArgv.pack(inside(dir), names))
      const wanted = new Set(names)
      const got: string[] = []
      await streamed(p, () => pipeline(p.stdout, tar.x({ cwd: to, strict: true, filter: (f) => wanted.has(f) && (got.push(f), true) })))
      const missing = names.filter((n) => !got.includes(n))
      if (missing.length) throw failure(`the copy out of the ${target.service} container lacks ${missing.join(', ')}`)
      const out = new Map<string, FileSum>()
      for (const n of names) out.set(n, await crc32File(path.join(to, n)))
      return out
    },
    async put(from, names, dir) {
      const p = spawnPipe(asServer, serverFileArgv.unpack(inside(dir)))
      await streamed(p, () => pipeline(tar.c({ cwd: from, portable: true }, names), p.stdin))
    },
    remove: async (dir, names) => { if (names.length) await run(asServer, serverFileArgv.remove(inside(dir), names)) },
  }
}
