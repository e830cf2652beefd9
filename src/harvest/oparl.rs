//! Reading OParl 1.0/1.1 answers the way real vendor systems write them: raw control
//! characters in strings, an object where an array belongs, a missing `type`, a list that is a
//! bare array, date-times with odd offsets, files embedded or given as addresses.

use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

/// Why an OParl answer cannot be read.
#[derive(Debug, Clone, thiserror::Error)]
pub enum OparlError {
    #[error("{url}: byte {offset} is not UTF-8")]
    NotUtf8 { url: String, offset: usize },
    #[error("{url}: not JSON ({why})")]
    NotJson { url: String, why: String },
    #[error("{url}: {why}")]
    Shape { url: String, why: String },
}

/// Parses an answer as JSON, escaping the raw control characters some systems put into
/// strings (JSON forbids them; they would make the whole page unreadable).
pub fn parse(url: &str, body: &[u8]) -> Result<Value, OparlError> {
    let text = std::str::from_utf8(body).map_err(|e| OparlError::NotUtf8 {
        url: url.into(),
        offset: e.valid_up_to(),
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    serde_json::from_str(&escape_controls(text)).map_err(|e| OparlError::NotJson {
        url: url.into(),
        why: e.to_string(),
    })
}

/// `text` with every control character inside a JSON string written as `\u00XX`.
fn escape_controls(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(|c| c.is_control()) {
        return text.into();
    }
    let mut out = String::with_capacity(text.len() + 16);
    let (mut in_string, mut escaped) = (false, false);
    for c in text.chars() {
        if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            } else if (c as u32) < 0x20 {
                out.push_str(&format!("\\u{:04x}", c as u32));
                continue;
            }
        } else if c == '"' {
            in_string = true;
        }
        out.push(c);
    }
    out.into()
}

/// One page of an OParl list.
#[derive(Debug)]
pub struct Page {
    pub items: Vec<Value>,
    /// `links.next`, when there is a next page.
    pub next: Option<String>,
}

/// Reads a list page: `{"data": [...], "links": {"next": …}}`, also with `data` an object
/// (one item), and a bare array (no further pages).
pub fn page(url: &str, value: Value) -> Result<Page, OparlError> {
    match value {
        Value::Array(items) => Ok(Page { items, next: None }),
        Value::Object(mut map) => {
            let next = map
                .get("links")
                .and_then(|l| l.get("next"))
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string);
            let items = match map.remove("data") {
                Some(Value::Array(items)) => items,
                Some(Value::Null) | None => Vec::new(),
                Some(one @ Value::Object(_)) => vec![one],
                Some(other) => {
                    return Err(OparlError::Shape {
                        url: url.into(),
                        why: format!("data is {}, not a list", kind(&other)),
                    });
                }
            };
            Ok(Page { items, next })
        }
        other => Err(OparlError::Shape {
            url: url.into(),
            why: format!("a list page is {}, not an object", kind(&other)),
        }),
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The values of a field that should be an array: an array's items, a single value as one,
/// nothing for null or absent.
pub fn many<'a>(object: &'a Value, key: &str) -> Vec<&'a Value> {
    match object.get(key) {
        Some(Value::Array(items)) => items.iter().filter(|v| !v.is_null()).collect(),
        Some(Value::Null) | None => Vec::new(),
        Some(one) => vec![one],
    }
}

