// Where a snapshot stands in the binary log: read under the dump's global read lock, so the file,
// position and GTID are those of its consistent point (recovery replays from there).
import { query, type Db } from '../db.ts'

export interface BinlogPosition {
  /** The binary log file and the byte position the next event starts at. */
  file: string
  position: number
  /** @@gtid_binlog_pos: the last GTID written in each replication domain, e.g. "0-1-118". */
  gtid: string
}

/** The server's current binary log position, or null when binary logging is off. */
export async function binlogPosition(db: Db): Promise<BinlogPosition | null> {
  const [s] = await query<{ File: string; Position: string }>(db, 'SHOW MASTER STATUS').catch(() => [])
  if (!s?.File) return null
  const [g] = await query<{ g: string }>(db, 'SELECT @@gtid_binlog_pos AS g')
  return { file: s.File, position: Number(s.Position), gtid: g.g ?? '' }
}

/** "0-1-5,1-2-9" as a map from domain to its last GTID. */
export function gtidMap(list: string): Map<number, { server: number; seq: bigint }> {
  const m = new Map<number, { server: number; seq: bigint }>()
  for (const part of list.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [d, s, q] = part.split('-')
    m.set(Number(d), { server: Number(s), seq: BigInt(q) })
  }
  return m
}

/**
 * mariadb-backup's xtrabackup_binlog_info: "<file>\t<position>[\t<gtid list>]", the binary log position
 * of the copy's consistent point (its BLOCK_COMMIT stage); null when the file is empty or absent
 * (binary logging off).
 */
export function parseBinlogInfo(text: string): BinlogPosition | null {
  const [file, position, gtid] = text.trim().split(/\s+/)
  if (!file || !/^\d+$/.test(position ?? '')) return null
  return { file, position: Number(position), gtid: gtid ?? '' }
}
