// restore.sql: the way back for a user without datakeep. From inside the snapshot folder:
//   zstd -dqkf data/*.zst && mariadb --local-infile=1 --default-character-set=utf8mb4 <database> < restore.sql; rm -f data/*.tsv
import { ident } from '../db.ts'
import { loadDataStatement } from './table-load.ts'
import { tableDump, type ManifestTable } from './manifest.ts'

export const STOCK_RESTORE = 'zstd -dqkf data/*.zst && mariadb --local-infile=1 --default-character-set=utf8mb4 <database> < restore.sql; rm -f data/*.tsv'

export function restoreSql(tables: ManifestTable[]): string {
  const out = [
    '-- datakeep snapshot: restore with stock tools, from inside this folder:',
    `--   ${STOCK_RESTORE}`,
    '-- (uploaded files: mkdir -p <storage dir> && tar -xzpf storage.tar.gz -C <storage dir>)',
    "SET NAMES utf8mb4;",
    "SET SESSION foreign_key_checks = 0, unique_checks = 0, sql_mode = 'NO_AUTO_VALUE_ON_ZERO';",
    'SOURCE schema/tables.sql;',
  ]
  for (const t of tables) {
    if (t.tablespace) {
      // no LOAD DATA can read these: the stock client leaves the table empty, the steps below fill it
      out.push(`-- ${t.name}: its rows are the tablespace ${t.tablespace.files.map((f) => f.file).join(' + ')} (same server version only):`,
        `--   ALTER TABLE ${ident(t.name)} DISCARD TABLESPACE; copy both files into the database's folder of the`,
        `--   data directory (owned by the server's user); ALTER TABLE ${ident(t.name)} IMPORT TABLESPACE;`)
    }
    for (const f of t.files) {
      const tsv = f.file.replace(/\.zst$/, '')
      out.push(loadDataStatement(t.name, tableDump(t), tsv) + ';')
    }
  }
  out.push('SOURCE schema/post.sql;', 'SET SESSION foreign_key_checks = 1, unique_checks = 1;', '')
  return out.join('\n')
}
