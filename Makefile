# datakeep: the data lifecycle of this stack. Every target is one line calling one script.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

# Installs npm packages the first time (or when the lockfile changed), then runs tsx.
TSX := node_modules/.bin/tsx
ARGS ?=

node_modules/.package-lock.json: package.json package-lock.json
	@command -v npm >/dev/null || { echo "datakeep: node and npm are missing; to fix: sudo apt-get install -y nodejs npm (Node 20+)" >&2; exit 2; }
	npm ci --no-audit --no-fund --loglevel=error

.PHONY: help
help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-30s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: up
up: node_modules/.package-lock.json ## Start the stack (database, search when enabled) and initialize it
	$(TSX) scripts/up.ts $(ARGS)

.PHONY: down
down: node_modules/.package-lock.json ## Stop the stack; data is never removed
	$(TSX) scripts/down.ts $(ARGS)

.PHONY: status
status: node_modules/.package-lock.json ## Runtime, server, data location and size, tables and rows (ARGS="--json")
	$(TSX) scripts/status.ts $(ARGS)

.PHONY: initialize
initialize: node_modules/.package-lock.json ## Make the database exist (migrated, seeded, indexed as those land)
	$(TSX) scripts/initialize.ts $(ARGS)

.PHONY: docker_mysqld_volume_create
docker_mysqld_volume_create: node_modules/.package-lock.json ## Create the database volume (or local data dir); idempotent
	$(TSX) scripts/volume-create.ts $(ARGS)

.PHONY: docker_mysqld_volume_remove
docker_mysqld_volume_remove: node_modules/.package-lock.json ## Hard reset: remove the database volume (run make down first)
	$(TSX) scripts/volume-remove.ts $(ARGS)

.PHONY: volume_create volume_remove
volume_create: docker_mysqld_volume_create ## Alias of docker_mysqld_volume_create
volume_remove: docker_mysqld_volume_remove ## Alias of docker_mysqld_volume_remove

.PHONY: data_dump
data_dump: node_modules/.package-lock.json ## Snapshot DB + files to DATA_BACKUP_DIRNAME/<name> (ARGS="--name x --force"; --format sql)
	$(TSX) scripts/data-dump.ts $(ARGS)

.PHONY: data_load
data_load: node_modules/.package-lock.json ## Restore a snapshot atomically, verified (ARGS="--name x"; or --file dump.sql[.gz])
	$(TSX) scripts/data-load.ts $(ARGS)

.PHONY: data_list
data_list: node_modules/.package-lock.json ## List snapshots, newest first (ARGS="--json")
	$(TSX) scripts/data-list.ts $(ARGS)

.PHONY: data_verify
data_verify: node_modules/.package-lock.json ## Check a snapshot's files (ARGS="--name x [--deep]": also load and compare)
	$(TSX) scripts/data-verify.ts $(ARGS)

.PHONY: data_prune
data_prune: node_modules/.package-lock.json ## Delete the oldest snapshots beyond N (ARGS="--keep N --yes")
	$(TSX) scripts/data-prune.ts $(ARGS)

.PHONY: env_example
env_example: node_modules/.package-lock.json ## Rewrite .env.example from the config schema
	$(TSX) scripts/env-example.ts

.PHONY: test
test: node_modules/.package-lock.json ## Run the test suite (starts its own MariaDB; installs it when missing and root)
	$(TSX) tests/run.ts $(ARGS)

.PHONY: typecheck
typecheck: node_modules/.package-lock.json ## Type-check the project (tsc --noEmit)
	node_modules/.bin/tsc --noEmit
