// Which engine a config means: DB_ENGINE, except on the external runtime, where the scheme of
// DATABASE_URL decides (a URL says what it points at). No imports: the runtime and config layers use it too.
import type { Config } from '../config.ts'
import { UserError } from '../errors.ts'

export type EngineName = 'mariadb' | 'postgres'

/** The engine a DATABASE_URL's scheme names, or null for an empty or unparsable URL. */
export function urlEngine(url: string): EngineName | null {
  const scheme = /^([a-z]+):\/\//i.exec(url)?.[1]?.toLowerCase()
  if (scheme === 'postgres' || scheme === 'postgresql') return 'postgres'
  if (scheme === 'mysql' || scheme === 'mariadb') return 'mariadb'
  return null
}

export function engineName(cfg: Pick<Config, 'DB_ENGINE' | 'DATAKEEP_RUNTIME' | 'DATABASE_URL'> & { sources?: Partial<Config['sources']> }): EngineName {
  const fromUrl = cfg.DATAKEEP_RUNTIME === 'external' ? urlEngine(cfg.DATABASE_URL) : null
  if (!fromUrl) return cfg.DB_ENGINE
  if (cfg.sources?.DB_ENGINE && cfg.sources.DB_ENGINE !== 'default' && cfg.DB_ENGINE !== fromUrl) {
    throw new UserError(`DB_ENGINE=${cfg.DB_ENGINE} but DATABASE_URL points at ${fromUrl === 'postgres' ? 'PostgreSQL' : 'MariaDB/MySQL'}`, {
      hint: `to fix: set DB_ENGINE=${fromUrl} (or leave it unset: the URL's scheme decides on the external runtime)`,
    })
  }
  return fromUrl
}
