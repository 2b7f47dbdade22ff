#!/usr/bin/env bash
# Stands in for `docker compose <base...> exec -T [-u user] [-e NAME]... <service> <command...>` in
# tests (no Docker engine here): logs the call and the environment compose got, then runs <command>
# on this machine, in the container's place.
set -euo pipefail
printf '%s\n' "$*" >> "$SHIM_LOG"
printf 'env: MYSQL_ROOT_PASSWORD=%s\n' "${MYSQL_ROOT_PASSWORD:-}" >> "$SHIM_LOG"
while [ "$1" != exec ]; do shift; done
shift
[ "$1" = -T ] && shift
if [ "$1" = -u ]; then shift 2; fi
while [ "$1" = -e ]; do shift 2; done
shift # the service
exec "$@"
