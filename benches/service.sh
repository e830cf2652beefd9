#!/usr/bin/env bash
# Load benchmark of `drucksache serve` on loopback with wrk (Debian package `wrk`):
#   1. POST /api/v1/papers in 30 s rounds until N papers are created (default 10,000;
#      BENCH_PAPERS=N), bodies rotating over the synthetic records
#      among 500 that are not supplements; papers/s, latency, and
#      the server's RSS after them.
#   2. GET /api/v1/search over the archive that leaves, 20 rotating queries, 30 s each with
#      32 and with 8 connections (BENCH_SEARCH_CONNECTIONS): requests/s and p50/p90/p99.
# Usage: bash benches/service.sh   (builds the release binary first)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
PAPERS=${BENCH_PAPERS:-10000}
PORT=${BENCH_PORT:-18300}
cargo build --release --quiet
BIN=$PWD/target/release/drucksache
WORK=$(mktemp -d)
# BENCH_KEEP=1 keeps the archive (for profiling searches against it afterwards).
trap 'kill $SERVER 2>/dev/null || true; if [ -n "${BENCH_KEEP:-}" ]; then echo "== kept $WORK"; else rm -rf "$WORK"; fi' EXIT

# An archive with the tracked records, one token, and 500 JSON bodies without a reference.
mkdir -p "$WORK/archive" "$WORK/bodies"
cp -r archive/papers "$WORK/archive/"
"$BIN" demo-corpus --count 500 --seed 7 --json --out "$WORK/corpus" >/dev/null
python3 - "$WORK/corpus" "$WORK/bodies" <<'EOF'
import json, pathlib, sys
files = sorted(pathlib.Path(sys.argv[1]).rglob("*.json"))
for i, f in enumerate(files):
    record = json.loads(f.read_text())
    record.pop("drucksachennummer", None)
    if "bezug" in record:   # a supplement needs its parent's number, which is not known here
        continue
    pathlib.Path(sys.argv[2], f"{len(list(pathlib.Path(sys.argv[2]).iterdir()))}.json").write_text(
        json.dumps(record, ensure_ascii=False))
EOF
TOKEN=$("$BIN" token --name bench 2>/dev/null)
HASH=$(printf %s "$TOKEN" | sha256sum | cut -d' ' -f1)
printf '[[dienst.token]]\nname = "bench"\nsha256 = "%s"\n' "$HASH" > "$WORK/archive/drucksache.toml"

"$BIN" --archive "$WORK/archive" serve --listen "127.0.0.1:$PORT" 2>"$WORK/server.log" &
SERVER=$!
for _ in $(seq 600); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
rss() { grep -E "^(VmRSS|VmHWM)" /proc/$SERVER/status | tr -s ' ' | tr '\n' ' '; echo; }
echo "== server up: $(rss)"

cat > "$WORK/post.lua" <<EOF
local bodies = {}
local count = 0
while true do
  local f = io.open("$WORK/bodies/" .. count .. ".json")
  if not f then break end
  bodies[count] = f:read("*a"); f:close(); count = count + 1
end
local n = math.random(0, count - 1)
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $TOKEN"
request = function()
  n = n + 1
  return wrk.format(nil, "/api/v1/papers", nil, bodies[n % count])
end
local failed = 0
response = function(status, headers, body)
  if status ~= 201 then failed = failed + 1; if failed < 3 then print(status, body) end end
end
EOF
count() {
  curl -sf -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/api/v1/papers?pro_seite=1" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["gesamt"])'
}
echo "== POST /api/v1/papers until $PAPERS papers are created: 30 s rounds, 2 threads x 16 connections"
START=$(date +%s); BEFORE=$(count)
while [ $(( $(count) - BEFORE )) -lt "$PAPERS" ]; do
  wrk -t2 -c16 -d30s --timeout 60s --latency -s "$WORK/post.lua" "http://127.0.0.1:$PORT" |
    grep -E "Requests/sec|^ +(50|90|99)%|Non-2xx|Socket errors|^[45][0-9][0-9]" || true
  kill -0 $SERVER 2>/dev/null || break
done
CREATED=$(( $(count) - BEFORE )); TAKEN=$(( $(date +%s) - START ))
echo "== created $CREATED papers in $TAKEN s: $(( CREATED / TAKEN )) papers/s overall"
if ! kill -0 $SERVER 2>/dev/null; then
  set +e; wait $SERVER; echo "== the server died (exit status $?)"; tail -20 "$WORK/server.log"; exit 1
fi
echo "== after the POSTs: $(rss)"
echo "== papers in the archive: $(count)"

cat > "$WORK/search.lua" <<'EOF'
local queries = {"Kita", "Haushalt", "Schule", "Integrationskonzept", "Radweg", "jahr:2012",
  "Bebauungsplan", "Sanierung Turnhalle", "\"Rat der Stadt\"", "Feuerwehr", "Kita*",
  "amt:55", "Spielplatz -Sanierung", "Straßenbeleuchtung", "Stellenplan", "Klimaschutz",
  "Jugendhilfe", "Friedhof", "Gebühren", "Integrationskonzpet"}
local n = 0
request = function()
  n = n + 1
  local q = queries[(n % #queries) + 1]:gsub("([^%w])", function(c) return string.format("%%%02X", string.byte(c)) end)
  return wrk.format("GET", "/api/v1/search?q=" .. q)
end
EOF
for CONNECTIONS in ${BENCH_SEARCH_CONNECTIONS:-32 8}; do
  echo "== GET /api/v1/search: 30 s, 2 threads x $CONNECTIONS connections"
  wrk -t2 -c"$CONNECTIONS" -d30s --latency -s "$WORK/search.lua" "http://127.0.0.1:$PORT"
done
echo "== after the searches: $(rss)"
kill -TERM $SERVER
wait $SERVER && echo "== server stopped cleanly"
