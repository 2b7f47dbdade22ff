// Command-line flags for scripts: node's parseArgs, strict, with errors that show the usage.
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { HelpRequested, UserError } from './errors.ts'

type Options = NonNullable<ParseArgsConfig['options']>

/** Parses `argv` (ARGS from make) strictly: an unknown flag or a stray word exits 2 with the usage. */
export function parseFlags<O extends Options>(argv: string[], options: O, usage: string) {
  try {
    const { values, positionals } = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean' } }, strict: true, allowPositionals: false })
    if ((values as { help?: boolean }).help) throw new HelpRequested(usage)
    return { values: values as ReturnType<typeof parseArgs<{ options: O }>>['values'] & { help?: boolean }, positionals }
  } catch (e) {
    if (e instanceof HelpRequested) throw e
    const msg = (e as Error).message.replace(/\. To specify a positional argument.*$/s, '').replace(/\s+/g, ' ').trim()
    throw new UserError(msg.replace(/\.$/, ''), { hint: `usage: ${usage}` })
  }
}
