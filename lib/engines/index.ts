// selectEngine(): the engine the config names (DB_ENGINE, or DATABASE_URL's scheme on the external
// runtime), with its runtime. Each engine's files load only when it is the one chosen.
import type { Config } from '../config.ts'
import { engineName } from './name.ts'
import type { Engine } from './types.ts'

export { engineName, urlEngine, type EngineName } from './name.ts'
export type { Engine } from './types.ts'

export async function selectEngine(cfg: Config): Promise<Engine> {
  if (engineName(cfg) === 'postgres') return (await import('./postgres/index.ts')).postgresEngine(cfg)
  return (await import('./mariadb/index.ts')).mariadbEngine(cfg)
}
