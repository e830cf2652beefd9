"""Writes each demo-corpus record of DEMO_DIR as JSON into OUT_DIR with its Begründung cut to
its first plain paragraph. A layout dump keeps no paragraph breaks or heading levels, so the
splitter (rightly) sends longer Begründungen to review; the import and harvest benchmarks
use these records to measure the archiving path too.

Usage: python3 benches/plain-records.py DEMO_DIR OUT_DIR
"""
import json
import pathlib
import sys
import tomllib

demo, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
out.mkdir(parents=True)
for record in demo.rglob("*.toml"):
    r = tomllib.loads(record.read_text())
    paragraphs = [p.strip() for p in r["begruendung"].split("\n\n")]
    r["begruendung"] = next(p for p in paragraphs if p and not p.startswith("#"))
    (out / (record.stem + ".json")).write_text(json.dumps(r, ensure_ascii=False, default=str))
