// A test process for tests/harness.test.ts: starts a stack, prints its folder, then (argv[2]):
// "wait" runs until killed; "throw" fails the way a suite's before hook does after starting a server.
import { makeStack } from './stack.ts'

const stack = await makeStack()
process.stdout.write(`${stack.dir}\n`)
if (process.argv[2] === 'throw') throw new Error('a before hook failed after its server started')
setInterval(() => undefined, 1000)
