// The only reader of process.env and .env: one schema, every key once, with its default and
// description (which also generate .env.example). The environment wins over .env.
import fs from 'node:fs'
import path from 'node:path'
import { parse as parseDotenv } from 'dotenv'
import { UserError } from './errors.ts'
import { addSecret } from './redact.ts'
import { configureLog } from './log.ts'

type Kind =
  | { type: 'string' }
  | { type: 'enum'; values: readonly string[] }
  | { type: 'boolean' }
  | { type: 'int'; min: number; max: number }
  | { type: 'port' }
  | { type: 'name' }
  | { type: 'url' }

interface KeyDef { default: string; description: string; kind: Kind; secret?: boolean; section: string; envOnly?: boolean }

const str: Kind = { type: 'string' }
const bool: Kind = { type: 'boolean' }

/** Every key datakeep reads. Order and sections are those of .env.example. */
export const SCHEMA = {
  DATAKEEP_RUNTIME: { section: 'Where the stack runs', default: 'auto', kind: { type: 'enum', values: ['auto', 'docker', 'local', 'external'] },
    description: 'auto (docker when a Docker engine answers, else local), docker, local (a private server from the host binaries) or external (DATABASE_URL)' },
  APP_ENV: { section: 'Where the stack runs', default: 'development', kind: { type: 'enum', values: ['development', 'staging', 'production'] },
    description: 'development, staging or production; staging and production guard every destructive operation' },
  DATABASE_URL: { section: 'Where the stack runs', default: '', kind: { type: 'url' }, secret: true,
    description: 'external runtime only: mysql://user:password@host:port/database of a server that already runs' },

  MYSQL_DATABASE: { section: 'Database', default: 'app', kind: { type: 'name' }, description: 'the application database (created when missing)' },
  MYSQL_USER: { section: 'Database', default: 'app', kind: { type: 'name' }, description: 'the application user (created when missing, with all rights on the database)' },
  MYSQL_PASSWORD: { section: 'Database', default: 'app', kind: str, secret: true, description: "the application user's password" },
  MYSQL_ROOT_PASSWORD: { section: 'Database', default: 'root', kind: str, secret: true, description: "the server's root password (local and docker runtimes; datakeep works as root)" },
  MYSQL_HOST: { section: 'Database', default: '127.0.0.1', kind: str, description: 'the address the server is reached on from this machine' },
  MYSQL_PORT: { section: 'Database', default: '3307', kind: { type: 'port' }, description: 'the port the server listens on (local) or is published on, bound to 127.0.0.1 (docker)' },

  DATA_BACKUP_DIRNAME: { section: 'Data on disk', default: 'data/backups', kind: str, description: 'folder of snapshots, one folder per snapshot name' },
  STORAGE_DIR: { section: 'Data on disk', default: 'data/storage', kind: str, description: "the application's uploaded files, kept in step with the database by snapshots" },
  LOCAL_DATA_DIR: { section: 'Data on disk', default: 'data/mysqld', kind: str, description: "local runtime: the server's data directory (the local runtime's volume)" },
  LOCAL_RUN_DIR: { section: 'Data on disk', default: 'data/run', kind: str, description: "local runtime: the server's socket, pid file and error log" },
  MYSQLD_BIN: { section: 'Data on disk', default: '', kind: str, description: 'local runtime: the server binary (empty: mariadbd or mysqld found on PATH or in /usr/sbin)' },

  MIGRATIONS_DIR: { section: 'Data on disk', default: 'data/migrations', kind: str, description: 'built-in migrations: <timestamp>_<name>.sql files with -- migrate:up and -- migrate:down sections' },
  SEED_DIR: { section: 'Data on disk', default: 'data/seed', kind: str, description: 'seeders, run in name order: *.sql files and *.ts modules (export default async ({ db, log }) => {...})' },
  FIXTURES_DIR: { section: 'Data on disk', default: 'data/fixtures', kind: str, description: 'JSON fixtures, one <table>.json per table (make fixtures_dump / fixtures_load)' },
  INITDB_DIR: { section: 'Data on disk', default: 'docker/mysql/initdb.d', kind: str, description: 'run once on the first start of an empty volume: *.sql, *.sql.gz, *.sh' },

  INIT_CLEAN: { section: 'initialize', default: 'false', kind: bool, description: 'make initialize INIT_CLEAN=true: recreate the database (after a safety snapshot), then fill it' },
  INIT_LOAD: { section: 'initialize', default: '', kind: str, description: 'make initialize INIT_LOAD=<name>: load that snapshot (through the verified, atomic load)' },
  INIT_SKIP_SEED: { section: 'initialize', default: 'false', kind: bool, description: 'do not seed (and do not rebuild _init); an empty database stays empty but migrated' },
  INIT_SKIP_INDEX: { section: 'initialize', default: 'false', kind: bool, description: 'do not rebuild the search index' },
  LOAD_FIXTURES: { section: 'initialize', default: 'false', kind: bool, description: 'load data/fixtures/*.json during make up / initialize' },
  MIGRATE_COMMAND: { section: 'initialize', default: '', kind: str, description: 'run migrations with this shell command instead of the built-in runner (e.g. python manage.py migrate)' },
  SEED_COMMAND: { section: 'initialize', default: '', kind: str, description: 'seed with this shell command instead of data/seed' },
  REINDEX_COMMAND: { section: 'initialize', default: '', kind: str, description: 'rebuild the search index with this shell command (empty: no index to build)' },
  INDEX_CHECK_COMMAND: { section: 'initialize', default: '', kind: str, description: 'exit 0 when the search index exists (empty: always rebuild when REINDEX_COMMAND is set)' },
  HOOK_SERVICE: { section: 'initialize', default: '', kind: str, description: 'docker runtime: run the *_COMMAND hooks inside this compose service (empty: on the host)' },

  SAFETY_MAX_AGE: { section: 'Safety', default: '10', kind: { type: 'int', min: 0, max: 100000 }, description: 'minutes a verified snapshot of the current state counts as fresh (no new safety snapshot needed)' },
  SAFETY_KEEP: { section: 'Safety', default: '5', kind: { type: 'int', min: 1, max: 1000 }, description: 'how many safety snapshots (_safety/...) to keep' },
  POSTDEPLOY_MAX_LOSS: { section: 'Safety', default: '0', kind: { type: 'int', min: 0, max: 100 }, description: 'percent of rows a table may lose between make predeploy and make postdeploy' },
  ALLOW_DESTRUCTIVE_IN_PRODUCTION: { section: 'Safety', default: 'false', kind: bool, envOnly: true, description: 'environment only (ignored in .env): allow INIT_CLEAN, seed_data and volume removal in production' },

  COMPOSE_PROJECT_NAME: { section: 'Docker runtime', default: 'datakeep', kind: { type: 'name' }, description: 'the compose project name' },
  MYSQL_SERVICE: { section: 'Docker runtime', default: 'mysqld', kind: { type: 'name' }, description: 'the compose service that runs the database server' },
  MYSQL_IMAGE: { section: 'Docker runtime', default: 'mariadb:11.4', kind: str, description: 'the database server image (a MariaDB LTS by default, what the tests run against)' },
  MYSQL_VOLUME: { section: 'Docker runtime', default: 'datakeep_mysqld', kind: { type: 'name' }, description: 'the external named volume that holds the database; never removed by make down' },
  SEARCH_ENABLED: { section: 'Docker runtime', default: 'false', kind: bool, description: 'start the elasticsearch service (compose profile "search")' },
  ELASTICSEARCH_IMAGE: { section: 'Docker runtime', default: 'docker.elastic.co/elasticsearch/elasticsearch:8.15.3', kind: str, description: 'the search server image' },
  ELASTICSEARCH_PORT: { section: 'Docker runtime', default: '9200', kind: { type: 'port' }, description: 'the port search is published on, bound to 127.0.0.1' },

  DUMP_THREADS: { section: 'Behaviour', default: '0', kind: { type: 'int', min: 0, max: 64 }, description: 'parallel readers and loaders for snapshots (0: one per core, at most 4)' },
  SUDO_UID: { section: 'Behaviour', default: '', kind: str, description: 'set by sudo: files datakeep writes are given to this user (else to the owner of the project folder)' },
  SUDO_GID: { section: 'Behaviour', default: '', kind: str, description: "set by sudo: that user's group" },
  START_TIMEOUT: { section: 'Behaviour', default: '60', kind: { type: 'int', min: 1, max: 3600 }, description: 'seconds to wait for the server to answer after a start' },
  VERBOSE: { section: 'Behaviour', default: 'false', kind: bool, description: 'echo every command datakeep runs (passwords redacted)' },
  CI: { section: 'Behaviour', default: 'false', kind: bool, description: 'plain progress lines instead of bars (set by CI services)' },
} as const satisfies Record<string, KeyDef>

