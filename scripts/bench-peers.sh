#!/usr/bin/env bash
# Side by side with the peers of ../shared/bench/peers (built outside the
# project, as its README says): `route eval` on one core against the rustc
# if-chain (`native`) at 100, 1,000 and 10,000 rules; two cores against
# one, beside two if-chains at once against one (what the machine gives
# two cores in the same minutes); route writing CSV against the if-chain
# at 100 rules; JSONL against CSV; GoRules Zen against route; the parse
# floor against route; and matching leads already in memory, route's DAG
# against the if-chain. Every row is a run of scripts/pairs.py (A B A B
# ..., or A B C D ... for the two-core rows; one warm-up round, RUNS
# counted), printed as it reports them; the ratio to quote is the median
# of the pairs ("A/B wall", or "A/B ns" in memory; "(A/B)/(C/D) wall" for
# two cores judged beside the machine).
# Also checks that --jobs 1 and 2 write the same bytes.
#
# Every end-to-end run writes a new file: the outputs of the run before are
# removed first, untimed (pairs.py --prepare). Freeing an old output is the
# last run's leftovers, not this run's work, and on a filesystem that
# discards freed blocks synchronously it is a wait the size of the old file
# (45 ms for route's 180 MB on the host of docs/performance.md, against
# 14 MB for the if-chain's); one row measures route replacing its output.
#
# The outputs go to a tmpfs (/dev/shm) unless ROUTE_PEER_OUT says where:
# route makes its output durable before it renames it into place (fsync),
# the if-chain does not, and how long that fsync waits is the disk's
# write-back speed, which on a virtual disk varies a hundredfold from hour
# to hour (docs/performance.md). On a tmpfs both do the same work: write
# their bytes into the page cache. Three rows measure the disk: route
# writing to it against route writing to the tmpfs, --jobs 2 against
# --jobs 1 on it, and replacing an output on it.
#
# Usage: scripts/bench-peers.sh [RUNS]   (default 3)
# Environment: ROUTE_PEER_OUT (default /dev/shm, else a temporary
# directory: where the outputs go), ROUTE_PEERS (default /tmp/peers-target/release),
# ROUTE_PEER_DATA (default /tmp/bench-data: leads_1m.{csv,jsonl} and
# rules/r{100,1000,10000}.{route,jdm.json}), ROUTE_PEER_RULES (default
# "100 1000 10000"), ROUTE_PEER_MEMORY (default: the rule sets of
# ROUTE_PEER_RULES; empty skips the in-memory rows). Uses
# target/release/route and the newest matching bench in target/release/deps
# as they are (build them first: `cargo build --release`, `cargo bench
# --bench matching --no-run`).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
R="$root/target/release/route"
P="${ROUTE_PEERS:-/tmp/peers-target/release}"
D="${ROUTE_PEER_DATA:-/tmp/bench-data}"
N=2026-11-25T10:00:00Z
runs="${1:-3}"
rule_sets="${ROUTE_PEER_RULES:-100 1000 10000}"
memory_sets="${ROUTE_PEER_MEMORY-$rule_sets}"
# A directory asked for must serve; the default falls back where there is
# no /dev/shm (the header line says which filesystem the rows used).
if [[ -n "${ROUTE_PEER_OUT:-}" ]]; then
    out="$ROUTE_PEER_OUT"
    [[ -d "$out" && -w "$out" ]] || { echo "bench-peers: ROUTE_PEER_OUT=$out is not a writable directory" >&2; exit 1; }
else
    out=/dev/shm
    [[ -d "$out" && -w "$out" ]] || out="${TMPDIR:-/tmp}"
fi
scratch="$(mktemp -d -p "$out")"
disk="$(mktemp -d -p "$root/target")"
trap 'rm -rf "$scratch" "$disk"' EXIT

# pair TITLE A B [pairs.py options]: one row, A against B.
pair() {
    local title="$1" a="$2" b="$3"
    shift 3
    echo "### $title"
    "$root/scripts/pairs.py" -n "$runs" "$@" --a "$a" --b "$b" | grep -E '^(A|B|C|D|A/B|C/D|\(A/B\)/\(C/D\)) +(wall|user|sys|cpu|peak|ns)'
}

# The end-to-end rows' outputs, removed before each run.
fresh=(--prepare "rm -f $scratch/one.jsonl $scratch/two.jsonl $scratch/three.jsonl $scratch/one.csv $scratch/native.out $scratch/native1.out $scratch/native2.out $scratch/zen.out $disk/one.jsonl $disk/two.jsonl")

eval_cmd() { echo "$R eval $D/rules/r$1.route --leads $D/leads_1m.$2 -o $3 --now $N --jobs $4"; }
native_cmd() { echo "$P/native --rules r$1 --file $D/leads_1m.csv --mode e2e --out $2"; }

