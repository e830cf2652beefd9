//! Queries as citizens type them: words (all required), "phrases", `-word`, `OR`, `prefix*`
//! and the filters `nummer:`, `amt:`, `gremium:`, `jahr:`, `art:`, `datum:VON..BIS`.
//!
//! Parsing never fails: what is not understood is read as plain words (an unclosed quote
//! closes at the end, an unknown `key:` is a word, `jahr:abc` searches for "jahr abc").
//! Words that only announce a number ("Drucksache", "Vorlage Nr.") are dropped before it.

use serde::Serialize;

use super::schema::looks_like_reference;
use crate::model::Date;

/// Words that announce a Drucksachennummer ("Drucksache 0310/2012", "Vorlage Nr. 0310/2012",
/// "DS 0310/2012"): right before a number they are not required in the text. Compared in
/// lower case, without a final dot.
const NUMBER_FILLERS: [&str; 11] = [
    "drucksache",
    "drucksachen",
    "drucksachennummer",
    "drucksachen-nr",
    "ds",
    "vorlage",
    "vorlagen",
    "vorlagennummer",
    "vorlagen-nr",
    "nr",
    "nummer",
];

/// How results are ordered (Sortierung).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub enum Sort {
    /// Relevanz: best match first.
    #[default]
    #[serde(rename = "relevanz")]
    Relevance,
    /// Datum: newest paper first.
    #[serde(rename = "datum")]
    Date,
}

/// A search request: the text as typed plus filters given separately (CLI flags, form fields).
/// Filters in the text and here both apply.
#[derive(Debug, Clone)]
pub struct Query {
    pub text: String,
    pub filters: Filters,
    pub sort: Sort,
    /// Hits per page (1–100).
    pub limit: usize,
    /// Hits to skip.
    pub offset: usize,
}

impl Sort {
    /// The sort of this German name (`relevanz`, `datum`), as the `sortierung` parameter
    /// gives it.
    pub fn from_name(name: &str) -> Option<Sort> {
        match name {
            "relevanz" => Some(Sort::Relevance),
            "datum" => Some(Sort::Date),
            _ => None,
        }
    }
}

impl Query {
    /// The query `text`, sorted by relevance, first 10 hits.
    pub fn new(text: impl Into<String>) -> Query {
        Query {
            text: text.into(),
            filters: Filters::default(),
            sort: Sort::Relevance,
            limit: 10,
            offset: 0,
        }
    }
}

/// Most characters of a query's text: a citizen's query is a few words.
pub const MAX_QUERY_CHARS: usize = 500;
/// Most characters of one filter value (`amt`, `gremium`, …).
pub const MAX_FILTER_CHARS: usize = 200;
/// Most words one query searches for (words, the words of phrases, prefixes, exclusions).
pub const MAX_QUERY_WORDS: usize = 20;
/// Most `prefix*` words in one query (each walks a range of the term dictionary).
pub const MAX_PREFIXES: usize = 3;
/// A query with more words than this, or with a prefix, is served in the lane for
/// expensive queries, so that it cannot hold every search slot.
pub const HEAVY_WORDS: usize = 6;

/// Why a query is refused: what one search may cost is bounded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("the query is {0} characters long; at most {MAX_QUERY_CHARS} are searched")]
    TooLong(usize),
    #[error("the query has {0} words; at most {MAX_QUERY_WORDS} are searched")]
    TooManyWords(usize),
    #[error("the query has {0} words ending in *; at most {MAX_PREFIXES} are searched")]
    TooManyPrefixes(usize),
    #[error("{field}: {len} characters; at most {MAX_FILTER_CHARS} are searched")]
    FilterTooLong { field: &'static str, len: usize },
}

impl QueryError {
    /// The request parameter at fault (`q`, or the filter's).
    pub fn parameter(&self) -> &'static str {
        match self {
            QueryError::FilterTooLong { field, .. } => field,
            _ => "q",
        }
    }
}

