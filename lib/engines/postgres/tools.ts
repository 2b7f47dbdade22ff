// The stock client tools (pg_dump, psql), argv built by pure functions; the password goes in
// PGPASSWORD, never on argv.
import path from 'node:path'
import { projectPath, type Config } from '../../config.ts'
import { run, type RunResult } from '../../run.ts'
import type { Runtime } from '../../runtime/types.ts'
import { pgBinDirs, requirePgTools } from './bin.ts'

/** The bin folder of the client tools: the local cluster's own (same version), else the newest installed. */
export function clientBinDir(cfg: Config): string {
  return requirePgTools(pgBinDirs({ configured: cfg.POSTGRES_BIN_DIR ? projectPath(cfg, cfg.POSTGRES_BIN_DIR) : '', pathVar: cfg.hostPath }), ['pg_dump', 'psql'])
}

/** pg_dump of one section of the schema as of an exported snapshot (the readers' moment). */
export function schemaDumpArgv(bin: string, clientArgs: string[], database: string, section: 'pre-data' | 'post-data', snapshot: string | null): string[] {
  return [path.join(bin, 'pg_dump'), ...clientArgs, '--schema-only', `--section=${section}`, ...(snapshot ? [`--snapshot=${snapshot}`] : []), '--no-password', '-d', database]
}

/** A plain SQL dump `psql db < file` restores. */
export function plainDumpArgv(bin: string, clientArgs: string[], database: string): string[] {
  return [path.join(bin, 'pg_dump'), ...clientArgs, '--format=plain', '--no-password', '-d', database]
}

/** psql reading SQL from stdin (or `file`), stopping at the first error, all in one transaction when `single`. */
export function psqlArgv(bin: string, clientArgs: string[], database: string, opts: { file?: string; single?: boolean } = {}): string[] {
  return [path.join(bin, 'psql'), ...clientArgs, '-X', '-q', '-v', 'ON_ERROR_STOP=1', ...(opts.single ? ['-1'] : []), '--no-password', '-d', database,
    ...(opts.file ? ['-f', opts.file] : [])]
}

export function runClient(rt: Runtime, argv: string[], opts: { stdoutFile?: string } = {}): Promise<RunResult> {
  return run(rt.target, argv, { env: rt.clientEnv(), stdoutFile: opts.stdoutFile })
}
