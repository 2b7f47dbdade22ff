// The migration files on disk: MIGRATIONS_DIR/<version>_<name>.sql, ordered by version (a number,
// by convention the UTC time it was created, YYYYMMDDHHMMSS), each with the sha256 of its bytes.
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { projectPath, type Config } from '../config.ts'
import { engineName } from '../engines/name.ts'
import { UserError } from '../errors.ts'
import { giveTo, invokingOwner } from '../owner.ts'

export interface MigrationFile {
  version: string
  name: string
  /** The file name, `<version>_<name>.sql`: how messages name a migration. */
  base: string
  /** Absolute path. */
  file: string
  checksum: string
  text: string
}

export const FILE_PATTERN = /^(\d+)_(.+)\.sql$/
/** `<version>_<name>.<engine>.sql`: that engine's own text of a migration, used in place of the plain file. */
const VARIANT = /^(.+)\.(mariadb|postgres)$/
export const NAME_PATTERN = /^[a-z0-9_]+$/

export function migrationsDir(cfg: Config): string {
  return projectPath(cfg, cfg.MIGRATIONS_DIR)
}

export function sha256(data: string | Buffer): string {
  return crypto.createHash('sha256').update(data).digest('hex')
}

/** Orders versions as numbers (they may differ in length), not as strings; a row some other tool wrote may not be a number. */
export function compareVersions(a: string, b: string): number {
  if (!/^\d+$/.test(a) || !/^\d+$/.test(b)) return a < b ? -1 : a > b ? 1 : 0
  const x = BigInt(a)
  const y = BigInt(b)
  return x < y ? -1 : x > y ? 1 : 0
}

/**
 * Every migration file, oldest first. A missing folder is no migrations; a `.sql` file with a bad
 * name or a version used twice is an error, since silently skipping it would skip a migration.
 */
export function listMigrations(dir: string, engine: string = 'mariadb'): MigrationFile[] {
  let names: string[]
  try { names = fs.readdirSync(dir) } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw e
  }
  const out: MigrationFile[] = []
  for (const base of names.filter((n) => n.endsWith('.sql')).sort()) {
    const m = FILE_PATTERN.exec(base)
    if (!m) {
      throw new UserError(`${path.join(dir, base)} is not named <version>_<name>.sql`, {
        hint: 'to fix: rename it (make migration NAME=<name> creates a well-named file) or move it out of MIGRATIONS_DIR',
      })
    }
    const variant = VARIANT.exec(m[2])
    if (variant && variant[2] !== engine) continue // another engine's text of this migration
    const file = path.join(dir, base)
    const bytes = fs.readFileSync(file)
    out.push({ version: m[1], name: variant ? variant[1] : m[2], base, file, checksum: sha256(bytes), text: bytes.toString('utf8') })
  }
  // this engine's text replaces the plain file of the same version
  const own = new Set(out.filter((f) => VARIANT.test(f.base.replace(/\.sql$/, ''))).map((f) => f.version))
  for (let i = out.length - 1; i >= 0; i--) if (own.has(out[i].version) && !VARIANT.test(out[i].base.replace(/\.sql$/, ''))) out.splice(i, 1)
  out.sort((a, b) => compareVersions(a.version, b.version))
  for (let i = 1; i < out.length; i++) {
    if (compareVersions(out[i - 1].version, out[i].version) === 0) {
      throw new UserError(`migrations ${out[i - 1].base} and ${out[i].base} have the same version ${out[i].version}`, {
        hint: 'to fix: give the newer one a later version (rename the file); versions must be unique',
      })
    }
  }
  return out
}

/**
 * One hash over every migration file's name and contents, in name order: when it differs from the
 * one recorded with the `_init` seed snapshot, the seed was built for another schema.
 */
export function migrationsHash(cfg: Config): string {
  const lines = listMigrations(migrationsDir(cfg), engineName(cfg)).sort((a, b) => (a.base < b.base ? -1 : 1))
    .map((m) => `${m.base}\0${m.checksum}\n`)
  return sha256(lines.join(''))
}

/** UTC YYYYMMDDHHMMSS of a moment. */
export function versionAt(d: Date): string {
  return d.toISOString().replace(/[-:T]/g, '').slice(0, 14)
}

export function migrationTemplate(base: string): string {
  return [
    `-- ${base}`,
    '-- Statements end with ; at the end of a line; each section runs in one transaction where the',
    '-- engine allows (DDL commits at once in MariaDB/MySQL). Format and rules: docs/migrations.md',
    '',
    '-- migrate:up',
    '',
    '',
    '-- migrate:down',
    '',
  ].join('\n')
}

/**
 * Writes `<UTC now>_<name>.sql` from the template and returns its path. A version already taken
 * (two in the same second) moves on by a second, so the new file always sorts last among equals.
 */
export function createMigration(cfg: Config, name: string, now = new Date()): string {
  if (!NAME_PATTERN.test(name) || name.length > 100) {
    throw new UserError(`migration name ${JSON.stringify(name)} is not valid: use lower-case letters, digits and _ (at most 100)`, {
      hint: 'for example: make migration NAME=add_users',
    })
  }
  const dir = migrationsDir(cfg)
  const existed = fs.existsSync(dir)
  fs.mkdirSync(dir, { recursive: true })
  const taken = new Set(listMigrations(dir, engineName(cfg)).map((m) => m.version))
  let t = now.getTime()
  while (taken.has(versionAt(new Date(t)))) t += 1000
  const base = `${versionAt(new Date(t))}_${name}.sql`
  const file = path.join(dir, base)
  fs.writeFileSync(file, migrationTemplate(base.replace(/\.sql$/, '')), { flag: 'wx' })
  giveTo(invokingOwner(cfg), existed ? file : dir)
  return file
}
