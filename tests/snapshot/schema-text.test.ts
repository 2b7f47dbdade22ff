// The pure text work behind schema snapshots, checked as data (the round trips against a real
// server are in schema.test.ts).
import { test } from '../support/uvu.ts'
import * as assert from 'uvu/assert'
import { schemaHash, schemaSql, type SchemaSnapshot } from '../../lib/snapshot/schema.ts'
import {
  clientSafe, executeImmediateHex, orderViews, parseAccount, pickDelimiter, rewriteDatabase, splitDefiner,
  withDefiner, withoutAutoIncrement,
} from '../../lib/snapshot/schema-text.ts'

test('splitDefiner takes out the DEFINER clause as SHOW CREATE prints it, withDefiner puts it back', () => {
  const cases: [string, string, string][] = [
    ['CREATE ALGORITHM=UNDEFINED DEFINER=`root`@`localhost` SQL SECURITY DEFINER VIEW `v` AS select 1 AS `1`',
      'CREATE ALGORITHM=UNDEFINED SQL SECURITY DEFINER VIEW `v` AS select 1 AS `1`', '`root`@`localhost`'],
    ['CREATE DEFINER=`gh``ost`@`%` PROCEDURE `p`()\nBEGIN END', 'CREATE PROCEDURE `p`()\nBEGIN END', '`gh``ost`@`%`'],
    ['CREATE DEFINER="root"@"localhost" TRIGGER "t" BEFORE INSERT ON x FOR EACH ROW SET @a = 1',
      'CREATE TRIGGER "t" BEFORE INSERT ON x FOR EACH ROW SET @a = 1', '"root"@"localhost"'],
    ['CREATE DEFINER=`admin_role` EVENT `e` ON SCHEDULE EVERY 1 DAY DO SELECT 1', 'CREATE EVENT `e` ON SCHEDULE EVERY 1 DAY DO SELECT 1', '`admin_role`'],
  ]
  for (const [text, create, definer] of cases) {
    assert.equal(splitDefiner(text), { create, definer })
    assert.is(withDefiner(create, definer), text)
  }
  assert.equal(splitDefiner('CREATE TABLE `t` (`DEFINER` int)'), { create: 'CREATE TABLE `t` (`DEFINER` int)' })
})

test('parseAccount unquotes the user and host of a definer', () => {
  assert.equal(parseAccount('`ghost`@`%`'), { user: 'ghost', host: '%' })
  assert.equal(parseAccount('"a""b"@"10.0.0.%"'), { user: 'a"b', host: '10.0.0.%' })
  assert.equal(parseAccount("'u'@'h'"), { user: 'u', host: 'h' })
  assert.equal(parseAccount('`a@b`@`localhost`'), { user: 'a@b', host: 'localhost' })
  assert.equal(parseAccount('`admin_role`'), { user: 'admin_role', host: '' })
})

test('rewriteDatabase rewrites qualifiers only, never strings, comments or other names', () => {
  const sql = "SELECT `shop`.`t`.a, shop.t.b, shop . u, 'shop.t', x.shop, shopping.t -- shop.t\nFROM shop.t /* `shop`.t */ JOIN `shop`.t2"
  assert.is(rewriteDatabase(sql, 'shop', 'stage'),
    "SELECT `stage`.`t`.a, stage.t.b, stage . u, 'shop.t', x.shop, shopping.t -- shop.t\nFROM stage.t /* `shop`.t */ JOIN `stage`.t2")
  assert.is(rewriteDatabase(sql, 'shop', ''),
    "SELECT `t`.a, t.b, u, 'shop.t', x.shop, shopping.t -- shop.t\nFROM t /* `shop`.t */ JOIN t2")
  assert.is(rewriteDatabase('DELETE FROM shop.t', 'shop', 'my-stage'), 'DELETE FROM `my-stage`.t')
  assert.is(rewriteDatabase('SELECT "shop"."t".a FROM "shop".t', 'shop', 'x', { ansiQuotes: true }), 'SELECT "x"."t".a FROM "x".t')
  assert.is(rewriteDatabase('SELECT "shop".t', 'shop', 'x'), 'SELECT "shop".t', 'a double-quoted string without ANSI_QUOTES')
  assert.is(rewriteDatabase("SELECT 'it\\'s shop.t', shop.t", 'shop', 'x'), "SELECT 'it\\'s shop.t', x.t")
  assert.is(rewriteDatabase("SELECT 'a\\', shop.t", 'shop', 'x', { noBackslashEscapes: true }), "SELECT 'a\\', x.t")
  assert.is(rewriteDatabase('/*!50003 CREATE TRIGGER shop.t */', 'shop', 'x'), '/*!50003 CREATE TRIGGER x.t */', 'executable comments are code')
})

test('orderViews puts each view after the views it reads, whatever their names', () => {
  const v = (name: string, body: string) => ({ name, create: `CREATE ALGORITHM=UNDEFINED SQL SECURITY DEFINER VIEW \`${name}\` AS ${body}` })
  const views = [v('a_top', 'select `m_mid`.`id` AS `id` from `m_mid`'), v('m_mid', 'select `z_base`.`id` AS `id` from `z_base`'),
    v('z_base', 'select `t`.`id` AS `id` from `t`'), v('b_alone', "select 'a_top' AS `x`")]
  assert.equal(orderViews(views).map((x) => x.name), ['b_alone', 'z_base', 'm_mid', 'a_top'])
  const cycle = [v('p', 'select * from `q`'), v('q', 'select * from `p`')]
  assert.equal(orderViews(cycle).map((x) => x.name), ['p', 'q'], 'a cycle ends, in name order')
})

