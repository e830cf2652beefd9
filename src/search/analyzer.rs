//! The German analyzer: tokenizing, lower-casing, folding, Snowball stemming and compound
//! parts, as tantivy tokenizers registered under the names in [`names`].
//!
//! Every text field is indexed three times, one field per level of matching:
//!
//! | level | tokenizer | "Integrationskonzepte" becomes |
//! |---|---|---|
//! | exact | words, lower-cased, folded | `integrationskonzepte` |
//! | stem | the same, then Snowball German | `integrationskonzept` |
//! | parts | compound parts of the folded word, then Snowball German | `integration`, `konzept` |
//!
//! Folding makes Müller = Mueller = Muller and Straße = Strasse: ä, ö, ü → a, o, u, ß → ss,
//! other accents removed; then the spellings ae, oe, ue → a, o, u, except after a vowel or q,
//! where ue is not an umlaut (Feuer, neue, Bauer, Quelle). Measured on the 356,010 words of
//! igerman98: folding every "ue" would merge 290 groups of different words (neue/neu,
//! baues/baus), this rule merges 18 (Duett/Dutt, Böen/Bon).

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer,
    StopWordFilter, TextAnalyzer, Token, TokenFilter, TokenStream, Tokenizer, TokenizerManager,
};

use super::compound::Dictionary;

/// Tokenizer names, as stored in the index schema.
pub mod names {
    pub const EXACT: &str = "de_exact";
    pub const STEM: &str = "de_stem";
    pub const PARTS: &str = "de_parts";
    /// For snippets: every form of every word, so that any level's match is highlighted.
    pub const HIGHLIGHT: &str = "de_highlight";
}

/// Tokens longer than this (bytes) are dropped: not words.
const MAX_TOKEN: usize = 60;

/// Registers the four analyzers.
pub fn register(manager: &TokenizerManager) {
    manager.register(names::EXACT, exact());
    manager.register(names::STEM, stem());
    manager.register(names::PARTS, parts(false));
    manager.register(names::HIGHLIGHT, parts(true));
}

fn base() -> tantivy::tokenizer::TextAnalyzerBuilder<impl Tokenizer> {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(GermanDigraphs)
}

/// Words, lower-cased and folded.
pub fn exact() -> TextAnalyzer {
    base().build()
}

/// Exact, then Snowball German.
pub fn stem() -> TextAnalyzer {
    base().filter(Stemmer::new(Language::German)).build()
}

/// Compound parts only (nothing for a word that is not a compound), stemmed. With
/// `keep_original` the whole word's stem comes first (used for highlighting).
pub fn parts(keep_original: bool) -> TextAnalyzer {
    base()
        .filter(CompoundParts {
            dict: Dictionary::german(),
            keep_original,
        })
        .filter(Stemmer::new(Language::German))
        .build()
}

/// The words of a text that are not function words (Snowball's German stop word list as
/// tantivy ships it: "für", "zur", "der", "und" …), lower-cased, not folded. Function words
/// are indexed like any word; queries weigh them little and snippets never mark them.
/// Built once: a clone shares the word set, so a query does not build it again.
pub fn content_words() -> TextAnalyzer {
    static CONTENT: LazyLock<TextAnalyzer> = LazyLock::new(|| {
        let builder = TextAnalyzer::builder(SimpleTokenizer::default()).filter(LowerCaser);
        match StopWordFilter::new(Language::German) {
            Some(stop_words) => builder.filter(stop_words).build(),
            None => builder.build(),
        }
    });
    CONTENT.clone()
}

/// Folds one word as the analyzers do (lower-case, umlauts, ß, digraphs). For tests and for
/// comparing user input with stored values.
pub fn fold(text: &str) -> String {
    let mut analyzer = exact();
    let mut stream = analyzer.token_stream(text);
    let mut words = Vec::new();
    while let Some(token) = stream.next() {
        words.push(token.text.clone());
    }
    words.join(" ")
}