/// A non-empty string field, trimmed.
pub fn text(object: &Value, key: &str) -> Option<String> {
    object
        .get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// An object's type name (`Paper` from `https://schema.oparl.org/1.1/Paper`), if given.
pub fn type_name(object: &Value) -> Option<&str> {
    object
        .get("type")
        .and_then(Value::as_str)
        .map(|t| t.trim_end_matches('/').rsplit('/').next().unwrap_or(t))
}

/// A reference to another object: embedded, or its address.
#[derive(Debug, Clone)]
pub enum Ref {
    Url(String),
    Object(Value),
}

impl Ref {
    pub fn of(value: &Value) -> Option<Ref> {
        match value {
            Value::String(s) if !s.trim().is_empty() => Some(Ref::Url(s.trim().to_string())),
            Value::Object(_) => Some(Ref::Object(value.clone())),
            _ => None,
        }
    }
}

/// An OParl date-time as RFC 3339 in UTC (`2012-05-02T08:00:00Z`), read leniently: a space
/// for `T`, an offset without colon (`+0200`) or hours only (`+02`), no offset (taken as UTC),
/// fractions of a second (dropped).
pub fn date_time(text: &str) -> Option<String> {
    let text = text.trim().replacen(' ', "T", 1);
    let parsed = OffsetDateTime::parse(&text, &Rfc3339)
        .ok()
        .or_else(|| OffsetDateTime::parse(&with_colon_offset(&text)?, &Rfc3339).ok())
        .or_else(|| {
            let format = time::macros::format_description!(
                "[year]-[month]-[day]T[hour]:[minute]:[second][optional [.[subsecond]]]"
            );
            PrimitiveDateTime::parse(&text, format)
                .ok()
                .map(|t| t.assume_offset(UtcOffset::UTC))
        })?;
    let utc = parsed
        .to_offset(UtcOffset::UTC)
        .replace_nanosecond(0)
        .ok()?;
    utc.format(&Rfc3339).ok()
}

/// `…+0200` → `…+02:00`, `…+02` → `…+02:00`; `None` when the end is no such offset.
fn with_colon_offset(text: &str) -> Option<String> {
    let sign = text.rfind(['+', '-'])?;
    if sign < 19 {
        return None;
    }
    let digits = &text[sign + 1..];
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (h, m) = match digits.len() {
        4 => (&digits[..2], &digits[2..]),
        2 => (digits, "00"),
        _ => return None,
    };
    Some(format!("{}{h}:{m}", &text[..=sign]))
}

/// The calendar day of an OParl date or date-time as written (`2012-05-08`), before any
/// conversion: a meeting at 00:30 local time happened on that local day.
pub fn day(text: &str) -> Option<String> {
    let day = text.trim().get(..10)?;
    let b = day.as_bytes();
    let ok = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    ok.then(|| day.to_string())
}

/// `url` with the query parameter `key` set to `value` (replacing it where present): how a
/// filter is added to the first page and kept on every `next` link, also when a server drops
/// it. An address that cannot be read is given back as it is.
pub fn with_query(url: &str, key: &str, value: &str) -> String {
    let Ok(mut parsed) = reqwest::Url::parse(url) else {
        return url.to_string();
    };
    let kept: Vec<(String, String)> = parsed
        .query_pairs()
        .filter(|(k, _)| k != key)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    parsed
        .query_pairs_mut()
        .clear()
        .extend_pairs(kept)
        .append_pair(key, value);
    parsed.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_control_characters_in_strings_are_escaped_and_the_text_kept() {
        let body = b"{\"name\": \"Betreff\x01mit\tTab\nund Zeile\", \"x\": 1}\n";
        let v = parse("u", body).unwrap();
        assert_eq!(v["name"], "Betreff\u{1}mit\tTab\nund Zeile");
        assert_eq!(v["x"], 1);
    }

    #[test]
    fn not_utf8_names_the_byte() {
        let err = parse("u", b"{\"a\": \"\xe4\"}").unwrap_err();
        assert_eq!(err.to_string(), "u: byte 7 is not UTF-8");
    }

    #[test]
    fn lists_are_read_in_every_shape_vendors_send() {
        let p = page(
            "u",
            serde_json::json!({"data": [{"id": "a"}], "links": {"next": "n"}}),
        )
        .unwrap();
        assert_eq!((p.items.len(), p.next.as_deref()), (1, Some("n")));
        let p = page("u", serde_json::json!({"data": {"id": "a"}})).unwrap();
        assert_eq!((p.items.len(), p.next), (1, None));
        let p = page("u", serde_json::json!([])).unwrap();
        assert!(p.items.is_empty());
        let p = page("u", serde_json::json!({"data": [], "links": {"next": ""}})).unwrap();
        assert_eq!(p.next, None);
        assert!(page("u", serde_json::json!("x")).is_err());
        assert!(page("u", serde_json::json!({"data": 3})).is_err());
    }

    #[test]
    fn a_single_value_counts_as_a_list_of_one() {
        let v = serde_json::json!({"a": {"id": 1}, "b": [1, null, 2], "c": null});
        assert_eq!(many(&v, "a").len(), 1);
        assert_eq!(many(&v, "b").len(), 2);
        assert!(many(&v, "c").is_empty());
        assert!(many(&v, "d").is_empty());
    }

    #[test]
    fn date_times_with_odd_offsets_are_read() {
        for (text, want) in [
            ("2012-05-02T10:00:00+02:00", "2012-05-02T08:00:00Z"),
            ("2012-05-02T10:00:00+0200", "2012-05-02T08:00:00Z"),
            ("2012-05-02T10:00:00+02", "2012-05-02T08:00:00Z"),
            ("2012-05-02 10:00:00", "2012-05-02T10:00:00Z"),
            ("2012-05-02T10:00:00.530309389Z", "2012-05-02T10:00:00Z"),
            ("2012-05-02T10:00:00-0130", "2012-05-02T11:30:00Z"),
        ] {
            assert_eq!(date_time(text).as_deref(), Some(want), "{text}");
        }
        for bad in [
            "",
            "gestern",
            "2012-05-02T10:00:00+2",
            "2012-13-02T10:00:00Z",
        ] {
            assert_eq!(date_time(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_day_is_the_day_as_written() {
        assert_eq!(
            day("2012-05-08T23:30:00+02:00").as_deref(),
            Some("2012-05-08")
        );
        assert_eq!(day("2012-05-08").as_deref(), Some("2012-05-08"));
        assert_eq!(day("08.05.2012"), None);
    }

    #[test]
    fn a_dropped_filter_is_added_back_and_a_kept_one_not_doubled() {
        assert_eq!(
            with_query(
                "http://x/papers?page=2",
                "modified_since",
                "2012-01-01T00:00:00Z"
            ),
            "http://x/papers?page=2&modified_since=2012-01-01T00%3A00%3A00Z"
        );
        assert_eq!(
            with_query(
                "http://x/papers?modified_since=a&page=2",
                "modified_since",
                "b"
            ),
            "http://x/papers?page=2&modified_since=b"
        );
    }

    #[test]
    fn type_names_are_read_from_any_schema_address() {
        let v = serde_json::json!({"type": "https://schema.oparl.org/1.0/Paper"});
        assert_eq!(type_name(&v), Some("Paper"));
        assert_eq!(type_name(&serde_json::json!({})), None);
    }
}
