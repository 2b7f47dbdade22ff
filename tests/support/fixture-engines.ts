// The engines the fixtures suites run on (tests/engines/fixtures*.test.ts): a started server with the
// application database, the DDL of a small library and of a Django project in each engine's dialect,
// and the server's words for the errors the suites provoke.
import fs from 'node:fs'
import path from 'node:path'
import { mariadbEngine } from '../../lib/engines/mariadb/index.ts'
import type { Engine, SqlSession } from '../../lib/engines/types.ts'
import { makePgStack } from './pg-stack.ts'
import { makeStack } from './stack.ts'

export interface EngineStack { dir: string; env: Record<string, string>; engine: Engine; destroy(): Promise<void> }

export interface EngineCase {
  make: () => Promise<EngineStack>
  /** authors, books (a trigger writes audit rows), audit; two authors, two books. */
  library: string[]
  /** Every row of the tables gone, their counters back at the start. */
  wipe: (tables: string[]) => string[]
  /** The server's words for a child row whose parent is missing. */
  missingParent: RegExp
  /** The server's words for a value its column refuses. */
  badValue: RegExp
  /** A Django project's tables as its migrations make them on this engine: auth, a portal app, a legacy table. */
  django: string[]
  /** SQL giving a date-time column's value in UTC as 'YYYY-MM-DD HH:MM:SS.ffffff'. */
  utc: (column: string) => string
}

