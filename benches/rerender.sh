#!/usr/bin/env bash
# Benchmark of `drucksache rerender` against bare rendering of the same papers:
#   1. an archive of N demo-corpus papers (default 10,000; BENCH_PAPERS=N): opening it imports,
#      renders, signs and stores every record (the set-up, timed but not the point);
#   2. bare rendering: `drucksache render --out-dir` of the same N records on all cores, with
#      the templates of (3), so that both lay out the same pages;
#   3. `rerender --all` with changed templates on all cores: papers/s against (2), peak RSS
#      (/usr/bin/time) and RSS sampled every second (is it flat?);
#   4. a stop and a resume: `rerender --all` with other templates, SIGTERM half-way, the
#      same command again: how long the stop takes, how long the resumed run needs before
#      it renders, and that it renders only the papers not yet done.
# Usage: bash benches/rerender.sh   (builds the release binary first)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${BENCH_PAPERS:-10000}
cargo build --release --quiet
BIN=$PWD/target/release/drucksache
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export RUST_LOG=error
now() { date +%s.%N; }
secs() { python3 -c "print(f'{$2 - $1:.1f}')"; }

"$BIN" demo-corpus --count "$N" --seed 11 --out "$WORK/archive/papers" >/dev/null
echo "== $N papers, $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
t0=$(now)
"$BIN" --archive "$WORK/archive" list >/dev/null
t1=$(now)
echo "set-up: archive of $N papers (import: render, sign, store) in $(secs "$t0" "$t1") s"

# Templates that change every paper's layout and none of its words.
templates() {
  mkdir -p "$WORK/$1"
  sed "s/margin: (left: 2.5cm, right: 2cm/margin: (left: $2cm, right: 2.5cm/" \
    templates/layout.typ >"$WORK/$1/layout.typ"
}

templates wide 3.2
mapfile -t RECORDS < <(find "$WORK/archive/papers" -name '*.toml' | sort)
t0=$(now)
"$BIN" --templates "$WORK/wide" render --out-dir "$WORK/bare" "${RECORDS[@]}" >/dev/null
t1=$(now)
BARE=$(python3 -c "print(f'{$N / ($t1 - $t0):.1f}')")
echo "bare rendering (the templates of step 3): $N papers in $(secs "$t0" "$t1") s = $BARE papers/s"
rm -rf "$WORK/bare"

# Runs rerender in the background, sampling its RSS (kB) every second into $WORK/$1.rss.
rerender_sampled() {
  local name=$1
  shift
  /usr/bin/time -f "%e %M" -o "$WORK/$name.time" \
    "$BIN" --archive "$WORK/archive" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
  TIMER=$!
  sleep 0.2
  CHILD=$(pgrep -P "$TIMER" || true)
  : >"$WORK/$name.rss"
  (while [ -n "$CHILD" ] && kill -0 "$CHILD" 2>/dev/null; do
     awk '/VmRSS/ {print $2}' "/proc/$CHILD/status" 2>/dev/null >>"$WORK/$name.rss" || true
     sleep 1
   done) &
  SAMPLER=$!
}

rerender_sampled full --templates "$WORK/wide" rerender --all --report "$WORK/full.json"
wait "$TIMER" || { cat "$WORK/full.out" "$WORK/full.err"; exit 1; }
wait "$SAMPLER" || true
python3 - "$WORK" "$N" "$BARE" <<'EOF'
import json, sys, statistics
work, n, bare = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
wall, peak_kb = open(f"{work}/full.time").read().split()
report = json.load(open(f"{work}/full.json"))
rss = [int(x) / 1024 for x in open(f"{work}/full.rss").read().split()]
rate = n / float(wall)
q = max(1, len(rss) // 4)
print(f"rerender --all: {report['rerendered']} re-rendered, {report['flagged']} flagged, "
      f"{report['failed']} failed, pages {report['pages_old']} -> {report['pages_new']}")
print(f"  {float(wall):.1f} s = {rate:.1f} papers/s ({100 * rate / bare:.0f} % of bare rendering); "
      f"inside the run (without opening the archive) {report['papers_per_second']:.1f} papers/s")
print(f"  peak RSS {int(peak_kb) / 1024:.0f} MB; RSS median of the 2nd quarter "
      f"{statistics.median(rss[q:2*q]):.0f} MB, of the last quarter {statistics.median(rss[-q:]):.0f} MB "
      f"({len(rss)} samples, min {min(rss):.0f}, max {max(rss):.0f})")
EOF

templates wider 3.4
rerender_sampled stop --templates "$WORK/wider" rerender --all
FULL_WALL=$(cut -d' ' -f1 "$WORK/full.time")
sleep "$(python3 -c "print($FULL_WALL / 2)")"
t0=$(now)
kill -TERM "$CHILD"
wait "$TIMER" || true
t1=$(now)
wait "$SAMPLER" || true
echo "stop: SIGTERM half-way, process gone after $(secs "$t0" "$t1") s; $(grep -o 'offen [0-9]*' "$WORK/stop.out") papers left"
t0=$(now)
"$BIN" --archive "$WORK/archive" --templates "$WORK/wider" rerender --all --report "$WORK/resume.json" >/dev/null 2>&1
t1=$(now)
python3 - "$WORK" "$t0" "$t1" <<'EOF'
import json, sys
work, t0, t1 = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
r = json.load(open(f"{work}/resume.json"))
done_now = r["done_now"]
print(f"resume: the same command continued run {r['run']} (resumed: {r['resumed']}), "
      f"re-rendered {done_now} papers not done before (of {r['selected']}), pending now {r['pending']}; "
      f"{t1 - t0:.1f} s in all, {t1 - t0 - r['seconds']:.1f} s before the first paper (open the archive, find the pending papers)")
EOF
