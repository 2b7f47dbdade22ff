// The config schema: every key datakeep reads, once, with its default, description and kind.
// lib/config.ts reads and checks values against it; .env.example is generated from it.

export type Kind =
  | { type: 'string' }
  | { type: 'enum'; values: readonly string[] }
  | { type: 'boolean' }
  | { type: 'int'; min: number; max: number }
  | { type: 'port' }
  | { type: 'name' }
  | { type: 'url' }

export interface KeyDef { default: string; description: string; kind: Kind; secret?: boolean; section: string; envOnly?: boolean }

const str: Kind = { type: 'string' }
const bool: Kind = { type: 'boolean' }

/** Every key datakeep reads. Order and sections are those of .env.example. */
export const SCHEMA = {
  DATAKEEP_RUNTIME: { section: 'Where the stack runs', default: 'auto', kind: { type: 'enum', values: ['auto', 'docker', 'local', 'external'] },
    description: 'auto (docker when a Docker engine answers, else local), docker, local (a private server from the host binaries) or external (DATABASE_URL)' },
  APP_ENV: { section: 'Where the stack runs', default: 'development', kind: { type: 'enum', values: ['development', 'staging', 'production'] },
    description: 'development, staging or production; staging and production guard every destructive operation' },
  DB_ENGINE: { section: 'Where the stack runs', default: 'mariadb', kind: { type: 'enum', values: ['mariadb', 'postgres'] },
    description: 'mariadb (MariaDB or MySQL) or postgres; on the external runtime the scheme of DATABASE_URL decides' },
  DATABASE_URL: { section: 'Where the stack runs', default: '', kind: { type: 'url' }, secret: true,
    description: 'external runtime only: mysql://, mariadb://, postgres:// or postgresql://user:password@host:port/database of a server that already runs' },

  MYSQL_DATABASE: { section: 'Database', default: 'app', kind: { type: 'name' }, description: 'the application database (created when missing)' },
  MYSQL_USER: { section: 'Database', default: 'app', kind: { type: 'name' }, description: 'the application user (created when missing, with all rights on the database)' },
  MYSQL_PASSWORD: { section: 'Database', default: 'app', kind: str, secret: true, description: "the application user's password" },
  MYSQL_ROOT_PASSWORD: { section: 'Database', default: 'root', kind: str, secret: true, description: "the server's root password (local and docker runtimes; datakeep works as root)" },
  MYSQL_HOST: { section: 'Database', default: '127.0.0.1', kind: str, description: 'the address the server is reached on from this machine' },
  MYSQL_PORT: { section: 'Database', default: '3307', kind: { type: 'port' }, description: 'the port the server listens on (local) or is published on, bound to 127.0.0.1 (docker)' },

  POSTGRES_DB: { section: 'PostgreSQL (DB_ENGINE=postgres)', default: 'app', kind: { type: 'name' }, description: 'the application database (created when missing, owned by POSTGRES_USER)' },
  POSTGRES_USER: { section: 'PostgreSQL (DB_ENGINE=postgres)', default: 'app', kind: { type: 'name' }, description: 'the application role (created when missing; owns the database)' },
  POSTGRES_PASSWORD: { section: 'PostgreSQL (DB_ENGINE=postgres)', default: 'app', kind: str, secret: true, description: "the application role's password" },
  POSTGRES_PORT: { section: 'PostgreSQL (DB_ENGINE=postgres)', default: '5433', kind: { type: 'port' }, description: 'the port the server listens on (local) or is published on, bound to 127.0.0.1 (docker)' },
  POSTGRES_IMAGE: { section: 'PostgreSQL (DB_ENGINE=postgres)', default: 'postgres:15', kind: str, description: 'docker runtime: the server image (official image, pinned major)' },
  POSTGRES_VOLUME: { section: 'PostgreSQL (DB_ENGINE=postgres)', default: 'datakeep_postgres', kind: { type: 'name' }, description: 'docker runtime: the external named volume that holds the cluster; never removed by make down' },
  POSTGRES_DATA_DIR: { section: 'PostgreSQL (DB_ENGINE=postgres)', default: 'data/postgres', kind: str, description: "local runtime: the private cluster's data directory (the local runtime's volume)" },
  POSTGRES_INITDB_DIR: { section: 'PostgreSQL (DB_ENGINE=postgres)', default: 'docker/postgres/initdb.d', kind: str, description: 'run once on the first start of an empty cluster, as the official image runs it: *.sql, *.sql.gz, *.sh' },
  POSTGRES_BIN_DIR: { section: 'PostgreSQL (DB_ENGINE=postgres)', default: '', kind: str, description: 'local runtime: the folder of initdb, postgres, pg_dump, psql (empty: the newest /usr/lib/postgresql/<version>/bin, else PATH)' },
  POSTGRES_WAL_LEVEL: { section: 'PostgreSQL (DB_ENGINE=postgres)', default: 'minimal', kind: { type: 'enum', values: ['minimal', 'replica'] },
    description: 'local runtime: minimal (no WAL for tables a load creates: fastest data_load) or replica (WAL for every write; needed by data_dump --physical --whole-server, pg_basebackup); applies at the next make up' },

  DATA_BACKUP_DIRNAME: { section: 'Data on disk', default: 'data/backups', kind: str, description: 'folder of snapshots, one folder per snapshot name' },
  BACKUP_GROUP_READ: { section: 'Data on disk', default: 'false', kind: bool, description: "snapshots readable by the owner's group too (folders 0750, files 0640); otherwise owner-only (0700/0600)" },
  STORAGE_DIR: { section: 'Data on disk', default: 'data/storage', kind: str, description: "the application's uploaded files, kept in step with the database by snapshots" },
  LOCAL_DATA_DIR: { section: 'Data on disk', default: 'data/mysqld', kind: str, description: "local runtime: the server's data directory (the local runtime's volume)" },
  LOCAL_RUN_DIR: { section: 'Data on disk', default: 'data/run', kind: str, description: "local runtime: the server's socket, pid file and error log" },
  MYSQLD_BIN: { section: 'Data on disk', default: '', kind: str, description: 'local runtime: the server binary (empty: mariadbd or mysqld found on PATH or in /usr/sbin)' },

  MIGRATIONS_DIR: { section: 'Data on disk', default: 'data/migrations', kind: str, description: 'built-in migrations: <timestamp>_<name>.sql files with -- migrate:up and -- migrate:down sections' },
  SEED_DIR: { section: 'Data on disk', default: 'data/seed', kind: str, description: 'seeders, run in name order: *.sql files and *.ts modules (export default async ({ db, log }) => {...})' },
  FIXTURES_DIR: { section: 'Data on disk', default: 'data/fixtures', kind: str, description: 'JSON fixtures, one <table>.json per table (make fixtures_dump / fixtures_load)' },
  INITDB_DIR: { section: 'Data on disk', default: 'docker/mysql/initdb.d', kind: str, description: 'run once on the first start of an empty volume: *.sql, *.sql.gz, *.sh' },

  INIT_CLEAN: { section: 'initialize', default: 'false', kind: bool, description: 'make initialize INIT_CLEAN=true: recreate the database (after a safety snapshot), then fill it' },
  INIT_LOAD: { section: 'initialize', default: '', kind: str, description: 'make initialize INIT_LOAD=<name>: load that snapshot (through the verified, atomic load)' },
  INIT_SKIP_SEED: { section: 'initialize', default: 'false', kind: bool, description: 'do not seed (and do not rebuild _init); an empty database stays empty but migrated' },
  INIT_SKIP_INDEX: { section: 'initialize', default: 'false', kind: bool, description: 'do not rebuild the search index' },
  LOAD_FIXTURES: { section: 'initialize', default: 'false', kind: bool, description: 'load data/fixtures/*.json during make up / initialize' },
  MIGRATE_COMMAND: { section: 'initialize', default: '', kind: str, description: 'run migrations with this shell command instead of the built-in runner (e.g. python manage.py migrate)' },
  SEED_COMMAND: { section: 'initialize', default: '', kind: str, description: 'seed with this shell command instead of data/seed' },
  REINDEX_COMMAND: { section: 'initialize', default: '', kind: str, description: 'rebuild the search index with this shell command (empty: no index to build)' },
  INDEX_CHECK_COMMAND: { section: 'initialize', default: '', kind: str, description: 'exit 0 when the search index exists (empty: always rebuild when REINDEX_COMMAND is set)' },
  HOOK_SERVICE: { section: 'initialize', default: '', kind: str, description: 'docker runtime: run the *_COMMAND hooks inside this compose service (empty: on the host)' },

  SAFETY_MAX_AGE: { section: 'Safety', default: '10', kind: { type: 'int', min: 0, max: 100000 }, description: 'minutes a verified snapshot of the current state counts as fresh (no new safety snapshot needed)' },
  SAFETY_PHYSICAL_MIN_MB: { section: 'Safety', default: '256', kind: { type: 'int', min: 0, max: 100000000 }, description: 'safety snapshots are physical from this database size up on the local and docker runtimes (the InnoDB tables copied as their files: several times faster, not compressed); below it a logical one, smaller on disk' },
  BINARY_LOG: { section: 'Safety', default: 'true', kind: bool, description: 'local runtime: run the server with its binary log (point-in-time recovery, docs/recovery.md); false starts it with --skip-log-bin (the docker runtime keeps conf.d/datakeep.cnf as it is)' },
  BINLOG_EXPIRE_DAYS: { section: 'Safety', default: '14', kind: { type: 'int', min: 0, max: 3650 }, description: 'days the server keeps its binary logs (point-in-time recovery; 0: never removes them); the closed ones are also copied to <DATA_BACKUP_DIRNAME>/_binlog/ by data_dump, down and volume removal' },
  SAFETY_KEEP: { section: 'Safety', default: '5', kind: { type: 'int', min: 1, max: 1000 }, description: 'how many safety snapshots (_safety/...) to keep; pruned only after a command succeeded' },
  POSTDEPLOY_MAX_LOSS: { section: 'Safety', default: '0', kind: { type: 'int', min: 0, max: 100 }, description: 'percent of rows a table may lose between make predeploy and make postdeploy' },
  ALLOW_DESTRUCTIVE_IN_PRODUCTION: { section: 'Safety', default: 'false', kind: bool, envOnly: true, description: 'environment only (ignored in .env): allow INIT_CLEAN, seed_data and volume removal in production' },

  COMPOSE_PROJECT_NAME: { section: 'Docker runtime', default: 'datakeep', kind: { type: 'name' }, description: 'the compose project name' },
  MYSQL_SERVICE: { section: 'Docker runtime', default: 'mysqld', kind: { type: 'name' }, description: 'the compose service that runs the database server' },
  MYSQL_IMAGE: { section: 'Docker runtime', default: 'mariadb:11.4', kind: str, description: 'the database server image (a MariaDB LTS by default, what the tests run against)' },
  MYSQL_VOLUME: { section: 'Docker runtime', default: 'datakeep_mysqld', kind: { type: 'name' }, description: 'the external named volume that holds the database; never removed by make down' },
  SEARCH_ENABLED: { section: 'Docker runtime', default: 'false', kind: bool, description: 'start the elasticsearch service (compose profile "search")' },
  ELASTICSEARCH_IMAGE: { section: 'Docker runtime', default: 'docker.elastic.co/elasticsearch/elasticsearch:8.15.3', kind: str, description: 'the search server image' },
  ELASTICSEARCH_PORT: { section: 'Docker runtime', default: '9200', kind: { type: 'port' }, description: 'the port search is published on, bound to 127.0.0.1' },

  SCHEMA_LINT_ERRORS: { section: 'Schema checks', default: 'no-primary-key,unindexed-foreign-key', kind: str,
    description: 'make schema_lint: the rules that fail it (exit 1), comma-separated, or all or none; the others only warn (rules: no-primary-key, unindexed-foreign-key, nullable-unique, implied-relation, type-mismatch)' },
  SCHEMA_LINT_IGNORE: { section: 'Schema checks', default: '', kind: str,
    description: 'make schema_lint: findings not reported, comma-separated: rule, rule:table or rule:table.column (* for any rule)' },

  DUMP_THREADS: { section: 'Behaviour', default: '0', kind: { type: 'int', min: 0, max: 64 }, description: 'parallel readers and loaders for snapshots (0: one loader per core; two readers per core where the server writes the files; at most 4)' },
  SUDO_UID: { section: 'Behaviour', default: '', kind: str, description: 'set by sudo: files datakeep writes are given to this user (else to the owner of the project folder)' },
  SUDO_GID: { section: 'Behaviour', default: '', kind: str, description: "set by sudo: that user's group" },
  START_TIMEOUT: { section: 'Behaviour', default: '60', kind: { type: 'int', min: 1, max: 3600 }, description: 'seconds to wait for the server to answer after a start' },
  VERBOSE: { section: 'Behaviour', default: 'false', kind: bool, description: 'echo every command datakeep runs (passwords redacted)' },
  CI: { section: 'Behaviour', default: 'false', kind: bool, description: 'plain progress lines instead of bars (set by CI services)' },
} as const satisfies Record<string, KeyDef>
