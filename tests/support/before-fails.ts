// A test file for tests/harness.test.ts (not *.test.ts: the suite does not run it): its before hook fails.
import { suite } from './uvu.ts'

const t = suite('a suite whose before hook fails')
t.before(() => { throw new Error('the fixture could not be built: reason-7f3a') })
t('first', () => undefined)
t('second', () => undefined)
t.run()
