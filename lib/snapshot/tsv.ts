// The text a stock `LOAD DATA ... CHARACTER SET binary` reads with its default options: fields
// split by tab, lines by newline, backslash escapes, \N for NULL. Values are the server's raw
// bytes; encoding writes them into preallocated Buffers without building strings, and the
// batches stream through `zstd` into numbered chunk files with flat memory.
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import type { Readable } from 'node:stream'
import { UserError, failure } from '../errors.ts'
import { sha256File } from '../fs-util.ts'
import { HOST, spawnPipe, type Pipe } from '../run.ts'

const TAB = 0x09
const NEWLINE = 0x0a
const BACKSLASH = 0x5c

/**
 * The letter written after a backslash for each byte that needs escaping (0: copied as is).
 * LOAD DATA reads \0 \t \n \r \\ back to the byte; \r is escaped too so the files survive tools
 * that translate line endings.
 */
const ESCAPE = new Uint8Array(256)
ESCAPE[0x00] = 0x30 // \0
ESCAPE[TAB] = 0x74 // \t
ESCAPE[NEWLINE] = 0x6e // \n
ESCAPE[0x0d] = 0x72 // \r
ESCAPE[BACKSLASH] = BACKSLASH // \\

export const BATCH_BYTES = 64 * 1024

/**
 * Encodes rows (arrays of raw values, null for NULL) into batches of about `batchBytes`, handed
 * to `emit` as they fill. Each emitted Buffer is fresh: the receiver may keep it.
 */
export class TsvEncoder {
  private buf: Buffer
  private pos = 0
  /** Bytes emitted so far (the uncompressed size). */
  bytes = 0

  constructor(private readonly emit: (chunk: Buffer) => void, private readonly batchBytes = BATCH_BYTES) {
    this.buf = Buffer.allocUnsafe(batchBytes)
  }

  row(values: ArrayLike<Buffer | null>): void {
    const n = values.length
    for (let i = 0; i < n; i++) {
      const v = values[i]
      // worst case: every byte escaped, plus the separator
      const need = v === null ? 3 : 2 * v.length + 1
      if (this.pos + need + 1 > this.buf.length) this.makeRoom(need + 1)
      const buf = this.buf
      let pos = this.pos
      if (i > 0) buf[pos++] = TAB
      if (v === null) {
        buf[pos++] = BACKSLASH
        buf[pos++] = 0x4e // N
      } else {
        pos = escapeInto(v, buf, pos)
      }
      this.pos = pos
    }
    if (this.pos + 1 > this.buf.length) this.makeRoom(1)
    this.buf[this.pos++] = NEWLINE
  }

  /** Emits what is buffered; call at the end of a file (files end on a row boundary). */
  flush(): void {
    if (this.pos === 0) return
    const out = this.buf.subarray(0, this.pos)
    this.bytes += this.pos
    this.buf = Buffer.allocUnsafe(this.batchBytes)
    this.pos = 0
    this.emit(out)
  }

  private makeRoom(need: number): void {
    this.flush()
    // a value larger than a batch gets a buffer of its own size, once
    if (need > this.buf.length) this.buf = Buffer.allocUnsafe(need)
  }
}

/** Copies `src` into `dst` at `pos` with LOAD DATA escapes; returns the new position. */
export function escapeInto(src: Buffer, dst: Buffer, pos: number): number {
  const n = src.length
  let i = 0
  if (n > 32) {
    // most values need no escape: a native copy, then a read-only scan, is ~25% faster
    src.copy(dst, pos)
    while (i < n && ESCAPE[src[i]] === 0) i++
    if (i === n) return pos + n
    pos += i
  }
  for (; i < n; i++) {
    const c = src[i]
    const e = ESCAPE[c]
    if (e === 0) {
      dst[pos++] = c
    } else {
      dst[pos++] = BACKSLASH
      dst[pos++] = e
    }
  }
  return pos
}

/** One row as TSV text (tests and small callers; the dump uses TsvEncoder). */
export function encodeRow(values: (Buffer | string | null)[]): Buffer {
  const parts: Buffer[] = []
  const enc = new TsvEncoder((b) => parts.push(b))
  enc.row(values.map((v) => (typeof v === 'string' ? Buffer.from(v, 'utf8') : v)))
  enc.flush()
  return Buffer.concat(parts)
}

const SAFE = new Uint8Array(256)
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-') SAFE[c.charCodeAt(0)] = 1

/** Longest encoded name kept whole; longer ones are cut and get a hash (file names stop at 255 bytes). */
const MAX_BASE = 120

/**
 * The file name stem for a table: [A-Za-z0-9_-] kept, every other UTF-8 byte as %XX. Distinct
 * names give distinct stems; a very long one is cut at a character boundary and ends in `~` and
 * a hash of the full name (`~` never appears otherwise, so it cannot collide with a plain stem).
 */
export function tableFileBase(table: string): string {
  const parts = [...table].map((ch) => {
    let out = ''
    for (const byte of Buffer.from(ch, 'utf8')) {
      out += SAFE[byte] ? String.fromCharCode(byte) : '%' + byte.toString(16).toUpperCase().padStart(2, '0')
    }
    return out
  })
  const whole = parts.join('')
  if (whole.length <= MAX_BASE) return whole
  let out = ''
  for (const p of parts) {
    if (out.length + p.length > MAX_BASE - 17) break
    out += p
  }
  return `${out}~${crypto.createHash('sha256').update(table, 'utf8').digest('hex').slice(0, 16)}`
}

/** `data/<stem>.00001.tsv.zst`: chunks numbered from 1, relative to the snapshot folder. */
export function chunkFile(table: string, chunk: number): string {
  return `data/${tableFileBase(table)}.${String(chunk).padStart(5, '0')}.tsv.zst`
}

