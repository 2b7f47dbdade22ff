// The init folder (seed 003): *.sql, *.sql.gz and *.sh in INITDB_DIR run once, on the first start of
// an empty volume. The docker runtime mounts the folder where the server image runs it; the local
// runtime runs it itself, right after it created a new data directory.
import fs from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'
import { projectPath, type Config } from '../config.ts'
import { failure } from '../errors.ts'
import { step } from '../log.ts'
import { run } from '../run.ts'
import type { Runtime } from './types.ts'

/**
 * The files that run, in name order (what the MariaDB and PostgreSQL images' entrypoints run, minus
 * .xz/.zst); `folder` is the engine's key (INITDB_DIR, or POSTGRES_INITDB_DIR).
 */
export function initdbFiles(cfg: Config, folder: string = cfg.INITDB_DIR): string[] {
  const dir = projectPath(cfg, folder)
  if (!fs.existsSync(dir)) return []
  return fs.readdirSync(dir).filter((f) => /\.(sql|sql\.gz|sh)$/.test(f)).sort().map((f) => path.join(dir, f))
}

export async function runInitFolder(cfg: Config, rt: Runtime): Promise<string[]> {
  const files = initdbFiles(cfg)
  for (const file of files) {
    const name = path.basename(file)
    step(`init folder: ${name}`)
    try {
      if (file.endsWith('.sh')) {
        await run(rt.target, ['bash', file], { env: { ...rt.clientEnv(), MYSQL_DATABASE: rt.admin.database, MYSQL_SOCKET: rt.admin.socketPath ?? '' } })
      } else {
        const input = file.endsWith('.gz') ? fs.createReadStream(file).pipe(zlib.createGunzip()) : fs.createReadStream(file)
        await run(rt.target, ['mariadb', ...rt.clientArgs(), '--binary-mode', rt.admin.database], { env: rt.clientEnv(), input })
      }
    } catch (e) {
      throw failure(`init folder script ${name} failed: ${(e as Error).message}`, `fix ${path.relative(cfg.projectDir, file)}, then make up again (the new, empty data directory was removed)`)
    }
  }
  return files
}
