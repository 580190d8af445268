#!/usr/bin/env bash
# Fuzzes every target in fuzz/ for MINUTES minutes each (default 1), after
# seeding each target's corpus from the project's fixtures and examples.
#
#   scripts/fuzz.sh [MINUTES] [TARGET...]
#
# Needs the nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`).
# A crash (panic, failed invariant, sanitizer report) stops that target and
# leaves its input under fuzz/artifacts/TARGET/; replay it with
# `cargo +nightly fuzz run TARGET fuzz/artifacts/TARGET/crash-...`. The last
# line of each run (executions, coverage) is summed up at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
minutes="${1:-1}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(rules leads_csv leads_jsonl lead_json roster hours)
fi

# Seeds: every file of a kind the target reads, from tests/fixtures and examples.
seed() {
  local target="$1"; shift
  mkdir -p "fuzz/corpus/$target"
  for pattern in "$@"; do
    find tests/fixtures examples -type f -name "$pattern" -size -64k -print0 |
      while IFS= read -r -d '' file; do
        cp "$file" "fuzz/corpus/$target/seed-$(echo "$file" | tr '/' '_')"
      done
  done
}
seed rules '*.route'
seed leads_csv '*.csv'
seed leads_jsonl '*.jsonl' '*.ndjson'
seed lead_json '*.json' '*.jsonl'
seed roster '*roster*.json'
seed hours '*roster*.json'
# Hours strings themselves, one per seed.
grep -rhoE '"hours": *"[^"]*"' tests/fixtures examples 2>/dev/null | sed -E 's/.*"hours": *"([^"]*)"/\1/' |
  sort -u | while IFS= read -r hours; do
    printf '%s' "$hours" > "fuzz/corpus/hours/seed-$(printf '%s' "$hours" | cksum | cut -d' ' -f1)"
  done

cd fuzz
cargo +nightly fuzz build -O
status=0
for target in "${targets[@]}"; do
  log="$(mktemp)"
  echo "== $target ($minutes min)"
  if cargo +nightly fuzz run -O "$target" -- -max_total_time=$((minutes * 60)) -max_len=65536 -timeout=10 \
      -rss_limit_mb=2048 -print_final_stats=1 >"$log" 2>&1; then
    echo "   no crash"
  else
    echo "   CRASH: see fuzz/artifacts/$target/"; status=1
    grep -E "panicked|ERROR|SUMMARY" "$log" | head -n 5 | sed 's/^/   /'
  fi
  grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb|^stat::new_units_added" "$log" | sed 's/^/   /'
  rm -f "$log"
done
exit $status
