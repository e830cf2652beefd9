//! Compound words: a dictionary-based splitter that only splits a word when every part is a
//! known word (from the shipped word list, `data/wortliste-de.txt.gz`).
//!
//! "integrationskonzept" → integrations | konzept, "doppelhaushaltsplan" → doppel | haushalts |
//! plan. A word that cannot be covered completely by known words is not split at all, so no
//! fragment that is not a word is ever emitted ("sporthalle" → sport | halle, never "hall" or
//! "e"). Among several complete splits the one with the fewest parts wins, then the one with
//! the longer parts.

use std::collections::HashSet;
use std::sync::{Arc, LazyLock};

/// The word list, folded like the analyzer folds (see `data/make-wortliste.py`), one word per
/// line, gzip-compressed (4.6 MB of text, 0.9 MB in the binary and in git).
static WORD_LIST: LazyLock<String> = LazyLock::new(|| {
    let compressed: &[u8] = include_bytes!("../../data/wortliste-de.txt.gz");
    let mut text = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(compressed), &mut text)
        .expect("the shipped word list is valid gzip-compressed UTF-8");
    text
});

/// Three-letter nouns that are common compound parts ("Jugendamt", "Stadtrat", "Radweg").
/// Other three-letter words are not parts: too many of them are fragments of longer words.
const SHORT_WORDS: &[&str] = &[
    "amt", "bad", "bau", "bus", "eis", "gas", "hof", "not", "ort", "rad", "rat", "see", "tag",
    "tal", "tor", "weg", "zug", "kur",
];

/// Words of the list that are never compound parts: function words whose letters occur inside
/// many nouns ("eine", "oder", "denn").
const NOT_PARTS: &[&str] = &[
    "aber", "alle", "allem", "allen", "aller", "alles", "also", "dann", "darum", "dass", "denn",
    "dies", "diese", "doch", "dort", "durch", "eine", "einem", "einen", "einer", "eines", "etwa",
    "euch", "ganz", "habe", "haben", "hatte", "ihre", "ihrem", "ihren", "ihrer", "immer", "jede",
    "jedem", "jeden", "jeder", "kein", "keine", "mich", "mein", "nach", "nicht", "noch", "nur",
    "oder", "ohne", "sehr", "sein", "seine", "sich", "sind", "soll", "ueber", "uber", "unter",
    "viel", "wenn", "wird", "wurde", "zwar", "bist", "ender", "erst",
];

/// The shortest part, in bytes (folded text is ASCII).
const MIN_PART: usize = 3;
/// Words longer than this are not split (a URL, a chemical name).
const MAX_WORD: usize = 48;
/// At most this many parts.
const MAX_PARTS: usize = 5;

/// The set of known words. Built once per process (about 350,000 words, ~50 ms).
pub struct Dictionary {
    words: HashSet<&'static str>,
}

static SHARED: LazyLock<Arc<Dictionary>> = LazyLock::new(|| Arc::new(Dictionary::shipped()));

impl Dictionary {
    /// The shipped German dictionary, shared by every analyzer of the process.
    pub fn german() -> Arc<Dictionary> {
        SHARED.clone()
    }

    fn shipped() -> Dictionary {
        let mut words: HashSet<&'static str> = WORD_LIST
            .lines()
            .filter(|w| w.len() > MIN_PART)
            .filter(|w| !NOT_PARTS.contains(w))
            .collect();
        words.extend(SHORT_WORDS.iter().copied());
        Dictionary { words }
    }

