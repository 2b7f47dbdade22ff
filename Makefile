# datakeep: the data lifecycle of this stack. Every target is one line calling one script.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory
# No recipe is echoed: stdout is the script's alone (`make status ARGS=--json | jq .`); VERBOSE=1
# makes the scripts echo the commands they run
.SILENT:

# Installs npm packages the first time (or when the lockfile changed), then runs the script from
# a bundle lib/launch.mjs builds (and rebuilds when a source changed): 0.3 s to start, not 0.9 s.
# The test suite and the benchmark run with tsx as node's loader.
RUN := node lib/launch.mjs
TSX := node --import tsx
ARGS ?=

node_modules/.package-lock.json: package.json package-lock.json
	@command -v npm >/dev/null || { echo "datakeep: node and npm are missing; to fix: sudo apt-get install -y nodejs npm (Node 20+)" >&2; exit 2; }
	npm ci --no-audit --no-fund --loglevel=error >&2

.PHONY: help
help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-30s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: up
up: node_modules/.package-lock.json ## Start the stack (database, search when enabled) and initialize it
	$(RUN) up $(ARGS)

.PHONY: down
down: node_modules/.package-lock.json ## Stop the stack; data is never removed
	$(RUN) down $(ARGS)

.PHONY: status
status: node_modules/.package-lock.json ## Runtime, server, how to connect (no password), data location and size, tables and rows (ARGS="--json")
	$(RUN) status $(ARGS)

.PHONY: initialize
initialize: node_modules/.package-lock.json ## Database exists, migrated, seeded or loaded, indexed; only what is missing (INIT_CLEAN=true INIT_LOAD=x INIT_SKIP_SEED=true INIT_SKIP_INDEX=true; ARGS="--dry-run")
	$(RUN) initialize $(ARGS)

.PHONY: seed_data
seed_data: node_modules/.package-lock.json ## Rebuild the seed as snapshot _init and load it (safety snapshot first)
	$(RUN) seed-data $(ARGS)

.PHONY: migrate
migrate: node_modules/.package-lock.json ## Apply pending migrations (data/migrations, or MIGRATE_COMMAND)
	$(RUN) migrate $(ARGS)

.PHONY: rollback
rollback: node_modules/.package-lock.json ## Roll back migrations (ARGS="--steps N"; safety snapshot first)
	$(RUN) rollback $(ARGS)

.PHONY: migration
migration: node_modules/.package-lock.json ## Create a migration file (NAME=add_users)
	$(RUN) migration --name "$(NAME)" $(ARGS)

.PHONY: migrate_status
migrate_status: node_modules/.package-lock.json ## Applied and pending migrations (ARGS="--json")
	$(RUN) migrate-status $(ARGS)

.PHONY: schema_docs
schema_docs: node_modules/.package-lock.json ## Document the schema: docs/schema/index.html with an ER diagram, schema.json/.md/.mmd/.svg (ARGS="--out DIR --tables a,b --columns ...")
	$(RUN) schema-docs $(ARGS)

.PHONY: schema_lint
schema_lint: node_modules/.package-lock.json ## Schema anomalies (no primary key, unindexed foreign key, nullable unique, implied relation, type mismatch); exit 1 on an error rule (ARGS="--errors a,b --ignore rule:table --json")
	$(RUN) schema-lint $(ARGS)

.PHONY: schema_diff
schema_diff: node_modules/.package-lock.json ## What changed in the schema against docs/schema/schema.json or a snapshot; exit 1 on any difference (ARGS="--against <file|snapshot> --json")
	$(RUN) schema-diff $(ARGS)

.PHONY: schema_migration
schema_migration: node_modules/.package-lock.json ## The schema as one migration that rebuilds it: data/knex-migrations/<time>_schema.js|.cjs, or a baseline for make migrate (ARGS="--format knex|sql --module esm|cjs --tables a,b --out DIR")
	$(RUN) schema-migration $(ARGS)

.PHONY: fixtures_dump
fixtures_dump: node_modules/.package-lock.json ## Write data/fixtures/<table>.json for every table (ARGS="--tables a,b")
	$(RUN) fixtures-dump $(ARGS)

.PHONY: fixtures_load
fixtures_load: node_modules/.package-lock.json ## Upsert data/fixtures/*.json (also Django dumpdata files) in one transaction, triggers held off (safety snapshot first; ARGS="--with-triggers")
	$(RUN) fixtures-load $(ARGS)

.PHONY: docker_mysqld_volume_create
docker_mysqld_volume_create: node_modules/.package-lock.json ## Create the database volume (or local data dir); idempotent
	$(RUN) volume-create $(ARGS)

