// An InnoDB checkpoint on demand. mariadb-backup skips a tablespace imported (ALTER TABLE ...
// IMPORT TABLESPACE, as tablespace snapshots load) after the last checkpoint, "assuming the table
// was dropped during the backup": a whole-server copy would then miss those tables. So before one,
// the dirty pages are written and a checkpoint is awaited (a restart would do the same, slower).
import { query, type Db } from '../db.ts'

const status = async (db: Db, name: string) =>
  Number((await query<{ Value: string }>(db, 'SHOW GLOBAL STATUS LIKE ?', [name]))[0]?.Value ?? NaN)

/** Bytes a checkpoint record itself adds: an age this small means nothing was logged since. */
const CHECKPOINT_RECORD = 128

/** True once everything logged until now is checkpointed; false when `timeoutMs` passed first. */
export async function checkpointNow(db: Db, timeoutMs = 60_000): Promise<boolean> {
  const target = await status(db, 'Innodb_lsn_current')
  if (!Number.isFinite(target)) return true // not MariaDB's InnoDB counters: nothing to wait for
  if (target - await status(db, 'Innodb_lsn_last_checkpoint') <= CHECKPOINT_RECORD) return true
  const [was] = await query<{ pct: string; io: string; ioMax: string }>(db,
    'SELECT @@GLOBAL.innodb_max_dirty_pages_pct AS pct, @@GLOBAL.innodb_io_capacity AS io, @@GLOBAL.innodb_io_capacity_max AS ioMax')
  // the default io capacity writes a few MB/s: after a big load, minutes
  await db.query('SET GLOBAL innodb_io_capacity_max = 100000, innodb_io_capacity = 50000, innodb_max_dirty_pages_pct = 0')
  try {
    for (const deadline = Date.now() + timeoutMs; Date.now() < deadline;) {
      if (await status(db, 'Innodb_lsn_last_checkpoint') >= target) return true
      await new Promise((r) => setTimeout(r, 50))
    }
    return false
  } finally {
    await db.query(`SET GLOBAL innodb_max_dirty_pages_pct = ${Number(was.pct)}, innodb_io_capacity = ${Number(was.io)}, innodb_io_capacity_max = ${Number(was.ioMax)}`)
  }
}