impl Query {
    /// Parses the query after checking what it may cost: length, words, prefixes.
    pub fn parse_bounded(&self) -> Result<Parsed, QueryError> {
        let chars = self.text.chars().count();
        if chars > MAX_QUERY_CHARS {
            return Err(QueryError::TooLong(chars));
        }
        let f = &self.filters;
        for (field, value) in [
            ("nummer", &f.reference),
            ("amt", &f.department),
            ("gremium", &f.body),
            ("art", &f.kind),
        ] {
            let len = value.as_deref().map_or(0, |v| v.chars().count());
            if len > MAX_FILTER_CHARS {
                return Err(QueryError::FilterTooLong { field, len });
            }
        }
        let parsed = parse(&self.text);
        let words = parsed.words();
        if words > MAX_QUERY_WORDS {
            return Err(QueryError::TooManyWords(words));
        }
        let prefixes = parsed.prefixes();
        if prefixes > MAX_PREFIXES {
            return Err(QueryError::TooManyPrefixes(prefixes));
        }
        Ok(parsed)
    }
}

impl Parsed {
    /// Words searched for: each word, prefix and excluded word, each word of a phrase.
    pub fn words(&self) -> usize {
        self.items()
            .map(|item| match item {
                Item::Phrase(p) => p.split_whitespace().count().max(1),
                Item::Word(_) | Item::Prefix(_) => 1,
            })
            .sum()
    }

    fn prefixes(&self) -> usize {
        self.items()
            .filter(|item| matches!(item, Item::Prefix(_)))
            .count()
    }

    /// Whether this query belongs in the lane for expensive queries ([`HEAVY_WORDS`]).
    pub fn is_heavy(&self) -> bool {
        self.words() > HEAVY_WORDS || self.prefixes() > 0
    }

    fn items(&self) -> impl Iterator<Item = &Item> {
        self.clauses.iter().flat_map(|clause| match clause {
            Clause::Any(items) => items.as_slice(),
            Clause::Not(item) => std::slice::from_ref(item),
        })
    }
}

/// Restrictions of the result set. Each given filter must hold.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filters {
    /// Drucksachennummer, e.g. "310/2012" (leading zeros do not matter).
    pub reference: Option<String>,
    /// Amt: its number ("55") or words of its name ("Jugend").
    pub department: Option<String>,
    /// Gremium of the Beratungsfolge: words of its name.
    pub body: Option<String>,
    /// Years, inclusive.
    pub years: Option<(i32, i32)>,
    /// Vorlagenart or its beginning ("beschluss", "mitteilung").
    pub kind: Option<String>,
    /// Datum from (inclusive).
    pub date_from: Option<Date>,
    /// Datum to (inclusive).
    pub date_to: Option<Date>,
}

impl Filters {
    /// Adds the filters of `other` that are not set here.
    pub fn merge(&mut self, other: Filters) {
        self.reference = self.reference.take().or(other.reference);
        self.department = self.department.take().or(other.department);
        self.body = self.body.take().or(other.body);
        self.years = self.years.or(other.years);
        self.kind = self.kind.take().or(other.kind);
        self.date_from = self.date_from.or(other.date_from);
        self.date_to = self.date_to.or(other.date_to);
    }
}

/// One search element.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Word(String),
    Phrase(String),
    Prefix(String),
}

/// A clause: required (a list of alternatives joined by OR) or excluded.
#[derive(Debug, Clone, PartialEq)]
pub enum Clause {
    /// At least one of these must match (one item unless the user wrote OR).
    Any(Vec<Item>),
    /// Must not match.
    Not(Item),
}

/// The text of a query, understood.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Parsed {
    pub clauses: Vec<Clause>,
    pub filters: Filters,
}

/// Lexical pieces: (negated, key, value, quoted).
#[derive(Debug, Clone, PartialEq)]
struct Piece {
    negated: bool,
    key: Option<String>,
    value: String,
    quoted: bool,
}

