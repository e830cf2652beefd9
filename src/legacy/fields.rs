//! Reading each section of a legacy Vorlage into its record field (the keys of
//! `model::Paper`), with the doubt that makes a clerk look at it.

use serde_json::{Map, Value, json};

use super::Field;
use super::markdown::{items, markdown};
use super::split::{Part, missing, one_line, paragraphs, strings, unbold};
use super::text::{join_paragraph, squeeze_spaces};
use crate::model::Date;

pub(super) fn sure(key: &'static str, value: Value, part: &Part) -> Field {
    Field {
        key,
        value,
        lines: Some(part.span()),
        doubt: None,
    }
}

pub(super) fn doubtful(key: &'static str, value: Value, part: &Part, why: String) -> Field {
    Field {
        key,
        value,
        lines: Some(part.span()),
        doubt: Some(why),
    }
}

/// A field the paper may leave out, absent from the text: not written to the record.
pub(super) fn absent(key: &'static str) -> Field {
    Field {
        key,
        value: Value::Null,
        lines: None,
        doubt: None,
    }
}

/// "ÖFFENTLICHE BESCHLUSSVORLAGE": Öffentlichkeit and Vorlagenart.
pub fn heading(part: Option<&Part>) -> Vec<Field> {
    let found = part.and_then(|p| {
        p.non_blank()
            .find_map(|line| read_heading(&unbold(&line.text)).map(|h| (h, line.no)))
    });
    match found {
        Some(((public, kind), no)) => vec![
            Field {
                key: "oeffentlich",
                value: json!(public),
                lines: Some((no, no)),
                doubt: None,
            },
            Field {
                key: "art",
                value: json!(kind),
                lines: Some((no, no)),
                doubt: None,
            },
        ],
        None => {
            let why = "keine Überschrift wie „ÖFFENTLICHE BESCHLUSSVORLAGE“ vor „Amt/Eigenbetrieb:“ gefunden";
            vec![
                missing("oeffentlich", json!(true), why),
                missing("art", json!("beschlussvorlage"), why),
            ]
        }
    }
}

fn read_heading(text: &str) -> Option<(bool, &'static str)> {
    let upper = squeeze_spaces(&text.to_uppercase());
    let (public, rest) = if let Some(rest) = upper
        .strip_prefix("NICHTÖFFENTLICHE ")
        .or_else(|| upper.strip_prefix("NICHT ÖFFENTLICHE "))
    {
        (false, rest)
    } else {
        (true, upper.strip_prefix("ÖFFENTLICHE ")?)
    };
    let kind = match rest {
        "BESCHLUSSVORLAGE" => "beschlussvorlage",
        "MITTEILUNGSVORLAGE" => "mitteilungsvorlage",
        "ERGÄNZUNGSVORLAGE" => "ergaenzungsvorlage",
        _ => return None,
    };
    Some((public, kind))
}

/// One value of the page header on every page: doubtful when the pages disagree.
fn header_value(
    key: &'static str,
    label: &str,
    found: &[(String, usize)],
    read: impl Fn(&str) -> Result<String, String>,
) -> Field {
    let Some((first, no)) = found.first() else {
        return missing(key, json!(""), &format!("kein „{label}:“ im Text gefunden"));
    };
    let (value, doubt) = match read(first) {
        Ok(value) => (value, None),
        Err(why) => (first.clone(), Some(why)),
    };
    let doubt = doubt.or_else(|| {
        (found.len() > 1).then(|| {
            let all: Vec<String> = found
                .iter()
                .map(|(v, no)| format!("„{v}“ (Zeile {no})"))
                .collect();
            format!("die Seiten nennen verschiedene Werte: {}", all.join(", "))
        })
    });
    Field {
        key,
        value: json!(value),
        lines: Some((*no, *no)),
        doubt,
    }
}

/// Drucksachennummer, from the page header.
pub fn reference(found: &[(String, usize)]) -> Field {
    header_value("drucksachennummer", "Drucksachennummer", found, |v| {
        if v.chars().any(|c| c.is_ascii_digit())
            && v.chars().count() <= crate::model::limits::REFERENCE
        {
            Ok(v.to_string())
        } else {
            Err(format!("„{v}“ sieht nicht wie eine Drucksachennummer aus"))
        }
    })
}

/// Datum, from the page header.
pub fn date(found: &[(String, usize)]) -> Field {
    header_value("datum", "Datum", found, |v| {
        german_date(v).ok_or_else(|| format!("„{v}“ ist kein Datum (TT.MM.JJJJ)"))
    })
}

/// "25.04.2012" → "2012-04-25", only for a real day.
pub fn german_date(text: &str) -> Option<String> {
    let mut parts = text.trim().split('.');
    let (d, m, y) = (parts.next()?, parts.next()?, parts.next()?);
    let digits = |s: &str, n: std::ops::RangeInclusive<usize>| {
        n.contains(&s.len()) && s.chars().all(|c| c.is_ascii_digit())
    };
    if parts.next().is_some() || !digits(d, 1..=2) || !digits(m, 1..=2) || !digits(y, 4..=4) {
        return None;
    }
    let iso = format!("{y}-{m:0>2}-{d:0>2}");
    Date::parse_iso(&iso).map(|_| iso)
}

