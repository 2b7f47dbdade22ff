// Tables built to break a dump/load round trip: every byte value, NULL against look-alikes,
// odd character sets, floats, zero dates, BIT, spatial SRIDs, generated and invisible columns,
// partitions, system versioning, and names no file system likes. Values are written as hex
// literals so the expected bytes are known exactly. MariaDB 10.11+ (INET4, history inserts).
import type { Db } from '../../lib/db.ts'
import { ident } from '../../lib/db.ts'

/** Bytes 0x00..0xFF in order. */
export const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i))

/** The `strings.nulls` table: id -> value of its `s` column (null is SQL NULL). */
export const STRING_VALUES: [number, string | null][] = [
  [1, null], [2, ''], [3, 'NULL'], [4, '\\N'], [5, '\\'], [6, 'N'], [7, '\\\\N'], [8, 'tab\there'],
  [9, 'line\nbreak'], [10, 'cr\rlf\r\n'], [11, '😀🎉 four-byte 𝄞'], [12, '  spaces  '], [13, 'ends in \\'],
  [14, '\0nul\0'], [15, '\\0\\t\\n'], [16, '\t'], [17, '\n'], [18, 'Ω ü ß € 中文'],
]

/** Tables `createAdversarial` makes (the FK child comes before its parent on purpose). */
export const ADVERSARIAL_TABLES = [
  'bytes all', 'strings.nulls', 'latin1 ü', 'json', 'geo.shapes', 'spatial idx', 'bits', 'dates', 'numbers',
  'floats', 'enums', 'gen cols', 'no pk', 'parts', 'versioned', 'versioned explicit', 'empty', 'tick`tock',
  'per%cent/slash\\back', 'ünïcödé Ω', 'ü'.repeat(64), 'one col', 'fbt', 'child', 'parent',
]

/** Tables WITH SYSTEM VERSIONING (their history rows are part of the data). */
export const VERSIONED_TABLES = ['versioned', 'versioned explicit']

const x = (b: Buffer) => `X'${b.toString('hex')}'`
const u8 = (s: string) => `CONVERT(${x(Buffer.from(s, 'utf8'))} USING utf8mb4)`
const str = (s: string | null) => (s === null ? 'NULL' : u8(s))

/** Deterministic doubles and floats with random bit patterns (NaN and infinities skipped). */
export function randomFloats(n: number): { d: string; f: string }[] {
  let seed = 0x2545f491
  const next = () => { seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5; return seed >>> 0 }
  const out: { d: string; f: string }[] = []
  const b64 = new DataView(new ArrayBuffer(8))
  const b32 = new DataView(new ArrayBuffer(4))
  while (out.length < n) {
    b64.setUint32(0, next()); b64.setUint32(4, next())
    b32.setUint32(0, next())
    const d = b64.getFloat64(0)
    const f = b32.getFloat32(0)
    if (!Number.isFinite(d) || !Number.isFinite(f)) continue
    // JS prints the shortest text that reads back to the same double: an exact literal
    out.push({ d: String(d), f: String(f) })
  }
  return out
}

