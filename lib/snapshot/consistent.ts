// Several readers that see one point in time, as mydumper does: a brief global read lock while
// every reader starts its consistent-snapshot transaction, then the lock is released.
import { connect, type Connection, type Db } from '../db.ts'
import { warn } from '../log.ts'

export interface Readers {
  /** Connections each inside START TRANSACTION WITH CONSISTENT SNAPSHOT of the same moment. */
  workers: Db[]
  /** Ends the transactions and closes every connection. */
  close(): Promise<void>
}

/**
 * Opens `n` readers. `whileLocked` runs on the coordinator while the lock holds, so what it reads
 * (the schema) belongs to the same moment as the data. Without the RELOAD privilege (a managed
 * server) there is no global lock: one reader, still consistent for InnoDB tables.
 */
export async function openReaders<T>(conn: Connection, n: number, whileLocked: (db: Db, locked: boolean) => Promise<T>): Promise<{ readers: Readers; locked: T }> {
  const coordinator = await connect(conn, { database: null })
  const workers: Db[] = []
  const closeAll = async () => {
    for (const w of workers) await w.end().catch(() => w.destroy())
    await coordinator.end().catch(() => coordinator.destroy())
  }
  try {
    let locked = false
    try {
      await coordinator.query('SET SESSION lock_wait_timeout = 60')
      await coordinator.query('FLUSH TABLES WITH READ LOCK')
      locked = true
    } catch (e) {
      warn(`no global read lock (${(e as Error).message}); dumping with one reader`)
      n = 1
    }
    for (let i = 0; i < n; i++) {
      const w = await connect(conn, { database: null })
      workers.push(w)
      await w.query('SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ')
      await w.query('START TRANSACTION WITH CONSISTENT SNAPSHOT')
    }
    const result = await whileLocked(locked ? coordinator : workers[0], locked)
    if (locked) await coordinator.query('UNLOCK TABLES')
    return { readers: { workers, close: closeAll }, locked: result }
  } catch (e) {
    await closeAll()
    throw e
  }
}