/// Betreff.
pub fn subject(part: Option<&Part>) -> Field {
    match part {
        Some(part) => {
            let text = join_paragraph(part.non_blank().map(|l| l.text.as_str()));
            let text = unbold(&text);
            if text.is_empty() {
                doubtful("betreff", json!(""), part, "„Betreff:“ ohne Text".into())
            } else {
                sure("betreff", json!(text), part)
            }
        }
        None => missing("betreff", json!(""), "kein „Betreff:“ im Text gefunden"),
    }
}

/// "55 Fachbereich Jugend und Soziales" → number and name.
fn department_of(text: &str) -> Option<Value> {
    let text = squeeze_spaces(text);
    let (number, name) = text.split_once(' ')?;
    let plausible = number.chars().any(|c| c.is_ascii_digit())
        && number.chars().count() <= crate::model::limits::DEPARTMENT_NUMBER;
    plausible.then(|| json!({ "nummer": number, "name": name }))
}

/// Amt / Eigenbetrieb (Federführung): one department, its name possibly wrapped.
pub fn department(part: Option<&Part>) -> Field {
    let Some(part) = part else {
        return missing(
            "amt",
            json!({ "nummer": "", "name": "" }),
            "kein „Amt/Eigenbetrieb:“ im Text gefunden",
        );
    };
    let text = one_line(part);
    match department_of(&text) {
        Some(value) => sure("amt", value, part),
        None => doubtful(
            "amt",
            json!({ "nummer": "", "name": text }),
            part,
            format!("„{text}“ beginnt nicht mit einer Amtsnummer"),
        ),
    }
}

/// Beteiligt: one department per line.
pub fn involved(part: Option<&Part>) -> Field {
    let Some(part) = part else {
        return absent("beteiligt");
    };
    let mut items = Vec::new();
    let mut bad = Vec::new();
    for line in part.non_blank() {
        let text = unbold(&line.text);
        match department_of(&text) {
            Some(value) => items.push(value),
            None => bad.push(format!("„{text}“ (Zeile {})", line.no)),
        }
    }
    if bad.is_empty() {
        sure("beteiligt", Value::Array(items), part)
    } else {
        doubtful(
            "beteiligt",
            Value::Array(items),
            part,
            format!("ohne Amtsnummer: {}", bad.join(", ")),
        )
    }
}

/// Beratungsfolge: "08.05.2012<tab>Integrationsrat[<tab>Rolle]" per line; a line without a
/// date continues the body's name above it.
pub fn consultations(part: Option<&Part>) -> Field {
    let Some(part) = part else {
        return absent("beratungsfolge");
    };
    let mut items: Vec<Map<String, Value>> = Vec::new();
    let mut bad = Vec::new();
    for line in part.non_blank() {
        let mut cells: Vec<String> = line.cells().into_iter().map(unbold).collect();
        if cells.len() == 1
            && let Some((first, rest)) = cells[0].clone().split_once(' ')
        {
            cells = vec![first.to_string(), rest.to_string()];
        }
        let role = cells
            .last()
            .filter(|_| cells.len() > 2)
            .and_then(|c| role_key(c));
        if role.is_some() {
            cells.pop();
        }
        match german_date(&cells[0]) {
            Some(date) if cells.len() > 1 => {
                let mut item = Map::new();
                item.insert("datum".into(), json!(date));
                item.insert(
                    "gremium".into(),
                    json!(squeeze_spaces(&cells[1..].join(" "))),
                );
                if let Some(role) = role {
                    item.insert("rolle".into(), json!(role));
                }
                items.push(item);
            }
            _ if looks_like_date(&cells[0]) => {
                bad.push(format!("„{}“ ist kein Datum (Zeile {})", cells[0], line.no))
            }
            _ => match items.last_mut() {
                Some(last) => {
                    let body = last["gremium"].as_str().unwrap_or_default();
                    let joined = join_paragraph([body, &cells.join(" ")]);
                    last.insert("gremium".into(), json!(joined));
                }
                None => bad.push(format!("„{}“ ohne Datum (Zeile {})", line.text, line.no)),
            },
        }
    }
    let value = Value::Array(items.into_iter().map(Value::Object).collect());
    if bad.is_empty() {
        sure("beratungsfolge", value, part)
    } else {
        doubtful("beratungsfolge", value, part, bad.join("; "))
    }
}

fn looks_like_date(text: &str) -> bool {
    text.split('.').count() == 3 && text.chars().all(|c| c.is_ascii_digit() || c == '.')
}

