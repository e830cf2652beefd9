//! Validation of a record: structure (from the model's JSON Schema) and the rules of the
//! domain, all problems at once, each with its field path and position in the file.

use std::fmt;
use std::sync::LazyLock;

use jsonschema::error::{TypeKind, ValidationErrorKind};
use serde_json::Value;

use super::input::{Document, Position, SourceText};
use super::{Date, Paper, YEARS, charset, limits, richtext};

/// Why a record was refused. Every variant names the file; `Invalid` lists every field problem.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("{name}: cannot read: {source}")]
    Io {
        name: String,
        source: std::io::Error,
    },
    #[error(
        "{name}: unknown record format; use a .toml or .json file (or - for JSON on standard input)"
    )]
    UnknownFormat { name: String },
    #[error(
        "{name}: the file is {size} bytes; a record may have at most {} bytes",
        super::MAX_INPUT_BYTES
    )]
    TooLarge { name: String, size: u64 },
    #[error(
        "{name}: byte {offset} (0x{byte:02X}, {at}) is not valid UTF-8; save the file as UTF-8"
    )]
    NotUtf8 {
        name: String,
        offset: usize,
        byte: u8,
        at: Position,
    },
    #[error("{name}: {message} ({at})")]
    Syntax {
        name: String,
        at: Position,
        message: String,
    },
    #[error("{name}: {} problem{}:\n{}", errors.len(), if errors.len() == 1 { "" } else { "s" }, list(errors))]
    Invalid {
        name: String,
        errors: Vec<FieldError>,
    },
}

fn list(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| format!("  {e}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// One problem with one field: `beratungsfolge[2].datum: 2012-02-31 is not a date (line 14, column 9)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Field path in record keys, e.g. `beratungsfolge[2].datum`; empty for the whole record.
    pub path: String,
    pub message: String,
    pub at: Option<Position>,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = if self.path.is_empty() {
            "(record)"
        } else {
            &self.path
        };
        write!(f, "{path}: {}", self.message)?;
        if let Some(at) = self.at {
            write!(f, " ({at})")?;
        }
        Ok(())
    }
}

/// The record's JSON Schema, generated from the model (also served to API clients later).
pub fn schema() -> Value {
    serde_json::to_value(schemars::schema_for!(Paper)).expect("schema serializes")
}

static VALIDATOR: LazyLock<jsonschema::Validator> = LazyLock::new(|| {
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema())
        .expect("the model's schema is valid")
});

pub(super) fn paper_from_source(source: &SourceText) -> Result<Paper, InputError> {
    let doc = Document::parse(source)?;
    let mut errors = Vec::new();
    let mut add = |pointer: &str, message: String| {
        let at = locate(&doc, pointer).map(|offset| source.position(offset));
        errors.push((pointer_to_path(pointer), message, at));
    };
    for error in VALIDATOR.iter_errors(&doc.value) {
        let pointer = error.instance_path().as_str().to_string();
        match error.kind() {
            ValidationErrorKind::AdditionalProperties { unexpected } => {
                for name in unexpected {
                    add(
                        &format!("{pointer}/{name}"),
                        "unknown field (check the spelling)".into(),
                    );
                }
            }
            ValidationErrorKind::Required { property } => {
                let name = property.as_str().unwrap_or_default();
                add(
                    &format!("{pointer}/{name}"),
                    "is required but missing".into(),
                );
            }
            kind => add(&pointer, describe(kind, error.instance())),
        }
    }
    domain_rules(&doc.value, &mut add);
    text_rules(&doc.value, "", &mut add);
    if errors.is_empty() {
        return serde_json::from_value(doc.value).map_err(|e| InputError::Invalid {
            name: source.name.clone(),
            errors: vec![FieldError {
                path: String::new(),
                message: e.to_string(),
                at: None,
            }],
        });
    }
    errors.sort_by_key(|(_, _, at)| at.map(|p| (p.line, p.column)));
    let more = errors.len().saturating_sub(limits::PROBLEMS);
    errors.truncate(limits::PROBLEMS);
    let mut errors: Vec<FieldError> = errors
        .into_iter()
        .map(|(path, message, at)| FieldError { path, message, at })
        .collect();
    if more > 0 {
        errors.push(FieldError {
            path: String::new(),
            message: format!(
                "and {more} more problems (only the first {} are listed)",
                limits::PROBLEMS
            ),
            at: None,
        });
    }
    Err(InputError::Invalid {
        name: source.name.clone(),
        errors,
    })
}

