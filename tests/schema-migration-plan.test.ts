// The pure parts of schema_migration: SHOW CREATE TABLE taken apart (foreign keys out, the builder's
// parts or null), the table order, the Knex code for a table, the baseline header.
import { test } from './support/uvu.ts'
import * as assert from 'uvu/assert'
import { baselineTables } from '../lib/migrate/baseline.ts'
import { createTableCode } from '../lib/schema-migration/builder.ts'
import { dependencyOrder } from '../lib/schema-migration/order.ts'
import { parseForeignKey, splitForeignKeys, tableSpec } from '../lib/schema-migration/table-ddl.ts'

const PAYMENT = [
  'CREATE TABLE `payment` (',
  '  `payment_id` smallint(5) unsigned NOT NULL AUTO_INCREMENT,',
  '  `rental_id` int(11) DEFAULT NULL,',
  '  `amount` decimal(5,2) NOT NULL DEFAULT 0.00,',
  "  `kind` enum('a','b') DEFAULT 'a' COMMENT 'the kind',",
  '  `last_update` timestamp NULL DEFAULT current_timestamp() ON UPDATE current_timestamp(),',
  '  PRIMARY KEY (`payment_id`),',
  '  KEY `fk_payment_rental` (`rental_id`),',
  '  CONSTRAINT `fk_payment_rental` FOREIGN KEY (`rental_id`) REFERENCES `rental` (`rental_id`) ON DELETE SET NULL ON UPDATE CASCADE,',
  '  CONSTRAINT `fk_other` FOREIGN KEY (`rental_id`, `amount`) REFERENCES `shop`.`t` (`a`, `b`)',
  ') ENGINE=InnoDB AUTO_INCREMENT=16050 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci',
].join('\n')

test('splitForeignKeys: the keys out, the comma before them fixed, AUTO_INCREMENT=n gone', () => {
  const { create, foreignKeys } = splitForeignKeys(PAYMENT)
  assert.ok(create.includes('  KEY `fk_payment_rental` (`rental_id`)\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4'), create)
  assert.not.match(create, 'CONSTRAINT')
  assert.equal(foreignKeys.map((f) => [f.name, f.columns, f.refDatabase, f.refTable, f.refColumns, f.onDelete, f.onUpdate]), [
    ['fk_payment_rental', ['rental_id'], null, 'rental', ['rental_id'], 'SET NULL', 'CASCADE'],
    ['fk_other', ['rental_id', 'amount'], 'shop', 't', ['a', 'b'], null, null],
  ])
  assert.is(parseForeignKey('CONSTRAINT `a``b` FOREIGN KEY (`x`) REFERENCES `p` (`id`) ON DELETE NO ACTION').name, 'a`b')
})

test('tableSpec: the builder code for a plain table; null for what it cannot write exactly', () => {
  const spec = tableSpec('payment', splitForeignKeys(PAYMENT).create)!
  assert.equal(createTableCode(spec), [
    't.specificType("payment_id", "smallint unsigned not null auto_increment")',
    't.integer("rental_id").nullable()',
    't.decimal("amount", 5, 2).notNullable().defaultTo("0.00")',
    't.enu("kind", ["a","b"]).nullable().defaultTo("a").comment("the kind")',
    't.timestamp("last_update").nullable().defaultTo(knex.raw("current_timestamp() ON UPDATE current_timestamp()"))',
    't.primary(["payment_id"])',
    't.index(["rental_id"], "fk_payment_rental")',
    't.engine("InnoDB")', 't.charset("utf8mb4")', 't.collate("utf8mb4_general_ci")',
  ])
  const table = (line: string, name = 't') => `CREATE TABLE \`${name}\` (\n  \`id\` int(11) NOT NULL,\n${line}\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci`
  assert.ok(tableSpec('t', table('  `v` varchar(10) DEFAULT NULL')))
  assert.equal(createTableCode(tableSpec('t', table("  `e` enum('a,b','c') NOT NULL DEFAULT 'c'"))!)[1], 't.enu("e", ["a,b","c"]).notNullable().defaultTo("c")')
  for (const line of ['  `v` int(11) GENERATED ALWAYS AS (`id` + 1) VIRTUAL', '  `v` int(11) INVISIBLE DEFAULT 7', '  `v` int(8) unsigned zerofill DEFAULT NULL',
    '  `v` inet6 DEFAULT NULL', "  `v` varchar(10) DEFAULT 'it''s'", '  FULLTEXT KEY `f` (`id`)', '  KEY `p` (`id`(10))', '  KEY `d` (`id` DESC)',
    '  CONSTRAINT `c` CHECK (`id` > 0)', '  `v` int(11) DEFAULT (`id` + 1)', "  `e` enum('a''b') DEFAULT NULL"]) {
    assert.is(tableSpec('t', table(line)), null, line)
  }
  assert.is(tableSpec('a.b', table('  `v` int(11) DEFAULT NULL', 'a.b')), null, 'a dot in a name')
  assert.is(tableSpec('t', table('  `v` int(11) DEFAULT NULL').replace('utf8mb4_general_ci', 'utf8mb4_general_ci ROW_FORMAT=COMPRESSED')), null)
})

test('dependencyOrder: parents first; a cycle and a self-reference keep name order', () => {
  const t = (name: string, references: string[]) => ({ name, references })
  assert.equal(dependencyOrder([t('rental', ['inventory', 'customer']), t('inventory', ['film']), t('film', ['language']), t('language', []),
    t('customer', ['store']), t('store', ['staff']), t('staff', ['store', 'staff'])]).map((x) => x.name),
  ['language', 'film', 'inventory', 'staff', 'store', 'customer', 'rental'])
})

test('baselineTables: the header before -- migrate:up, or null', () => {
  assert.equal(baselineTables('-- x\n-- datakeep-baseline: {"tables":["a","b c"]}\n-- migrate:up\nSELECT 1;\n'), ['a', 'b c'])
  assert.is(baselineTables('-- migrate:up\n-- datakeep-baseline: {"tables":["a"]}\n'), null)
  assert.is(baselineTables('-- datakeep-baseline: {"tables":[]}\n-- migrate:up\n'), null)
  assert.is(baselineTables('-- datakeep-baseline: nonsense\n-- migrate:up\n'), null)
})

test.run()
