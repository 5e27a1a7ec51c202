#!/usr/bin/env bash
# Installs (if missing) and starts a local PostgreSQL server, and creates the role and database the storage
# tests use. Idempotent; meant for root on a fresh Debian 12 machine (CI) or a developer box.
#
#   eval "$(.ci/postgres.sh)"      # sets TUTOR_TEST_POSTGRES_URL in the calling shell
#   .ci/postgres.sh                # prints: export TUTOR_TEST_POSTGRES_URL=...
#
# Everything except the final export line goes to stderr, so `eval "$(...)"` stays clean.
# Override the names with PG_TEST_USER / PG_TEST_PASSWORD / PG_TEST_DB.
set -euo pipefail

PG_TEST_USER="${PG_TEST_USER:-tutor_test}"
PG_TEST_PASSWORD="${PG_TEST_PASSWORD:-tutor_test}"
PG_TEST_DB="${PG_TEST_DB:-tutor_test}"

log() { echo "postgres.sh: $*" >&2; }

if ! command -v pg_ctlcluster >/dev/null 2>&1; then
    log "installing postgresql"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update >&2
    apt-get install -y --no-install-recommends postgresql >&2
fi

version="$(ls /usr/lib/postgresql | sort -V | tail -n 1)"
if ! pg_lsclusters --no-header | awk '{print $1, $2}' | grep -qx "$version main"; then
    log "creating cluster $version/main"
    pg_createcluster "$version" main >&2
fi

# pg_lsclusters columns: Ver Cluster Port Status Owner Data-directory Log-file
status="$(pg_lsclusters --no-header | awk -v v="$version" '$1 == v && $2 == "main" {print $4}')"
port="$(pg_lsclusters --no-header | awk -v v="$version" '$1 == v && $2 == "main" {print $3}')"
if [ "$status" != "online" ]; then
    log "starting cluster $version/main on port $port"
    pg_ctlcluster "$version" main start >&2
fi

for _ in $(seq 1 60); do
    if pg_isready -q -h 127.0.0.1 -p "$port"; then break; fi
    sleep 0.5
done
pg_isready -h 127.0.0.1 -p "$port" >&2

as_postgres() { runuser -u postgres -- psql -p "$port" -v ON_ERROR_STOP=1 -qtA "$@"; }

if [ "$(as_postgres -c "SELECT 1 FROM pg_roles WHERE rolname = '$PG_TEST_USER'")" != "1" ]; then
    log "creating role $PG_TEST_USER"
    as_postgres -c "CREATE ROLE \"$PG_TEST_USER\" LOGIN PASSWORD '$PG_TEST_PASSWORD'"
else
    # Keeps the password in step with the variables when the role already exists.
    as_postgres -c "ALTER ROLE \"$PG_TEST_USER\" LOGIN PASSWORD '$PG_TEST_PASSWORD'"
fi
if [ "$(as_postgres -c "SELECT 1 FROM pg_database WHERE datname = '$PG_TEST_DB'")" != "1" ]; then
    log "creating database $PG_TEST_DB"
    as_postgres -c "CREATE DATABASE \"$PG_TEST_DB\" OWNER \"$PG_TEST_USER\" ENCODING 'UTF8' TEMPLATE template0"
fi

echo "export TUTOR_TEST_POSTGRES_URL=postgresql+psycopg://$PG_TEST_USER:$PG_TEST_PASSWORD@127.0.0.1:$port/$PG_TEST_DB"