fn lex(text: &str) -> Vec<Piece> {
    let mut pieces = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_whitespace() {
            i += 1;
            continue;
        }
        let mut negated = false;
        if chars[i] == '-' && i + 1 < chars.len() && !chars[i + 1].is_whitespace() {
            negated = true;
            i += 1;
        }
        // key: (letters then a colon)
        let mut key = None;
        let mut j = i;
        while j < chars.len() && chars[j].is_alphabetic() {
            j += 1;
        }
        if j > i && j < chars.len() && chars[j] == ':' && j + 1 < chars.len() {
            key = Some(chars[i..j].iter().collect::<String>().to_lowercase());
            i = j + 1;
        }
        let (value, quoted) = if chars[i] == '"' || chars[i] == '„' || chars[i] == '“' {
            i += 1;
            let start = i;
            while i < chars.len() && !matches!(chars[i], '"' | '“' | '”') {
                i += 1;
            }
            let v: String = chars[start..i].iter().collect();
            i += 1; // the closing quote, or past the end
            (v, true)
        } else {
            let start = i;
            while i < chars.len() && !chars[i].is_whitespace() && chars[i] != '"' {
                i += 1;
            }
            (chars[start..i].iter().collect(), false)
        };
        if value.trim().is_empty() && key.is_none() {
            continue;
        }
        pieces.push(Piece {
            negated,
            key,
            value,
            quoted,
        });
    }
    pieces
}

/// Parses the text of a query. Never fails.
pub fn parse(text: &str) -> Parsed {
    let mut parsed = Parsed::default();
    let mut pending_or = false;
    for piece in lex(text) {
        if let Some(key) = &piece.key
            && apply_filter(&mut parsed.filters, key, &piece.value)
        {
            continue;
        }
        if !piece.quoted && !piece.negated && piece.key.is_none() && piece.value == "OR" {
            pending_or = !parsed.clauses.is_empty();
            continue;
        }
        let mut items = Vec::new();
        if let Some(key) = &piece.key {
            // a filter that was not understood: its key and value are plain words
            items.push(Item::Word(key.clone()));
        }
        items.extend(item_of(&piece));
        for item in items {
            if piece.negated {
                parsed.clauses.push(Clause::Not(item));
                pending_or = false;
            } else if pending_or {
                match parsed.clauses.last_mut() {
                    Some(Clause::Any(alternatives)) => alternatives.push(item),
                    _ => parsed.clauses.push(Clause::Any(vec![item])),
                }
                pending_or = false;
            } else {
                parsed.clauses.push(Clause::Any(vec![item]));
            }
        }
    }
    drop_number_fillers(&mut parsed.clauses);
    parsed
}

/// Removes each run of [`NUMBER_FILLERS`] that stands right before a word that looks like a
/// Drucksachennummer (each of them a required word of its own, not part of an OR).
fn drop_number_fillers(clauses: &mut Vec<Clause>) {
    let is_filler = |c: &Clause| match c {
        Clause::Any(items) => match items.as_slice() {
            [Item::Word(w)] => {
                let w = w.strip_suffix('.').unwrap_or(w).to_lowercase();
                NUMBER_FILLERS.contains(&w.as_str())
            }
            _ => false,
        },
        Clause::Not(_) => false,
    };
    let is_number = |c: &Clause| matches!(c, Clause::Any(items) if matches!(items.as_slice(), [Item::Word(w)] if looks_like_reference(w)));
    let mut keep = vec![true; clauses.len()];
    let mut run_start = None;
    for (i, clause) in clauses.iter().enumerate() {
        if is_filler(clause) {
            run_start.get_or_insert(i);
            continue;
        }
        if let Some(start) = run_start.take()
            && is_number(clause)
        {
            keep[start..i].fill(false);
        }
    }
    let mut keep = keep.into_iter();
    clauses.retain(|_| keep.next().unwrap_or(true));
}

fn item_of(piece: &Piece) -> Option<Item> {
    let value = piece.value.trim();
    if value.is_empty() {
        return None;
    }
    if piece.quoted {
        return Some(Item::Phrase(value.to_string()));
    }
    if let Some(prefix) = value.strip_suffix('*') {
        let prefix = prefix.trim_end_matches('*');
        if prefix.chars().filter(|c| c.is_alphanumeric()).count() >= 2 {
            return Some(Item::Prefix(prefix.to_string()));
        }
        return (!prefix.is_empty()).then(|| Item::Word(prefix.to_string()));
    }
    Some(Item::Word(value.to_string()))
}

