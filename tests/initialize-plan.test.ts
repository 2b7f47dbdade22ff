// Every planner branch and flag combination, as the plan it prints.
import { test } from './support/uvu.ts'
import * as assert from 'uvu/assert'
import { describePlan, planInitialize, type InitFlags, type InitState } from '../lib/initialize/plan.ts'

const state = (o: Partial<InitState> = {}): InitState => ({
  database: 'app', exists: true, tables: 0, pendingMigrations: 0, marker: null,
  init: { exists: false, seedHash: null }, seedHash: 'h1', indexPresent: null, fixtures: false, ...o,
})
const flags = (o: Partial<InitFlags> = {}): InitFlags => ({ clean: false, load: null, skipSeed: false, skipIndex: false, loadFixtures: false, ...o })
const actions = (s: InitState, f: InitFlags) => planInitialize(s, f).map((x) => x.action + (x.snapshot ? ` ${x.snapshot}` : ''))

test('a missing database is created, seeded into _init, loaded, migrated', () => {
  assert.equal(actions(state({ exists: false }), flags()), ['create-database', 'build-init', 'load-init _init', 'migrate'])
})

test('an empty database loads a matching _init without rebuilding it', () => {
  const plan = planInitialize(state({ init: { exists: true, seedHash: 'h1' } }), flags())
  assert.equal(plan.map((x) => x.action), ['load-init', 'migrate'])
  assert.is(plan[0].reason, 'app has no tables; _init matches the current migrations and seed')
})

test('a stale _init is rebuilt', () => {
  const plan = planInitialize(state({ init: { exists: true, seedHash: 'old' } }), flags())
  assert.equal(plan.map((x) => x.action), ['build-init', 'load-init', 'migrate'])
  assert.match(plan[0].reason, '_init is stale (migrations or seed changed)')
})

test('INIT_SKIP_SEED on an empty database: only migrations', () => {
  assert.equal(actions(state({ pendingMigrations: 2 }), flags({ skipSeed: true })), ['migrate'])
  assert.equal(actions(state({ pendingMigrations: 0 }), flags({ skipSeed: true })), [])
})

test('INIT_SKIP_SEED still loads a matching _init (skipping the seed, not the data)', () => {
  assert.equal(actions(state({ init: { exists: true, seedHash: 'h1' } }), flags({ skipSeed: true })), ['load-init _init', 'migrate'])
})

test('a database with tables is never filled or replaced on its own', () => {
  const s = state({ tables: 5, init: { exists: true, seedHash: 'h1' } })
  assert.equal(actions(s, flags()), [])
  assert.match(describePlan(s, [])[0], /^state is good: database app has 5 tables, no pending migrations/)
  assert.equal(actions(state({ tables: 5, pendingMigrations: 1 }), flags()), ['migrate'])
})

test('INIT_CLEAN replaces the tables, then fills from _init or the seed', () => {
  const plan = planInitialize(state({ tables: 5, init: { exists: true, seedHash: 'h1' } }), flags({ clean: true }))
  assert.equal(plan.map((x) => x.action), ['clean', 'load-init', 'migrate'])
  assert.is(plan[0].reason, 'INIT_CLEAN=true: the 5 tables of app are replaced (after a safety snapshot)')
  assert.equal(actions(state({ tables: 5 }), flags({ clean: true })), ['clean', 'build-init', 'load-init _init', 'migrate'])
})

test('INIT_CLEAN with INIT_SKIP_SEED: an empty, migrated database', () => {
  assert.equal(actions(state({ tables: 5 }), flags({ clean: true, skipSeed: true })), ['clean', 'migrate'])
})

test('INIT_LOAD loads into an empty or a full database; with INIT_CLEAN: clean, then load', () => {
  assert.equal(actions(state(), flags({ load: 's1' })), ['load s1', 'migrate'])
  const full = planInitialize(state({ tables: 3 }), flags({ load: 's1' }))
  assert.equal(full.map((x) => x.action), ['load', 'migrate'])
  assert.match(full[0].reason, 'INIT_LOAD=s1: replaces the 3 tables of app (verified, atomic; after a safety snapshot)')
  assert.equal(actions(state({ tables: 3 }), flags({ load: 's1', clean: true })), ['clean', 'load s1', 'migrate'])
  // INIT_LOAD wins over _init and the seed, never silently ignored
  assert.equal(actions(state({ init: { exists: true, seedHash: 'h1' } }), flags({ load: 's1' })), ['load s1', 'migrate'])
})

test('MIGRATE_COMMAND: run on a database datakeep has not initialized, then not again', () => {
  const marker = { database: 'app', action: 'migrated' as const, snapshot: null, seedHash: null, tables: 3, at: '2026-01-01T00:00:00Z' }
  assert.equal(actions(state({ tables: 3, pendingMigrations: null }), flags()), ['migrate'])
  assert.equal(actions(state({ tables: 3, pendingMigrations: null, marker }), flags()), [])
})

test('the index is rebuilt when missing or when the data changed, never with INIT_SKIP_INDEX', () => {
  assert.equal(actions(state({ tables: 3, indexPresent: false }), flags()), ['reindex'])
  assert.equal(actions(state({ tables: 3, indexPresent: true }), flags()), [])
  assert.equal(actions(state({ tables: 3, indexPresent: true }), flags({ load: 's1' })), ['load s1', 'migrate', 'reindex'])
  assert.equal(actions(state({ tables: 3, indexPresent: false }), flags({ skipIndex: true })), [])
  assert.equal(actions(state({ tables: 3, indexPresent: null }), flags({ load: 's1' })), ['load s1', 'migrate'])
})

test('LOAD_FIXTURES upserts the fixtures when there are any', () => {
  assert.equal(actions(state({ tables: 3, fixtures: true }), flags({ loadFixtures: true })), ['fixtures'])
  assert.equal(actions(state({ tables: 3, fixtures: false }), flags({ loadFixtures: true })), [])
})

test('an empty seed, once loaded, is not loaded again', () => {
  const marker = { database: 'app', action: 'seeded' as const, snapshot: '_init', seedHash: 'h1', tables: 0, at: '2026-01-01T00:00:00Z' }
  assert.equal(actions(state({ marker, init: { exists: true, seedHash: 'h1' } }), flags()), [])
  assert.equal(actions(state({ marker: { ...marker, seedHash: 'old' }, init: { exists: true, seedHash: 'h1' } }), flags()), ['load-init _init', 'migrate'])
})

test('the printed plan numbers each step with its reason', () => {
  const s = state({ exists: false })
  assert.equal(describePlan(s, planInitialize(s, flags())), [
    '1. create-database: database app does not exist',
    '2. build-init: app has no tables; _init is missing: seed a scratch database and store it as _init',
    '3. load-init _init: load the new _init',
    '4. migrate: apply migrations newer than the loaded data, if any',
  ])
})

test.run()
