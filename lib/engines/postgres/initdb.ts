// The init folder on PostgreSQL (POSTGRES_INITDB_DIR, docker/postgres/initdb.d): *.sql, *.sql.gz and
// *.sh run once, right after the local runtime created a new cluster, as the official image's
// entrypoint runs them on a new volume (the docker runtime mounts the folder where the image does).
// The image's POSTGRES_USER is the superuser and owns POSTGRES_DB; here it is the application role
// that owns the database, so what the files create belongs to it, as it does on the image. A file
// that needs the superuser connects as `postgres` (the private socket trusts it).
import fs from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'
import type { Config } from '../../config.ts'
import { failure } from '../../errors.ts'
import { step } from '../../log.ts'
import { HOST, run } from '../../run.ts'
import { initdbFiles } from '../../runtime/initdb.ts'
import { psqlArgv } from './tools.ts'

export interface PgInitConnection {
  /** The socket folder (or host) and port of the new cluster. */
  host: string
  port: number
  /** The folder of psql (the cluster's own binaries), put first on a script's PATH. */
  bin: string
}

/**
 * What a *.sh init script finds in its environment: the image's POSTGRES_* variables and libpq's
 * PG* ones, so a bare `psql` reaches the new database as its owner. Passwords only here, never argv.
 */
export function pgInitEnv(cfg: Config, c: PgInitConnection, pathVar: string): Record<string, string> {
  return {
    POSTGRES_USER: cfg.POSTGRES_USER, POSTGRES_DB: cfg.POSTGRES_DB, POSTGRES_PASSWORD: cfg.POSTGRES_PASSWORD,
    PGHOST: c.host, PGPORT: String(c.port), PGUSER: cfg.POSTGRES_USER, PGDATABASE: cfg.POSTGRES_DB, PGPASSWORD: cfg.POSTGRES_PASSWORD,
    PATH: pathVar ? `${c.bin}:${pathVar}` : c.bin,
  }
}

/** Runs the init folder's files in name order against the new cluster; a failure names the file. */
export async function runPgInitFolder(cfg: Config, c: PgInitConnection): Promise<string[]> {
  const files = initdbFiles(cfg, cfg.POSTGRES_INITDB_DIR)
  const env = pgInitEnv(cfg, c, cfg.hostPath)
  const client = ['-h', c.host, '-p', String(c.port), '-U', cfg.POSTGRES_USER]
  for (const file of files) {
    const name = path.basename(file)
    step(`init folder: ${name}`)
    try {
      if (file.endsWith('.sh')) {
        await run(HOST, ['bash', file], { env, cwd: cfg.projectDir })
      } else {
        // psql -v ON_ERROR_STOP=1 as the image's docker_process_sql runs it (not in one transaction)
        const input = file.endsWith('.gz') ? fs.createReadStream(file).pipe(zlib.createGunzip()) : fs.createReadStream(file)
        await run(HOST, psqlArgv(c.bin, client, cfg.POSTGRES_DB), { env: { PGPASSWORD: cfg.POSTGRES_PASSWORD }, input })
      }
    } catch (e) {
      throw failure(`init folder script ${name} failed: ${(e as Error).message}`, `fix ${path.relative(cfg.projectDir, file)}, then make up again (the new, empty cluster was removed)`)
    }
  }
  return files
}
