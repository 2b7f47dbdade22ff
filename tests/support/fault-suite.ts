// The frame every fault-test file shares: a suite with its own server, a World set up on it and a
// watcher connection; and one case per signal at every point, each with the same expectations.
import { suite } from './uvu.ts'
import type { Db } from '../../lib/db.ts'
import { watcher, type World } from './faults.ts'
import { makeStack, type TestStack } from './stack.ts'

export interface FaultContext { stack: TestStack; w: World; watch: Db }

export function faultSuite(name: string, setup: (stack: TestStack) => Promise<World>) {
  const t = suite<FaultContext>(name, { stack: null as unknown as TestStack, w: null as unknown as World, watch: null as unknown as Db })
  t.before(async (ctx) => {
    ctx.stack = await makeStack({ env: { MYSQL_DATABASE: 'app' } })
    ctx.w = await setup(ctx.stack)
    ctx.watch = await watcher(ctx.stack)
  })
  t.after(async (ctx) => {
    await ctx.watch?.end().catch(() => undefined)
    await ctx.stack?.destroy()
  })
  return t
}

export type Point = 'early' | 'mid-data' | 'just before the swap'
export type At = (watch: Db) => boolean | Promise<boolean>

/** Registers kill -9 and SIGINT at each point: `[point, title, at]`. */
export function signalCases(t: ReturnType<typeof faultSuite>, points: readonly (readonly [Point, string, (w: World) => At])[],
  run: (w: World, signal: 'SIGKILL' | 'SIGINT', point: string, at: At, watch: Db) => Promise<void>): void {
  for (const [signal, label] of [['SIGKILL', 'kill -9'], ['SIGINT', 'SIGINT']] as const) {
    for (const [point, title, at] of points) {
      t(`${label} ${title}`, async ({ w, watch }) => { await run(w, signal, point, at(w), watch) })
    }
  }
}