# What the machine gives two cores in the same minutes as a two-core run:
# two if-chains at once, each on every lead, against one. On a virtual
# machine the second core may be a hyperthread or shared with other
# tenants, so that each process runs slower while the other runs; the
# two-core rows run these in the same rounds (pairs.py --c, --d) and print
# (A/B)/(C/D): route's share of it (0.5 when route gains what the machine
# gives; 0.5556 is 1.8x on a machine that gives two cores in full).
native_twice="sh -c '$(native_cmd 100 "$scratch/native1.out") & $(native_cmd 100 "$scratch/native2.out") & wait'"
native_once="$(native_cmd 100 "$scratch/native.out")"

echo "# route $("$R" --version | cut -d' ' -f2-) against the peers, $(date -u +%FT%H:%MZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# outputs in $scratch ($(stat -f -c %T "$scratch")), disk rows in $disk ($(stat -f -c %T "$disk"))"
for r in $rule_sets; do
    pair "r$r CSV: route --jobs 1 (A) vs native (B)" \
        "$(eval_cmd "$r" csv "$scratch/one.jsonl" 1)" \
        "$(native_cmd "$r" "$scratch/native.out")" "${fresh[@]}"
    pair "r$r CSV: route --jobs 2 (A) vs route --jobs 1 (B), beside two native at once (C) vs one (D)" \
        "$(eval_cmd "$r" csv "$scratch/two.jsonl" 2)" "$(eval_cmd "$r" csv "$scratch/one.jsonl" 1)" \
        --c "$native_twice" --d "$native_once" "${fresh[@]}"
    # (the pairs removed the last --jobs 2 output before the last --jobs 1 run)
    "$R" eval "$D/rules/r$r.route" --leads "$D/leads_1m.csv" -o "$scratch/one.jsonl" --now "$N" --jobs 1
    "$R" eval "$D/rules/r$r.route" --leads "$D/leads_1m.csv" -o "$scratch/two.jsonl" --now "$N" --jobs 2
    cmp "$scratch/one.jsonl" "$scratch/two.jsonl" && echo "jobs 1 and 2: identical output"
done
# On the disk: a new file there (A) against one on the tmpfs (B); two
# cores against one there; replacing the last run's output there (A)
# against writing a new file (B).
pair "r100 CSV: route --jobs 1 to a new file on disk (A) vs on the tmpfs (B)" \
    "$(eval_cmd 100 csv "$disk/one.jsonl" 1)" "$(eval_cmd 100 csv "$scratch/one.jsonl" 1)" "${fresh[@]}"
pair "r100 CSV, on disk: route --jobs 2 (A) vs route --jobs 1 (B)" \
    "$(eval_cmd 100 csv "$disk/two.jsonl" 2)" "$(eval_cmd 100 csv "$disk/one.jsonl" 1)" "${fresh[@]}"
pair "r100 CSV, on disk: route --jobs 1 replacing its output (A) vs writing a new one (B)" \
    "$(eval_cmd 100 csv "$disk/kept.jsonl" 1)" "$(eval_cmd 100 csv "$disk/one.jsonl" 1)" "${fresh[@]}"
# The same at 100 rules with route writing CSV, as the if-chain does (its
# record is the same columns as JSONL's keys: 76 bytes a lead, not 180).
pair "r100 CSV: route --jobs 1 --output csv (A) vs native (B)" \
    "$(eval_cmd 100 csv "$scratch/one.csv" 1) --output csv" \
    "$(native_cmd 100 "$scratch/native.out")" "${fresh[@]}"
pair "r100: route JSONL (A) vs route CSV (B), --jobs 1" \
    "$(eval_cmd 100 jsonl "$scratch/three.jsonl" 1)" "$(eval_cmd 100 csv "$scratch/one.jsonl" 1)" "${fresh[@]}"
pair "r100 JSONL: zen (A) vs route --jobs 1 (B)" \
    "$P/zen --jdm $D/rules/r100.jdm.json --file $D/leads_1m.jsonl --mode e2e --out $scratch/zen.out" \
    "$(eval_cmd 100 jsonl "$scratch/three.jsonl" 1)" "${fresh[@]}"
pair "r100 CSV: parse floor, borrowed rows (A) vs route --jobs 1 (B)" \
    "$P/parse_only --file $D/leads_1m.csv --repr borrowed" "$(eval_cmd 100 csv "$scratch/one.jsonl" 1)" "${fresh[@]}"

# In memory: the leads read first (untimed), then matched; each binary
# prints its own ns a lead. The if-chain passes every rule before the
# one that matches, so at 10,000 rules it is timed on fewer leads.
[[ -n "$memory_sets" ]] || exit 0
matching="$(ls -t "$root"/target/release/deps/matching-* | grep -v '\.d$' | head -1)"
for r in $memory_sets; do
    leads=1000000 repeat=3
    if [[ "$r" -ge 10000 ]]; then leads=100000 repeat=1; fi
    pair "r$r in memory ($leads leads): route Dag::route (A) vs native (B)" \
        "env ROUTE_BENCH_DATA=$D ROUTE_BENCH_RESULT=r$r ROUTE_BENCH_RULES=$r ROUTE_BENCH_LEADS=$leads ROUTE_BENCH_REPEAT=$repeat $matching" \
        "$P/native --rules r$r --file $D/leads_1m.csv --limit $leads --mode mem --repeat $repeat" \
        --result
done