/// Applies `key:value`; false when the key is unknown or the value makes no sense for it.
fn apply_filter(filters: &mut Filters, key: &str, value: &str) -> bool {
    let value = value.trim();
    if value.is_empty() {
        return false;
    }
    match key {
        "nummer" | "drucksachennummer" => filters.reference = Some(value.to_string()),
        "amt" => filters.department = Some(value.to_string()),
        "gremium" => filters.body = Some(value.to_string()),
        "art" => filters.kind = Some(value.to_string()),
        "jahr" => match parse_years(value) {
            Some(years) => filters.years = Some(years),
            None => return false,
        },
        "datum" => match parse_dates(value) {
            Some((from, to)) => {
                filters.date_from = from;
                filters.date_to = to;
            }
            None => return false,
        },
        _ => return false,
    }
    true
}

/// `2012`, `2012..2014`, `2012-2014`.
pub fn parse_years(value: &str) -> Option<(i32, i32)> {
    let year = |s: &str| {
        let s = s.trim();
        (s.len() == 4 && s.chars().all(|c| c.is_ascii_digit()))
            .then(|| s.parse::<i32>().ok())
            .flatten()
    };
    if let Some((a, b)) = value.split_once("..").or_else(|| value.split_once('-')) {
        let (a, b) = (year(a)?, year(b)?);
        return Some((a.min(b), a.max(b)));
    }
    year(value).map(|y| (y, y))
}

/// `2012-01-01..2012-12-31`, `2012-01-01..`, `..2012-12-31`, or one day `2012-04-25`.
/// German dates (`25.04.2012`) work too.
pub fn parse_dates(value: &str) -> Option<(Option<Date>, Option<Date>)> {
    let date = |s: &str| parse_date(s.trim());
    if let Some((a, b)) = value.split_once("..") {
        let from = if a.trim().is_empty() {
            None
        } else {
            Some(date(a)?)
        };
        let to = if b.trim().is_empty() {
            None
        } else {
            Some(date(b)?)
        };
        if from.is_none() && to.is_none() {
            return None;
        }
        return Some((from, to));
    }
    let day = date(value)?;
    Some((Some(day), Some(day)))
}

