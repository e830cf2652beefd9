//! Legacy papers (Altbestand): the text of a Vorlage that exists only as a text dump or a PDF
//! of an older system, split into a record field by field. Every field carries the lines it
//! came from and, when the splitter is not sure, why; a draft with any doubt goes to a clerk
//! for review (as TOML with the doubts as comments), one without becomes a paper.
//!
//! - `text.rs`: cleaning the text (Unicode, ligatures, page furniture, table cells);
//! - `split.rs`: cutting it into sections at the printed labels;
//! - `fields.rs`: reading each section into its field (`closing.rs`: the financial box, the
//!   signatures, the Verfügung; `markdown.rs`: items, paragraphs, headings and lists);
//! - `review.rs`: the draft as a TOML record for review.
//!
//! This layer uses only `model`: it reads text and writes records, nothing else.

mod closing;
mod fields;
mod markdown;
mod review;
mod split;
mod text;

use serde_json::{Map, Value};

use crate::model::{
    Format, InputError, LegacyPaper, LegacyPaperError, Paper, SourceText, clean_text,
};
pub use split::split;
pub use text::readable;

/// One field of a draft record.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// The record key (`betreff`, `beratungsfolge`, …).
    pub key: &'static str,
    /// The value as the record has it (a placeholder when the field was not found).
    pub value: Value,
    /// The first and last line of the text it came from (from 1); `None` when not found.
    pub lines: Option<(usize, usize)>,
    /// Why the splitter is not sure, in German for the clerk; `None` when it is.
    pub doubt: Option<String>,
}

/// A record split from the text of a legacy paper, in the record's order.
#[derive(Debug, Default, Clone)]
pub struct Draft {
    fields: Vec<Field>,
    /// The keys whose values another system gave (OParl metadata) rather than the text.
    given: Vec<&'static str>,
}

impl Draft {
    /// Adds a field; a field without a value (absent and optional) is left out.
    fn push(&mut self, field: Field) {
        if !field.value.is_null() {
            self.fields.push(field);
        }
    }

    /// The draft a clerk reviewed (a record's JSON tree, valid or not): the fields a legacy
    /// paper takes ([`Draft::legacy_paper`]), as the clerk left them, without doubt.
    pub fn reviewed(record: &Value) -> Draft {
        let mut draft = Draft::default();
        // A value left blank (`amt = { nummer = "", name = "" }`) is not known.
        fn blank(value: &Value) -> bool {
            match value {
                Value::String(s) => s.trim().is_empty(),
                Value::Object(map) => map.values().all(blank),
                _ => false,
            }
        }
        for key in LEGACY_KEYS {
            if let Some(value) = record.get(key).filter(|v| !blank(v)) {
                draft.push(Field {
                    key,
                    value: value.clone(),
                    lines: None,
                    doubt: None,
                });
            }
        }
        draft
    }

    /// Sets a field to a value another system gave (a harvest's OParl metadata): certain, in
    /// place of what the text said. Where the text had another value the field is in doubt,
    /// saying both (one of the two is wrong, and a clerk should know which).
    pub fn set_given(&mut self, key: &'static str, value: Value) {
        let doubt = match self.field(key) {
            Some(f) if f.doubt.is_none() && f.lines.is_some() && f.value != value => Some(format!(
                "das andere System sagt {}, der Text {}",
                short(&value),
                short(&f.value)
            )),
            _ => None,
        };
        let field = Field {
            key,
            value,
            lines: None,
            doubt,
        };
        match self.fields.iter_mut().find(|f| f.key == key) {
            Some(old) => *old = field,
            None => self.fields.push(field),
        }
        if !self.given.contains(&key) {
            self.given.push(key);
        }
    }

    /// True when the field's value came from another system (see [`Draft::set_given`]).
    pub fn is_given(&self, key: &str) -> bool {
        self.given.contains(&key)
    }

    pub fn fields(&self) -> &[Field] {
        &self.fields
    }

    /// The value of a field, if the draft has it.
    pub fn value(&self, key: &str) -> Option<&Value> {
        self.field(key).map(|f| &f.value)
    }