/// The offset of the value at `pointer`, or of its nearest ancestor (a missing field points
/// at the table it is missing from).
fn locate(doc: &Document, pointer: &str) -> Option<usize> {
    let mut p = pointer;
    loop {
        if let Some(offset) = doc.offsets.get(p) {
            return Some(*offset);
        }
        p = &p[..p.rfind('/')?];
    }
}

/// `/beratungsfolge/2/datum` → `beratungsfolge[2].datum`.
fn pointer_to_path(pointer: &str) -> String {
    let mut path = String::new();
    for segment in pointer.split('/').skip(1) {
        let segment = segment.replace("~1", "/").replace("~0", "~");
        if segment.parse::<usize>().is_ok() {
            path.push_str(&format!("[{segment}]"));
        } else {
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(&segment);
        }
    }
    path
}

fn describe(kind: &ValidationErrorKind, value: &Value) -> String {
    match kind {
        ValidationErrorKind::Type { kind } => {
            let expected = match kind {
                TypeKind::Single(t) => t.to_string(),
                TypeKind::Multiple(ts) => ts
                    .iter()
                    .map(|t| t.to_string())
                    .collect::<Vec<_>>()
                    .join(" or "),
            };
            format!(
                "expected {}, found {}",
                article(&expected),
                describe_value(value)
            )
        }
        ValidationErrorKind::Format { format } if format == "date" => {
            format!("{} is not a date (write YYYY-MM-DD)", plain(value))
        }
        ValidationErrorKind::Enum { options } => {
            let allowed: Vec<String> = options
                .as_array()
                .into_iter()
                .flatten()
                .map(plain)
                .collect();
            format!("{} is not one of: {}", plain(value), allowed.join(", "))
        }
        ValidationErrorKind::Minimum { limit } => {
            format!("{} is below the minimum {limit}", plain(value))
        }
        ValidationErrorKind::Maximum { limit } => {
            format!("{} is above the maximum {limit}", plain(value))
        }
        ValidationErrorKind::MaxLength { limit } => format!(
            "is {} characters long; at most {limit} are allowed",
            value.as_str().map_or(0, |s| s.chars().count())
        ),
        ValidationErrorKind::MaxItems { limit } => format!(
            "has {} entries; at most {limit} are allowed",
            value.as_array().map_or(0, Vec::len)
        ),
        _ => kind_fallback(value, kind),
    }
}

fn kind_fallback(value: &Value, kind: &ValidationErrorKind) -> String {
    format!("{} is not allowed here ({})", plain(value), kind.keyword())
}

fn article(t: &str) -> String {
    match t {
        "array" => "a list".into(),
        "object" => "a table".into(),
        "integer" => "a whole number".into(),
        other => format!("a {other}"),
    }
}

fn describe_value(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => format!("the text \"{}\"", shorten(s)),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "a table".into(),
    }
}

/// A value as a message shows it: at most 60 characters of it.
fn plain(value: &Value) -> String {
    match value {
        Value::String(s) => shorten(s),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "a table".into(),
        other => shorten(&other.to_string()),
    }
}

