// down: stop the stack. Data is never removed: the volume (or local data directory) stays.
// usage: make down
// needs: nothing; stopping a stopped stack is fine.
import { parseFlags } from '../lib/args.ts'
import { loadConfig } from '../lib/config.ts'
import { main } from '../lib/errors.ts'
import { done, info } from '../lib/log.ts'
import { selectEngine } from '../lib/engines/index.ts'

main(async () => {
  parseFlags(process.argv.slice(2), {}, 'make down')
  const cfg = loadConfig()
  const engine = await selectEngine(cfg)
  const rt = engine.runtime
  if (rt.name === 'external') { info('external runtime: the server is not datakeep\'s to stop; nothing done'); return }
  const wasRunning = (await rt.state()).running
  if (wasRunning) await engine.copyLogs() // they outlive the volume
  await rt.stop()
  const data = await rt.data()
  done(`${wasRunning ? 'stopped' : 'already stopped'}; the data stays in ${data.where}`)
})
