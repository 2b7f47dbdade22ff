// PostgreSQL on the docker runtime, checked as data (no Docker engine here): the compose service and
// its volume, the argv datakeep runs, passwords only in the environment.
import fs from 'node:fs'
import path from 'node:path'
import { test } from '../support/uvu.ts'
import * as assert from 'uvu/assert'
import YAML from 'yaml'
import { loadConfig, SCHEMA } from '../../lib/config.ts'
import { selectEngine } from '../../lib/engines/index.ts'
import { PgDockerRuntime, pgDockerArgv } from '../../lib/engines/postgres/docker.ts'
import { plainDumpArgv, psqlArgv, toolsDir } from '../../lib/engines/postgres/tools.ts'
import { targetArgv } from '../../lib/run.ts'
import { composeEnv } from '../../lib/runtime/docker.ts'
import { REPO, tempDir } from '../support/stack.ts'

const cfg = loadConfig({
  env: { DB_ENGINE: 'postgres', DATAKEEP_RUNTIME: 'docker', POSTGRES_VOLUME: 'shop_pg', POSTGRES_PASSWORD: 'sekret-pg-pw', COMPOSE_PROJECT_NAME: 'shop', PATH: process.env.PATH ?? '' },
  projectDir: tempDir(),
})
const compose = YAML.parse(fs.readFileSync(path.join(REPO, 'docker-compose.yml'), 'utf8'))

test('the postgres service: official image pinned by major, behind its own profile, healthcheck, port on 127.0.0.1', () => {
  const svc = compose.services.postgres
  assert.equal(svc.profiles, ['postgres'])
  assert.is(svc.image, '${POSTGRES_IMAGE:-postgres:15}')
  assert.is(SCHEMA.POSTGRES_IMAGE.default, 'postgres:15')
  assert.match(svc.healthcheck.test.join(' '), 'pg_isready')
  assert.equal(svc.ports, ['127.0.0.1:${POSTGRES_PORT:-5433}:5432'])
  assert.ok(svc.volumes.includes('${POSTGRES_INITDB_DIR:-./docker/postgres/initdb.d}:/docker-entrypoint-initdb.d:ro'))
  assert.ok(fs.existsSync(path.join(REPO, 'docker/postgres/initdb.d')))
  assert.is(SCHEMA.POSTGRES_INITDB_DIR.default, 'docker/postgres/initdb.d')
  assert.is(composeEnv(cfg).POSTGRES_INITDB_DIR, './docker/postgres/initdb.d')
  assert.equal(svc.environment, { POSTGRES_DB: '${POSTGRES_DB:-app}', POSTGRES_USER: '${POSTGRES_USER:-app}', POSTGRES_PASSWORD: '${POSTGRES_PASSWORD:?POSTGRES_PASSWORD must be set}' })
})

test('its data lives in an external named volume from config that down never removes', () => {
  assert.ok(compose.services.postgres.volumes.includes('postgres_data:/var/lib/postgresql/data'))
  assert.is(compose.volumes.postgres_data.external, true)
  assert.is(compose.volumes.postgres_data.name, '${POSTGRES_VOLUME:-datakeep_postgres}')
  assert.equal(pgDockerArgv.volumeCreate(cfg), ['docker', 'volume', 'create', '--label', 'com.datakeep.managed=true', '--label', 'com.datakeep.project=shop', 'shop_pg'])
  const down = pgDockerArgv.down(cfg)
  assert.is(down[down.length - 1], 'down')
  assert.not.ok(down.includes('-v') || down.includes('--volumes'))
})

test('up starts the postgres service alone and waits for its health', () => {
  assert.equal(pgDockerArgv.up(cfg).slice(-7), ['shop', '--profile', 'postgres', 'up', '-d', '--wait', 'postgres'])
  assert.equal(pgDockerArgv.up(cfg).slice(-4), ['up', '-d', '--wait', 'postgres'])
})

test('the engine picks the docker runtime; the tools run inside the container with the password in the environment', async () => {
  const engine = await selectEngine(cfg)
  assert.instance(engine.runtime, PgDockerRuntime)
  const rt = engine.runtime
  assert.equal(rt.admin, { host: '127.0.0.1', port: 5433, user: 'app', password: 'sekret-pg-pw', database: 'app' })
  assert.is(toolsDir(cfg, rt), '')
  const dump = targetArgv(rt.target, plainDumpArgv(toolsDir(cfg, rt), rt.clientArgs(), 'app'), Object.keys(rt.clientEnv()))
  assert.equal(dump.slice(-12), ['exec', '-T', '-e', 'PGPASSWORD', 'postgres', 'pg_dump', '-U', 'app', '--format=plain', '--no-password', '-d', 'app'])
  const all = [...Object.values(pgDockerArgv).map((f) => f(cfg)), dump, targetArgv(rt.target, psqlArgv('', rt.clientArgs(), 'x'), ['PGPASSWORD'])]
  for (const argv of all) assert.not.ok(argv.join(' ').includes('sekret'), argv.join(' '))
  assert.is(composeEnv(cfg).POSTGRES_PASSWORD, 'sekret-pg-pw')
})

test.run()