test('clientSafe sends through DELIMITER only what the stock client passes unchanged', () => {
  assert.ok(clientSafe('CREATE PROCEDURE `p`()\nBEGIN\n  SELECT 1;\nEND'))
  for (const bad of ['SELECT 1 -- c', 'SELECT 1 # c', 'SELECT /* c */ 1', "SELECT 'a\\nb'", 'SELECT\t1', 'SELECT 1 \nFROM t', 'x\r\ny', 'BEGIN\ndelimiter //\nEND']) {
    assert.not.ok(clientSafe(bad), bad)
  }
  assert.ok(clientSafe("SELECT 'café'", 'utf8mb3'))
  assert.not.ok(clientSafe("SELECT 'café'", 'latin1'), 'the file is UTF-8; a latin1 client would misread it')
  assert.is(pickDelimiter('a;;b'), '$$')
  assert.is(pickDelimiter('a;;b$$c//d;;;$$$@@@@'), null)
  assert.is(executeImmediateHex('SELECT 1'), 'EXECUTE IMMEDIATE CONVERT(0x53454c4543542031 USING utf8mb4)')
})

test('withoutAutoIncrement drops the table option only', () => {
  const t = "CREATE TABLE `t` (\n  `id` int NOT NULL AUTO_INCREMENT,\n  `c` varchar(9) COMMENT 'AUTO_INCREMENT=5'\n) ENGINE=InnoDB AUTO_INCREMENT=1000 DEFAULT CHARSET=utf8mb4"
  assert.is(withoutAutoIncrement(t), "CREATE TABLE `t` (\n  `id` int NOT NULL AUTO_INCREMENT,\n  `c` varchar(9) COMMENT 'AUTO_INCREMENT=5'\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4")
})

function snapshot(name: string, column: string, autoIncrement: number, definer: string): SchemaSnapshot {
  return {
    database: { name, charset: 'utf8mb4', collation: 'utf8mb4_unicode_ci' },
    tables: [{ kind: 'table', name: 't', create: `CREATE TABLE \`t\` (\n  \`id\` int NOT NULL AUTO_INCREMENT,\n  ${column},\n  PRIMARY KEY (\`id\`)\n) ENGINE=InnoDB AUTO_INCREMENT=${autoIncrement}` }],
    views: [],
    routines: [{ kind: 'procedure', name: 'p', create: `CREATE PROCEDURE \`p\`()\nBEGIN\n  -- count\n  SELECT COUNT(*) FROM ${name}.t;\nEND`,
      definer, sqlMode: 'ANSI_QUOTES', characterSetClient: 'utf8mb4', collationConnection: 'utf8mb4_general_ci', databaseCollation: 'latin1_swedish_ci' }],
    triggers: [{ kind: 'trigger', name: 'tr', table: 't', create: 'CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW SET NEW.id = NEW.id', sqlMode: '', characterSetClient: 'utf8mb4', collationConnection: 'utf8mb4_general_ci', databaseCollation: 'utf8mb4_unicode_ci' }],
    events: [],
    sequenceValues: [{ name: 's', next: '11', round: '0' }],
  }
}

test('schemaHash ignores the database name, definers and AUTO_INCREMENT, not the columns', () => {
  const h = schemaHash(snapshot('shop', '`a` int', 5, '`root`@`localhost`'))
  assert.is(schemaHash(snapshot('shop_copy', '`a` int', 900, '`ghost`@`%`')), h)
  assert.is.not(schemaHash(snapshot('shop', '`a` bigint', 5, '`root`@`localhost`')), h)
})

test('schemaSql writes each phase for the stock client, naming no database', () => {
  const s = snapshot('shop', '`a` int', 5, '`root`@`localhost`')
  const tables = schemaSql(s, 'tables')
  assert.match(tables, 'SET SESSION foreign_key_checks = 0;')
  assert.match(tables, 'ALTER DATABASE CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;')
  assert.match(tables, 'AUTO_INCREMENT=5;')
  const post = schemaSql(s, 'post')
  assert.not.match(post.replace(/^--.*$/gm, ''), 'shop')
  // the procedure has a comment the client would drop: it travels as hex, under its own settings
  assert.match(post, "ALTER DATABASE COLLATE latin1_swedish_ci;\nSET SESSION sql_mode = 'ANSI_QUOTES', character_set_client = 'utf8mb4'")
  assert.match(post, executeImmediateHex('CREATE PROCEDURE `p`()\nBEGIN\n  -- count\n  SELECT COUNT(*) FROM t;\nEND'))
  assert.match(post, 'DELIMITER ;;\nCREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW SET NEW.id = NEW.id;;\nDELIMITER ;')
  assert.match(post, 'DO SETVAL(`s`, 11, 0, 0);')
  for (const text of [tables, post]) assert.match(text.trimEnd().split('\n').pop()!, /^SET SESSION sql_mode = @dk_mode/)
})

test.run()
