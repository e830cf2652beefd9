#!/usr/bin/env bash
# Benchmark of `drucksache harvest` against a local OParl endpoint:
#   1. N demo-corpus records (default 1,000; BENCH_PAPERS=N) rendered to PDF, and a static
#      OParl 1.1 endpoint of them (System, Body, paper list pages of 100 with `next` links,
#      meetings, organizations, each Paper's mainFile with its sha512Checksum) written as
#      files and served by `python3 -m http.server` on 127.0.0.1: the input, not timed;
#   2. `drucksache harvest` of it into a new archive (--rate 1000, so the limit does not
#      bind): papers/s over the whole run (list pages, meetings and organizations fetched,
#      files downloaded and checked, text extracted, split, validated, rendered, signed,
#      stored with the original), archived vs to review, peak RSS (/usr/bin/time);
#   3. a second run: nothing changed, so nothing is fetched but the filtered list.
# BENCH_NO_FILES=1: the Papers have no mainFile (a system that publishes metadata only, or
# whose files all fail): each is archived from its metadata as a legacy paper not structured
# yet, and nothing is rendered.
# Usage: bash benches/harvest.sh   (builds the release binary first; needs pdftotext, python3)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${BENCH_PAPERS:-1000}
cargo build --release --quiet
BIN=$PWD/target/release/drucksache
WORK=$(mktemp -d)
SERVER_PID=
trap '[ -n "$SERVER_PID" ] && kill "$SERVER_PID"; rm -rf "$WORK"' EXIT
export RUST_LOG=error DRUCKSACHE_LOG=error
now() { date +%s.%N; }

"$BIN" demo-corpus --count "$N" --seed 29 --out "$WORK/demo" >/dev/null
python3 benches/plain-records.py "$WORK/demo" "$WORK/records"
mapfile -t RECORDS < <(find "$WORK/records" -name '*.json' | sort)
if [ -z "${BENCH_NO_FILES:-}" ]; then
  "$BIN" render --out-dir "$WORK/site/files" "${RECORDS[@]}" >/dev/null
fi
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 - "$WORK" "$PORT" <<'PY'
import hashlib, json, os, pathlib, sys
work, port = pathlib.Path(sys.argv[1]), sys.argv[2]
base = f"http://127.0.0.1:{port}"
site = work / "site"
kinds = {"beschlussvorlage": "Beschlussvorlage", "mitteilungsvorlage": "Mitteilungsvorlage",
         "ergaenzungsvorlage": "Ergänzungsvorlage"}
orgs, meetings, papers = {}, {}, []
def org(name, short=None):
    if name not in orgs:
        orgs[name] = {"id": f"{base}/org/{len(orgs) + 1}.json", "type": "https://schema.oparl.org/1.1/Organization", "name": name}
        if short:
            orgs[name]["shortName"] = short
    return orgs[name]["id"]
for i, record in enumerate(sorted((work / "records").glob("*.json"))):
    r = json.loads(record.read_text())
    pdf = site / "files" / (record.stem + ".pdf")
    consultations = []
    for c in r.get("beratungsfolge", []):
        key = (c["gremium"], str(c["datum"]))
        if key not in meetings:
            meetings[key] = {"id": f"{base}/meeting/{len(meetings) + 1}.json", "type": "https://schema.oparl.org/1.1/Meeting",
                             "start": f"{c['datum']}T17:00:00+01:00", "organization": [org(c["gremium"])]}
        consultations.append({"meeting": meetings[key]["id"], "organization": [org(c["gremium"])]})
    papers.append({
        "id": f"{base}/paper/{i + 1}.json", "type": "https://schema.oparl.org/1.1/Paper",
        "name": r["betreff"], "reference": r["drucksachennummer"], "date": str(r["datum"]),
        "paperType": kinds[r["art"]], "consultation": consultations,
        "underDirectionOf": [org(r["amt"]["name"], "FB " + r["amt"]["nummer"])],
        "modified": "2020-01-01T00:00:00+01:00",
    })
    if not os.environ.get("BENCH_NO_FILES"):
        papers[-1]["mainFile"] = {
            "id": f"{base}/file/{i + 1}.json", "type": "https://schema.oparl.org/1.1/File",
            "accessUrl": f"{base}/files/{pdf.name}", "fileName": pdf.name, "mimeType": "application/pdf",
            "sha512Checksum": hashlib.sha512(pdf.read_bytes()).hexdigest()}
def write(path, value):
    p = site / path
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(json.dumps(value, ensure_ascii=False))
write("system.json", {"id": f"{base}/system.json", "type": "https://schema.oparl.org/1.1/System", "body": f"{base}/bodies.json"})
write("bodies.json", {"data": [{"id": f"{base}/body/1.json", "type": "https://schema.oparl.org/1.1/Body", "name": "Stadt Beispiel",
                                "paper": f"{base}/papers/1.json"}], "links": {}})
pages = [papers[k:k + 100] for k in range(0, len(papers), 100)]
for n, page in enumerate(pages, 1):
    links = {"next": f"{base}/papers/{n + 1}.json"} if n < len(pages) else {}
    write(f"papers/{n}.json", {"data": page, "links": links})
for o in orgs.values():
    write(o["id"][len(base) + 1:], o)
for m in meetings.values():
    write(m["id"][len(base) + 1:], m)
PY
# A static server ignores ?modified_since=: the second run reads the whole list again and
# finds every paper unchanged (the worst case of a re-harvest).
(cd "$WORK/site" && exec python3 -m http.server "$PORT" --bind 127.0.0.1 >/dev/null 2>&1) &
SERVER_PID=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/system.json" >/dev/null && break; sleep 0.1; done
echo "== $N papers over OParl, $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"

for run in first second; do
  t0=$(now)
  /usr/bin/time -f "%e %M" -o "$WORK/time" \
    "$BIN" --archive "$WORK/archive" harvest "http://127.0.0.1:$PORT/system.json" \
    --review "$WORK/review" --rate 1000 --json >"$WORK/report.json" 2>"$WORK/err" || true
  t1=$(now)
  read -r _ rss <"$WORK/time"
  python3 - "$run" "$t0" "$t1" "$N" "$rss" "$WORK/report.json" <<'PY'
import json, sys
run, t0, t1, n, rss, report = sys.argv[1:]
r = json.load(open(report))
s = float(t1) - float(t0)
print(f"{run} run: {n} papers in {s:.1f} s = {int(n) / s:.1f} papers/s; {len(r['new'])} archived, "
      f"{len(r['review'])} to review, {len(r['failed'])} failed, {r['unchanged']} unchanged, "
      f"{len(r['legacy'])} archived as not structured; "
      f"{r['files_downloaded']} files; fields {r['fields_from_oparl']} from OParl, "
      f"{r['fields_from_text']} from text; peak RSS {int(rss) // 1024} MB")
PY
done
