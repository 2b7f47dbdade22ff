// initialize: inspect what exists and do only what is missing. For now: the database itself.
import type { Config } from './config.ts'
import { failure } from './errors.ts'
import { done, step } from './log.ts'
import type { Runtime } from './runtime/index.ts'
import { ensureDatabase } from './stack.ts'

export async function initialize(_cfg: Config, rt: Runtime): Promise<void> {
  const state = await rt.state()
  if (!state.running) throw failure(`the database server is not running (${state.detail})`, 'to fix: make up')
  const name = rt.admin.database
  if (await ensureDatabase(rt)) step(`created database ${name}`)
  done(`database ${name} exists`)
}
