#!/usr/bin/env bash
# Times `route eval` end to end (read file, check, compile, route, write
# JSONL) on the generated workloads, and reports peak RSS to show that memory
# is flat in the number of leads. Prints a Markdown table on stdout.
#
# Usage: scripts/bench-e2e.sh [RUNS]     (default 3; the best wall time is kept)
#
# Needs bench-data/ (scripts/bench-data.sh; run here when files are missing)
# and GNU time at /usr/bin/time. Builds the release binary first.
# Environment: ROUTE_E2E_RULES (default "100 1000"), ROUTE_E2E_FORMATS
# (default "csv jsonl"), ROUTE_E2E_OUT (where decisions go; default a temp
# file, removed at the end; /dev/null skips the output-count check).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
data="$root/bench-data"
bin="$root/target/release/route"
runs="${1:-3}"
rules_sets="${ROUTE_E2E_RULES:-100 1000}"
formats="${ROUTE_E2E_FORMATS:-csv jsonl}"
now="2026-11-25T10:00:00Z"   # fixed, so working hours do not depend on the clock

[[ -x /usr/bin/time ]] || { echo "bench-e2e: needs GNU time at /usr/bin/time" >&2; exit 1; }

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

"$root/scripts/bench-data.sh" 2>"$scratch/data.log" || { cat "$scratch/data.log" >&2; exit 1; }
(cd "$root" && cargo build --release --quiet)
out="${ROUTE_E2E_OUT:-$scratch/decisions.jsonl}"

# measure CMD...: runs CMD $runs times; sets best_wall (s, from the
# monotonic clock) and max_rss (KB, the largest of the runs).
measure() {
    best_wall="" max_rss=0
    local i start end wall rss
    for ((i = 0; i < runs; i++)); do
        start=$(date +%s.%N)
        /usr/bin/time -f "%M" -o "$scratch/time" "$@" >/dev/null 2>"$scratch/stderr" ||
            { echo "bench-e2e: failed: $*" >&2; cat "$scratch/stderr" >&2; exit 1; }
        end=$(date +%s.%N)
        wall=$(echo "$end - $start" | bc -l)
        rss=$(tail -n 1 "$scratch/time")
        if [[ -z "$best_wall" ]] || (($(echo "$wall < $best_wall" | bc -l))); then best_wall=$wall; fi
        if ((rss > max_rss)); then max_rss=$rss; fi
    done
}

machine="$(lscpu | sed -n 's/^Model name: *//p' | head -n 1), $(nproc) cores"
echo "# route eval, end to end ($machine; best of $runs runs)"
echo
echo "Setup = \`route eval --lead\` with one lead (start, check, compile); leads/s (steady) = leads / (wall - setup)."
echo
echo "| rules | input | leads | wall s | leads/s | setup s | leads/s (steady) | max RSS MB | records out |"
echo "|---:|---|---:|---:|---:|---:|---:|---:|---:|"

first_lead="$(head -n 1 "$data/leads-1m.jsonl")"
for n in $rules_sets; do
    rules="$data/rules-$n.route"
    measure "$bin" eval "$rules" --lead "$first_lead" --now "$now"
    setup=$best_wall
    for fmt in $formats; do
        for size in 100k 1m; do
            leads="$data/leads-$size.$fmt"
            count=$(wc -l <"$leads")
            [[ $fmt == csv ]] && count=$((count - 1))
            measure "$bin" eval "$rules" --leads "$leads" -o "$out" --now "$now"
            written="-"
            [[ "$out" != /dev/null ]] && written=$(wc -l <"$out")
            rate=$(echo "$count / $best_wall" | bc -l)
            steady=$(echo "$count / ($best_wall - $setup)" | bc -l)
            printf "| %s | %s | %s | %.2f | %.0f k | %.3f | %.0f k | %.1f | %s |\n" \
                "$n" "$fmt" "$count" "$best_wall" "$(echo "$rate / 1000" | bc -l)" "$setup" \
                "$(echo "$steady / 1000" | bc -l)" "$(echo "$max_rss / 1024" | bc -l)" "$written"
        done
    done
done

echo
echo "| route check | wall s | max RSS MB |"
echo "|---|---:|---:|"
for n in 100 1000 10000; do
    measure "$bin" check "$data/rules-$n.route"
    printf "| %s rules | %.3f | %.1f |\n" "$n" "$best_wall" "$(echo "$max_rss / 1024" | bc -l)"
done
