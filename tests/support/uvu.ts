// uvu's suite() and test, with one change: a `before` hook that throws is reported. uvu itself runs
// no test then, prints "(0 / N)" without the reason, and a file run alone still exits 0 (its runner
// returns from a `finally`, which swallows the error). Here the reason is printed at once, and every
// test of the suite fails with it, so the file exits 1 and `make test` counts and shows the failures.
import { suite as uvuSuite, test as uvuTest, type Callback, type Test } from 'uvu'

function visibleBefore<T>(s: Test<T>, name: string): Test<T> {
  const before = s.before
  const wrapped = ((fn: Callback<T>) => {
    const failed: { error?: unknown; shown?: boolean } = {}
    before(async (state) => {
      try { await fn(state) } catch (e) {
        failed.error = e ?? new Error('the before hook threw nothing')
        process.stderr.write(`\nbefore hook of ${name ? `suite "${name}"` : 'the test file'} failed: ${(e as Error)?.stack ?? String(e)}\n`)
      }
    })
    before.each(() => {
      if (failed.error === undefined) return
      if (!failed.shown) { failed.shown = true; throw failed.error }
      throw new Error(`not run: the suite's before hook failed (${String((failed.error as Error)?.message ?? failed.error).split('\n')[0]})`)
    })
  }) as Test<T>['before']
  wrapped.each = before.each
  s.before = wrapped
  return s
}

export function suite<T = Record<string, unknown>>(name = '', state?: T): Test<T> {
  return visibleBefore(uvuSuite<T>(name, state), name)
}

/** uvu's shared `test`, its before hooks made visible once for every file that imports it here. */
export const test = visibleBefore(uvuTest, '')
