// The shared sakila dataset, loaded into a test server (both variants: see ../shared/datasets/README.md).
import fs from 'node:fs'
import path from 'node:path'
import { HOST, run } from '../../lib/run.ts'
import { loadSqlFile } from './fingerprint.ts'
import { DATASETS, makeStack, tempDir, type TestStack } from './stack.ts'

export const SAKILA = path.join(DATASETS, 'sakila')

export async function loadSakila(stack: TestStack): Promise<void> {
  if (!fs.existsSync(path.join(SAKILA, 'sakila-schema.sql'))) throw new Error(`the sakila dataset is missing at ${SAKILA}`)
  await loadSqlFile(stack, path.join(SAKILA, 'sakila-schema.sql'))
  await loadSqlFile(stack, path.join(SAKILA, 'sakila-data.sql'))
}

/** A stack whose application database is sakila, loaded: the fixture most snapshot suites start from. */
export async function sakilaStack(): Promise<TestStack> {
  const stack = await makeStack({ env: { MYSQL_DATABASE: 'sakila' } })
  await loadSakila(stack)
  return stack
}

/** The sakila_geo variant: the GEOMETRY column and SPATIAL index that MariaDB skips in the original. */
export async function loadSakilaGeo(stack: TestStack): Promise<void> {
  const out = tempDir('datakeep-geo-')
  await run(HOST, ['bash', path.join(DATASETS, 'sakila-geo.sh'), out])
  const files = fs.readdirSync(out).sort()
  const schema = files.find((f) => /schema/.test(f))
  const data = files.find((f) => /data/.test(f))
  if (!schema || !data) throw new Error(`sakila-geo.sh wrote ${files.join(', ')}`)
  await loadSqlFile(stack, path.join(out, schema))
  await loadSqlFile(stack, path.join(out, data))
  fs.rmSync(out, { recursive: true, force: true })
}