/// The tokens an analyzer makes of `text` (for tests and query building).
pub fn tokens(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while let Some(token) = stream.next() {
        out.push(token.text.clone());
    }
    out
}

/// ae, oe, ue → a, o, u unless a vowel or q comes before ("mueller" → "muller", but "feuer",
/// "quelle" stay). Runs after ASCII folding, so "müller" is already "muller".
pub fn fold_digraphs(word: &str) -> Option<String> {
    let bytes = word.as_bytes();
    if !bytes
        .windows(2)
        .any(|w| matches!(w, [b'a' | b'o' | b'u', b'e']))
    {
        return None;
    }
    let mut out = String::with_capacity(word.len());
    let mut previous: Option<char> = None;
    let mut chars = word.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        let after_vowel = matches!(previous, Some('a' | 'e' | 'i' | 'o' | 'u'));
        let skip_e = match c {
            'u' => !after_vowel && previous != Some('q'),
            'a' | 'o' => !after_vowel,
            _ => false,
        };
        if skip_e && chars.peek() == Some(&'e') {
            chars.next();
        }
        previous = Some(c);
    }
    Some(out)
}

/// Token filter applying [`fold_digraphs`].
#[derive(Clone)]
pub struct GermanDigraphs;

impl TokenFilter for GermanDigraphs {
    type Tokenizer<T: Tokenizer> = GermanDigraphsFilter<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> GermanDigraphsFilter<T> {
        GermanDigraphsFilter(tokenizer)
    }
}

#[derive(Clone)]
pub struct GermanDigraphsFilter<T>(T);

impl<T: Tokenizer> Tokenizer for GermanDigraphsFilter<T> {
    type TokenStream<'a> = GermanDigraphsStream<T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        GermanDigraphsStream(self.0.token_stream(text))
    }
}

pub struct GermanDigraphsStream<S>(S);

impl<S: TokenStream> TokenStream for GermanDigraphsStream<S> {
    fn advance(&mut self) -> bool {
        if !self.0.advance() {
            return false;
        }
        let token = self.0.token_mut();
        if let Some(folded) = fold_digraphs(&token.text) {
            token.text = folded;
        }
        true
    }

    fn token(&self) -> &Token {
        self.0.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.0.token_mut()
    }
}

/// Token filter that replaces each compound by its pieces ([`Dictionary::pieces`]) and drops
/// words that are not compounds; with `keep_original` the word itself stays too. A shortened
/// compound (Ergänzungsstrich, [`Ellipsis`]) adds the whole compound it stands for and its
/// pieces, at the place of the word that completes it.
#[derive(Clone)]
pub struct CompoundParts {
    dict: Arc<Dictionary>,
    keep_original: bool,
}

impl TokenFilter for CompoundParts {
    type Tokenizer<T: Tokenizer> = CompoundPartsFilter<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> CompoundPartsFilter<T> {
        CompoundPartsFilter {
            dict: self.dict,
            keep_original: self.keep_original,
            inner: tokenizer,
            cache: HashMap::new(),
            pending: Vec::new(),
        }
    }
}

/// Splits are cached per analyzer instance (tantivy keeps one per field and indexing thread);
/// the cache is emptied when it reaches this many words.
const CACHE_WORDS: usize = 200_000;

pub struct CompoundPartsFilter<T> {
    dict: Arc<Dictionary>,
    keep_original: bool,
    inner: T,
    cache: HashMap<String, Arc<[String]>>,
    pending: Vec<Token>,
}

impl<T: Clone> Clone for CompoundPartsFilter<T> {
    fn clone(&self) -> Self {
        CompoundPartsFilter {
            dict: self.dict.clone(),
            keep_original: self.keep_original,
            inner: self.inner.clone(),
            cache: HashMap::new(),
            pending: Vec::new(),
        }
    }
}

