// The sakila dataset, loaded into a test server (both variants). The suite's own copy lives in
// tests/data/sakila (gzip, with its license): nothing outside the repository is needed.
import fs from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'
import { HOST, run } from '../../lib/run.ts'
import { loadSqlFile } from './fingerprint.ts'
import { makeStack, REPO, tempDir, type TestStack } from './stack.ts'

export const SAKILA = path.join(REPO, 'tests/data/sakila')
export const SAKILA_FILES = ['sakila-schema.sql.gz', 'sakila-data.sql.gz'].map((f) => path.join(SAKILA, f))

/** The plain SQL of one of sakila's two files ('schema' or 'data'). */
export function sakilaSql(part: 'schema' | 'data'): Buffer {
  return zlib.gunzipSync(fs.readFileSync(path.join(SAKILA, `sakila-${part}.sql.gz`)))
}

export async function loadSakila(stack: TestStack): Promise<void> {
  for (const file of SAKILA_FILES) await loadSqlFile(stack, file)
}

/**
 * A stack whose application database is sakila, loaded: the fixture most snapshot suites start from.
 * A failed load stops the server it started (the suite never got the stack to destroy).
 */
export async function sakilaStack(): Promise<TestStack> {
  const stack = await makeStack({ env: { MYSQL_DATABASE: 'sakila' } })
  try {
    await loadSakila(stack)
  } catch (e) {
    await stack.destroy().catch(() => undefined)
    throw e
  }
  return stack
}

/** Writes the sakila_geo variant's two SQL files into a new folder; returns [schema, data]. */
export async function writeSakilaGeo(): Promise<{ dir: string; files: string[] }> {
  const dir = tempDir('datakeep-geo-')
  await run(HOST, ['sh', path.join(SAKILA, 'sakila-geo.sh'), dir])
  return { dir, files: ['sakila-schema.sql', 'sakila-data.sql'].map((f) => path.join(dir, f)) }
}

/** The sakila_geo variant: the GEOMETRY column and SPATIAL index that MariaDB skips in the original. */
export async function loadSakilaGeo(stack: TestStack): Promise<void> {
  const { dir, files } = await writeSakilaGeo()
  for (const file of files) await loadSqlFile(stack, file)
  fs.rmSync(dir, { recursive: true, force: true })
}
