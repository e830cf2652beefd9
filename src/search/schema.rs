//! The index schema: which fields a paper has in the index, how each is analyzed, and the
//! schema version that makes an outdated index be rebuilt instead of misread.

use tantivy::schema::{
    FAST, FacetOptions, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema,
    TextFieldIndexing, TextOptions,
};

use super::analyzer::names;
use crate::model::Date;

/// Bump on any change to the schema or the analyzers: an index with another version is
/// deleted and rebuilt from the archive.
pub const SCHEMA_VERSION: u32 = 3;

/// A text part of the paper, searched at three levels (exact, stem, compound parts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextField {
    Subject,
    Summary,
    Resolution,
    Reasoning,
    Department,
    Involved,
    Bodies,
    Signatories,
    Kind,
    Text,
}

impl TextField {
    pub const ALL: [TextField; 10] = [
        TextField::Subject,
        TextField::Summary,
        TextField::Resolution,
        TextField::Reasoning,
        TextField::Department,
        TextField::Involved,
        TextField::Bodies,
        TextField::Signatories,
        TextField::Kind,
        TextField::Text,
    ];

    /// The record key (German, as users know it); also the snippet's field name.
    pub fn key(self) -> &'static str {
        match self {
            TextField::Subject => "betreff",
            TextField::Summary => "kurzfassung",
            TextField::Resolution => "beschlussvorschlag",
            TextField::Reasoning => "begruendung",
            TextField::Department => "amt",
            TextField::Involved => "beteiligt",
            TextField::Bodies => "beratungsfolge",
            TextField::Signatories => "unterschriften",
            TextField::Kind => "art",
            TextField::Text => "volltext",
        }
    }

    /// How much a match in this field counts.
    pub fn boost(self) -> f32 {
        match self {
            TextField::Subject => 4.0,
            TextField::Summary => 1.5,
            TextField::Resolution => 1.2,
            TextField::Department | TextField::Bodies => 1.0,
            TextField::Reasoning => 1.0,
            TextField::Involved | TextField::Signatories | TextField::Kind => 0.8,
            TextField::Text => 0.7,
        }
    }
}

/// Matching levels, best first; each has its own field and weight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Exact,
    Stem,
    Parts,
}

impl Level {
    pub const ALL: [Level; 3] = [Level::Exact, Level::Stem, Level::Parts];

    pub fn boost(self) -> f32 {
        match self {
            Level::Exact => 3.0,
            Level::Stem => 2.0,
            Level::Parts => 1.0,
        }
    }
}

/// Field handles of the schema.
#[derive(Debug, Clone)]
pub struct Fields {
    /// Normalised Drucksachennummer (see [`normalize_reference`]): exact look-up, unique key.
    pub number: Field,
    /// The Drucksachennummer as written.
    pub reference: Field,
    /// Stored plain text of each text field, for hits and snippets.
    stored: Vec<Field>,
    /// Indexed fields: `indexed[text field][level]`.
    indexed: Vec<[Field; 3]>,
    /// Amtsnummer (exact).
    pub department_number: Field,
    /// Vorlagenart key (`beschlussvorlage`).
    pub kind: Field,
    /// Datum as yyyymmdd.
    pub date: Field,
    pub year: Field,
    /// 1 for a withdrawn paper.
    pub withdrawn: Field,
    /// [`super::IndexDoc::fingerprint`]: which version of the record the index holds.
    pub fingerprint: Field,
    pub facet_year: Field,
    pub facet_department: Field,
    pub facet_body: Field,
    pub facet_kind: Field,
}

impl Fields {
    pub fn stored(&self, field: TextField) -> Field {
        self.stored[field as usize]
    }

    pub fn indexed(&self, field: TextField, level: Level) -> Field {
        self.indexed[field as usize][level as usize]
    }
}

/// Builds the schema and its field handles.
pub fn build() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = |tokenizer: &str, record: IndexRecordOption| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(tokenizer)
                .set_index_option(record),
        )
    };
    let number = b.add_text_field("nummer", STRING);
    let reference = b.add_text_field("drucksachennummer", STORED);
    let mut stored = Vec::new();
    let mut indexed = Vec::new();
    for field in TextField::ALL {
        let key = field.key();
        stored.push(b.add_text_field(key, STORED));
        indexed.push([
            b.add_text_field(
                &format!("{key}_exact"),
                text(names::EXACT, IndexRecordOption::WithFreqsAndPositions),
            ),
            b.add_text_field(
                &format!("{key}_stem"),
                text(names::STEM, IndexRecordOption::WithFreqs),
            ),
            b.add_text_field(
                &format!("{key}_parts"),
                text(names::PARTS, IndexRecordOption::WithFreqs),
            ),
        ]);
    }
    let fields = Fields {
        number,
        reference,
        stored,
        indexed,
        department_number: b.add_text_field("amtsnummer", STRING | STORED),
        kind: b.add_text_field("art_key", STRING | STORED),
        date: b.add_u64_field("datum", INDEXED | FAST | STORED),
        year: b.add_u64_field("jahr", INDEXED | FAST),
        withdrawn: b.add_u64_field("zurueckgezogen", STORED),
        fingerprint: b.add_text_field("fingerabdruck", STORED),
        facet_year: b.add_facet_field("facette_jahr", FacetOptions::default()),
        facet_department: b.add_facet_field("facette_amt", FacetOptions::default()),
        facet_body: b.add_facet_field("facette_gremium", FacetOptions::default()),
        facet_kind: b.add_facet_field("facette_art", FacetOptions::default()),
    };
    (b.build(), fields)
}

/// A date as the number the `datum` field holds: `YYYYMMDD`.
pub fn date_number(date: Date) -> u64 {
    date.year() as u64 * 10000 + u64::from(date.month()) * 100 + u64::from(date.day())
}

/// The Drucksachennummer as looked up: lower-case, without spaces, and without leading zeros
/// in each number ("0310/2012" and "310/2012" → "310/2012"; "VO/0468/2016" → "vo/468/2016").
pub fn normalize_reference(reference: &str) -> String {
    let mut out = String::with_capacity(reference.len());
    let mut in_number = false;
    let mut pending_zeros = 0;
    for c in reference.chars().filter(|c| !c.is_whitespace()) {
        if c.is_ascii_digit() {
            if !in_number && c == '0' {
                pending_zeros += 1;
                continue;
            }
            in_number = true;
            out.push(c);
        } else {
            if pending_zeros > 0 && !in_number {
                out.push('0');
            }
            pending_zeros = 0;
            in_number = false;
            out.extend(c.to_lowercase());
        }
    }
    if pending_zeros > 0 && !in_number {
        out.push('0');
    }
    out
}

/// Whether a word the user typed looks like a Drucksachennummer (digits with / or -).
pub fn looks_like_reference(word: &str) -> bool {
    word.chars().any(|c| c.is_ascii_digit()) && word.contains(['/', '-'])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_lose_leading_zeros() {
        assert_eq!(normalize_reference("0310/2012"), "310/2012");
        assert_eq!(normalize_reference("310/2012"), "310/2012");
        assert_eq!(normalize_reference("0310/2012-1"), "310/2012-1");
        assert_eq!(normalize_reference("VO/0468/2016"), "vo/468/2016");
        assert_eq!(normalize_reference("2015/0288-1"), "2015/288-1");
        assert_eq!(normalize_reference("0000/2012"), "0/2012");
        assert_eq!(normalize_reference("1536/V"), "1536/v");
    }
}
