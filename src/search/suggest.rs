//! "Meinten Sie": for a query that found nothing, each word that is in no paper is replaced
//! by the closest word of the index, found by a Levenshtein automaton (`Near`) walking the
//! term dictionary.

use std::collections::HashMap;

use levenshtein_automata::{Distance, LevenshteinAutomatonBuilder};
use tantivy::collector::Count;
use tantivy::query::{BooleanQuery, Occur, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::{Searcher, Term};

use super::analyzer::{self, tokens};
use super::compile::{BoxQuery, QueryBuilder};
use super::index::SearchIndex;
use super::query::{Clause, Filters, Item, parse};
use super::schema::{Level, TextField, looks_like_reference};

/// Most words of one query that "Meinten Sie" tries to correct.
const MAX_CORRECTIONS: usize = 5;

/// `suggestion` (a word of the index, lower-case) written as `typed` was: all capitals if
/// `typed` is (and has two letters or more), capitalised if `typed` begins with a capital.
fn match_case(typed: &str, suggestion: &str) -> String {
    let letters: Vec<char> = typed.chars().filter(|c| c.is_alphabetic()).collect();
    if letters.len() > 1 && letters.iter().all(|c| c.is_uppercase()) {
        return suggestion.to_uppercase();
    }
    match (typed.chars().next(), suggestion.chars().next()) {
        (Some(first), Some(initial)) if first.is_uppercase() => initial
            .to_uppercase()
            .chain(suggestion.chars().skip(1))
            .collect(),
        _ => suggestion.to_string(),
    }
}

impl SearchIndex {
    /// "Meinten Sie …": each word of the query that is in no paper is replaced by the
    /// closest word of the index (edit distance 1, or 2 for words of 6 letters or more) that
    /// is in a paper now; offered only when the corrected query finds papers.
    pub(super) fn suggest(
        &self,
        searcher: &Searcher,
        text: &str,
        clauses: &[Clause],
        filters: &Filters,
    ) -> tantivy::Result<Option<String>> {
        let mut exact = analyzer::exact();
        let mut corrected = text.to_string();
        let mut changed = false;
        // Each correction walks the term dictionary: a few per query.
        let mut tried = 0;
        for clause in clauses {
            let Clause::Any(items) = clause else { continue };
            let [Item::Word(word)] = items.as_slice() else {
                continue;
            };
            if looks_like_reference(word) {
                continue;
            }
            let folded = tokens(&mut exact, word);
            let [token] = folded.as_slice() else { continue };
            if self.live_count(searcher, token)? > 0 {
                continue;
            }
            tried += 1;
            if tried > MAX_CORRECTIONS {
                break;
            }
            if let Some(better) = self.closest_word(searcher, token)? {
                corrected = corrected.replacen(word.as_str(), &match_case(word, &better), 1);
                changed = true;
            }
        }
        if !changed {
            return Ok(None);
        }
        let parsed = parse(&corrected);
        let mut all = filters.clone();
        all.merge(parsed.filters);
        let query = QueryBuilder::new(&self.fields).build(&parsed.clauses, &all);
        let found = searcher.search(query.as_ref(), &Count)?;
        Ok((found > 0).then_some(corrected))
    }

    /// Papers (not deleted ones) that have `token` in any exact field.
    fn live_count(&self, searcher: &Searcher, token: &str) -> tantivy::Result<usize> {
        let mut should: Vec<(Occur, BoxQuery)> = Vec::new();
        for field in TextField::ALL {
            let term = Term::from_field_text(self.fields.indexed(field, Level::Exact), token);
            should.push((
                Occur::Should,
                Box::new(TermQuery::new(term, IndexRecordOption::Basic)),
            ));
        }
        searcher.search(&BooleanQuery::new(should), &Count)
    }

    fn closest_word(&self, searcher: &Searcher, token: &str) -> tantivy::Result<Option<String>> {
        let chars = token.chars().count();
        if chars < 3 {
            return Ok(None);
        }
        let distance = if chars >= 6 { 2 } else { 1 };
        let dfa = LevenshteinAutomatonBuilder::new(distance, true).build_dfa(token);
        // candidate → (distance, document frequency)
        let mut candidates: HashMap<String, (u8, u64)> = HashMap::new();
        for segment in searcher.segment_readers() {
            for field in TextField::ALL {
                let inverted = segment.inverted_index(self.fields.indexed(field, Level::Exact))?;
                let mut stream = inverted.terms().search(Near(&dfa)).into_stream()?;
                while stream.advance() {
                    let key = stream.key();
                    if let Distance::Exact(d) = dfa.eval(key)
                        && d > 0
                        && let Ok(word) = std::str::from_utf8(key)
                    {
                        let entry = candidates.entry(word.to_string()).or_insert((d, 0));
                        entry.1 += u64::from(stream.value().doc_freq);
                    }
                }
            }
        }
        let mut ranked: Vec<(String, (u8, u64))> = candidates.into_iter().collect();
        ranked.sort_by(|a, b| {
            a.1.0
                .cmp(&b.1.0)
                .then(b.1.1.cmp(&a.1.1))
                .then(a.0.cmp(&b.0))
        });
        for (word, _) in ranked.into_iter().take(10) {
            // Only words of papers in the index now (not of deleted ones).
            if self.live_count(searcher, &word)? > 0 {
                return Ok(Some(word));
            }
        }
        Ok(None)
    }
}

/// The Levenshtein automaton as an FST automaton: the term dictionary is walked only where
/// a word within the distance can still follow, not term by term.
struct Near<'a>(&'a levenshtein_automata::DFA);

impl tantivy_fst::Automaton for Near<'_> {
    type State = u32;

    fn start(&self) -> u32 {
        self.0.initial_state()
    }

    fn is_match(&self, state: &u32) -> bool {
        matches!(self.0.distance(*state), Distance::Exact(_))
    }

    fn can_match(&self, state: &u32) -> bool {
        *state != levenshtein_automata::SINK_STATE
    }

    fn accept(&self, state: &u32, byte: u8) -> u32 {
        self.0.transition(*state, byte)
    }
}

#[cfg(test)]
mod tests {
    use super::match_case;

    #[test]
    fn suggestions_are_written_as_the_word_was_typed() {
        assert_eq!(
            match_case("Integrationskonzpet", "integrationskonzept"),
            "Integrationskonzept"
        );
        assert_eq!(match_case("kita", "kitas"), "kitas");
        assert_eq!(match_case("KITA", "kitas"), "KITAS");
        assert_eq!(match_case("Ümwelt", "umwelt"), "Umwelt");
        assert_eq!(match_case("A", "ab"), "Ab");
        assert_eq!(match_case("straße", "strasse"), "strasse");
    }
}