    pub fn field(&self, key: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.key == key)
    }

    /// The fields the splitter is not sure of (missing ones included).
    pub fn doubts(&self) -> impl Iterator<Item = &Field> {
        self.fields.iter().filter(|f| f.doubt.is_some())
    }

    /// True when no field is in doubt: the draft may become a paper without review.
    pub fn is_certain(&self) -> bool {
        self.doubts().next().is_none()
    }

    /// Adds a doubt to the field a validation problem's path names (`beratungsfolge[2].datum`
    /// → `beratungsfolge`); a path naming no field of the draft is left to the caller's report.
    pub fn add_doubt(&mut self, path: &str, why: &str) {
        let key = path.split(['.', '[']).next().unwrap_or_default();
        if let Some(field) = self.fields.iter_mut().find(|f| f.key == key) {
            let why = format!("{path}: {why}");
            field.doubt = Some(match field.doubt.take() {
                Some(before) => format!("{before}; {why}"),
                None => why,
            });
        }
    }

    /// The draft as a JSON record.
    pub fn record(&self) -> Value {
        let mut map = Map::new();
        for field in &self.fields {
            map.insert(field.key.to_string(), field.value.clone());
        }
        Value::Object(map)
    }

    /// The legacy paper ("nicht strukturiert") to archive while the draft waits for review:
    /// only the fields read without doubt or given by the other system (whose metadata is
    /// what it published, even where the text says otherwise), and `text`, the original's
    /// text. A required one (Drucksachennummer, Datum, Betreff) in doubt or unreadable
    /// refuses it; an optional one is left out (Öffentlichkeit in doubt: not public).
    pub fn legacy_paper(&self, text: &str) -> Result<LegacyPaper, LegacyPaperError> {
        fn certain<T: serde::de::DeserializeOwned>(draft: &Draft, key: &str) -> Option<T> {
            let field = draft
                .field(key)
                .filter(|f| f.doubt.is_none() || draft.is_given(f.key))?;
            serde_json::from_value(field.value.clone()).ok()
        }
        let required = |key: &'static str| LegacyPaperError {
            field: key,
            why: match self.field(key).and_then(|f| f.doubt.clone()) {
                Some(doubt) => format!("not certain ({doubt})"),
                None => "not found".into(),
            },
        };
        let legacy = LegacyPaper {
            public: certain(self, "oeffentlich").unwrap_or(false),
            kind: certain(self, "art"),
            reference: certain(self, "drucksachennummer")
                .ok_or_else(|| required("drucksachennummer"))?,
            date: certain(self, "datum").ok_or_else(|| required("datum"))?,
            department: certain(self, "amt"),
            subject: certain(self, "betreff").ok_or_else(|| required("betreff"))?,
            consultations: certain(self, "beratungsfolge").unwrap_or_default(),
            text: clean_text(&text::readable(text)),
        };
        legacy.check()?;
        Ok(legacy)
    }

    /// The draft validated as a paper, through the same validation as every record
    /// (`name` names it in errors).
    pub fn paper(&self, name: &str) -> Result<Paper, InputError> {
        let json = serde_json::to_vec(&self.record()).expect("a JSON value serializes");
        Paper::from_source(&SourceText::from_bytes(
            name.to_string(),
            Format::Json,
            json,
        )?)
    }

    /// The draft as a TOML record for review, each doubt a comment above its field;
    /// `original` names the file it was split from.
    pub fn review_toml(&self, original: &str, original_sha512: &str) -> String {
        review::toml(self, original, original_sha512)
    }
}

/// The record keys a legacy paper not structured yet takes ([`LegacyPaper`]).
const LEGACY_KEYS: [&str; 7] = [
    "oeffentlich",
    "art",
    "drucksachennummer",
    "datum",
    "amt",
    "betreff",
    "beratungsfolge",
];

/// A value on one line, for a doubt (`"0310/2012"`, `[…]` for long ones).
fn short(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 80 {
        format!("{}…", text.chars().take(80).collect::<String>())
    } else {
        text
    }
}