impl<T: Tokenizer> Tokenizer for CompoundPartsFilter<T> {
    type TokenStream<'a> = CompoundPartsStream<'a, T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        self.pending.clear();
        if self.cache.len() > CACHE_WORDS {
            self.cache.clear();
        }
        CompoundPartsStream {
            dict: &self.dict,
            keep_original: self.keep_original,
            inner: self.inner.token_stream(text),
            text,
            // Only a text with a hyphen can hold a shortened compound.
            ellipsis: text.contains(['-', '\u{2010}']).then(Ellipsis::default),
            cache: &mut self.cache,
            pending: &mut self.pending,
        }
    }
}

pub struct CompoundPartsStream<'a, S> {
    dict: &'a Dictionary,
    keep_original: bool,
    inner: S,
    /// The text being analysed: what stands around each token (hyphens).
    text: &'a str,
    ellipsis: Option<Ellipsis>,
    cache: &'a mut HashMap<String, Arc<[String]>>,
    /// Tokens still to emit, in reverse order.
    pending: &'a mut Vec<Token>,
}

/// Words that join the members of a shortened compound ("Bau- und Planungsausschuss").
const CONJUNCTIONS: [&str; 4] = ["und", "oder", "sowie", "bzw"];

/// Shortened compounds (Ergänzungsstrich) in one text, word by word: modifiers with a
/// trailing hyphen take the head of the compound that ends their list ("Sport- und
/// Freizeitausschuss" → sportausschuss; "Haupt-, Finanz- und Personalausschuss" →
/// hauptausschuss, finanzausschuss), heads with a leading hyphen take the first part of the
/// compound before them ("Stadtentwicklung, -planung und -gestaltung" → stadtplanung,
/// stadtgestaltung). Only compounds of known words come out ([`Dictionary`]).
#[derive(Default)]
struct Ellipsis {
    /// Modifiers written with a trailing hyphen, waiting for the compound that ends the list.
    modifiers: Vec<String>,
    /// The last word written whole (empty: none), for heads written with a leading hyphen;
    /// one buffer reused for every word.
    previous: String,
}

/// What a word completes, found by [`Ellipsis::see`].
enum Shortened {
    /// Modifiers with a trailing hyphen, and the compound that ends their list.
    Modifiers(Vec<String>, String),
    /// The compound before a head with a leading hyphen, and the head.
    Head(String, String),
}

impl Shortened {
    /// The key of its tokens in the split cache: has a space, so it is no token's text.
    fn key(&self) -> String {
        match self {
            Shortened::Modifiers(modifiers, word) => format!("{} {word}", modifiers.join(" ")),
            Shortened::Head(previous, head) => format!("-{previous} {head}"),
        }
    }

    /// The tokens it adds: each compound it stands for, then the compound's pieces.
    fn tokens(&self, dict: &Dictionary) -> Vec<String> {
        let compounds = match self {
            Shortened::Modifiers(modifiers, word) => dict.complete_modifiers(modifiers, word),
            Shortened::Head(previous, head) => {
                dict.complete_head(previous, head).into_iter().collect()
            }
        };
        let mut tokens = Vec::new();
        for compound in compounds {
            let pieces: Vec<String> = dict
                .pieces(&compound)
                .into_iter()
                .map(String::from)
                .collect();
            tokens.push(compound);
            tokens.extend(pieces);
        }
        tokens
    }
}

impl Ellipsis {
    /// What `word` completes, if anything; `before` and `after` are the text around it.
    fn see(&mut self, word: &str, before: &str, after: &str) -> Option<Shortened> {
        if !word.bytes().all(|b| b.is_ascii_lowercase()) {
            self.modifiers.clear();
            self.previous.clear();
            return None;
        }
        if CONJUNCTIONS.contains(&word) {
            return None;
        }
        if hyphen_then_gap(after) {
            self.modifiers.push(word.to_string());
            return None;
        }
        if gap_then_hyphen(before) {
            return (!self.previous.is_empty())
                .then(|| Shortened::Head(self.previous.clone(), word.to_string()));
        }
        let completed = (!self.modifiers.is_empty())
            .then(|| Shortened::Modifiers(std::mem::take(&mut self.modifiers), word.to_string()));
        self.previous.clear();
        self.previous.push_str(word);
        completed
    }
}

