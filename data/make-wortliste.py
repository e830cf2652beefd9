#!/usr/bin/env python3
"""Builds wortliste-de.txt.gz from Debian's wngerman word list (igerman98, GPL-2.0-or-later).

    apt-get install wngerman && python3 data/make-wortliste.py /usr/share/dict/ngerman \
        | gzip -9 -n > data/wortliste-de.txt.gz

Each line of the result is one word, lower-cased and folded exactly as the search analyzer
folds (src/search/analyzer.rs: ä→a, ö→o, ü→u, ß→ss, then ae/oe/ue→a/o/u except after a vowel
or q), 4 to 24 letters long, sorted and without duplicates. Words with characters other than
a–z after folding are left out (abbreviations with dots, foreign letters).
"""
import re
import sys
import unicodedata

def fold(word):
    w = word.lower().replace("ß", "ss")
    w = "".join(c for c in unicodedata.normalize("NFKD", w) if not unicodedata.combining(c))
    w = re.sub(r"(?<![aeiouq])ue", "u", w)
    w = re.sub(r"(?<![aeiou])ae", "a", w)
    w = re.sub(r"(?<![aeiou])oe", "o", w)
    return w

words = set()
for line in open(sys.argv[1], encoding="utf-8"):
    w = fold(line.strip())
    if 4 <= len(w) <= 24 and re.fullmatch(r"[a-z]+", w):
        words.add(w)
sys.stdout.write("".join(w + "\n" for w in sorted(words)))