.PHONY: docker_mysqld_volume_remove
docker_mysqld_volume_remove: node_modules/.package-lock.json ## Hard reset: remove the database volume (run make down first)
	$(RUN) volume-remove $(ARGS)

.PHONY: volume_create volume_remove
volume_create: docker_mysqld_volume_create ## Alias of docker_mysqld_volume_create
volume_remove: docker_mysqld_volume_remove ## Alias of docker_mysqld_volume_remove

.PHONY: data_dump
data_dump: node_modules/.package-lock.json ## Snapshot DB + files to DATA_BACKUP_DIRNAME/<name> (ARGS="--name x --force"; --full; --format sql; --physical [--whole-server] [--incremental|--differential])
	$(RUN) data-dump $(ARGS)

.PHONY: data_load
data_load: node_modules/.package-lock.json ## Restore a snapshot atomically, verified (ARGS="--name x [--until '<time>']"; --latest; --tables a,b [--with-storage]; or --file dump.sql[.gz])
	$(RUN) data-load $(ARGS)

.PHONY: data_copy
data_copy: node_modules/.package-lock.json ## Copy a snapshot under a new name, verified (ARGS="--name x --to y [--force]")
	$(RUN) data-copy $(ARGS)

.PHONY: data_rename
data_rename: node_modules/.package-lock.json ## Rename a snapshot, verified; _init and safety snapshots keep their names (ARGS="--name x --to y [--force]")
	$(RUN) data-rename $(ARGS)

.PHONY: data_timeline
data_timeline: node_modules/.package-lock.json ## What changed since a snapshot, from the binary logs (ARGS="--since x [--json]")
	$(RUN) data-timeline $(ARGS)

.PHONY: data_list
data_list: node_modules/.package-lock.json ## List snapshots, newest first (ARGS="--json")
	$(RUN) data-list $(ARGS)

.PHONY: data_verify
data_verify: node_modules/.package-lock.json ## Check a snapshot's files (ARGS="--name x [--deep]": also load and compare)
	$(RUN) data-verify $(ARGS)

.PHONY: data_prune
data_prune: node_modules/.package-lock.json ## Delete the oldest snapshots beyond N and the archived binary logs no kept one needs (ARGS="--keep N --yes")
	$(RUN) data-prune $(ARGS)

.PHONY: undo
undo: node_modules/.package-lock.json ## Restore the state before the last destructive operation (the current state is kept: undo twice returns)
	$(RUN) undo $(ARGS)

.PHONY: check
check: node_modules/.package-lock.json ## Deploy check: server, volume, database, rows per table, newest snapshot (ARGS="--json")
	$(RUN) check $(ARGS)

.PHONY: predeploy
predeploy: node_modules/.package-lock.json ## Snapshot predeploy-<time> and record the row counts
	$(RUN) predeploy $(ARGS)

.PHONY: postdeploy
postdeploy: node_modules/.package-lock.json ## Compare row counts with the latest predeploy; exit 1 on loss
	$(RUN) postdeploy $(ARGS)

.PHONY: bench_incremental
bench_incremental: node_modules/.package-lock.json ## make bench's incremental series alone: a snapshot after 1% of one table changed (shared tables vs full vs mydumper) and a recovery to a time (ARGS="--rows 3000000")
	$(TSX) bench/incremental-cli.ts $(ARGS)

.PHONY: bench
bench: node_modules/.package-lock.json ## Race data_dump/data_load against mariadb-dump, mydumper, mariadb-backup, cp, then the incremental series, then the PostgreSQL series (15-18 min on 2 cores; ARGS="--sizes 100000 --runs 1 --no-incremental --no-postgres")
	$(TSX) bench/run.ts $(ARGS)

.PHONY: bench_postgres
bench_postgres: node_modules/.package-lock.json ## Race the PostgreSQL data_dump/data_load against pg_dump -Fd -j2, pg_dump | zstd, pg_restore -j2 (ARGS="--sizes 300000 --runs 1")
	$(TSX) bench/postgres.ts $(ARGS)

.PHONY: reliability_report
reliability_report: node_modules/.package-lock.json ## Write docs/reliability.md from the fault suite's results (after make test)
	$(RUN) reliability-report $(ARGS)

.PHONY: env_example
env_example: node_modules/.package-lock.json ## Rewrite .env.example from the config schema
	$(RUN) env-example

.PHONY: test
test: node_modules/.package-lock.json ## Run the test suite (starts its own MariaDB and PostgreSQL; installs them when missing and root)
	$(TSX) tests/run.ts $(ARGS)

.PHONY: typecheck
typecheck: node_modules/.package-lock.json ## Type-check the project (tsc --noEmit)
	node_modules/.bin/tsc --noEmit
