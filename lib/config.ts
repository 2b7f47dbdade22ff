// The only reader of process.env and .env, against one schema (lib/config-schema.ts): every key
// once, with its default and description (which also generate .env.example). The environment wins over .env.
import fs from 'node:fs'
import path from 'node:path'
import { parse as parseDotenv } from 'dotenv'
import { UserError } from './errors.ts'
import { addSecret } from './redact.ts'
import { configureLog } from './log.ts'
import { SCHEMA, type KeyDef } from './config-schema.ts'

export { SCHEMA }


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
        if (!['mysql:', 'mariadb:', 'postgres:', 'postgresql:'].includes(u.protocol)) return { error: `${key} must start with mysql://, mariadb://, postgres:// or postgresql://` }
        return { value: raw }
      } catch { return { error: `${key} is not a URL (mysql:// or postgres://user:password@host:port/database)` } }
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
