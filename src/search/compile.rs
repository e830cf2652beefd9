//! `QueryBuilder`: turns a parsed query (clauses and filters) into one tantivy query, and
//! remembers the words snippets mark. Term, prefix and phrase queries are made here.

use std::ops::Bound;

use tantivy::Term;
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, InvertedIndexRangeQuery, Occur,
    PhraseQuery, RangeQuery, RegexQuery, TermQuery,
};
use tantivy::schema::IndexRecordOption;
use tantivy::tokenizer::TextAnalyzer;

use super::analyzer::{self, tokens};
use super::query::{Clause, Filters, Item};
use super::schema::{
    Fields, Level, TextField, date_number, looks_like_reference, normalize_reference,
};
use crate::model::{Date, Kind};

pub(super) type BoxQuery = Box<dyn tantivy::query::Query>;

/// Weight of BM25 against the fixed level × field weights: small enough never to lift a
/// paper over one that matched at a better level (BM25 ≤ ~25 even for a word in one paper of
/// 100,000; × 0.05 ≈ 1.2, the smallest level step in the subject is 4).
const TIE_BREAK: f32 = 0.05;

/// The score of the paper whose number was typed, and of its supplements: above any sum of
/// word matches (every field at every level: 12.8 × 6 < 100).
const NUMBER: f32 = 1000.0;
const SUPPLEMENT: f32 = 500.0;

/// The weight of a function word ("für", "der") outside a phrase, against other words' 1.
const FUNCTION_WORD: f32 = 0.1;

/// Turns parsed clauses and filters into one tantivy query, and remembers the terms to
/// highlight.
pub(super) struct QueryBuilder<'a> {
    fields: &'a Fields,
    exact: TextAnalyzer,
    stem: TextAnalyzer,
    /// What is left of a text without its function words.
    content: TextAnalyzer,
    /// Stemmed forms of the positive words but function words: what snippets highlight.
    pub(super) highlight_terms: Vec<String>,
}

