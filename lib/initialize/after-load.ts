// What follows every load (data_load, seed_data, undo): pending migrations, then the search index.
import type { Config } from '../config.ts'
import { runHook } from '../hooks.ts'
import { info } from '../log.ts'
import { migrate } from '../migrate/index.ts'
import type { Runtime } from '../runtime/index.ts'

export async function afterLoad(cfg: Config, rt: Runtime, opts: { skipIndex?: boolean } = {}): Promise<void> {
  const m = await migrate(cfg, rt)
  if (m.applied.length) info(`applied ${m.applied.length} pending migration${m.applied.length === 1 ? '' : 's'} after the load`)
  if (cfg.REINDEX_COMMAND && !(opts.skipIndex ?? cfg.INIT_SKIP_INDEX)) {
    info('rebuilding the search index (REINDEX_COMMAND)')
    await runHook(cfg, rt, 'REINDEX_COMMAND')
  }
}
