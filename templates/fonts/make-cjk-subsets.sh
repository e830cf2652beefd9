#!/usr/bin/env bash
# Makes the two CJK fonts drucksache embeds, so that names of people and partner cities in
# Chinese, Japanese and Korean print:
# - DroidSansFallback-CJK.ttf: the characters of GB 2312 (China), JIS X 0208 (Japan) and
#   KS X 1001 (Korea) that Debian's Droid Sans Fallback has (1.6 MB instead of 4.0 MB; it has
#   almost no Hangul);
# - DrucksacheHangul-Regular.ttf: the 2,350 Hangul syllables of KS X 1001 and the Hangul
#   compatibility letters from Debian's NanumGothic (0.7 MB instead of 4.7 MB), renamed
#   "Drucksache Hangul" because the SIL Open Font License reserves the name Nanum for the
#   unmodified font.
# Needs: apt-get install fonts-droid-fallback fonts-nanum; pip install fonttools==4.55.0.
# Afterwards run data/make-printable.py (the table of characters a paper may contain).
set -euo pipefail
cd "$(dirname "$0")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$work" <<'PY'
import sys
out = sys.argv[1]
def decoded(codec, rows):
    chars = set()
    for a in rows:
        for b in range(0xA1, 0xFF):
            try:
                chars.update(bytes([a, b]).decode(codec))
            except UnicodeDecodeError:
                pass
    return chars
cjk = set()
for codec in ["gb2312", "euc_jp", "euc_kr"]:
    cjk |= decoded(codec, range(0xA1, 0xFF))
open(f"{out}/cjk.txt", "w").write("".join(sorted(cjk)))
hangul = decoded("euc_kr", range(0xB0, 0xC9)) | {chr(c) for c in range(0x3131, 0x318F)}
open(f"{out}/hangul.txt", "w").write("".join(sorted(hangul)))
PY
pyftsubset /usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf --text-file="$work/cjk.txt" \
  --output-file=DroidSansFallback-CJK.ttf --no-hinting
pyftsubset /usr/share/fonts/truetype/nanum/NanumGothic.ttf --text-file="$work/hangul.txt" \
  --output-file="$work/hangul.ttf" --no-hinting 2>/dev/null
python3 - "$work/hangul.ttf" <<'PY'
import sys
from fontTools.ttLib import TTFont
font = TTFont(sys.argv[1], recalcTimestamp=False)
names = {1: "Drucksache Hangul", 2: "Regular", 3: "Drucksache Hangul Regular (subset of NanumGothic)",
         4: "Drucksache Hangul Regular", 6: "DrucksacheHangul-Regular",
         16: "Drucksache Hangul", 17: "Regular"}
table = font["name"]
table.names = [n for n in table.names if n.nameID not in names]
for number, text in names.items():
    table.setName(text, number, 3, 1, 0x409)
    table.setName(text, number, 1, 0, 0)
font.save("DrucksacheHangul-Regular.ttf")
PY