impl<'a> QueryBuilder<'a> {
    pub(super) fn new(fields: &'a Fields) -> QueryBuilder<'a> {
        QueryBuilder {
            fields,
            exact: analyzer::exact(),
            stem: analyzer::stem(),
            content: analyzer::content_words(),
            highlight_terms: Vec::new(),
        }
    }

    pub(super) fn build(&mut self, clauses: &[Clause], filters: &Filters) -> BoxQuery {
        let mut parts: Vec<(Occur, BoxQuery)> = Vec::new();
        let mut positive = false;
        for clause in clauses {
            match clause {
                Clause::Any(items) => {
                    let alternatives: Vec<BoxQuery> =
                        items.iter().filter_map(|i| self.item(i, true)).collect();
                    match alternatives.len() {
                        0 => {}
                        1 => {
                            positive = true;
                            parts.push((Occur::Must, alternatives.into_iter().next().unwrap()));
                        }
                        _ => {
                            positive = true;
                            parts.push((Occur::Must, should(alternatives)));
                        }
                    }
                }
                Clause::Not(item) => {
                    if let Some(q) = self.item(item, false) {
                        parts.push((Occur::MustNot, q));
                    }
                }
            }
        }
        if let Some(reference) = &filters.reference {
            // `nummer:` also matches supplements; the paper itself comes first.
            parts.push((Occur::Should, self.reference(reference)));
        }
        for (filter, fallback) in self.filters(filters) {
            match filter {
                Some(q) => {
                    parts.push((Occur::Must, Box::new(ConstScoreQuery::new(q, 0.0))));
                    positive = true;
                }
                None => {
                    // A filter value that matches nothing known searches as plain words.
                    if let Some(q) = self.item(&Item::Word(fallback), true) {
                        parts.push((Occur::Must, q));
                        positive = true;
                    }
                }
            }
        }
        if !positive {
            parts.push((Occur::Must, Box::new(AllQuery)));
        }
        Box::new(BooleanQuery::new(parts))
    }

    fn item(&mut self, item: &Item, highlight: bool) -> Option<BoxQuery> {
        match item {
            Item::Word(word) => self.word(word, highlight),
            Item::Phrase(phrase) => self.phrase(phrase, highlight),
            Item::Prefix(prefix) => self.prefix(prefix),
        }
    }

    /// A word: in any text field, exact (best), stemmed, or as a compound part. A word that
    /// looks like a Drucksachennummer also finds the paper with that number, first.
    fn word(&mut self, word: &str, highlight: bool) -> Option<BoxQuery> {
        let exact = tokens(&mut self.exact, word);
        let stems = tokens(&mut self.stem, word);
        if exact.is_empty() || exact.len() != stems.len() {
            return None;
        }
        let content = tokens(&mut self.content, word);
        if highlight {
            self.highlight_terms
                .extend(tokens(&mut self.stem, &content.join(" ")));
        }
        let mut all: Vec<(Occur, BoxQuery)> = Vec::new();
        for (token, stemmed) in exact.iter().zip(&stems) {
            let mut any: Vec<BoxQuery> = Vec::new();
            for field in TextField::ALL {
                for level in Level::ALL {
                    let text = if level == Level::Exact {
                        token
                    } else {
                        stemmed
                    };
                    let indexed = self.fields.indexed(field, level);
                    // Which level and field matched decides the rank; BM25 (term frequency,
                    // rarity, field length) only orders papers that matched alike. With BM25
                    // alone a rare compound part would outrank a common exact word.
                    any.push(Box::new(ConstScoreQuery::new(
                        term(indexed, text),
                        field.boost() * level.boost(),
                    )));
                    if level == Level::Stem {
                        any.push(boosted(term(indexed, text), TIE_BREAK * field.boost()));
                    }
                }
            }
            all.push((Occur::Must, should(any)));
        }
        let mut words: BoxQuery = Box::new(BooleanQuery::new(all));
        if content.is_empty() {
            words = boosted(words, FUNCTION_WORD);
        }
        if looks_like_reference(word) {
            return Some(should(vec![self.reference(word), words]));
        }
        Some(words)
    }

    /// A phrase: these exact words in this order, in one field.
    fn phrase(&mut self, phrase: &str, highlight: bool) -> Option<BoxQuery> {
        let exact = tokens(&mut self.exact, phrase);
        if exact.is_empty() {
            return None;
        }
        if highlight {
            let content = tokens(&mut self.content, phrase).join(" ");
            self.highlight_terms
                .extend(tokens(&mut self.stem, &content));
        }
        let mut any: Vec<BoxQuery> = Vec::new();
        for field in TextField::ALL {
            let indexed = self.fields.indexed(field, Level::Exact);
            let q: BoxQuery = if exact.len() == 1 {
                term(indexed, &exact[0])
            } else {
                Box::new(PhraseQuery::new(
                    exact
                        .iter()
                        .map(|t| Term::from_field_text(indexed, t))
                        .collect(),
                ))
            };
            any.push(Box::new(ConstScoreQuery::new(
                q,
                field.boost() * Level::Exact.boost(),
            )));
        }
        Some(should(any))
    }

    /// `konz*`: words (or compound parts) that begin so.
    fn prefix(&mut self, prefix: &str) -> Option<BoxQuery> {
        let exact = tokens(&mut self.exact, prefix);
        let (last, rest) = exact.split_last()?;
        let mut all: Vec<(Occur, BoxQuery)> = Vec::new();
        for word in rest {
            all.push((Occur::Must, self.word(word, true)?));
        }
        let mut any: Vec<BoxQuery> = Vec::new();
        for field in TextField::ALL {
            for level in [Level::Exact, Level::Parts] {
                let q = prefix_query(self.fields.indexed(field, level), last);
                any.push(boosted(q, field.boost() * level.boost()));
            }
        }
        all.push((Occur::Must, should(any)));
        Some(Box::new(BooleanQuery::new(all)))
    }

    /// Each filter as a query, or `None` with the value to search as words instead.
    fn filters(&mut self, f: &Filters) -> Vec<(Option<BoxQuery>, String)> {
        let mut out = Vec::new();
        if let Some(reference) = &f.reference {
            let n = normalize_reference(reference);
            let exact = term(self.fields.number, &n);
            let q = match supplements(self.fields.number, &n) {
                Some(supplements) => should(vec![exact, supplements]),
                None => exact,
            };
            out.push((Some(q), reference.clone()));
        }
        if let Some(department) = &f.department {
            let number = term(self.fields.department_number, department.trim());
            let q = match self.words_in(TextField::Department, department) {
                Some(words) => should(vec![number, words]),
                None => number,
            };
            out.push((Some(q), department.clone()));
        }
        if let Some(body) = &f.body {
            out.push((self.words_in(TextField::Bodies, body), body.clone()));
        }
        if let Some(kind) = &f.kind {
            let wanted = analyzer::fold(kind);
            let kinds: Vec<BoxQuery> = Kind::ALL
                .into_iter()
                .filter(|k| !wanted.is_empty() && analyzer::fold(k.key()).starts_with(&wanted))
                .map(|k| term(self.fields.kind, k.key()))
                .collect();
            out.push(((!kinds.is_empty()).then(|| should(kinds)), kind.clone()));
        }
        if let Some((from, to)) = f.years {
            let q = RangeQuery::new(
                Bound::Included(Term::from_field_u64(self.fields.year, from.max(0) as u64)),
                Bound::Included(Term::from_field_u64(self.fields.year, to.max(0) as u64)),
            );
            out.push((Some(Box::new(q) as BoxQuery), String::new()));
        }
        if f.date_from.is_some() || f.date_to.is_some() {
            let bound = |d: Option<Date>| match d {
                Some(d) => Bound::Included(Term::from_field_u64(self.fields.date, date_number(d))),
                None => Bound::Unbounded,
            };
            let q = RangeQuery::new(bound(f.date_from), bound(f.date_to));
            out.push((Some(Box::new(q) as BoxQuery), String::new()));
        }
        out
    }

    /// The paper numbered `reference` (scored [`NUMBER`]) and its supplements
    /// ([`SUPPLEMENT`]): above every match in the text, the paper itself first.
    fn reference(&self, reference: &str) -> BoxQuery {
        let n = normalize_reference(reference);
        let exact: BoxQuery = Box::new(ConstScoreQuery::new(term(self.fields.number, &n), NUMBER));
        match supplements(self.fields.number, &n) {
            Some(s) => should(vec![exact, Box::new(ConstScoreQuery::new(s, SUPPLEMENT))]),
            None => exact,
        }
    }

    /// All words of `value` in one text field (exact or stemmed; compound parts do not
    /// count, so `gremium:Rat` does not match "Integrationsrat").
    fn words_in(&mut self, field: TextField, value: &str) -> Option<BoxQuery> {
        let exact = tokens(&mut self.exact, value);
        let stems = tokens(&mut self.stem, value);
        if exact.is_empty() || exact.len() != stems.len() {
            return None;
        }
        let all: Vec<(Occur, BoxQuery)> = exact
            .iter()
            .zip(&stems)
            .map(|(e, s)| {
                (
                    Occur::Must,
                    should(vec![
                        term(self.fields.indexed(field, Level::Exact), e),
                        term(self.fields.indexed(field, Level::Stem), s),
                    ]),
                )
            })
            .collect();
        Some(Box::new(BooleanQuery::new(all)))
    }
}

/// The supplements (Ergänzungen) of the normalised number `n`: the numbers that continue it
/// after a `/` or `-` ("310/2012-1" for "310/2012").
fn supplements(field: tantivy::schema::Field, n: &str) -> Option<BoxQuery> {
    let pattern = format!("{}[/-].*", regex_escape(n));
    RegexQuery::from_pattern(&pattern, field)
        .ok()
        .map(|q| Box::new(q) as BoxQuery)
}

/// Terms of `field` that begin with `prefix`: a range of the term dictionary (no automaton
/// to build per query).
fn prefix_query(field: tantivy::schema::Field, prefix: &str) -> BoxQuery {
    let lower = Term::from_field_text(field, prefix);
    // The first byte string after every string that begins with `prefix`.
    let mut upper = prefix.as_bytes().to_vec();
    while upper.last() == Some(&u8::MAX) {
        upper.pop();
    }
    let upper = match upper.last_mut() {
        Some(last) => {
            *last += 1;
            Bound::Excluded(Term::from_field_bytes(field, &upper))
        }
        None => Bound::Unbounded,
    };
    Box::new(InvertedIndexRangeQuery::new(Bound::Included(lower), upper))
}

fn term(field: tantivy::schema::Field, text: &str) -> BoxQuery {
    Box::new(TermQuery::new(
        Term::from_field_text(field, text),
        IndexRecordOption::WithFreqs,
    ))
}

fn boosted(query: BoxQuery, boost: f32) -> BoxQuery {
    Box::new(BoostQuery::new(query, boost))
}

fn should(queries: Vec<BoxQuery>) -> BoxQuery {
    Box::new(BooleanQuery::new(
        queries.into_iter().map(|q| (Occur::Should, q)).collect(),
    ))
}

fn regex_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
