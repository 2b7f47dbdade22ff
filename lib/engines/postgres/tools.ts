// The stock client tools (pg_dump, psql), argv built by pure functions; the password goes in
// PGPASSWORD, never on argv.
import fs from 'node:fs'
import path from 'node:path'
import { projectPath, type Config } from '../../config.ts'
import { run, type RunResult } from '../../run.ts'
import type { Runtime } from '../../runtime/types.ts'
import { pgBinDirs, requirePgTools } from './bin.ts'

/** The bin folder of the client tools: the local cluster's own (same version), else the newest installed. */
export function clientBinDir(cfg: Config): string {
  return requirePgTools(pgBinDirs({ configured: cfg.POSTGRES_BIN_DIR ? projectPath(cfg, cfg.POSTGRES_BIN_DIR) : '', pathVar: cfg.hostPath }), ['pg_dump', 'psql'])
}

/** Where the tools run from: inside the container on the docker runtime (its PATH, the server's version), else the host's folder. */
export function toolsDir(cfg: Config, rt: Runtime): string {
  return rt.target.kind === 'compose' ? '' : clientBinDir(cfg)
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

/** Runs a client tool where the runtime's tools run; `inputFile` (a file of this machine) or `input` is its stdin. */
export function runClient(rt: Runtime, argv: string[], opts: { stdoutFile?: string; inputFile?: string; input?: string; env?: Record<string, string> } = {}): Promise<RunResult> {
  return run(rt.target, argv, { env: { ...rt.clientEnv(), ...opts.env }, stdoutFile: opts.stdoutFile, input: opts.inputFile ? fs.createReadStream(opts.inputFile) : opts.input })
}

/** Client args with the user replaced by `role`. */
export function withRole(clientArgs: string[], role: string): string[] {
  const i = clientArgs.indexOf('-U')
  return i === -1 ? [...clientArgs, '-U', role] : [...clientArgs.slice(0, i + 1), role, ...clientArgs.slice(i + 2)]
}