fn role_key(text: &str) -> Option<&'static str> {
    match text.to_lowercase().as_str() {
        "vorberatung" => Some("vorberatung"),
        "entscheidung" => Some("entscheidung"),
        "kenntnisnahme" => Some("kenntnisnahme"),
        _ => None,
    }
}

/// Beschlussfassung. A Mitteilungsvorlage prints "… (zur Kenntnisnahme)" after the body.
pub fn deciding_body(part: Option<&Part>, kind: Option<&str>) -> Field {
    let Some(part) = part else {
        return absent("beschlussfassung");
    };
    let mut text = one_line(part);
    if kind == Some("mitteilungsvorlage")
        && let Some(body) = text.strip_suffix(" (zur Kenntnisnahme)")
    {
        text = body.to_string();
    }
    if text.is_empty() {
        absent("beschlussfassung")
    } else {
        sure("beschlussfassung", json!(text), part)
    }
}

/// Bezug of an Ergänzungsvorlage: "Ergänzung zu: Drucksache 0310/2012".
pub fn supplements(part: Option<&Part>) -> Field {
    let Some(part) = part else {
        return missing(
            "bezug",
            json!(""),
            "eine Ergänzungsvorlage ohne „Ergänzung zu:“",
        );
    };
    let text = one_line(part);
    let reference = text.strip_prefix("Drucksache ").unwrap_or(&text).trim();
    if reference.chars().any(|c| c.is_ascii_digit()) {
        sure("bezug", json!(reference), part)
    } else {
        doubtful(
            "bezug",
            json!(reference),
            part,
            format!("„{text}“ nennt keine Drucksachennummer"),
        )
    }
}

/// Beschlussvorschlag: numbered items.
pub fn resolution(part: Option<&Part>) -> Field {
    let Some(part) = part else {
        return absent("beschlussvorschlag");
    };
    let (found, before) = items(part.non_blank().cloned());
    if let Some(first) = before.first() {
        let whole: Vec<String> = paragraphs(&part.lines)
            .iter()
            .map(|p| join_paragraph(p.iter().map(|l| l.text.as_str())))
            .collect();
        let value = if found.is_empty() { whole } else { found };
        return doubtful(
            "beschlussvorschlag",
            strings(&value),
            part,
            format!("Text ohne Nummer „1.“ (Zeile {})", first.no),
        );
    }
    sure("beschlussvorschlag", strings(&found), part)
}

/// Kurzfassung (Markdown).
pub fn summary(part: &Part) -> Field {
    let (text, doubt) = markdown(&part.lines);
    match doubt {
        _ if text.is_empty() => absent("kurzfassung"),
        None => sure("kurzfassung", json!(text), part),
        Some(why) => doubtful("kurzfassung", json!(text), part, why),
    }
}

/// Begründung (Markdown, with its sub-headings).
pub fn reasoning(part: Option<&Part>) -> Field {
    let Some(part) = part else {
        return missing(
            "begruendung",
            json!(""),
            "keine „Begründung“ im Text gefunden",
        );
    };
    let (text, doubt) = markdown(&part.lines);
    match doubt {
        _ if text.is_empty() => doubtful(
            "begruendung",
            json!(""),
            part,
            "„Begründung“ ohne Text".into(),
        ),
        None => sure("begruendung", json!(text), part),
        Some(why) => doubtful("begruendung", json!(text), part, why),
    }
}

/// Anlagen: numbered titles (or one per line).
pub fn attachments(part: Option<&Part>) -> Field {
    let Some(part) = part else {
        return absent("anlagen");
    };
    let (mut found, before) = items(part.non_blank().cloned());
    if found.is_empty() {
        found = before.iter().map(|l| squeeze_spaces(&l.text)).collect();
    } else if let Some(first) = before.first() {
        let titles: Vec<Value> = found.iter().map(|t| json!({ "titel": t })).collect();
        return doubtful(
            "anlagen",
            Value::Array(titles),
            part,
            format!("Text ohne Nummer „1.“ (Zeile {})", first.no),
        );
    }
    let titles: Vec<Value> = found.iter().map(|t| json!({ "titel": t })).collect();
    sure("anlagen", Value::Array(titles), part)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn german_dates_must_be_real_days() {
        assert_eq!(german_date("08.05.2012").as_deref(), Some("2012-05-08"));
        assert_eq!(german_date("8.5.2012").as_deref(), Some("2012-05-08"));
        assert_eq!(german_date("31.02.2012"), None);
        assert_eq!(german_date("2012-05-08"), None);
    }

    #[test]
    fn headings_give_publicity_and_kind() {
        assert_eq!(
            read_heading("ÖFFENTLICHE BESCHLUSSVORLAGE"),
            Some((true, "beschlussvorlage"))
        );
        assert_eq!(
            read_heading("Nichtöffentliche Mitteilungsvorlage"),
            Some((false, "mitteilungsvorlage"))
        );
        assert_eq!(read_heading("ÖFFENTLICHE BEKANNTMACHUNG"), None);
    }
}
