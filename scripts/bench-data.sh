#!/usr/bin/env bash
# Generates the benchmark workloads into bench-data/ (gitignored):
#
#   rules-{100,1000,10000}.route   gen_rules.py --rules N --seed 7 --format route
#   rules-{100,1000}.jdm.json      the same rules for GoRules zen (serve-peer)
#   leads-1m.{csv,jsonl}           gen_leads.py --n 1000000 --seed 42 --format csv|jsonl
#   leads-100k.{csv,jsonl}         the first 100,000 leads of the 1M files (header kept),
#                                  for the flat-memory comparison in bench-e2e.sh
#   rules-dates-100.route          rules-100.route with date fields and rules (scripts/gen_dates.py)
#   leads-dates-1m.csv             leads-1m.csv with a datetime and a %m/%d/%Y date column
#
# Idempotent: a file that already exists (non-empty) is kept. Each file is
# written under a temporary name and renamed, so an interrupted run never
# leaves a truncated workload behind. Works from any directory.
#
# Environment: ROUTE_SHARED  the shared dir (default: ../shared beside the repo)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
gen="${ROUTE_SHARED:-$root/../shared}/bench"
out="$root/bench-data"

for script in gen_leads.py gen_rules.py; do
    [[ -f "$gen/$script" ]] || { echo "bench-data: $gen/$script not found (set ROUTE_SHARED)" >&2; exit 1; }
done
mkdir -p "$out"

# produce NAME CMD...: unless bench-data/NAME exists, run CMD with its
# stdout going to a temporary file, then rename that to NAME.
produce() {
    local name="$1" file="$out/$1"
    shift
    if [[ -s "$file" ]]; then
        echo "bench-data: $name exists, skipped" >&2
        return
    fi
    local tmp="$file.tmp.$$" start=$SECONDS
    echo "bench-data: generating $name ..." >&2
    "$@" >"$tmp" || { rm -f "$tmp"; exit 1; }
    mv "$tmp" "$file"
    echo "bench-data: $name done in $((SECONDS - start)) s" >&2
}

for n in 100 1000 10000; do
    produce "rules-$n.route" python3 "$gen/gen_rules.py" --rules "$n" --seed 7 --format route
done
for n in 100 1000; do
    produce "rules-$n.jdm.json" python3 "$gen/gen_rules.py" --rules "$n" --seed 7 --format jdm
done

for fmt in csv jsonl; do
    produce "leads-1m.$fmt" python3 "$gen/gen_leads.py" --n 1000000 --seed 42 --format "$fmt"
done

# 100k: a prefix of the 1M files (CSV keeps its header line).
produce leads-100k.csv head -n 100001 "$out/leads-1m.csv"
produce leads-100k.jsonl head -n 100000 "$out/leads-1m.jsonl"

# The dates workload (benches/throughput.rs `dates/*`).
produce rules-dates-100.route python3 "$root/scripts/gen_dates.py" rules <"$out/rules-100.route"
produce leads-dates-1m.csv python3 "$root/scripts/gen_dates.py" leads <"$out/leads-1m.csv"

ls -l "$out" >&2
