// The docker runtime cannot run here (no Docker engine): it is checked as the argv it builds and
// the compose file it reads.
import fs from 'node:fs'
import path from 'node:path'
import { test } from './support/uvu.ts'
import * as assert from 'uvu/assert'
import YAML from 'yaml'
import { loadConfig, SCHEMA } from '../lib/config.ts'
import { composeBase, composeEnv, dockerArgv, DockerRuntime, parseComposePs } from '../lib/runtime/docker.ts'
import { targetArgv } from '../lib/run.ts'
import { REPO, tempDir } from './support/stack.ts'

const cfg = loadConfig({
  env: { MYSQL_VOLUME: 'shop_db', MYSQL_ROOT_PASSWORD: 'sekret-root-pw', MYSQL_PASSWORD: 'sekret-app-pw', COMPOSE_PROJECT_NAME: 'shop' },
  projectDir: tempDir(),
})
const compose = YAML.parse(fs.readFileSync(path.join(REPO, 'docker-compose.yml'), 'utf8'))
const composeText = fs.readFileSync(path.join(REPO, 'docker-compose.yml'), 'utf8')
  .split('\n').filter((l) => !/^\s*#/.test(l)).join('\n')

test('compose base names the project file, project and directory', () => {
  assert.equal(composeBase(cfg), ['docker', 'compose', '--project-directory', cfg.projectDir,
    '-f', path.join(cfg.projectDir, 'docker-compose.yml'), '-p', 'shop'])
  const withSearch = loadConfig({ env: { SEARCH_ENABLED: 'true' }, projectDir: cfg.projectDir })
  assert.equal(composeBase(withSearch).slice(-2), ['--profile', 'search'])
})

test('up creates the labelled volume argv and waits for health', () => {
  assert.equal(dockerArgv.volumeCreate(cfg), ['docker', 'volume', 'create', '--label', 'com.datakeep.managed=true',
    '--label', 'com.datakeep.project=shop', 'shop_db'])
  assert.equal(dockerArgv.up(cfg).slice(-3), ['up', '-d', '--wait'])
})

test('down never removes volumes', () => {
  const argv = dockerArgv.down(cfg)
  assert.is(argv[argv.length - 1], 'down')
  assert.not.ok(argv.includes('-v') || argv.includes('--volumes'))
})

test('passwords travel in the environment, never on argv', () => {
  const env = composeEnv(cfg)
  assert.is(env.MYSQL_ROOT_PASSWORD, 'sekret-root-pw')
  const rt = new DockerRuntime(cfg)
  const all = [...Object.values(dockerArgv).map((f) => f(cfg)), targetArgv(rt.target, ['mariadb', ...rt.clientArgs()], Object.keys(rt.clientEnv()))]
  for (const argv of all) assert.not.ok(argv.join(' ').includes('sekret'), argv.join(' '))
  assert.equal(targetArgv(rt.target, ['mariadb'], ['MYSQL_PWD']).slice(-6), ['exec', '-T', '-e', 'MYSQL_PWD', 'mysqld', 'mariadb'])
})

test('the compose file keeps the data in an external named volume from config', () => {
  const svc = compose.services.mysqld
  assert.ok(svc.volumes.includes('mysqld_data:/var/lib/mysql'))
  assert.is(compose.volumes.mysqld_data.external, true)
  assert.match(compose.volumes.mysqld_data.name, /^\$\{MYSQL_VOLUME:-datakeep_mysqld\}$/)
  assert.is(SCHEMA.MYSQL_VOLUME.default, 'datakeep_mysqld')
})

test('published ports bind to 127.0.0.1 only', () => {
  for (const [name, svc] of Object.entries<{ ports?: string[] }>(compose.services)) {
    for (const p of svc.ports ?? []) assert.match(p, /^127\.0\.0\.1:/, `${name}: ${p}`)
  }
  assert.is(compose.services.mysqld.ports[0], '127.0.0.1:${MYSQL_PORT:-3307}:3306')
})

test('the database service has a healthcheck, mounts the shared server config and the init folder', () => {
  const svc = compose.services.mysqld
  assert.ok(svc.healthcheck?.test)
  assert.ok(svc.volumes.includes('./docker/mysql/conf.d:/etc/mysql/conf.d:ro'))
  assert.ok(svc.volumes.includes('${INITDB_DIR:-./docker/mysql/initdb.d}:/docker-entrypoint-initdb.d:ro'))
  assert.is(SCHEMA.INITDB_DIR.default, 'docker/mysql/initdb.d')
  assert.is(composeEnv(cfg).INITDB_DIR, './docker/mysql/initdb.d')
  assert.ok(fs.existsSync(path.join(REPO, 'docker/mysql/conf.d/datakeep.cnf')))
  assert.match(svc.image, '${MYSQL_IMAGE:-' + SCHEMA.MYSQL_IMAGE.default + '}')
})

test('elasticsearch is behind the search profile, single node, with a healthcheck', () => {
  const es = compose.services.elasticsearch
  assert.equal(es.profiles, ['search'])
  assert.is(es.environment['discovery.type'], 'single-node')
  assert.ok(es.healthcheck?.test)
})

test('every variable the compose file reads is a config key that composeEnv passes', () => {
  const vars = [...composeText.matchAll(/\$\{([A-Z_]+)/g)].map((m) => m[1])
  assert.ok(vars.length > 5)
  const env = composeEnv(cfg)
  for (const v of new Set(vars)) {
    assert.ok(v in SCHEMA, `${v} is not a config key`)
    assert.ok(v in env, `${v} is not passed by composeEnv`)
  }
})

test('compose ps output parses in both formats', () => {
  const line = '{"Name":"shop-mysqld-1","Service":"mysqld","State":"running","Status":"Up 2 minutes (healthy)"}'
  assert.is(parseComposePs(line)[0].State, 'running')
  assert.is(parseComposePs(`[${line}]`)[0].Service, 'mysqld')
  assert.equal(parseComposePs(''), [])
})

test('no file in the tree runs down -v or volume prune', () => {
  const offenders: string[] = []
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (['node_modules', '.git', 'data', 'tests'].includes(e.name)) continue
      const p = path.join(dir, e.name)
      if (e.isDirectory()) walk(p)
      else if (/\.(ts|yml|yaml|sh|mk)$|^Makefile$|^run$/.test(e.name)) {
        const text = fs.readFileSync(p, 'utf8')
        const code = text.split('\n').filter((l) => !/^\s*(\/\/|#)/.test(l)).join('\n')
        if (/down\s+(-v|--volumes)|'down',\s*'-v'|volume\s+prune|'volume',\s*'prune'/.test(code)) offenders.push(p)
      }
    }
  }
  walk(REPO)
  assert.equal(offenders, [])
})

test('DROP DATABASE appears only on the tool\'s own temporary databases or the guarded INIT_CLEAN', () => {
  // PostgreSQL: one helper, which refuses any name without the tool's prefix (lib/engines/postgres/db.ts)
  const allowed = /DROP DATABASE (IF EXISTS )?\$\{ident\((stage|scratch|oldDb|n|journalDb)\)\}|DROP DATABASE IF EXISTS \$\{qi\(tempDb\)\} WITH \(FORCE\)|DROP DATABASE IF EXISTS \$\{qi\(heldDb\)\}/
  const found: string[] = []
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name)
      if (e.isDirectory()) { walk(p); continue }
      if (!p.endsWith('.ts')) continue
      fs.readFileSync(p, 'utf8').split('\n').forEach((line, i) => {
        if (/DROP DATABASE/.test(line) && !/^\s*(\*|\/\/)/.test(line) && !allowed.test(line)) found.push(`${path.relative(REPO, p)}:${i + 1}`)
      })
    }
  }
  walk(path.join(REPO, 'lib'))
  walk(path.join(REPO, 'scripts'))
  // the one drop of the application database, per engine: emptyDatabase, which only INIT_CLEAN calls,
  // after the guard and a safety snapshot (engine.protect)
  assert.equal(found.map((f) => f.replace(/:\d+$/, '')), ['lib/engines/mariadb/lifecycle.ts', 'lib/engines/postgres/lifecycle.ts'])
  for (const f of found) {
    const [file, line] = f.split(':')
    const text = fs.readFileSync(path.join(REPO, file), 'utf8').split('\n')
    assert.ok(text.slice(Math.max(0, Number(line) - 6), Number(line)).some((l) => l.includes('async emptyDatabase()')), `${f} is inside emptyDatabase`)
  }
  const init = fs.readFileSync(path.join(REPO, 'lib/initialize/index.ts'), 'utf8')
  const callers = init.split('\n').filter((l) => l.includes('emptyDatabase('))
  assert.is(callers.length, 1, 'initialize calls emptyDatabase once')
  assert.ok(init.indexOf("protect({ name: 'INIT_CLEAN'") >= 0 && init.indexOf("protect({ name: 'INIT_CLEAN'") < init.indexOf('lc.emptyDatabase()'), 'after INIT_CLEAN\'s guard and safety snapshot')
})

test.run()