fn is_hyphen(c: char) -> bool {
    matches!(c, '-' | '\u{2010}')
}

/// `after` a word: a hyphen, then a space, a comma or the end ("Sport- und").
pub(super) fn hyphen_then_gap(after: &str) -> bool {
    let mut chars = after.chars();
    chars.next().is_some_and(is_hyphen)
        && chars.next().is_none_or(|c| c.is_whitespace() || c == ',')
}

/// `before` a word: a space, a comma or the start, then a hyphen (", -planung").
pub(super) fn gap_then_hyphen(before: &str) -> bool {
    let mut chars = before.chars().rev();
    chars.next().is_some_and(is_hyphen)
        && chars
            .next()
            .is_none_or(|c| c.is_whitespace() || matches!(c, ',' | '('))
}

impl<S: TokenStream> TokenStream for CompoundPartsStream<'_, S> {
    fn advance(&mut self) -> bool {
        self.pending.pop();
        if !self.pending.is_empty() {
            return true;
        }
        while self.inner.advance() {
            let token = self.inner.token();
            let pieces = match self.cache.get(&token.text) {
                Some(p) => p.clone(),
                None => {
                    let p: Arc<[String]> = self
                        .dict
                        .pieces(&token.text)
                        .into_iter()
                        .map(String::from)
                        .collect();
                    self.cache.insert(token.text.clone(), p.clone());
                    p
                }
            };
            let shortened = self.ellipsis.as_mut().and_then(|ellipsis| {
                let before = self.text.get(..token.offset_from).unwrap_or_default();
                let after = self.text.get(token.offset_to..).unwrap_or_default();
                ellipsis.see(&token.text, before, after)
            });
            if let Some(shortened) = shortened {
                let key = shortened.key();
                let completed = match self.cache.get(&key) {
                    Some(tokens) => tokens.clone(),
                    None => {
                        let tokens: Arc<[String]> = shortened.tokens(self.dict).into();
                        self.cache.insert(key, tokens.clone());
                        tokens
                    }
                };
                for text in completed.iter().rev() {
                    self.pending.push(Token {
                        text: text.clone(),
                        ..token.clone()
                    });
                }
            }
            for piece in pieces.iter().rev() {
                self.pending.push(Token {
                    text: piece.clone(),
                    ..token.clone()
                });
            }
            if self.keep_original {
                self.pending.push(token.clone());
            }
            if !self.pending.is_empty() {
                return true;
            }
        }
        false
    }

    fn token(&self) -> &Token {
        self.pending.last().expect("advance returned true")
    }

    fn token_mut(&mut self) -> &mut Token {
        self.pending.last_mut().expect("advance returned true")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lower_cases_and_folds_both_ways() {
        assert_eq!(fold("Müller"), "muller");
        assert_eq!(fold("Mueller"), "muller");
        assert_eq!(fold("MULLER"), "muller");
        assert_eq!(fold("Straße"), "strasse");
        assert_eq!(fold("Strasse"), "strasse");
        assert_eq!(fold("Übersicht Uebersicht"), "ubersicht ubersicht");
        assert_eq!(fold("Größe Groesse"), "grosse grosse");
        assert_eq!(fold("Ärger Aerger"), "arger arger");
        assert_eq!(fold("Café"), "cafe");
    }

    #[test]
    fn ue_after_a_vowel_or_q_is_no_umlaut() {
        assert_eq!(fold("Feuer"), "feuer");
        assert_eq!(fold("neue"), "neue");
        assert_eq!(fold("Bauer"), "bauer");
        assert_eq!(fold("Quelle"), "quelle");
        assert_eq!(fold("Steuer"), "steuer");
        // but a real umlaut after a consonant is folded
        assert_eq!(fold("Gebuehr Gebühr"), "gebuhr gebuhr");
    }

    #[test]
    fn content_words_leave_out_function_words() {
        let mut content = content_words();
        assert_eq!(
            tokens(&mut content, "Antrag für die Sporthalle zur Genehmigung"),
            ["antrag", "sporthalle", "genehmigung"]
        );
        assert!(tokens(&mut content, "Für").is_empty());
    }

    #[test]
    fn stems_german_words() {
        let mut a = stem();
        let s = |a: &mut TextAnalyzer, w: &str| tokens(a, w).join(" ");
        assert_eq!(s(&mut a, "Konzepte"), s(&mut a, "Konzept"));
        assert_eq!(s(&mut a, "Schulen"), s(&mut a, "Schule"));
        assert_eq!(
            s(&mut a, "Integrationskonzepte"),
            s(&mut a, "Integrationskonzept")
        );
        assert_eq!(s(&mut a, "Haushaltes"), s(&mut a, "Haushalt"));
        assert_eq!(s(&mut a, "Straßen"), s(&mut a, "Strassen"));
    }

    #[test]
    fn parts_are_stemmed_compound_parts_only() {
        let mut p = parts(false);
        let mut st = stem();
        let konzept = tokens(&mut st, "Konzept");
        assert_eq!(tokens(&mut p, "Integrationskonzept")[1..], konzept[..]);
        // not a compound: nothing at this level
        assert!(tokens(&mut p, "Konzept").is_empty());
        let sport = tokens(&mut p, "Sporthalle");
        assert_eq!(
            sport,
            [tokens(&mut st, "sport"), tokens(&mut st, "halle")].concat()
        );
        // Exactly the stems of the two words; the splitter never emits "hall" + "e" (the
        // stem of "halle" is "hall", which is Snowball's doing, not a fragment).
        assert_eq!(sport.len(), 2);
        let plan = tokens(&mut p, "Doppelhaushaltsplan");
        assert!(
            plan.contains(&tokens(&mut st, "Haushaltsplan")[0]),
            "{plan:?}"
        );
    }

    #[test]
    fn shortened_compounds_add_the_compounds_they_stand_for() {
        let mut p = parts(false);
        let mut st = stem();
        let has = |tokens: &[String], word: &str, st: &mut TextAnalyzer| {
            tokens.contains(&super::tokens(st, word)[0])
        };
        let list = tokens(&mut p, "Sport-, Kultur- und Freizeitausschuss");
        for word in ["Sportausschuss", "Kulturausschuss", "Freizeit", "Ausschuss"] {
            assert!(has(&list, word, &mut st), "{word}: {list:?}");
        }
        let heads = tokens(&mut p, "Stadtentwicklung, -planung und -gestaltung");
        for word in ["Stadtplanung", "Stadtgestaltung", "Entwicklung"] {
            assert!(has(&heads, word, &mut st), "{word}: {heads:?}");
        }
        // a hyphen inside a word, a dash between words, a line-break hyphen or a number:
        // nothing is added
        for text in [
            "Sport-Freizeitausschuss",
            "Sport - Freizeitausschuss",
            "Verwal- tung",
            "2018- und 2019-Ausschuss",
        ] {
            let t = tokens(&mut p, text);
            assert!(!has(&t, "Sportausschuss", &mut st), "{text}: {t:?}");
            assert!(t.iter().all(|w| w != "verwaltung"), "{text}: {t:?}");
        }
        // nothing that is not a compound of known words
        let junk = tokens(&mut p, "Xqz- und Freizeitausschuss");
        assert!(junk.iter().all(|w| !w.starts_with("xqz")), "{junk:?}");
    }

    #[test]
    fn highlight_keeps_the_word_and_adds_its_parts() {
        let mut h = parts(true);
        let t = tokens(&mut h, "Integrationskonzept Rat");
        assert_eq!(t[0], tokens(&mut stem(), "Integrationskonzept")[0]);
        assert!(t.contains(&"konzept".to_string()), "{t:?}");
        assert_eq!(t.last().unwrap(), "rat");
    }
}
