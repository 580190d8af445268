#!/usr/bin/env bash
# Measures `route serve` over loopback with benches/serve_load.rs: for the
# generated 100- and 1,000-rule sets, with embedded (SQLite) state and with
# PostgreSQL, at a fixed request rate. Bounded: RATE x SECONDS requests per
# run over CONNECTIONS keep-alive connections. Results go to stdout, one
# line per run (copied into docs/performance.md, "route serve").
#
#   scripts/bench-serve.sh [RATE] [SECONDS] [CONNECTIONS]   (defaults 5000 10 32)
#
# With ROUTE_SERVE_PEER=1 it also drives the peer: benches/serve-peer, a
# minimal axum server running GoRules zen-engine on the same rules (its
# own workspace, built into CARGO_TARGET_DIR=/tmp/peers-target so that it
# shares the zen build of ../shared/bench/peers; the first build takes
# about 10 minutes of both cores).
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

peer=""
if [[ "${ROUTE_SERVE_PEER:-0}" == 1 ]]; then
    (cd "$root/benches/serve-peer" && CARGO_TARGET_DIR=/tmp/peers-target cargo build --release -q)
    peer=/tmp/peers-target/release/serve-peer
fi

# drive LABEL COMMAND...: starts the server COMMAND, waits for its
# address, runs the load and stops the server.
drive() {
    local label="$1"
    shift
    "$@" 2>"$work/log" &
    pid=$!
    for _ in $(seq 100); do grep -q 'listening on' "$work/log" && break; sleep 0.1; done
    url="$(sed -n 's/.*listening on //p' "$work/log")"
    printf '%-22s ' "$label"
    "$load" "$url" "$data/leads-100k.jsonl" "$rate" "$seconds" "$connections"
    kill "$pid"; wait "$pid" 2>/dev/null || true
}

run() { # RULES STATE LABEL
    mkdir -p "$work/p$1"
    cp "$data/rules-$1.route" "$work/p$1/routing.route"
    drive "$1 rules $3" "$route" serve "$work/p$1" --listen 127.0.0.1:0 --state "$2"
}

for rules in 100 1000; do
    run "$rules" "$work/state-$rules.sqlite" sqlite
    if [[ -n "$peer" ]]; then
        drive "$rules rules zen-peer" "$peer" "$data/rules-$rules.jdm.json"
    fi
    if [[ -n "${ROUTE_TEST_POSTGRES_URL:-}" ]]; then
        psql "$ROUTE_TEST_POSTGRES_URL" -qc "DROP DATABASE IF EXISTS bench_$rules" -qc "CREATE DATABASE bench_$rules" >/dev/null
        run "$rules" "${ROUTE_TEST_POSTGRES_URL%/*}/bench_$rules" postgres
    fi
done