export type Key = keyof typeof SCHEMA
type ValueOf<K extends Key> = (typeof SCHEMA)[K]['kind'] extends { type: 'boolean' } ? boolean
  : (typeof SCHEMA)[K]['kind'] extends { type: 'int' } | { type: 'port' } ? number
    : (typeof SCHEMA)[K]['kind'] extends { type: 'enum'; values: readonly (infer V)[] } ? V
      : string

export type Config = { readonly [K in Key]: ValueOf<K> } & {
  /** The project folder: relative paths in config are relative to it. */
  readonly projectDir: string
  /** The host's PATH, where binaries are looked for. */
  readonly hostPath: string
  /** Where each value came from, for status and error messages. */
  readonly sources: Readonly<Record<Key, 'default' | '.env' | 'environment' | 'flag'>>
}

const TRUE = ['true', '1', 'yes']
const FALSE = ['false', '0', 'no']

function parseValue(key: Key, raw: string): { value?: unknown; error?: string } {
  const kind = (SCHEMA[key] as KeyDef).kind
  const shown = JSON.stringify(raw)
  switch (kind.type) {
    case 'string': return { value: raw }
    case 'boolean': {
      const v = raw.trim().toLowerCase()
      if (TRUE.includes(v)) return { value: true }
      if (FALSE.includes(v)) return { value: false }
      return { error: `${key}=${shown} is not a boolean (true/false/1/0/yes/no)` }
    }
    case 'enum':
      return kind.values.includes(raw) ? { value: raw } : { error: `${key}=${shown} must be one of ${kind.values.join(', ')}` }
    case 'int': case 'port': {
      const [min, max] = kind.type === 'port' ? [1, 65535] : [kind.min, kind.max]
      const n = /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : NaN
      return Number.isInteger(n) && n >= min && n <= max ? { value: n }
        : { error: `${key}=${shown} is not ${kind.type === 'port' ? 'a port' : 'a whole number'} (${min}-${max})` }
    }
    case 'name':
      return /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/.test(raw) ? { value: raw }
        : { error: `${key}=${shown} is not a valid name (letters, digits, _ . -, at most 64)` }
    case 'url':
      if (raw === '') return { value: raw }
      try {
        const u = new URL(raw)
        if (!['mysql:', 'mariadb:'].includes(u.protocol)) return { error: `${key} must start with mysql:// or mariadb://` }
        return { value: raw }
      } catch { return { error: `${key} is not a URL (mysql://user:password@host:port/database)` } }
  }
}