/// `YYYY-MM-DD` or `TT.MM.JJJJ`.
pub fn parse_date(text: &str) -> Option<Date> {
    if let Some(d) = Date::parse_iso(text) {
        return Some(d);
    }
    let mut parts = text.split('.');
    let (d, m, y) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || y.len() != 4 {
        return None;
    }
    let (d, m): (u8, u8) = (d.parse().ok()?, m.parse().ok()?);
    Date::parse_iso(&format!("{y}-{m:02}-{d:02}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_one_query_may_cost_is_bounded() {
        let words = |n: usize| {
            (0..n)
                .map(|i| format!("wort{i}"))
                .collect::<Vec<_>>()
                .join(" ")
        };
        assert!(Query::new(words(20)).parse_bounded().is_ok());
        assert_eq!(
            Query::new(words(21)).parse_bounded(),
            Err(QueryError::TooManyWords(21))
        );
        let long = "x".repeat(MAX_QUERY_CHARS + 1);
        assert_eq!(
            Query::new(long.as_str()).parse_bounded(),
            Err(QueryError::TooLong(501))
        );
        let unknown = vec!["abcdefghijklmnopqrst"; 2500].join(" ");
        assert!(matches!(
            Query::new(unknown).parse_bounded(),
            Err(QueryError::TooLong(_))
        ));
        assert_eq!(
            Query::new("\"a b c d e f g h i j k l m n o p q r s t u\"").parse_bounded(),
            Err(QueryError::TooManyWords(21))
        );
        assert_eq!(
            Query::new("ab* cd* ef* gh*").parse_bounded(),
            Err(QueryError::TooManyPrefixes(4))
        );
        let mut filtered = Query::new("Sporthalle");
        filtered.filters.body = Some("g".repeat(201));
        let e = filtered.parse_bounded().unwrap_err();
        assert_eq!(e.parameter(), "gremium");
        assert!(!parse("Sporthalle Emst").is_heavy());
        assert!(parse("Kita*").is_heavy() && parse(&words(7)).is_heavy());
    }

    /// The serialized names are German, as users give them.
    #[test]
    fn sort_keeps_its_german_names() {
        let names = [Sort::Relevance, Sort::Date].map(|s| serde_json::to_string(&s).unwrap());
        assert_eq!(names, [r#""relevanz""#, r#""datum""#]);
    }

    fn word(w: &str) -> Clause {
        Clause::Any(vec![Item::Word(w.into())])
    }

    #[test]
    fn words_phrases_negation_or_prefix() {
        let p = parse(r#"Sporthalle "Rat der Stadt" -Hagen Schule OR Kita konz*"#);
        assert_eq!(
            p.clauses,
            vec![
                word("Sporthalle"),
                Clause::Any(vec![Item::Phrase("Rat der Stadt".into())]),
                Clause::Not(Item::Word("Hagen".into())),
                Clause::Any(vec![Item::Word("Schule".into()), Item::Word("Kita".into())]),
                Clause::Any(vec![Item::Prefix("konz".into())]),
            ]
        );
    }

    #[test]
    fn filters() {
        let p = parse(
            "Haushalt jahr:2013 amt:20 gremium:Rat art:beschluss nummer:0020/2013 datum:2013-01-01..2013-02-01",
        );
        assert_eq!(p.clauses, vec![word("Haushalt")]);
        assert_eq!(p.filters.years, Some((2013, 2013)));
        assert_eq!(p.filters.department.as_deref(), Some("20"));
        assert_eq!(p.filters.body.as_deref(), Some("Rat"));
        assert_eq!(p.filters.kind.as_deref(), Some("beschluss"));
        assert_eq!(p.filters.reference.as_deref(), Some("0020/2013"));
        assert_eq!(p.filters.date_from, Date::parse_iso("2013-01-01"));
        assert_eq!(p.filters.date_to, Date::parse_iso("2013-02-01"));
        let p = parse(r#"gremium:"Rat der Stadt Hagen" jahr:2012..2013"#);
        assert_eq!(p.filters.body.as_deref(), Some("Rat der Stadt Hagen"));
        assert_eq!(p.filters.years, Some((2012, 2013)));
    }

    #[test]
    fn words_that_announce_a_number_are_dropped_before_it() {
        let number = parse("0310/2012").clauses;
        for q in [
            "Drucksache 0310/2012",
            "Vorlage Nr. 0310/2012",
            "DS 0310/2012",
            "ds. 0310/2012",
            "Drucksachen-Nr. 0310/2012",
        ] {
            assert_eq!(parse(q).clauses, number, "{q}");
        }
        // only right before a number, and not as part of an OR or negated
        assert_eq!(
            parse("Vorlage Haushalt").clauses,
            [word("Vorlage"), word("Haushalt")]
        );
        assert_eq!(
            parse("0310/2012 Drucksache").clauses,
            [word("0310/2012"), word("Drucksache")]
        );
        assert_eq!(
            parse("Vorlage OR Drucksache 0310/2012").clauses.len(),
            2,
            "an OR group stays whole"
        );
        assert_eq!(parse("-Vorlage 0310/2012").clauses.len(), 2);
        assert_eq!(
            parse("Sport Vorlage 0310/2012").clauses,
            [word("Sport"), word("0310/2012")]
        );
    }

    #[test]
    fn malformed_input_degrades_to_words() {
        let p = parse(r#"Konzept "offene Phrase"#);
        assert_eq!(
            p.clauses[1],
            Clause::Any(vec![Item::Phrase("offene Phrase".into())])
        );
        let p = parse("jahr:abc foo:bar - -- * \"\" :: a: OR");
        assert!(p.filters == Filters::default(), "{p:?}");
        assert!(p.clauses.contains(&word("abc")), "{p:?}");
        assert!(p.clauses.contains(&word("bar")), "{p:?}");
        let p = parse("OR OR");
        assert!(p.clauses.iter().all(|c| matches!(c, Clause::Any(_))));
        for text in [
            "",
            "\"",
            "-",
            "*",
            "datum:..",
            "jahr:",
            "(((",
            "a OR",
            "OR a",
            "‚„“",
        ] {
            parse(text);
        }
    }
}