    /// A dictionary of the given (already folded) words, for tests.
    pub fn from_words(words: &[&'static str]) -> Dictionary {
        Dictionary {
            words: words.iter().copied().collect(),
        }
    }

    pub fn contains(&self, word: &str) -> bool {
        self.words.contains(word)
    }

    /// The parts of a compound word (byte ranges into `word`), or `None` when `word` is not a
    /// compound of known words. A part that is not the last may carry a linking `s` or `es`
    /// (Fugen-s: "integration-s-konzept") or lack a final e ("schul-sozialarbeit").
    pub fn split(&self, word: &str) -> Option<Vec<(usize, usize)>> {
        let n = word.len();
        if !(2 * MIN_PART..=MAX_WORD).contains(&n) || !word.is_ascii() {
            return None;
        }
        // best[i]: the best split of word[i..] as (parts, length of its last part, sum of
        // squared part lengths, end of its first part). Better is: fewer parts, then a longer
        // last part (the head of a German compound is a whole noun: "lasten|fahrräder", not
        // "lastenfahr|räder"), then longer parts.
        let mut best: Vec<Option<(usize, usize, usize, usize)>> = vec![None; n + 1];
        best[n] = Some((0, 0, 0, n));
        let rank = |c: &(usize, usize, usize, usize)| (c.0, usize::MAX - c.1, usize::MAX - c.2);
        for start in (0..n).rev() {
            let mut choice: Option<(usize, usize, usize, usize)> = None;
            for end in start + MIN_PART..=n {
                let Some((parts, last, weight, _)) = best[end] else {
                    continue;
                };
                // The whole word is no split of itself, even when the list holds it.
                if (start == 0 && end == n)
                    || parts + 1 > MAX_PARTS
                    || !self.is_part(&word[start..end], end == n)
                {
                    continue;
                }
                let len = end - start;
                let last = if end == n { len } else { last };
                let candidate = (parts + 1, last, weight + len * len, end);
                choice = match choice {
                    Some(c) if rank(&c) <= rank(&candidate) => Some(c),
                    _ => Some(candidate),
                };
            }
            best[start] = choice;
        }
        let (parts, _, _, _) = best[0]?;
        if parts < 2 {
            return None;
        }
        let mut ranges = Vec::with_capacity(parts);
        let mut at = 0;
        while at < n {
            let (_, _, _, end) = best[at].expect("a complete split");
            ranges.push((at, end));
            at = end;
        }
        Some(ranges)
    }

    fn is_part(&self, piece: &str, last: bool) -> bool {
        if self.contains(piece) {
            return true;
        }
        if last {
            return false;
        }
        // Fugen-s ("integration-s-konzept") or an elided e ("schul-sozialarbeit" from
        // "Schule").
        if piece.len() > MIN_PART && self.contains(&format!("{piece}e")) {
            return true;
        }
        [piece.strip_suffix("es"), piece.strip_suffix('s')]
            .into_iter()
            .flatten()
            .any(|stem| stem.len() >= MIN_PART && self.contains(stem))
    }

    /// The first part of a compound's split (the split with the fewest parts and the
    /// longest head), with its linking s ("freizeitausschuss" → "freizeit",
    /// "planungsausschuss" → "planungs"), or `None` when `word` is not a compound.
    pub fn first_constituent<'a>(&self, word: &'a str) -> Option<&'a str> {
        Some(&word[..self.split(word)?[0].1])
    }

    /// The compounds a shortened one stands for (Ergänzungsstrich): each modifier written
    /// with a trailing hyphen takes what follows the first constituent of `word` ("sport" and
    /// "freizeitausschuss" → "sportausschuss"). Only compounds of known words are returned.
    pub fn complete_modifiers(&self, modifiers: &[String], word: &str) -> Vec<String> {
        let Some(first) = self.first_constituent(word) else {
            return Vec::new();
        };
        let rest = &word[first.len()..];
        modifiers
            .iter()
            .map(|m| format!("{m}{rest}"))
            .filter(|c| self.split(c).is_some())
            .collect()
    }

    /// The compound a head written with a leading hyphen stands for: the first constituent
    /// of the compound before it, then the head ("stadtentwicklung" and "planung" →
    /// "stadtplanung"), if that is a compound of known words.
    pub fn complete_head(&self, previous: &str, head: &str) -> Option<String> {
        let compound = format!("{}{head}", self.first_constituent(previous)?);
        self.split(&compound).map(|_| compound)
    }

    /// What a compound contributes to the index: its parts, each run of neighbouring parts
    /// shorter than the whole word, and the same for every part that is itself a compound
    /// ("doppelhaushaltsplan" → doppel, haushaltsplan, haushalts, plan). Empty when the
    /// word is not a compound.
    pub fn pieces<'a>(&self, word: &'a str) -> Vec<&'a str> {
        let mut pieces = Vec::new();
        self.collect_pieces(word, &mut pieces);
        pieces
    }

    fn collect_pieces<'a>(&self, word: &'a str, pieces: &mut Vec<&'a str>) {
        let Some(parts) = self.split(word) else {
            return;
        };
        for first in 0..parts.len() {
            for last in first..parts.len() {
                if first == 0 && last == parts.len() - 1 {
                    continue;
                }
                let piece = &word[parts[first].0..parts[last].1];
                if !pieces.contains(&piece) {
                    pieces.push(piece);
                    if first == last {
                        self.collect_pieces(piece, pieces);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(word: &str) -> Vec<String> {
        let dict = Dictionary::german();
        dict.split(word)
            .map(|r| r.iter().map(|(a, b)| word[*a..*b].to_string()).collect())
            .unwrap_or_default()
    }

    #[test]
    fn splits_compounds_into_known_words_only() {
        assert_eq!(split("integrationskonzept"), ["integrations", "konzept"]);
        // fewest parts first; the parts are split again by `pieces`
        assert_eq!(split("doppelhaushaltsplan"), ["doppel", "haushaltsplan"]);
        assert_eq!(split("haushaltsplan"), ["haushalts", "plan"]);
        assert_eq!(split("sporthalle"), ["sport", "halle"]);
        assert_eq!(split("jugendamt"), ["jugend", "amt"]);
        assert_eq!(split("lastenfahrrader"), ["lasten", "fahrrader"]);
        assert_eq!(split("hundesteuer"), ["hunde", "steuer"]);
        assert_eq!(split("schulsozialarbeit")[0], "schul");
        assert_eq!(split("dreifachsporthalle"), ["dreifach", "sporthalle"]);
    }

    #[test]
    fn never_emits_fragments() {
        let dict = Dictionary::german();
        let pieces = dict.pieces("sporthalle");
        assert_eq!(pieces, ["sport", "halle"]);
        for word in ["sporthalle", "dreifachsporthalle", "integrationskonzept"] {
            for piece in dict.pieces(word) {
                assert!(piece.len() >= MIN_PART, "{word} → {piece}");
                assert_ne!(piece, "hall");
            }
        }
        // Not every part known: no split at all.
        assert_eq!(split("sportxqzhalle"), Vec::<String>::new());
        assert_eq!(split("konzept"), Vec::<String>::new());
    }

    #[test]
    fn pieces_include_sub_compounds() {
        let dict = Dictionary::german();
        let pieces = dict.pieces("doppelhaushaltsplan");
        for want in ["doppel", "haushalts", "plan", "haushaltsplan"] {
            assert!(pieces.contains(&want), "{want} not in {pieces:?}");
        }
        assert!(!pieces.contains(&"doppelhaushaltsplan"));
    }

    #[test]
    fn shortened_compounds_are_completed_from_known_words() {
        let dict = Dictionary::german();
        assert_eq!(
            dict.first_constituent("freizeitausschuss"),
            Some("freizeit")
        );
        assert_eq!(
            dict.first_constituent("planungsausschuss"),
            Some("planungs")
        );
        assert_eq!(dict.first_constituent("ausschuss"), None);
        let modifiers = ["sport".to_string(), "kultur".to_string()];
        assert_eq!(
            dict.complete_modifiers(&modifiers, "freizeitausschuss"),
            ["sportausschuss", "kulturausschuss"]
        );
        // no compound to take the head from, or a result that is no compound of words
        assert!(dict.complete_modifiers(&modifiers, "ausschuss").is_empty());
        assert!(
            dict.complete_modifiers(&["xqz".to_string()], "freizeitausschuss")
                .is_empty()
        );
        assert_eq!(
            dict.complete_head("stadtentwicklung", "planung").as_deref(),
            Some("stadtplanung")
        );
        assert_eq!(dict.complete_head("planung", "gestaltung"), None);
    }

    #[test]
    fn small_dictionary() {
        let dict = Dictionary::from_words(&["dampf", "schiff", "fahrt"]);
        assert_eq!(
            dict.split("dampfschifffahrt"),
            Some(vec![(0, 5), (5, 11), (11, 16)])
        );
        assert_eq!(dict.split("dampfschiffxfahrt"), None);
    }
}