/**
 * Reads a .env file strictly: dotenv's parser for the values, plus a line check, because dotenv
 * silently skips lines it cannot read and a typo must not pass for a default.
 */
export function readEnvFile(file: string): Record<string, string> {
  let text: string
  try { text = fs.readFileSync(file, 'utf8') } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {}
    throw e
  }
  let open: string | null = null // quote character of a multi-line value still open
  const bad: number[] = []
  text.split(/\r?\n/).forEach((line, i) => {
    if (open) { if (line.includes(open)) open = null; return }
    if (/^\s*(#.*)?$/.test(line)) return
    const m = /^\s*(?:export\s+)?[A-Za-z_][A-Za-z0-9_.-]*\s*=\s*(["'`]?)(.*)$/.exec(line)
    if (!m) { bad.push(i + 1); return }
    if (m[1] && !m[2].includes(m[1])) open = m[1]
  })
  if (bad.length > 0 || open) {
    const where = bad.length ? `line ${bad.join(', ')}` : 'an unclosed quote'
    throw new UserError(`${path.basename(file)} is malformed at ${where} (expected KEY=value)`, {
      hint: `fix ${file}; .env.example shows every key`,
    })
  }
  return parseDotenv(text)
}

export interface LoadOptions {
  env?: NodeJS.ProcessEnv
  projectDir?: string
  /** Values from command-line flags: they win over everything. */
  flags?: Partial<Record<Key, string>>
}

/** Loads and validates the whole config; every bad key is reported in one error. */
export function loadConfig(opts: LoadOptions = {}): Config {
  const env = opts.env ?? process.env
  const projectDir = path.resolve(opts.projectDir ?? process.cwd())
  const fileValues = readEnvFile(path.join(projectDir, '.env'))
  const values: Record<string, unknown> = {}
  const sources: Record<string, string> = {}
  const errors: string[] = []
  for (const key of Object.keys(SCHEMA) as Key[]) {
    let raw: string = SCHEMA[key].default
    let source = 'default'
    // an env-only key in .env is ignored: a committed file must not switch off a guard
    if (fileValues[key] !== undefined && fileValues[key] !== '' && !(SCHEMA[key] as KeyDef).envOnly) { raw = fileValues[key]; source = '.env' }
    if (env[key] !== undefined && env[key] !== '') { raw = env[key] as string; source = 'environment' }
    if (opts.flags?.[key] !== undefined) { raw = opts.flags[key] as string; source = 'flag' }
    const r = parseValue(key, raw)
    if (r.error) errors.push(`${r.error} (from ${source})`)
    values[key] = r.value
    sources[key] = source
  }
  // Secrets are redacted from everything printed; a default is public and a value equal to a
  // plain setting (a password "app" for user "app") would blank that setting everywhere.
  const plainValues = new Set((Object.keys(SCHEMA) as Key[]).filter((k) => !(SCHEMA[k] as KeyDef).secret).map((k) => String(values[k])))
  for (const key of Object.keys(SCHEMA) as Key[]) {
    const v = String(values[key] ?? '')
    if ((SCHEMA[key] as KeyDef).secret && v !== SCHEMA[key].default && !plainValues.has(v)) addSecret(v)
  }
  if (values.DATAKEEP_RUNTIME === 'external' && !values.DATABASE_URL) {
    errors.push('DATAKEEP_RUNTIME=external needs DATABASE_URL (mysql://user:password@host:port/database)')
  }
  if (errors.length > 0) {
    throw new UserError(`bad config (${errors.length} ${errors.length === 1 ? 'key' : 'keys'}): ${errors.join('; ')}`, {
      hint: 'fix them in .env or the environment; .env.example describes every key',
    })
  }
  const cfg = { ...values, projectDir, sources, hostPath: env.PATH ?? '' } as unknown as Config
  configureLog({ verbose: cfg.VERBOSE, ci: cfg.CI })
  return cfg
}

/** A config path made absolute against the project folder. */
export function projectPath(cfg: Config, p: string): string {
  return path.resolve(cfg.projectDir, p)
}

/** .env.example, generated from the schema; a test fails when the committed file drifts. */
export function renderEnvExample(): string {
  const out = [
    '# datakeep configuration: copy to .env and change what you need.',
    '# The environment wins over .env; every key is optional and shows its default.',
    '# Generated from lib/config.ts (make env_example); a test fails when the two drift.',
  ]
  let section = ''
  for (const [key, def] of Object.entries(SCHEMA) as [Key, KeyDef][]) {
    if (def.section !== section) { section = def.section; out.push('', `## ${section}`) }
    out.push(`# ${def.description}`, `${key}=${def.default}`)
  }
  return out.join('\n') + '\n'
}
