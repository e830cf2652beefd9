#!/usr/bin/env bash
# Benchmark of `drucksache import` on legacy text dumps:
#   1. N demo-corpus records (default 1,000; BENCH_PAPERS=N), each Begründung cut to its first
#      paragraph (benches/plain-records.py; BENCH_AS_GENERATED=1 keeps them whole: then every
#      draft goes to review), rendered to PDF and dumped with `pdftotext -layout` (what an
#      older system's PDFs give): the input, not timed;
#   2. `drucksache import --review DIR` of all N dumps into a new archive: papers/s over the
#      whole run, how many were archived (split, validated, rendered, signed, stored with
#      their original) and how many went to review, and peak RSS (/usr/bin/time).
# Usage: bash benches/import.sh   (builds the release binary first; needs pdftotext)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${BENCH_PAPERS:-1000}
cargo build --release --quiet
BIN=$PWD/target/release/drucksache
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export RUST_LOG=error DRUCKSACHE_LOG=error
now() { date +%s.%N; }

"$BIN" demo-corpus --count "$N" --seed 23 --out "$WORK/demo" >/dev/null
if [ "${BENCH_AS_GENERATED:-0}" = 1 ]; then
  mapfile -t RECORDS < <(find "$WORK/demo" -name '*.toml' | sort)
else
  python3 benches/plain-records.py "$WORK/demo" "$WORK/records"
  mapfile -t RECORDS < <(find "$WORK/records" -name '*.json' | sort)
fi
"$BIN" render --out-dir "$WORK/pdf" "${RECORDS[@]}" >/dev/null
mkdir -p "$WORK/dumps"
for pdf in "$WORK"/pdf/*.pdf; do
  pdftotext -layout "$pdf" "$WORK/dumps/$(basename "$pdf" .pdf).txt"
done
mapfile -t DUMPS < <(find "$WORK/dumps" -name '*.txt' | sort)
echo "== ${#DUMPS[@]} legacy text dumps, $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"

t0=$(now)
/usr/bin/time -f "%e %M" -o "$WORK/time" \
  "$BIN" --archive "$WORK/archive" import --review "$WORK/review" "${DUMPS[@]}" \
  >"$WORK/out" 2>"$WORK/err" || true
t1=$(now)
read -r _ rss <"$WORK/time"
archived=$(grep -c ': archiviert als ' "$WORK/out" || true)
review=$(grep -c ': zur Prüfung in ' "$WORK/out" || true)
unstructured=$(grep -c '^  archiviert als .*nicht strukturiert' "$WORK/out" || true)
refused=$(grep -vc 'WARN' "$WORK/err" || true)
python3 - "$t0" "$t1" "${#DUMPS[@]}" "$archived" "$review" "$refused" "$rss" "$unstructured" <<'EOF'
import sys
t0, t1, n, archived, review, refused, rss, unstructured = sys.argv[1:]
s = float(t1) - float(t0)
print(f"import: {n} dumps in {s:.1f} s = {int(n) / s:.1f} papers/s "
      f"({archived} archived, {review} to review of which {unstructured} archived not structured, "
      f"{refused} refused), peak RSS {int(rss) // 1024} MB")
EOF
echo "why drafts went to review (first reason of each, counted):"
grep '^  unsicher: ' "$WORK/out" | sed 's/^  unsicher: \([a-z_]*\):.*/\1/' | sort | uniq -c | sort -rn | head
