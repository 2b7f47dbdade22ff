// Picks the runtime DATAKEEP_RUNTIME names (auto: docker when an engine answers, else local).
import type { Config } from '../config.ts'
import { engineName } from '../engines/name.ts'
import { UserError } from '../errors.ts'
import { debug } from '../log.ts'
import { DockerRuntime, dockerEngineAnswers } from './docker.ts'
import { ExternalRuntime } from './external.ts'
import { LocalRuntime } from './local.ts'
import type { Runtime } from './types.ts'

export type { Runtime } from './types.ts'

/** The MariaDB runtimes. Commands ported to the engine seam get theirs from selectEngine (lib/engines/). */
export async function selectRuntime(cfg: Config): Promise<Runtime> {
  if (engineName(cfg) === 'postgres') {
    throw new UserError('this command does not run on PostgreSQL yet (DB_ENGINE=postgres): up, down, status, check, data_dump, data_load, data_verify, the volume targets, initialize, seed_data, migrate, migrate_status, undo, predeploy, postdeploy and schema_docs do', {
      hint: 'run it with DB_ENGINE=mariadb, or use one of those',
    })
  }
  let name = cfg.DATAKEEP_RUNTIME
  if (name === 'auto') {
    name = (await dockerEngineAnswers()) ? 'docker' : 'local'
    debug(`DATAKEEP_RUNTIME=auto: using ${name}`)
  }
  if (name === 'docker') return new DockerRuntime(cfg)
  if (name === 'external') return new ExternalRuntime(cfg)
  return new LocalRuntime(cfg)
}

/** The same runtime working on another database of the same server (scratch, staging). */
export function forDatabase(rt: Runtime, database: string): Runtime {
  const view = Object.create(rt) as Runtime
  Object.defineProperty(view, 'admin', { value: { ...rt.admin, database }, enumerable: true })
  return view
}