export const CASES: Record<string, EngineCase> = {
  mariadb: {
    make: async () => {
      const s = await makeStack({ env: { MYSQL_DATABASE: 'fxlib' } })
      const engine = await mariadbEngine(s.cfg)
      await engine.lifecycle().createDatabase()
      return { dir: s.dir, env: s.env, engine, destroy: () => s.destroy() }
    },
    library: [
      'CREATE TABLE authors (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(50) NOT NULL)',
      'CREATE TABLE books (id INT AUTO_INCREMENT PRIMARY KEY, author_id INT NOT NULL, title VARCHAR(50) NOT NULL, price DECIMAL(8,2), FOREIGN KEY (author_id) REFERENCES authors (id))',
      'CREATE TABLE audit (id INT AUTO_INCREMENT PRIMARY KEY, what VARCHAR(50) NOT NULL)',
      "CREATE TRIGGER books_audit AFTER INSERT ON books FOR EACH ROW INSERT INTO audit (what) VALUES (CONCAT('book ', NEW.id))",
    ],
    wipe: (tables) => ['SET foreign_key_checks = 0', ...tables.map((t) => `TRUNCATE TABLE ${t}`), 'SET foreign_key_checks = 1'],
    missingParent: /Cannot add or update a child row: a foreign key constraint fails/,
    badValue: /Out of range value for column 'price'$/,
    django: [
      'CREATE TABLE auth_group (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(150) NOT NULL UNIQUE)',
      `CREATE TABLE auth_user (id INT AUTO_INCREMENT PRIMARY KEY, password VARCHAR(128) NOT NULL, last_login DATETIME(6) NULL, is_superuser TINYINT(1) NOT NULL,
        username VARCHAR(150) NOT NULL UNIQUE, email VARCHAR(254) NOT NULL, date_joined DATETIME(6) NOT NULL)`,
      `CREATE TABLE auth_user_groups (id BIGINT AUTO_INCREMENT PRIMARY KEY, user_id INT NOT NULL, group_id INT NOT NULL, UNIQUE (user_id, group_id),
        FOREIGN KEY (user_id) REFERENCES auth_user (id), FOREIGN KEY (group_id) REFERENCES auth_group (id))`,
      'CREATE TABLE portal_tag (id BIGINT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(50) NOT NULL)',
      `CREATE TABLE portal_article (id BIGINT AUTO_INCREMENT PRIMARY KEY, title VARCHAR(200) NOT NULL, author_id INT NOT NULL, body LONGTEXT NOT NULL,
        published DATETIME(6) NULL, meta JSON NOT NULL, attachment LONGBLOB NULL, rating DECIMAL(4,2) NULL, FOREIGN KEY (author_id) REFERENCES auth_user (id))`,
      `CREATE TABLE portal_article_tags (id BIGINT AUTO_INCREMENT PRIMARY KEY, article_id BIGINT NOT NULL, tag_id BIGINT NOT NULL, UNIQUE (article_id, tag_id),
        FOREIGN KEY (article_id) REFERENCES portal_article (id), FOREIGN KEY (tag_id) REFERENCES portal_tag (id))`,
      'CREATE TABLE legacy_people (id INT AUTO_INCREMENT PRIMARY KEY, full_name VARCHAR(100) NOT NULL)',
    ],
    utc: (col) => `DATE_FORMAT(${col}, '%Y-%m-%d %H:%i:%s.%f')`,
  },
  postgres: {
    make: async () => {
      const s = await makePgStack({ env: { POSTGRES_DB: 'fxlib' } }) // the cluster starts with the database
      return { dir: s.dir, env: s.env, engine: s.engine, destroy: () => s.destroy() }
    },
    library: [
      'CREATE TABLE authors (id serial PRIMARY KEY, name text NOT NULL)',
      'CREATE TABLE books (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, author_id int NOT NULL REFERENCES authors (id), title text NOT NULL, price numeric(8,2))',
      'CREATE TABLE audit (id serial PRIMARY KEY, what text NOT NULL)',
      "CREATE FUNCTION books_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO audit (what) VALUES ('book ' || NEW.id); RETURN NEW; END $$",
      'CREATE TRIGGER books_audit AFTER INSERT ON books FOR EACH ROW EXECUTE FUNCTION books_audit()',
    ],
    wipe: (tables) => [`TRUNCATE ${tables.join(', ')} RESTART IDENTITY`],
    missingParent: /insert or update on table "books" violates foreign key constraint "books_author_id_fkey" \(Key \(author_id\)=\(99\) is not present in table "authors"\.\)/,
    badValue: /numeric field overflow/,
    // as Django's migrations make them: every foreign key DEFERRABLE INITIALLY DEFERRED
    django: [
      'CREATE TABLE auth_group (id serial PRIMARY KEY, name varchar(150) NOT NULL UNIQUE)',
      `CREATE TABLE auth_user (id serial PRIMARY KEY, password varchar(128) NOT NULL, last_login timestamptz NULL, is_superuser boolean NOT NULL,
        username varchar(150) NOT NULL UNIQUE, email varchar(254) NOT NULL, date_joined timestamptz NOT NULL)`,
      `CREATE TABLE auth_user_groups (id bigserial PRIMARY KEY, user_id integer NOT NULL REFERENCES auth_user (id) DEFERRABLE INITIALLY DEFERRED,
        group_id integer NOT NULL REFERENCES auth_group (id) DEFERRABLE INITIALLY DEFERRED, UNIQUE (user_id, group_id))`,
      'CREATE TABLE portal_tag (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, name varchar(50) NOT NULL)',
      `CREATE TABLE portal_article (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, title varchar(200) NOT NULL,
        author_id integer NOT NULL REFERENCES auth_user (id) DEFERRABLE INITIALLY DEFERRED, body text NOT NULL, published timestamptz NULL,
        meta jsonb NOT NULL, attachment bytea NULL, rating numeric(4,2) NULL)`,
      `CREATE TABLE portal_article_tags (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        article_id bigint NOT NULL REFERENCES portal_article (id) DEFERRABLE INITIALLY DEFERRED,
        tag_id bigint NOT NULL REFERENCES portal_tag (id) DEFERRABLE INITIALLY DEFERRED, UNIQUE (article_id, tag_id))`,
      'CREATE TABLE legacy_people (id serial PRIMARY KEY, full_name text NOT NULL)',
    ],
    utc: (col) => `to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')`,
  },
}

export const LIBRARY_ROWS = ["INSERT INTO authors (name) VALUES ('Ann'), ('Bob')", "INSERT INTO books (author_id, title, price) VALUES (1, 'One', 9.50), (2, 'Two', NULL)"]
export const TABLES = ['audit', 'authors', 'books']

export async function exec(st: EngineStack, statements: string[]): Promise<void> {
  await st.engine.withSql(async (sql: SqlSession) => { for (const q of statements) await sql.query(q) })
}

export const rows = (st: EngineStack, q: string) => st.engine.withSql((sql: SqlSession) => sql.query<Record<string, unknown>>(q))

/** A folder of the project holding the given files (name -> document); its name, relative to the project. */
export function folder(st: EngineStack, dirName: string, files: Record<string, unknown>): string {
  const dir = path.join(st.dir, dirName)
  fs.mkdirSync(dir, { recursive: true })
  for (const [f, doc] of Object.entries(files)) fs.writeFileSync(path.join(dir, f), JSON.stringify(doc, null, 2) + '\n')
  return dirName
}
