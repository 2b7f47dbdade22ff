// The fault suite's two worlds, on any engine (tests/support/engine-cases.ts): `twoStates`, a live
// database between two snapshots, and `seededProject`, a project initialized from a migration and a
// seed. tests/support/faults.ts judges what an interrupted operation leaves in them.
import fs from 'node:fs'
import path from 'node:path'
import { ENGINE_CASES, type AnyStack, type EngineCase } from './engine-cases.ts'
import { dumpOk, lastLines, ROWS, type World } from './faults.ts'
import { runScript, type TestStack } from './stack.ts'

const MariaDB = ENGINE_CASES.MariaDB as EngineCase<TestStack>

/** A world on `stack`: the engine reads its fingerprint and lists its temporary databases. */
function world<S extends AnyStack>(c: EngineCase<S>, stack: S, known: World['known'], snapshots: string[], current: string, files?: Record<string, string>): World<S> {
  return {
    stack, database: c.database(stack), known, snapshots, current, files,
    read: () => c.fingerprint(stack), tempDatabases: () => c.tempDatabases(stack),
  }
}

/**
 * Live database in state b, with snapshots `a` and `b` of two different states (rows, notes and a
 * view differ), each with an uploaded file. Returns the world the cases share.
 */
export async function twoStates<S extends AnyStack = TestStack>(stack: S, c: EngineCase<S> = MariaDB as unknown as EngineCase<S>): Promise<World<S>> {
  const storage = path.join(stack.dir, 'data/storage')
  fs.mkdirSync(storage, { recursive: true })
  fs.writeFileSync(path.join(storage, 'upload.txt'), 'state a\n')
  await c.sql(stack, `${c.tables}\n${c.objects}\n${c.fill(ROWS, 'a')}`)
  await dumpOk(stack, 'a')
  const a = await c.fingerprint(stack)
  fs.writeFileSync(path.join(storage, 'upload.txt'), 'state b\n')
  await c.sql(stack, `UPDATE big SET pad = REVERSE(pad) WHERE id % 2 = 0; DELETE FROM note WHERE id = 1;
    INSERT INTO note (body) VALUES ('b three'); CREATE VIEW b_only AS SELECT id FROM note WHERE id > 2;`)
  await dumpOk(stack, 'b')
  const b = await c.fingerprint(stack)
  return world(c, stack, { a, b }, ['a', 'b'], 'b', { a: 'state a\n', b: 'state b\n' })
}

/**
 * A project with a migration (the tables) and a seed (objects + ROWS rows), initialized: `_init`
 * exists and the live database was seeded from it (state `seed`), then changed by the application
 * (state `a`, snapshot `a`, which is also what a safety snapshot would hold).
 */
export async function seededProject<S extends AnyStack = TestStack>(stack: S, c: EngineCase<S> = MariaDB as unknown as EngineCase<S>): Promise<World<S>> {
  const data = path.join(stack.dir, 'data')
  fs.mkdirSync(path.join(data, 'migrations'), { recursive: true })
  fs.mkdirSync(path.join(data, 'seed'), { recursive: true })
  fs.writeFileSync(path.join(data, 'migrations/20260101000000_app.sql'), `-- migrate:up\n${c.tables}\n-- migrate:down\nDROP TABLE note;\nDROP TABLE big;\n`)
  fs.writeFileSync(path.join(data, 'seed/001_app.sql'), `${c.objects}\n${c.fill(ROWS, 'seed')}\n`)
  const r = await runScript(stack, 'initialize')
  if (r.code !== 0) throw new Error(`initialize: ${lastLines(r.stderr)}`)
  const seed = await c.fingerprint(stack)
  await c.sql(stack, "UPDATE big SET pad = REVERSE(pad) WHERE id % 2 = 0; INSERT INTO note (body) VALUES ('a three'); CREATE VIEW a_only AS SELECT id FROM note")
  await dumpOk(stack, 'a')
  const a = await c.fingerprint(stack)
  return world(c, stack, { seed, a }, ['_init', 'a'], 'a')
}