/** A single-quoted SQL string literal (backslash escapes: the load sessions never set NO_BACKSLASH_ESCAPES). */
export function sqlString(s: string): string {
  return "'" + s.replace(/[\\']/g, (c) => '\\' + c) + "'"
}

export interface DataFile { file: string; rows: number; bytes: number; sha256: string }

export const DEFAULT_CHUNK_ROWS = 1_000_000

/** `e` as a UserError whose message starts with `what`; a UserError keeps its hint and exit code. */
export function rewrap(e: unknown, what: string): UserError {
  if (e instanceof UserError) return new UserError(`${what}: ${e.message}`, { hint: e.hint, exitCode: e.exitCode })
  return failure(`${what}: ${(e as Error)?.message ?? String(e)}`)
}


/** One chunk file being written: zstd reads the TSV on stdin and writes `<file>.partial`, renamed when whole. */
class ChunkWriter {
  readonly tmp: string
  readonly pipe: Pipe
  rows = 0

  constructor(readonly file: string, readonly abs: string) {
    this.tmp = `${abs}.partial`
    this.pipe = spawnPipe(HOST, ['zstd', '-q', '-1', '-T1', '-c'], { stdoutFile: this.tmp })
    this.pipe.stdin.on('error', () => undefined) // EPIPE when zstd dies: `done` says why
  }

  /** False when the pipe is full: wait for `drained()`. */
  write(chunk: Buffer): boolean {
    return this.pipe.stdin.write(chunk)
  }

  /** Resolves on 'drain'; rejects, naming the file, if zstd goes away instead. */
  drained(): Promise<void> {
    const s = this.pipe.stdin
    return new Promise((resolve, reject) => {
      const off = () => { s.off('drain', ok); s.off('close', bad) }
      const ok = () => { off(); resolve() }
      const bad = () => {
        off()
        this.pipe.done.then(() => reject(this.failed(new Error('zstd stopped reading'))), (e) => reject(this.failed(e)))
      }
      s.on('drain', ok)
      s.on('close', bad)
    })
  }

  async finish(): Promise<DataFile> {
    this.pipe.stdin.end()
    await this.pipe.done.catch((e) => { throw this.failed(e) })
    const { bytes, sha256 } = await sha256File(this.tmp)
    fs.renameSync(this.tmp, this.abs)
    return { file: this.file, rows: this.rows, bytes, sha256 }
  }

  failed(e: unknown): UserError {
    return rewrap(e, `writing ${this.file} failed`)
  }

  abort(): void {
    this.pipe.kill()
    fs.rmSync(this.tmp, { force: true })
  }
}

export interface ChunkOptions {
  /** Rows per file (default 1,000,000). */
  chunkRows?: number
  /** The number of the first file (default 1): each range of a table chunked by key has its own. */
  firstChunk?: number
  /** Rows so far and uncompressed bytes written so far; at most every 200 ms, and once at the end. */
  onProgress?: (rows: number, bytes: number) => void
}

/**
 * Writes a stream of rows (arrays of raw values) into `data/<stem>.00001.tsv.zst`, ... under
 * `snapshotDir`: a new file every `chunkRows` rows, none for no rows. The stream is paused while
 * zstd is full or a file is being closed. On failure every file written here is removed.
 */
export function writeChunks(rows: Readable, table: string, snapshotDir: string, opts: ChunkOptions = {}): Promise<DataFile[]> {
  const chunkRows = Math.max(1, opts.chunkRows ?? DEFAULT_CHUNK_ROWS)
  const files: DataFile[] = []
  const writers: ChunkWriter[] = []
  let chunk: ChunkWriter | null = null
  let full = false
  let count = 0
  let lastReport = 0
  const encoder = new TsvEncoder((b) => { if (!chunk!.write(b)) full = true })
  const report = (force: boolean) => {
    const now = Date.now()
    if (!opts.onProgress || (!force && now - lastReport < 200)) return
    lastReport = now
    opts.onProgress(count, encoder.bytes)
  }
  // the buffered rows go to the chunk before it is let go: files end on a row boundary
  const close = (): Promise<void> => {
    encoder.flush()
    const c = chunk!
    chunk = null
    full = false
    return c.finish().then((f) => { files.push(f) })
  }
  return new Promise<DataFile[]>((resolve, reject) => {
    let pending: Promise<void> = Promise.resolve()
    let failed = false
    const fail = (e: unknown) => {
      if (failed) return
      failed = true
      rows.destroy()
      for (const w of writers) { w.abort(); fs.rmSync(w.abs, { force: true }) }
      reject(e)
    }
    const waitFor = (p: Promise<void>) => {
      rows.pause()
      pending = p.then(() => { if (!failed) rows.resume() })
      pending.catch(fail)
    }
    rows.on('data', (row: (Buffer | null)[]) => {
      try {
        if (!chunk) {
          const file = chunkFile(table, (opts.firstChunk ?? 1) + writers.length)
          chunk = new ChunkWriter(file, path.join(snapshotDir, file))
          writers.push(chunk)
        }
        encoder.row(row)
        count++
        chunk.rows++
        if (chunk.rows >= chunkRows) waitFor(close())
        else if (full) { full = false; waitFor(chunk.drained()) }
        if ((count & 1023) === 0) report(false)
      } catch (e) { fail(e) }
    })
    rows.on('error', fail)
    rows.on('end', () => {
      pending.then(async () => {
        if (chunk) await close()
        report(true)
        if (!failed) resolve(files)
      }).catch(fail)
    })
  })
}
