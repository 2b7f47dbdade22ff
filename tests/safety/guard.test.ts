// The environment guard as a decision table: every APP_ENV x kind x confirm x allow combination,
// with the exact message and hint of each refusal. Configs come from the real loadConfig.
import { test } from '../support/uvu.ts'
import * as assert from 'uvu/assert'
import { loadConfig, type Config } from '../../lib/config.ts'
import { UserError } from '../../lib/errors.ts'
import { guardDestructive, guardedDatabase, withConfirm } from '../../lib/safety/guard.ts'
import { tempDir } from '../support/stack.ts'
import fs from 'node:fs'
import path from 'node:path'

const ENVS = ['development', 'staging', 'production'] as const
const KINDS = ['replace', 'reset'] as const
const CONFIRMS = [undefined, 'shop', 'other'] as const
/** How ALLOW_DESTRUCTIVE_IN_PRODUCTION is set: not at all, true in .env (ignored), true/false in the environment. */
const ALLOWS = ['unset', 'dotenv', 'env-true', 'env-false'] as const

function config(appEnv: string, allow: (typeof ALLOWS)[number]): Config {
  const dir = tempDir('datakeep-guard-')
  fs.writeFileSync(path.join(dir, '.env'), `MYSQL_DATABASE=shop\n${allow === 'dotenv' ? 'ALLOW_DESTRUCTIVE_IN_PRODUCTION=true\n' : ''}`)
  const env: Record<string, string> = { APP_ENV: appEnv }
  if (allow === 'env-true') env.ALLOW_DESTRUCTIVE_IN_PRODUCTION = 'true'
  if (allow === 'env-false') env.ALLOW_DESTRUCTIVE_IN_PRODUCTION = 'false'
  const cfg = loadConfig({ env, projectDir: dir })
  fs.rmSync(dir, { recursive: true, force: true })
  return cfg
}

function outcome(fn: () => void): UserError | 'ok' {
  try { fn(); return 'ok' } catch (e) { if (e instanceof UserError) return e; throw e }
}

/** The expected decision, written out independently of the guard's code. */
function expected(env: string, kind: string, confirm: string | undefined, allow: string): 'ok' | 'confirm' | 'production-reset' {
  if (env === 'development') return 'ok'
  if (env === 'production' && kind === 'reset' && allow !== 'env-true') return 'production-reset'
  return confirm === 'shop' ? 'ok' : 'confirm'
}

test('every env x kind x confirm x allow combination decides as the table says', () => {
  let cases = 0
  for (const env of ENVS) for (const allow of ALLOWS) {
    const cfg = config(env, allow)
    for (const kind of KINDS) for (const confirm of CONFIRMS) {
      const want = expected(env, kind, confirm, allow)
      const got = outcome(() => guardDestructive(cfg, { name: 'data_load', kind }, confirm))
      const label = `${env} ${kind} confirm=${confirm} allow=${allow}`
      cases++
      if (want === 'ok') { assert.is(got, 'ok', label); continue }
      assert.ok(got instanceof UserError, label)
      const err = got as UserError
      assert.is(err.exitCode, 2, label)
      if (want === 'confirm') {
        const wrong = confirm === 'other' ? ' (--confirm=other names another database)' : ''
        assert.is(err.message, `refusing data_load on ${env} database "shop"${wrong}`, label)
        assert.is(err.hint, 'to go ahead, name the database: make data_load ARGS="--confirm=shop"', label)
      } else {
        assert.is(err.message, 'refusing data_load on production database "shop": it wipes the data, which production allows only with ALLOW_DESTRUCTIVE_IN_PRODUCTION=true in the environment (not .env)', label)
        assert.is(err.hint, 'take a snapshot first (make data_dump), then if you really mean it: ALLOW_DESTRUCTIVE_IN_PRODUCTION=true make data_load ARGS="--confirm=shop"', label)
      }
    }
  }
  assert.is(cases, 3 * 4 * 2 * 3)
})

test('ALLOW_DESTRUCTIVE_IN_PRODUCTION in .env is ignored by config, and a flag is not the environment', () => {
  assert.is(config('production', 'dotenv').ALLOW_DESTRUCTIVE_IN_PRODUCTION, false)
  const dir = tempDir('datakeep-guard-')
  const cfg = loadConfig({ env: { APP_ENV: 'production', MYSQL_DATABASE: 'shop' }, projectDir: dir, flags: { ALLOW_DESTRUCTIVE_IN_PRODUCTION: 'true' } })
  fs.rmSync(dir, { recursive: true, force: true })
  assert.is(cfg.ALLOW_DESTRUCTIVE_IN_PRODUCTION, true)
  const err = outcome(() => guardDestructive(cfg, { name: 'seed_data', kind: 'reset' }, 'shop'))
  assert.ok(err instanceof UserError)
  assert.match((err as UserError).message, /^refusing seed_data on production database "shop": it wipes the data/)
})

test('the hint repeats the command the user ran, with --confirm added to its ARGS', () => {
  const cfg = config('staging', 'unset')
  const err = outcome(() => guardDestructive(cfg, { name: 'data_load', kind: 'replace', command: 'make data_load ARGS="--name before-upgrade"' }, undefined)) as UserError
  assert.is(err.hint, 'to go ahead, name the database: make data_load ARGS="--name before-upgrade --confirm=shop"')
  const init = outcome(() => guardDestructive(cfg, { name: 'INIT_CLEAN', kind: 'reset', command: 'make initialize INIT_CLEAN=true' }, undefined)) as UserError
  assert.is(init.message, 'refusing INIT_CLEAN on staging database "shop"')
  assert.is(init.hint, 'to go ahead, name the database: make initialize INIT_CLEAN=true ARGS="--confirm=shop"')
  assert.is(withConfirm('make data_load ARGS="--confirm=wrong --name x"', 'shop'), 'make data_load ARGS="--name x --confirm=shop"')
})

test('the external runtime guards the database DATABASE_URL names', () => {
  const dir = tempDir('datakeep-guard-')
  const cfg = loadConfig({ env: { APP_ENV: 'staging', DATAKEEP_RUNTIME: 'external', DATABASE_URL: 'mysql://u:p@db.example:3306/crm' }, projectDir: dir })
  fs.rmSync(dir, { recursive: true, force: true })
  assert.is(guardedDatabase(cfg), 'crm')
  assert.is(outcome(() => guardDestructive(cfg, { name: 'undo', kind: 'replace' }, 'crm')), 'ok')
  assert.is((outcome(() => guardDestructive(cfg, { name: 'undo', kind: 'replace' }, 'app')) as UserError).message,
    'refusing undo on staging database "crm" (--confirm=app names another database)')
})

test.run()