/** The statements that create and fill the tables in `database` (which must exist). */
export function ADVERSARIAL_SQL(database: string): string[] {
  const t = (name: string) => `${ident(database)}.${ident(name)}`
  const bytesRows = [
    `(1, ${x(ALL_BYTES)}, ${x(ALL_BYTES.subarray(0, 255))}, X'000000')`,
    ...Array.from({ length: 256 }, (_, i) => `(${1000 + i}, CHAR(${i}), CONCAT(CHAR(${i}), CHAR(${i})), CHAR(${i}))`),
    `(2, X'005C090A0D', X'5C4E', X'5C')`, `(3, X'', X'', NULL)`, `(4, NULL, NULL, X'5C0A')`,
    `(5, REPEAT(X'5C00090A0D41', 200000), REPEAT(X'5C', 255), X'0A0D09')`,
  ]
  const floats = randomFloats(300).map((v, i) => `(${i + 1}, ${v.d}, ${v.f})`)
  return [
    "SET SESSION sql_mode = 'NO_AUTO_VALUE_ON_ZERO'", // zero dates, invalid ENUMs and AUTO_INCREMENT 0
    "SET SESSION time_zone = '+05:30'",

    `CREATE TABLE ${t('bytes all')} (id INT PRIMARY KEY, b LONGBLOB, vb VARBINARY(255), fb BINARY(3))`,
    `INSERT INTO ${t('bytes all')} VALUES ${bytesRows.join(', ')}`,

    `CREATE TABLE ${t('strings.nulls')} (id INT PRIMARY KEY, s VARCHAR(100) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin,
      t TEXT CHARACTER SET utf8mb4, c CHAR(10) CHARACTER SET utf8mb4)`,
    `INSERT INTO ${t('strings.nulls')} VALUES ${STRING_VALUES.map(([id, s]) => `(${id}, ${str(s)}, ${str(s)}, ${s === null ? 'NULL' : u8([...s].slice(0, 5).join(''))})`).join(', ')},
      (100, REPEAT('\\\\', 100), REPEAT(CONCAT(CHAR(92), CHAR(10)), 100000), 'ab   ')`,

    `CREATE TABLE ${t('latin1 ü')} (id INT PRIMARY KEY, l VARCHAR(50) CHARACTER SET latin1, k TEXT CHARACTER SET cp1251,
      sj VARCHAR(20) CHARACTER SET sjis, u3 VARCHAR(20) CHARACTER SET utf8mb3) DEFAULT CHARSET=latin1`,
    // 'Café Ñandú ß ÿ\' in latin1; 'Привет' in cp1251; 'ソ表' in Shift-JIS, whose second bytes are 0x5C
    `INSERT INTO ${t('latin1 ü')} VALUES (1, CONVERT(X'436166E920D16E616E64FA20DF20FF5C' USING latin1),
      CONVERT(X'CFF0E8E2E5F2' USING cp1251), CONVERT(X'835C955C' USING sjis), ${u8('ü€')}), (2, '', '', '', ''), (3, NULL, NULL, NULL, NULL)`,

    `CREATE TABLE ${t('json')} (id INT PRIMARY KEY, j JSON)`,
    `INSERT INTO ${t('json')} VALUES (1, ${u8('{"a": "b\\"c\\\\d", "emoji": "😀", "n": 1.5e300, "big": 18446744073709551616, "nl": "x\\ny", "arr": [null, true, 0.1]}')}),
      (2, 'null'), (3, NULL), (4, ${u8('"\\\\N"')}), (5, '[]')`,

    `CREATE TABLE ${t('geo.shapes')} (id INT PRIMARY KEY, g GEOMETRY NULL, p POINT REF_SYSTEM_ID=4326 NULL, poly POLYGON NULL,
      gc GEOMETRYCOLLECTION NULL)`,
    `INSERT INTO ${t('geo.shapes')} VALUES
      (1, ST_GeomFromText('POINT(1.5 -2.25)', 3857), ST_GeomFromText('POINT(2.35 48.85)', 4326),
       ST_GeomFromText('POLYGON((0 0, 10 0, 10 10, 0 10, 0 0), (2 2, 3 2, 3 3, 2 2))'),
       ST_GeomFromText('GEOMETRYCOLLECTION(POINT(1 1), LINESTRING(0 0, 1 1, 2 0))', 4326)),
      (2, ST_GeomFromText('LINESTRING(0 0, 1e300 -1e-300)'), NULL, NULL, NULL),
      (3, NULL, ST_GeomFromText('POINT(0 0)', 4326), NULL, ST_GeomFromText('GEOMETRYCOLLECTION EMPTY'))`,
    `CREATE TABLE ${t('spatial idx')} (id INT PRIMARY KEY, p POINT NOT NULL, SPATIAL INDEX (p))`,
    `INSERT INTO ${t('spatial idx')} SELECT seq, ST_GeomFromText(CONCAT('POINT(', seq, ' ', -seq / 7, ')')) FROM ${ident(database)}.seq_1_to_50`,

    `CREATE TABLE ${t('bits')} (id INT PRIMARY KEY, b1 BIT(1), b7 BIT(7), b64 BIT(64))`,
    `INSERT INTO ${t('bits')} VALUES (1, b'0', b'0', b'0'), (2, b'1', b'1111111', ${'b\'' + '1'.repeat(64) + '\''}),
      (3, NULL, NULL, NULL), (4, 1, b'1011100', b'1${'0'.repeat(63)}'), (5, 0, 9, 92)`,

    `CREATE TABLE ${t('dates')} (id INT PRIMARY KEY, d DATE, dt DATETIME, dt6 DATETIME(6), ts6 TIMESTAMP(6) NULL DEFAULT NULL,
      ts TIMESTAMP NULL DEFAULT NULL, t6 TIME(6), y YEAR, upd TIMESTAMP NULL DEFAULT NULL ON UPDATE CURRENT_TIMESTAMP)`,
    `INSERT INTO ${t('dates')} VALUES
      (1, '0000-00-00', '0000-00-00 00:00:00', '0000-00-00 00:00:00.000000', '0000-00-00 00:00:00', 0, '00:00:00', 0, '0000-00-00'),
      (2, '1000-01-01', '1000-01-01 00:00:00', '9999-12-31 23:59:59.999999', '1970-01-01 05:30:01.000001',
       '2038-01-19 08:44:07', '-838:59:59.000000', 1901, '2021-03-28 02:30:00'),
      (3, '2020-00-15', '2020-02-00 12:00:00', '2021-03-28 02:30:00.123456', '2021-10-31 02:30:00.654321',
       '2024-02-29 23:59:59', '838:59:59.999999', 2155, NULL),
      (4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`,

    `CREATE TABLE ${t('numbers')} (id INT AUTO_INCREMENT PRIMARY KEY, dec65 DECIMAL(65,30), ub BIGINT UNSIGNED, sb BIGINT,
      ti TINYINT, f FLOAT, d DOUBLE, f74 FLOAT(7,4), d102 DOUBLE(10,2), zf INT(8) UNSIGNED ZEROFILL, n NUMERIC(5,0))`,
    `INSERT INTO ${t('numbers')} VALUES
      (0, '99999999999999999999999999999999999.999999999999999999999999999999', 18446744073709551615, -9223372036854775808,
       -128, 1.2345678, 1.7976931348623157e308, 1.23456, 1.235, 42, -99999),
      (1, '-99999999999999999999999999999999999.999999999999999999999999999999', 0, 9223372036854775807,
       127, 3.402823466e38, -2.2250738585072014e-308, -999.9999, -99999999.99, 0, 0),
      (2, '0.000000000000000000000000000001', 1, -1, 0, 1.4e-45, 5e-324, 0, 0, 1, 1),
      (3, 0, NULL, NULL, NULL, 1.17549435e-38, 0.1e0 + 0.2e0, NULL, NULL, NULL, NULL),
      (4, -0.5, 9007199254740993, -9007199254740993, 1, 16777217, 1 / 3e0, 1, 1, 99999999, 5),
      (5, NULL, NULL, NULL, NULL, -1.2345678e-37, -1.2345678901234567e-300, NULL, NULL, NULL, NULL)`,
    `CREATE TABLE ${t('floats')} (id INT PRIMARY KEY, d DOUBLE, f FLOAT)`,
    `INSERT INTO ${t('floats')} VALUES ${floats.join(', ')}`,

    `CREATE TABLE ${t('enums')} (id INT PRIMARY KEY, e ENUM('x', 'y', '', 'ü'), e2 ENUM('1', '2', '10'), s SET('a', 'b', 'c', 'ü'))`,
    // 'zzz' is not a member: stored as the invalid value (index 0), shown as '' like the member ''
    `INSERT INTO ${t('enums')} VALUES (1, 'x', '10', 'a,c'), (2, '', '2', ''), (3, 'zzz', '1', NULL), (4, NULL, NULL, 'a,b,c,ü'),
      (5, ${u8('ü')}, 3, 5)`,

    `CREATE TABLE ${t('gen cols')} (id INT PRIMARY KEY, a INT, v INT AS (a + 1) VIRTUAL, s VARCHAR(20) AS (CONCAT('x', a)) STORED,
      inv INT INVISIBLE DEFAULT 7, invs VARCHAR(10) INVISIBLE NULL, j LONGTEXT, jv VARCHAR(20) AS (JSON_VALUE(j, '$.k')) VIRTUAL,
      INDEX (v), INDEX (jv))`,
    `INSERT INTO ${t('gen cols')} (id, a, inv, invs, j) VALUES (1, 1, 42, 'hidden', '{"k": "one"}'), (2, NULL, NULL, NULL, NULL),
      (3, -5, 7, '', '{"k": 3}')`,

    `CREATE TABLE ${t('no pk')} (a INT, b VARCHAR(10))`,
    `INSERT INTO ${t('no pk')} VALUES (1, 'dup'), (1, 'dup'), (NULL, NULL), (NULL, NULL), (2, '')`,

    `CREATE TABLE ${t('parts')} (id INT PRIMARY KEY, k VARCHAR(10)) PARTITION BY RANGE (id)
      (PARTITION p0 VALUES LESS THAN (100), PARTITION p1 VALUES LESS THAN (1000), PARTITION pmax VALUES LESS THAN MAXVALUE)`,
    `INSERT INTO ${t('parts')} SELECT seq * 37, CONCAT('k', seq) FROM ${ident(database)}.seq_1_to_100`,

    `CREATE TABLE ${t('versioned')} (id INT PRIMARY KEY, v VARCHAR(10)) WITH SYSTEM VERSIONING`,
    `INSERT INTO ${t('versioned')} VALUES (1, 'one'), (2, 'two'), (3, 'three')`,
    `UPDATE ${t('versioned')} SET v = 'ONE' WHERE id = 1`,
    `DELETE FROM ${t('versioned')} WHERE id = 3`,
    `CREATE TABLE ${t('versioned explicit')} (id INT, v VARCHAR(10), vs TIMESTAMP(6) GENERATED ALWAYS AS ROW START INVISIBLE,
      ve TIMESTAMP(6) GENERATED ALWAYS AS ROW END INVISIBLE, PERIOD FOR SYSTEM_TIME (vs, ve)) WITH SYSTEM VERSIONING`,
    `INSERT INTO ${t('versioned explicit')} (id, v) VALUES (1, 'a'), (2, 'b')`,
    `UPDATE ${t('versioned explicit')} SET v = 'B' WHERE id = 2`,

    `CREATE TABLE ${t('empty')} (id INT PRIMARY KEY, v TEXT)`,

    `CREATE TABLE ${t('tick`tock')} (${ident('we`ird col')} INT, ${ident('ü Ω')} VARCHAR(10), ${ident('@c0')} INT)`,
    `INSERT INTO ${t('tick`tock')} VALUES (1, ${u8('ü')}, 5), (2, NULL, NULL)`,
    `CREATE TABLE ${t('per%cent/slash\\back')} (id INT PRIMARY KEY, v VARCHAR(10))`,
    `INSERT INTO ${t('per%cent/slash\\back')} VALUES (1, '%'), (2, '/')`,
    `CREATE TABLE ${t('ünïcödé Ω')} (id INT PRIMARY KEY, v VARCHAR(10))`,
    `INSERT INTO ${t('ünïcödé Ω')} VALUES (1, ${u8('Ω')})`,
    `CREATE TABLE ${t('ü'.repeat(64))} (id INT PRIMARY KEY)`,
    `INSERT INTO ${t('ü'.repeat(64))} VALUES (1), (2)`,

    `CREATE TABLE ${t('one col')} (s VARCHAR(10) NULL)`, // '' rows are empty lines in the file
    `INSERT INTO ${t('one col')} VALUES (''), (NULL), (''), ('\\\\N'), ('x')`,

    `CREATE TABLE ${t('fbt')} (id INT PRIMARY KEY, i6 INET6, u UUID, i4 INET4)`,
    `INSERT INTO ${t('fbt')} VALUES (1, '::1', '00000000-0000-0000-0000-000000000001', '127.0.0.1'),
      (2, 'fe80::5c:a:d', 'ffffffff-ffff-ffff-ffff-ffffffffffff', '255.255.255.255'), (3, NULL, NULL, NULL)`,

    `CREATE TABLE ${t('parent')} (id INT PRIMARY KEY)`,
    `CREATE TABLE ${t('child')} (id INT PRIMARY KEY, parent_id INT NOT NULL, FOREIGN KEY (parent_id) REFERENCES ${t('parent')} (id))`,
    `INSERT INTO ${t('parent')} VALUES (1), (2)`,
    `INSERT INTO ${t('child')} VALUES (10, 1), (11, 2), (12, 2)`,
  ]
}

/** Creates `database` (if missing) with the adversarial tables; the session's settings are put back. */
export async function createAdversarial(db: Db, database: string): Promise<void> {
  await db.query(`CREATE DATABASE IF NOT EXISTS ${ident(database)} CHARACTER SET utf8mb4`)
  await db.query('SET @adv_mode = @@SESSION.sql_mode, @adv_tz = @@SESSION.time_zone')
  try {
    for (const sql of ADVERSARIAL_SQL(database)) await db.query(sql)
  } finally {
    await db.query('SET SESSION sql_mode = @adv_mode, time_zone = @adv_tz')
  }
}
