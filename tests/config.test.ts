import fs from 'node:fs'
import path from 'node:path'
import { test } from './support/uvu.ts'
import * as assert from 'uvu/assert'
import { loadConfig, readEnvFile, renderEnvExample, SCHEMA } from '../lib/config.ts'
import { UserError } from '../lib/errors.ts'
import { redact } from '../lib/redact.ts'
import { REPO, tempDir } from './support/stack.ts'

function project(envText?: string): string {
  const dir = tempDir('datakeep-config-')
  if (envText !== undefined) fs.writeFileSync(path.join(dir, '.env'), envText)
  return dir
}

function errorOf(fn: () => unknown): UserError {
  try { fn() } catch (e) { if (e instanceof UserError) return e; throw e }
  throw new Error('expected a UserError')
}

test('defaults apply when there is no .env', () => {
  const cfg = loadConfig({ env: {}, projectDir: project() })
  assert.is(cfg.DATAKEEP_RUNTIME, 'auto')
  assert.is(cfg.MYSQL_DATABASE, 'app')
  assert.is(cfg.MYSQL_PORT, 3307)
  assert.is(cfg.SEARCH_ENABLED, false)
  assert.is(cfg.APP_ENV, 'development')
  assert.is(cfg.sources.MYSQL_PORT, 'default')
})

test('.env is read and the environment wins over it', () => {
  const dir = project('MYSQL_DATABASE=shop\nMYSQL_PORT=4000\n# a comment\n\nexport MYSQL_USER="web"\n')
  const cfg = loadConfig({ env: { MYSQL_PORT: '4001' }, projectDir: dir })
  assert.is(cfg.MYSQL_DATABASE, 'shop')
  assert.is(cfg.sources.MYSQL_DATABASE, '.env')
  assert.is(cfg.MYSQL_PORT, 4001)
  assert.is(cfg.sources.MYSQL_PORT, 'environment')
  assert.is(cfg.MYSQL_USER, 'web')
})

test('flags win over the environment', () => {
  const cfg = loadConfig({ env: { MYSQL_DATABASE: 'a' }, projectDir: project(), flags: { MYSQL_DATABASE: 'b' } })
  assert.is(cfg.MYSQL_DATABASE, 'b')
})

test('a malformed .env is an error naming the line', () => {
  const dir = project('MYSQL_DATABASE=shop\nthis is not a setting\nMYSQL_PORT=1\n')
  const e = errorOf(() => loadConfig({ env: {}, projectDir: dir }))
  assert.match(e.message, '.env is malformed at line 2')
  assert.is(e.exitCode, 2)
})

test('an unclosed quote in .env is an error', () => {
  const e = errorOf(() => readEnvFile(path.join(project('MYSQL_PASSWORD="abc\n'), '.env')))
  assert.match(e.message, 'unclosed quote')
})

test('a multi-line quoted value is fine', () => {
  const vals = readEnvFile(path.join(project('KEY="line one\nline two"\nMYSQL_DATABASE=x\n'), '.env'))
  assert.is(vals.MYSQL_DATABASE, 'x')
})

test('several bad keys are reported in one error', () => {
  const e = errorOf(() => loadConfig({
    env: { MYSQL_PORT: 'abc', VERBOSE: 'maybe', DATAKEEP_RUNTIME: 'kubernetes', MYSQL_DATABASE: '../x' },
    projectDir: project(),
  }))
  assert.match(e.message, 'bad config (4 keys)')
  assert.match(e.message, 'MYSQL_PORT="abc" is not a port (1-65535)')
  assert.match(e.message, 'VERBOSE="maybe" is not a boolean (true/false/1/0/yes/no)')
  assert.match(e.message, 'DATAKEEP_RUNTIME="kubernetes" must be one of auto, docker, local, external')
  assert.match(e.message, 'MYSQL_DATABASE="../x" is not a valid name')
  assert.is(e.exitCode, 2)
})

test('booleans are strict: "false" is false, "maybe" is an error', () => {
  for (const [raw, want] of [['true', true], ['TRUE', true], ['1', true], ['yes', true], ['false', false], ['0', false], ['no', false], ['No', false]] as const) {
    assert.is(loadConfig({ env: { SEARCH_ENABLED: raw }, projectDir: project() }).SEARCH_ENABLED, want, raw)
  }
  for (const raw of ['maybe', 'on', 'y', '2']) {
    const e = errorOf(() => loadConfig({ env: { SEARCH_ENABLED: raw }, projectDir: project() }))
    assert.match(e.message, `SEARCH_ENABLED="${raw}" is not a boolean`)
  }
})

test('a bad value in .env says it came from .env', () => {
  const e = errorOf(() => loadConfig({ env: {}, projectDir: project('START_TIMEOUT=soon\n') }))
  assert.match(e.message, 'START_TIMEOUT="soon" is not a whole number (1-3600) (from .env)')
})

test('the external runtime needs DATABASE_URL, and it must be mysql:// or postgres://', () => {
  let e = errorOf(() => loadConfig({ env: { DATAKEEP_RUNTIME: 'external' }, projectDir: project() }))
  assert.match(e.message, 'DATAKEEP_RUNTIME=external needs DATABASE_URL')
  e = errorOf(() => loadConfig({ env: { DATABASE_URL: 'http://a@b/c' }, projectDir: project() }))
  assert.match(e.message, 'DATABASE_URL must start with mysql://, mariadb://, postgres:// or postgresql://')
  assert.equal(loadConfig({ env: { DATABASE_URL: 'postgresql://a@b/c' }, projectDir: project() }).DATABASE_URL, 'postgresql://a@b/c')
})

test('.env.example lists every key with its description, and matches the schema', () => {
  const committed = fs.readFileSync(path.join(REPO, '.env.example'), 'utf8')
  assert.fixture(committed, renderEnvExample(), '.env.example drifted from lib/config.ts: run make env_example')
  for (const [key, def] of Object.entries(SCHEMA)) {
    assert.ok(committed.includes(`# ${def.description}\n${key}=${def.default}\n`), key)
  }
})

test('secrets are redacted from printed text, public defaults are not', () => {
  loadConfig({ env: { MYSQL_ROOT_PASSWORD: 'hunter2-secret' }, projectDir: project() })
  assert.is(redact('connect with hunter2-secret now'), 'connect with *** now')
  assert.is(redact('mysql://u:pw@h:1/db'), 'mysql://u:***@h:1/db')
  assert.is(redact('MYSQL_PWD=abc cmd'), 'MYSQL_PWD=*** cmd')
  assert.is(redact('PGPASSWORD=abc POSTGRES_PASSWORD=def cmd'), 'PGPASSWORD=*** POSTGRES_PASSWORD=*** cmd')
  assert.is(redact('database app ready'), 'database app ready')
})

test('ALLOW_DESTRUCTIVE_IN_PRODUCTION is read from the environment only, never from .env', () => {
  const dir = project('ALLOW_DESTRUCTIVE_IN_PRODUCTION=true\n')
  assert.is(loadConfig({ env: {}, projectDir: dir }).ALLOW_DESTRUCTIVE_IN_PRODUCTION, false)
  assert.is(loadConfig({ env: { ALLOW_DESTRUCTIVE_IN_PRODUCTION: 'true' }, projectDir: dir }).ALLOW_DESTRUCTIVE_IN_PRODUCTION, true)
})

test.run()
