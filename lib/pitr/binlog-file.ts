// The first events of a MariaDB binary log file, read from its bytes: when the server created it
// (the format description event's timestamp) and the GTID state it starts from (the Gtid list
// event), which tell one server's binlog.000003 from another's and show that two files follow
// each other.
import fs from 'node:fs'

const MAGIC = Buffer.from([0xfe, 0x62, 0x69, 0x6e]) // \xfebin
const HEADER = 19 // timestamp 4, type 1, server id 4, event size 4, next position 4, flags 2
const FORMAT_DESCRIPTION = 15
const GTID_LIST = 163

export interface BinlogHeader { created: number; startGtid: string }

/** Parses a Gtid list event's body: count (low 28 bits), then domain 4, server 4, seq 8 each. */
export function gtidListBody(body: Buffer): string {
  const n = body.readUInt32LE(0) & 0x0fffffff
  const out: string[] = []
  for (let i = 0; i < n; i++) {
    const o = 4 + i * 16
    out.push(`${body.readUInt32LE(o)}-${body.readUInt32LE(o + 4)}-${body.readBigUInt64LE(o + 8)}`)
  }
  return out.join(',')
}

export function readBinlogHeader(file: string): BinlogHeader {
  const fd = fs.openSync(file, 'r')
  try {
    const buf = Buffer.alloc(64 * 1024)
    const len = fs.readSync(fd, buf, 0, buf.length, 0)
    if (len < 4 + HEADER || !buf.subarray(0, 4).equals(MAGIC)) throw new Error(`${file} is not a binary log`)
    if (buf[4 + 4] !== FORMAT_DESCRIPTION) throw new Error(`${file} does not start with a format description event`)
    const created = buf.readUInt32LE(4)
    let pos = 4
    for (let i = 0; i < 4 && pos + HEADER <= len; i++) {
      const size = buf.readUInt32LE(pos + 9)
      if (size < HEADER || pos + size > len) break
      if (buf[pos + 4] === GTID_LIST) return { created, startGtid: gtidListBody(buf.subarray(pos + HEADER, pos + size)) }
      pos += size
    }
    return { created, startGtid: '' }
  } finally {
    fs.closeSync(fd)
  }
}