fn shorten(text: &str) -> String {
    match text.char_indices().nth(60) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

/// The rules every text of the record follows, wherever it is: only printable characters
/// ([`charset`]), Markdown nested at most [`limits::NESTING`] deep in the Markdown fields,
/// dates in the [`YEARS`].
fn text_rules(value: &Value, pointer: &str, add: &mut impl FnMut(&str, String)) {
    match value {
        Value::String(text) => {
            if let Some(bad) = charset::first_unprintable(text) {
                add(pointer, bad.to_string());
            }
            if is_markdown(pointer) {
                let depth = richtext::nesting(text);
                if depth > limits::NESTING {
                    add(
                        pointer,
                        format!(
                            "Markdown nested {depth} levels deep (quotes, lists, emphasis and links inside one another); at most {} are allowed",
                            limits::NESTING
                        ),
                    );
                }
            }
            if is_date(pointer)
                && let Some(date) = Date::parse_any_year(text)
                && !YEARS.contains(&date.year())
            {
                add(
                    pointer,
                    format!(
                        "{text}: the year must be between {} and {}",
                        YEARS.start(),
                        YEARS.end()
                    ),
                );
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                text_rules(item, &format!("{pointer}/{i}"), add);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                let key = key.replace('~', "~0").replace('/', "~1");
                text_rules(item, &format!("{pointer}/{key}"), add);
            }
        }
        _ => {}
    }
}

/// The fields that hold Markdown.
fn is_markdown(pointer: &str) -> bool {
    matches!(
        pointer,
        "/kurzfassung" | "/begruendung" | "/finanzielle_auswirkungen/text"
    ) || pointer
        .strip_prefix("/beschlussvorschlag/")
        .is_some_and(|i| i.parse::<usize>().is_ok())
}

/// The fields that hold dates.
fn is_date(pointer: &str) -> bool {
    matches!(pointer, "/datum" | "/verfuegung/gesperrt_bis")
        || pointer
            .strip_prefix("/beratungsfolge/")
            .and_then(|rest| rest.strip_suffix("/datum"))
            .is_some_and(|i| i.parse::<usize>().is_ok())
}

/// The rules of the domain that a schema cannot say. They read the raw tree, so they run even
/// when the structure has problems, and skip what is not there or not of the right type.
fn domain_rules(record: &Value, add: &mut impl FnMut(&str, String)) {
    let str_at = |pointer: &str| record.pointer(pointer).and_then(Value::as_str);
    let list_at = |pointer: &str| record.pointer(pointer).and_then(Value::as_array);

    // Text that is printed as a name or title must say something.
    let mut blank = vec![
        "/betreff".to_string(),
        "/amt/nummer".into(),
        "/amt/name".into(),
    ];
    blank.extend(["/drucksachennummer", "/bezug", "/beschlussfassung"].map(String::from));
    for (list, fields) in [
        ("beteiligt", &["nummer", "name"][..]),
        ("beratungsfolge", &["gremium"]),
        ("unterschriften", &["name", "funktion"]),
        ("anlagen", &["titel"]),
        ("beschlussvorschlag", &[""]),
    ] {
        for i in 0..list_at(&format!("/{list}")).map_or(0, Vec::len) {
            for field in fields {
                blank.push(if field.is_empty() {
                    format!("/{list}/{i}")
                } else {
                    format!("/{list}/{i}/{field}")
                });
            }
        }
    }
    for pointer in &blank {
        if str_at(pointer).is_some_and(|s| s.trim().is_empty()) {
            add(pointer, "must not be empty".into());
        }
    }

    let kind = str_at("/art");
    let resolution_items = list_at("/beschlussvorschlag").map_or(0, Vec::len);
    match kind {
        Some("beschlussvorlage") => {
            if resolution_items == 0 {
                add("/beschlussvorschlag", "a Beschlussvorlage needs at least one resolution item".into());
            }
            if record.get("beschlussfassung").is_none() {
                add("/beschlussfassung", "a Beschlussvorlage needs the deciding body".into());
            }
        }
        Some("mitteilungsvorlage") if resolution_items > 0 => add(
            "/beschlussvorschlag",
            "a Mitteilungsvorlage is for information only and has no resolution; use art = \"beschlussvorlage\"".into(),
        ),
        _ => {}
    }
    match (kind, record.get("bezug")) {
        (Some("ergaenzungsvorlage"), None) => add(
            "/bezug",
            "an Ergänzungsvorlage must name the Drucksachennummer it supplements".into(),
        ),
        (Some(k), Some(_)) if k != "ergaenzungsvorlage" => add(
            "/bezug",
            "only an Ergänzungsvorlage refers to an earlier paper".into(),
        ),
        _ => {}
    }

    let consultations = list_at("/beratungsfolge").cloned().unwrap_or_default();
    if let Some(body) = str_at("/beschlussfassung")
        && !consultations.is_empty()
        && !consultations
            .iter()
            .any(|c| c.get("gremium").and_then(Value::as_str) == Some(body))
    {
        add(
            "/beschlussfassung",
            format!("\"{body}\" does not appear in the beratungsfolge"),
        );
    }
    let dates: Vec<Option<Date>> = consultations
        .iter()
        .map(|c| {
            c.get("datum")
                .and_then(Value::as_str)
                .and_then(Date::parse_iso)
        })
        .collect();
    for i in 1..dates.len() {
        if let (Some(prev), Some(this)) = (dates[i - 1], dates[i])
            && this < prev
        {
            add(
                &format!("/beratungsfolge/{i}/datum"),
                format!(
                    "{this} is earlier than the step before it ({prev}); list the sessions in order"
                ),
            );
        }
    }

    if let Some(none) = record
        .pointer("/finanzielle_auswirkungen/keine")
        .and_then(Value::as_bool)
    {
        let text = str_at("/finanzielle_auswirkungen/text").map(str::trim);
        match (none, text) {
            (false, None | Some("")) => add(
                "/finanzielle_auswirkungen/text",
                "describe the financial effects, or set keine = true".into(),
            ),
            (true, Some(t)) if !t.is_empty() => add(
                "/finanzielle_auswirkungen/text",
                "keine = true says there are no effects; remove the text or set keine = false"
                    .into(),
            ),
            _ => {}
        }
    }
    if list_at("/unterschriften").is_some_and(Vec::is_empty) {
        add(
            "/unterschriften",
            "at least one signatory is required".into(),
        );
    }
    if record.pointer("/verfuegung/veroeffentlichung") != Some(&Value::Bool(false))
        && record.pointer("/verfuegung/gesperrt_bis").is_some()
    {
        add(
            "/verfuegung/gesperrt_bis",
            "a blocking date needs veroeffentlichung = false".into(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Format;

    const VALID: &str = r#"
oeffentlich = true
art = "beschlussvorlage"
datum = 2012-04-25
betreff = "Integrationskonzept"
begruendung = "Text"
beschlussfassung = "Rat"
beschlussvorschlag = ["Beschluss."]
amt = { nummer = "55", name = "Fachbereich Jugend und Soziales" }
finanzielle_auswirkungen = { keine = true }
unterschriften = [{ name = "Jörg Dehm", funktion = "Oberbürgermeister" }]

[[beratungsfolge]]
datum = 2012-05-08
gremium = "Integrationsrat"

[[beratungsfolge]]
datum = 2012-06-28
gremium = "Rat"
"#;

    fn check(text: &str) -> Result<Paper, Vec<String>> {
        let src = SourceText {
            name: "t.toml".into(),
            format: Format::Toml,
            text: text.into(),
        };
        Paper::from_source(&src).map_err(|e| match e {
            InputError::Invalid { errors, .. } => errors.iter().map(ToString::to_string).collect(),
            other => vec![other.to_string()],
        })
    }

    #[test]
    fn valid_record_passes() {
        let paper = check(VALID).unwrap();
        assert_eq!(paper.consultations[1].body, "Rat");
        assert!(paper.routing.publish);
    }

    #[test]
    fn all_problems_are_reported_at_once_with_positions() {
        let text = VALID
            .replace("datum = 2012-06-28", "datum = \"2012-02-31\"")
            .replace(
                "betreff = \"Integrationskonzept\"",
                "betreff = \"  \"\nbetref = \"x\"",
            )
            .replace("oeffentlich = true", "oeffentlich = \"ja\"")
            .replace(
                "unterschriften = [{ name = \"Jörg Dehm\", ",
                "unterschriften = [{ ",
            );
        let errors = check(&text).unwrap_err();
        let expect = [
            "oeffentlich: expected a boolean, found the text \"ja\" (line 2, column 15)",
            "betreff: must not be empty (line 5, column 11)",
            "betref: unknown field (check the spelling) (line 6, column 10)",
            "unterschriften[0].name: is required but missing (line 12, column 19)",
            "beratungsfolge[1].datum: 2012-02-31 is not a date (write YYYY-MM-DD) (line 19, column 9)",
        ];
        assert_eq!(errors, expect);
    }

    #[test]
    fn kind_rules() {
        let m = VALID.replace("\"beschlussvorlage\"", "\"mitteilungsvorlage\"");
        assert!(check(&m).unwrap_err()[0].starts_with("beschlussvorschlag: a Mitteilungsvorlage"));
        let e = VALID.replace("\"beschlussvorlage\"", "\"ergaenzungsvorlage\"");
        assert!(check(&e).unwrap_err()[0].starts_with("bezug: an Ergänzungsvorlage must name"));
        let b = VALID.replace("begruendung", "bezug = \"0310/2012\"\nbegruendung");
        assert!(check(&b).unwrap_err()[0].starts_with("bezug: only an Ergänzungsvorlage"));
        let art = VALID.replace("\"beschlussvorlage\"", "\"vorlage\"");
        let errors = check(&art).unwrap_err();
        assert!(
            errors[0].starts_with("art: vorlage is not one of: beschlussvorlage"),
            "{errors:?}"
        );
    }

    #[test]
    fn consultation_rules() {
        let order = VALID.replace("2012-05-08", "2012-07-01");
        assert_eq!(
            check(&order).unwrap_err(),
            [
                "beratungsfolge[1].datum: 2012-06-28 is earlier than the step before it (2012-07-01); list the sessions in order (line 18, column 9)"
            ]
        );
        let body = VALID.replace(
            "beschlussfassung = \"Rat\"",
            "beschlussfassung = \"Kreistag\"",
        );
        assert!(
            check(&body).unwrap_err()[0]
                .contains("\"Kreistag\" does not appear in the beratungsfolge")
        );
    }

    #[test]
    fn financial_and_routing_rules() {
        let f = VALID.replace("{ keine = true }", "{ keine = false }");
        assert!(check(&f).unwrap_err()[0].starts_with("finanzielle_auswirkungen.text: describe"));
        let r = format!("{VALID}\n[verfuegung]\ngesperrt_bis = 2013-01-01\n");
        assert!(check(&r).unwrap_err()[0].starts_with("verfuegung.gesperrt_bis: a blocking date"));
    }

    #[test]
    fn wrong_type_in_a_list() {
        let t = VALID.replace(
            "beschlussvorschlag = [\"Beschluss.\"]",
            "beschlussvorschlag = [\"a\", 3]",
        );
        assert_eq!(
            check(&t).unwrap_err(),
            ["beschlussvorschlag[1]: expected a string, found the number 3 (line 8, column 28)"]
        );
    }

    #[test]
    fn pointer_paths() {
        assert_eq!(
            pointer_to_path("/beratungsfolge/2/datum"),
            "beratungsfolge[2].datum"
        );
        assert_eq!(pointer_to_path("/a~1b"), "a/b");
        assert_eq!(pointer_to_path(""), "");
    }
}
