//! Snippets: [`Snippet`], the piece of a hit's text that matched with its words marked, and
//! the `Highlighter` that finds it (from around the first matching word).

use std::collections::BTreeMap;

use serde::Serialize;
use tantivy::snippet::SnippetGenerator;
use tantivy::tokenizer::TextAnalyzer;

use super::analyzer;
use super::schema::TextField;

/// Snippet length in characters.
const SNIPPET_CHARS: usize = 200;

/// A piece of the text that matched, with the matching words marked.
#[derive(Debug, Clone, Serialize)]
pub struct Snippet {
    /// Record key of the field (`betreff`, `begruendung`, …).
    #[serde(rename = "feld")]
    pub field: &'static str,
    pub text: String,
    /// Byte ranges of `text` to highlight.
    #[serde(rename = "markierungen")]
    pub highlights: Vec<(usize, usize)>,
}

impl Snippet {
    /// The text with each highlight wrapped in `open` … `close`.
    pub fn marked(&self, open: &str, close: &str) -> String {
        let mut out = String::new();
        let mut at = 0;
        for &(start, end) in &self.highlights {
            out.push_str(&self.text[at..start]);
            out.push_str(open);
            out.push_str(&self.text[start..end]);
            out.push_str(close);
            at = end;
        }
        out.push_str(&self.text[at..]);
        out
    }
}

/// Makes snippets: the first text field (in order of importance) in which a searched word
/// occurs, in any of its forms, with those words marked; the fragment is taken from around
/// the first word that matches.
pub(super) struct Highlighter {
    terms: BTreeMap<String, f32>,
    /// Every form of a word (whole-word stem and compound parts' stems): what is marked.
    forms: TextAnalyzer,
    /// Picks and marks the fragment, with `forms`.
    generator: SnippetGenerator,
    /// Folded words only: cheap, to find the words worth analysing fully.
    exact: TextAnalyzer,
}

/// Fields a snippet may come from, most useful first.
const SNIPPET_FIELDS: [TextField; 9] = [
    TextField::Subject,
    TextField::Summary,
    TextField::Resolution,
    TextField::Reasoning,
    TextField::Text,
    TextField::Bodies,
    TextField::Department,
    TextField::Involved,
    TextField::Signatories,
];

/// Context kept before the first matching word, in bytes.
const SNIPPET_LEAD: usize = 60;

/// How far after a modifier with a trailing hyphen the compound that ends its list is looked
/// for, in bytes ("Haupt-, Finanz- und Personalausschuss").
const SHORTENED_REACH: usize = 120;

impl Highlighter {
    pub(super) fn new(terms: &[String]) -> Highlighter {
        let terms: BTreeMap<String, f32> = terms.iter().map(|t| (t.clone(), 1.0)).collect();
        let forms = analyzer::parts(true);
        let dummy = tantivy::schema::Field::from_field_id(0);
        Highlighter {
            generator: SnippetGenerator::new(terms.clone(), forms.clone(), dummy, SNIPPET_CHARS),
            terms,
            forms,
            exact: analyzer::exact(),
        }
    }

    pub(super) fn snippet(&mut self, text_of: impl Fn(TextField) -> String) -> Option<Snippet> {
        if self.terms.is_empty() {
            return None;
        }
        for field in SNIPPET_FIELDS {
            let text = text_of(field);
            let Some(first) = self.first_match(&text) else {
                continue;
            };
            // Only the text from just before the first match is analysed for the fragment
            // (stemming and compound splitting a five-page reasoning per hit is what made
            // searches slow).
            let start = window_start(&text, first);
            let end = text.floor_char_boundary(first + 3 * SNIPPET_CHARS);
            let snippet = self.generator.snippet(&text[start..end]);
            if !snippet.highlighted().is_empty() {
                return Some(Snippet {
                    field: field.key(),
                    text: snippet.fragment().replace('\n', " "),
                    highlights: snippet
                        .highlighted()
                        .iter()
                        .map(|r| (r.start, r.end))
                        .collect(),
                });
            }
        }
        None
    }

    /// The byte offset of the first word of `text` that one of the terms marks. Every form
    /// the highlighter makes of a word (its stem, a compound part's stem) is a piece of the
    /// folded word, so only words whose folded form contains a term are analysed fully. A
    /// shortened compound ("Sport- und Freizeitausschuss" for sportausschuss) is a piece of
    /// the term instead: such a word next to its hyphen is analysed with the words around it.
    fn first_match(&mut self, text: &str) -> Option<usize> {
        let mut words = self.exact.token_stream(text);
        while let Some(word) = words.next() {
            let (from, to) = (word.offset_from, word.offset_to);
            let range = if self.terms.keys().any(|t| word.text.contains(t.as_str())) {
                from..to
            } else if (analyzer::hyphen_then_gap(&text[to..])
                || analyzer::gap_then_hyphen(&text[..from]))
                && self.terms.keys().any(|t| t.contains(stem_part(&word.text)))
            {
                window_start(text, from)..text.floor_char_boundary(to + SHORTENED_REACH)
            } else {
                continue;
            };
            let mut forms = self.forms.token_stream(&text[range]);
            while let Some(form) = forms.next() {
                if self.terms.contains_key(&form.text) {
                    return Some(word.offset_from);
                }
            }
        }
        None
    }
}

/// What of a folded word its stem surely keeps: all but its last four letters, at least
/// three ("gestaltung" → "gestal", in the stem "stadtgestalt").
fn stem_part(word: &str) -> &str {
    let keep = word.len().saturating_sub(4).max(3).min(word.len());
    &word[..word.floor_char_boundary(keep)]
}

/// Where a snippet's text begins: up to [`SNIPPET_LEAD`] bytes before `first`, at the start
/// of a word.
fn window_start(text: &str, first: usize) -> usize {
    let from = text.floor_char_boundary(first.saturating_sub(SNIPPET_LEAD));
    if from == 0 {
        return 0;
    }
    match text[from..first]
        .char_indices()
        .find(|(_, c)| c.is_whitespace())
    {
        Some((space, c)) => from + space + c.len_utf8(),
        None => first,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The snippet comes from around the first word that really matches, deep in a long
    /// text, past words that only contain the term's letters.
    #[test]
    fn snippet_around_the_first_real_match() {
        let filler = "Die Verwaltung berichtet über den Planeten und die Planung. ".repeat(40);
        let text = format!("{filler}Der Stellenplan für das Jahr wird angepasst. {filler}");
        let mut highlighter = Highlighter::new(&["plan".to_string()]);
        let snippet = highlighter
            .snippet(|field| match field {
                TextField::Reasoning => text.clone(),
                _ => String::new(),
            })
            .expect("a snippet");
        assert_eq!(snippet.field, TextField::Reasoning.key());
        let marked = snippet.marked("[", "]");
        assert!(marked.contains("[Stellenplan]"), "{marked}");
        assert!(!marked.contains("[Plan"), "{marked}");
        assert!(snippet.text.len() <= SNIPPET_CHARS + 20, "{marked}");
        // Words that only contain the letters give no snippet at all.
        let mut highlighter = Highlighter::new(&["plan".to_string()]);
        assert!(highlighter.snippet(|_| filler.clone()).is_none());
        // Non-ASCII text before the match: the window starts on a character boundary.
        let umlauts = format!(
            "{} Stellenplan",
            "Überörtliche Änderungsübersicht ".repeat(9)
        );
        let mut highlighter = Highlighter::new(&["plan".to_string()]);
        let snippet = highlighter.snippet(|_| umlauts.clone()).expect("a snippet");
        assert!(snippet.marked("[", "]").ends_with("[Stellenplan]"));
    }
}
