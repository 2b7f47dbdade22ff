// The sakila dataset, kept in the repository (tests/datasets/sakila, gzip, with its license), loaded
// into a test server: the original and the sakila_geo variant (see tests/datasets/sakila/README.md).
import fs from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'
import { loadSqlFile } from './fingerprint.ts'
import { makeStack, REPO, tempDir, type TestStack } from './stack.ts'

export const SAKILA_DIR = path.join(REPO, 'tests/datasets/sakila')

export interface SqlFiles { schema: string; data: string }

const cache = new Map<string, SqlFiles>()

function read(name: string): string {
  const file = path.join(SAKILA_DIR, `${name}.gz`)
  if (!fs.existsSync(file)) throw new Error(`the sakila dataset is missing at ${file} (it is part of the repository)`)
  return zlib.gunzipSync(fs.readFileSync(file)).toString('utf8')
}

/**
 * The dataset's two SQL files, plain, in a temp folder (written once per process). `sakila_geo`:
 * database sakila_geo, with the MySQL 5.7 comments around the GEOMETRY column and its SPATIAL KEY
 * unwrapped (MariaDB skips them) and MySQL-8-only "SRID 0" dropped.
 */
export function sakilaFiles(variant: 'sakila' | 'sakila_geo' = 'sakila'): SqlFiles {
  const known = cache.get(variant)
  if (known) return known
  let schema = read('sakila-schema.sql')
  let data = read('sakila-data.sql')
  if (variant === 'sakila_geo') {
    schema = schema
      .replace('/*!50705 location GEOMETRY */ /*!80003 SRID 0 */ /*!50705 NOT NULL,*/', 'location GEOMETRY NOT NULL,')
      .replace('/*!50705 SPATIAL KEY `idx_location` (location),*/', 'SPATIAL KEY `idx_location` (location),')
      .replace(/\bsakila\b/g, 'sakila_geo')
    data = data.replace(/\/\*!50705 (0x[0-9A-F]*,)\*\//g, '$1').replace(/^USE sakila;/m, 'USE sakila_geo;')
    if (!schema.includes('SPATIAL KEY `idx_location` (location),')) throw new Error('sakila_geo: the schema no longer has the expected geometry comments')
  }
  const dir = tempDir(`datakeep-${variant}-`)
  const files = { schema: path.join(dir, 'sakila-schema.sql'), data: path.join(dir, 'sakila-data.sql') }
  fs.writeFileSync(files.schema, schema)
  fs.writeFileSync(files.data, data)
  cache.set(variant, files)
  return files
}

export async function loadSakila(stack: TestStack): Promise<void> {
  const f = sakilaFiles('sakila')
  await loadSqlFile(stack, f.schema)
  await loadSqlFile(stack, f.data)
}

/** A stack whose application database is sakila, loaded: the fixture most snapshot suites start from. */
export async function sakilaStack(): Promise<TestStack> {
  const stack = await makeStack({ env: { MYSQL_DATABASE: 'sakila' } })
  await loadSakila(stack)
  return stack
}

/** The sakila_geo variant: the GEOMETRY column and SPATIAL index that MariaDB skips in the original. */
export async function loadSakilaGeo(stack: TestStack): Promise<void> {
  const f = sakilaFiles('sakila_geo')
  await loadSqlFile(stack, f.schema)
  await loadSqlFile(stack, f.data)
}
