// The frame every fault-test file shares: a suite with its own server on one engine, a World set up
// on it; and one case per signal at every point, each with the same expectations.
import { suite } from './uvu.ts'
import type { AnyStack, EngineCase } from './engine-cases.ts'
import type { World } from './faults.ts'

export interface FaultContext<S extends AnyStack = AnyStack> { stack: S; w: World<S> }

/** A suite on a private server of engine `c`, with the world `setup` makes there. */
export function faultSuite<S extends AnyStack>(name: string, c: EngineCase<S>, setup: (stack: S, c: EngineCase<S>) => Promise<World<S>>) {
  const t = suite<FaultContext<S>>(name, { stack: null as unknown as S, w: null as unknown as World<S> })
  t.before(async (ctx) => {
    ctx.stack = await c.stack()
    ctx.w = await setup(ctx.stack, c)
  })
  t.after(async (ctx) => {
    if (ctx.stack) await c.close(ctx.stack)
    await ctx.stack?.destroy()
  })
  return t
}

export type Point = 'early' | 'mid-data' | 'just before the swap'

/** A load's points as every engine shows them: the side database created, rows being written, the swap waiting. */
export const LOAD_POINTS = [
  ['early', 'early (staging database just created)', (c: EngineCase, w: World<AnyStack>) => () => c.tempDb(w.stack, 'stage')],
  ['mid-data', 'mid-data', (c: EngineCase, w: World<AnyStack>) => () => c.midData(w.stack)],
  ['just before the swap', 'just before the swap', (c: EngineCase, w: World<AnyStack>) => () => c.swapWaiting(w.stack)],
] as const

/** Registers kill -9 and SIGINT at each point of a load; `hold` is set at the point just before the swap (the case holds the swap there). */
export function signalCases<S extends AnyStack>(t: ReturnType<typeof faultSuite<S>>, c: EngineCase<S>,
  run: (w: World<S>, signal: 'SIGKILL' | 'SIGINT', point: Point, at: () => Promise<boolean>, hold: boolean) => Promise<void>): void {
  for (const [signal, label] of [['SIGKILL', 'kill -9'], ['SIGINT', 'SIGINT']] as const) {
    for (const [point, title, at] of LOAD_POINTS) {
      t(`${label} ${title}`, async ({ w }) => { await run(w, signal, point, at(c as unknown as EngineCase, w), point === 'just before the swap') })
    }
  }
}
