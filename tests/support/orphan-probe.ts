// Run by tests/harness.test.ts: starts a test stack, prints its folder, and waits to be killed.
import { makeStack } from './stack.ts'

const stack = await makeStack()
process.stdout.write(`${stack.dir}\n`)
setInterval(() => undefined, 1000)
