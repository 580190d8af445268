#!/usr/bin/env bash
# Side by side with the peers of ../shared/bench/peers (built outside the
# project, as its README says): `route eval` on one core against the rustc
# if-chain (`native`) at 100, 1,000 and 10,000 rules; two cores against
# one; JSONL against CSV; GoRules Zen against route; the parse floor
# against route. Every row is farm-bench's pairs (A B A B ..., one warm-up,
# RUNS counted runs each), printed as it reports them; the ratio to quote
# is "A/B wall", the median of the pairs. Also checks that --jobs 1 and 2
# write the same bytes.
#
# Usage: scripts/bench-peers.sh [RUNS]   (default 3)
# Environment: ROUTE_PEERS (default /tmp/peers-target/release),
# ROUTE_PEER_DATA (default /tmp/bench-data: leads_1m.{csv,jsonl} and
# rules/r{100,1000,10000}.{route,jdm.json}), ROUTE_PEER_RULES (default
# "100 1000 10000"). Uses target/release/route as it is (build it first).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
R="$root/target/release/route"
P="${ROUTE_PEERS:-/tmp/peers-target/release}"
D="${ROUTE_PEER_DATA:-/tmp/bench-data}"
N=2026-11-25T10:00:00Z
runs="${1:-3}"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

pair() {
    local title="$1"
    shift
    echo "### $title"
    farm-bench -n "$runs" --timeout 900 "$@" 2>&1 | grep -E 'A wall|B wall|A/B wall|A cpu|B cpu|A/B cpu|A peak|B peak'
}

eval_cmd() { echo "$R eval $D/rules/r$1.route --leads $D/leads_1m.$2 -o $3 --now $N --jobs $4"; }

echo "# route $("$R" --version | cut -d' ' -f2-) against the peers, $(date -u +%FT%H:%MZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
for r in ${ROUTE_PEER_RULES:-100 1000 10000}; do
    pair "r$r CSV: route --jobs 1 (A) vs native (B)" \
        --vs "$P/native --rules r$r --file $D/leads_1m.csv --mode e2e --out $scratch/native.out" \
        -- $(eval_cmd "$r" csv "$scratch/one.jsonl" 1)
    pair "r$r CSV: route --jobs 2 (A) vs route --jobs 1 (B)" \
        --vs "$(eval_cmd "$r" csv "$scratch/one.jsonl" 1)" -- $(eval_cmd "$r" csv "$scratch/two.jsonl" 2)
    cmp "$scratch/one.jsonl" "$scratch/two.jsonl" && echo "jobs 1 and 2: identical output"
done
pair "r100: route JSONL (A) vs route CSV (B), --jobs 1" \
    --vs "$(eval_cmd 100 csv "$scratch/one.jsonl" 1)" -- $(eval_cmd 100 jsonl "$scratch/three.jsonl" 1)
pair "r100 JSONL: zen (A) vs route --jobs 1 (B)" \
    --vs "$(eval_cmd 100 jsonl "$scratch/three.jsonl" 1)" \
    -- "$P/zen" --jdm "$D/rules/r100.jdm.json" --file "$D/leads_1m.jsonl" --mode e2e --out "$scratch/zen.out"
pair "r100 CSV: parse floor, borrowed rows (A) vs route --jobs 1 (B)" \
    --vs "$(eval_cmd 100 csv "$scratch/one.jsonl" 1)" -- "$P/parse_only" --file "$D/leads_1m.csv" --repr borrowed
