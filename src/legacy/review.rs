//! Writing a draft as a TOML record for review: the fields in the record's order, each
//! uncertain one under a comment saying why and which lines of the original it came from.

use std::fmt::Write as _;

use serde_json::Value;

use super::Draft;
use crate::model::Date;

/// The review file of a draft.
pub fn toml(draft: &Draft, original: &str, original_sha512: &str) -> String {
    let mut out = String::new();
    let doubts = draft.doubts().count();
    writeln!(
        out,
        "# Entwurf aus „{}“ (drucksache import).",
        one_line(original)
    )
    .unwrap();
    writeln!(out, "# Original: SHA-512 {original_sha512}").unwrap();
    writeln!(
        out,
        "# {doubts} Feld(er) unsicher, mit „# UNSICHER:“ markiert; Zeilenangaben beziehen sich auf den Text des Originals."
    )
    .unwrap();
    writeln!(
        out,
        "# Bitte prüfen und korrigieren, dann übernehmen mit: drucksache import --accept <dieser Ordner>"
    )
    .unwrap();
    for field in draft.fields() {
        out.push('\n');
        if let Some(why) = &field.doubt {
            writeln!(out, "# UNSICHER: {}", one_line(why)).unwrap();
        }
        match field.lines {
            None if draft.is_given(field.key) => {
                writeln!(out, "# aus den OParl-Daten des anderen Systems").unwrap()
            }
            Some((a, b)) if a == b => writeln!(out, "# aus Zeile {a}").unwrap(),
            Some((a, b)) => writeln!(out, "# aus Zeile {a}–{b}").unwrap(),
            None => writeln!(out, "# nicht im Text gefunden: bitte eintragen").unwrap(),
        }
        writeln!(
            out,
            "{} = {}",
            field.key,
            value(field.key, &field.value, true)
        )
        .unwrap();
    }
    out
}

/// A comment stays on one line.
fn one_line(text: &str) -> String {
    text.replace(['\n', '\r'], " ")
}

/// A TOML value: dates of `datum` and `gesperrt_bis` as TOML dates, text with line breaks as
/// a multi-line string, arrays one element per line at the top level, tables inline.
fn value(key: &str, value: &Value, top: bool) -> String {
    match value {
        Value::Null => "\"\"".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s)
            if matches!(key, "datum" | "gesperrt_bis") && Date::parse_iso(s).is_some() =>
        {
            s.clone()
        }
        Value::String(s) if s.contains('\n') && top => multi_line(s),
        Value::String(s) => basic(s),
        Value::Array(items) if items.is_empty() => "[]".into(),
        Value::Array(items) if top => {
            let mut out = String::from("[\n");
            for item in items {
                writeln!(out, "  {},", self::value(key, item, false)).unwrap();
            }
            out.push(']');
            out
        }
        Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(|v| self::value(key, v, false)).collect();
            format!("[{}]", inner.join(", "))
        }
        Value::Object(map) => {
            let inner: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{k} = {}", self::value(k, v, false)))
                .collect();
            format!("{{ {} }}", inner.join(", "))
        }
    }
}

/// A TOML basic string.
fn basic(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        escape(c, &mut out);
    }
    out.push('"');
    out
}

/// A TOML multi-line basic string (the line break after the opening quotes is not part of
/// the value).
fn multi_line(s: &str) -> String {
    let mut out = String::from("\"\"\"\n");
    for c in s.chars() {
        match c {
            '\n' => out.push('\n'),
            c => escape(c, &mut out),
        }
    }
    out.push_str("\"\"\"");
    out
}

fn escape(c: char, out: &mut String) {
    match c {
        '"' => out.push_str("\\\""),
        '\\' => out.push_str("\\\\"),
        '\t' => out.push_str("\\t"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        c if c.is_control() => write!(out, "\\u{:04X}", c as u32).unwrap(),
        c => out.push(c),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn values_are_valid_toml_that_reads_back() {
        let text = format!(
            "a = {}\nb = {}\ndatum = {}\nc = {}\n",
            value("a", &json!("Zeile 1\nmit \"\"\" und \\ und \u{7}"), true),
            value(
                "b",
                &json!([{ "datum": "2012-05-08", "gremium": "Rat \"X\"" }]),
                true
            ),
            value("datum", &json!("2012-04-25"), true),
            value("c", &json!({ "keine": false, "text": "a\nb" }), true),
        );
        let table: toml::Table = toml::from_str(&text).unwrap();
        assert_eq!(
            table["a"].as_str(),
            Some("Zeile 1\nmit \"\"\" und \\ und \u{7}")
        );
        assert_eq!(table["b"][0]["gremium"].as_str(), Some("Rat \"X\""));
        assert_eq!(table["b"][0]["datum"].to_string(), "2012-05-08");
        assert_eq!(table["datum"].to_string(), "2012-04-25");
        assert_eq!(table["c"]["text"].as_str(), Some("a\nb"));
    }
}
