#!/usr/bin/env bash
# Measures `route serve` over loopback with benches/serve_load.rs: for the
# generated 100- and 1,000-rule sets, with embedded (SQLite) state and with
# PostgreSQL, at a fixed request rate. Bounded: RATE x SECONDS requests per
# run over CONNECTIONS keep-alive connections. Results go to stdout, one
# line per run (copied into docs/performance.md, "route serve").
#
#   scripts/bench-serve.sh [RATE] [SECONDS] [CONNECTIONS]   (defaults 5000 10 32)
#
# Needs: bench-data/rules-{100,1000}.route and bench-data/leads-100k.jsonl
# (scripts/bench-data.sh), a release build, and for PostgreSQL a
# ROUTE_TEST_POSTGRES_URL (scripts/ci-postgres.sh).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rate="${1:-5000}" seconds="${2:-10}" connections="${3:-32}"
data="${BENCH_DATA:-$root/bench-data}"
cargo build --release -q --bin route --bench serve_load
route="$root/target/release/route"
load="$(ls -t "$root"/target/release/deps/serve_load-* | grep -v '\.d$' | head -n 1)"
work="$(mktemp -d)"
trap 'kill "${pid:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT

run() { # RULES STATE LABEL
    mkdir -p "$work/p$1"
    cp "$data/rules-$1.route" "$work/p$1/routing.route"
    "$route" serve "$work/p$1" --listen 127.0.0.1:0 --state "$2" 2>"$work/log" &
    pid=$!
    for _ in $(seq 100); do grep -q 'listening on' "$work/log" && break; sleep 0.1; done
    url="$(sed -n 's/.*listening on //p' "$work/log")"
    printf '%-5s rules  %-9s ' "$1" "$3"
    "$load" "$url" "$data/leads-100k.jsonl" "$rate" "$seconds" "$connections"
    kill "$pid"; wait "$pid" 2>/dev/null || true
}

for rules in 100 1000; do
    run "$rules" "$work/state-$rules.sqlite" sqlite
    if [[ -n "${ROUTE_TEST_POSTGRES_URL:-}" ]]; then
        psql "$ROUTE_TEST_POSTGRES_URL" -qc "DROP DATABASE IF EXISTS bench_$rules" -qc "CREATE DATABASE bench_$rules" >/dev/null
        run "$rules" "${ROUTE_TEST_POSTGRES_URL%/*}/bench_$rules" postgres
    fi
done
