#!/usr/bin/env bash
# Starts a throwaway local PostgreSQL server for the tests of
# `route serve --state postgres://...` and prints the line to export its
# URL, so CI runs:  eval "$(scripts/ci-postgres.sh)"
#
# Idempotent and fast when the server is already up. When the PostgreSQL
# binaries are missing it installs the distribution's package (as root:
# apt-get install -y postgresql). The cluster runs as the `postgres` user
# with trust authentication on 127.0.0.1 only: it is for tests, never data.
#
#   ROUTE_PG_PORT  (default 54329)  ROUTE_PG_DATA (default /tmp/route-ci-pg)
set -euo pipefail

port="${ROUTE_PG_PORT:-54329}"
data="${ROUTE_PG_DATA:-/tmp/route-ci-pg}"
db=route_test
url="postgres://postgres@127.0.0.1:${port}/${db}"

bin_dir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

as_postgres() {
    if [ "$(id -un)" = postgres ]; then "$@"; else runuser -u postgres -- "$@"; fi
}

bin="$(bin_dir)"
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "ci-postgres: PostgreSQL is not installed and installing it needs root" >&2
        exit 1
    fi
    echo "ci-postgres: installing postgresql from the distribution's packages" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >&2 \
        || { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >&2; }
    bin="$(bin_dir)"
fi

if ! "$bin/pg_isready" -q -h 127.0.0.1 -p "$port"; then
    if [ ! -f "$data/PG_VERSION" ]; then
        mkdir -p "$data"
        chown postgres: "$data" 2>/dev/null || true
        as_postgres "$bin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 >/dev/null
    fi
    as_postgres "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 \
        -o "-p $port -c listen_addresses=127.0.0.1 -k /tmp -c max_connections=200" start >/dev/null
fi

if ! psql -h 127.0.0.1 -p "$port" -U postgres -Atqc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
    psql -h 127.0.0.1 -p "$port" -U postgres -qc "CREATE DATABASE $db" >/dev/null
fi

echo "export ROUTE_TEST_POSTGRES_URL=$url"
