//! Reading each section of a legacy Vorlage into its record field (the keys of
//! `model::Paper`), with the doubt that makes a clerk look at it.

use serde_json::{Map, Value, json};

use super::Field;
use super::split::{Part, missing, one_line, paragraphs, strings, unbold};
use super::text::{Line, cells, join_paragraph, squeeze_spaces};
use crate::model::Date;

fn sure(key: &'static str, value: Value, part: &Part) -> Field {
    Field {
        key,
        value,
        lines: Some(part.span()),
        doubt: None,
    }
}

fn doubtful(key: &'static str, value: Value, part: &Part, why: String) -> Field {
    Field {
        key,
        value,
        lines: Some(part.span()),
        doubt: Some(why),
    }
}

/// A field the paper may leave out, absent from the text: not written to the record.
fn absent(key: &'static str) -> Field {
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

/// A numbered item's number and text: "3. Das künftige …".
fn numbered(text: &str) -> Option<(usize, &str)> {
    let (number, rest) = text.split_once(". ")?;
    let n = number.parse().ok().filter(|_| number.len() <= 3)?;
    Some((n, rest.trim_start()))
}

/// Numbered items (Beschlussvorschlag, Anlagen): a line "N. …" with the next number starts
/// an item, other lines continue it. Text before "1." is returned as the second value.
fn items(lines: impl Iterator<Item = Line>) -> (Vec<String>, Vec<Line>) {
    let mut items: Vec<Vec<(usize, String)>> = Vec::new();
    let mut before = Vec::new();
    for line in lines {
        let text = unbold(&line.text);
        match numbered(&text) {
            Some((n, rest)) if n == items.len() + 1 => {
                items.push(vec![(line.indent, rest.to_string())])
            }
            _ => match items.last_mut() {
                Some(item) => item.push((line.indent, text)),
                None => before.push(line),
            },
        }
    }
    let items = items
        .iter()
        .map(|lines| {
            let lines: Vec<(usize, &str)> = lines.iter().map(|(i, t)| (*i, t.as_str())).collect();
            block(&lines)
        })
        .collect();
    (items, before)
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

/// Paragraphs as Markdown: a paragraph of one bold line, or of one short line that ends with
/// a colon, is a sub-heading ("### Sachverhaltsdarstellung:"); lines starting with a bullet
/// are list items. The second value says why the paragraphs may be wrong: a text whose
/// paragraphs are not separated by blank lines (a layout dump) shows a short line inside a
/// paragraph where a paragraph ended or a heading stood.
fn markdown(lines: &[Line]) -> (String, Option<String>) {
    let mut blocks = Vec::new();
    let mut doubt = None;
    for paragraph in paragraphs(lines) {
        let texts: Vec<&str> = paragraph.iter().map(|l| l.text.as_str()).collect();
        if let [only] = texts[..] {
            let unbolded = unbold(only);
            let bold = unbolded != only.trim();
            if bold || (only.ends_with(':') && only.chars().count() <= 80) {
                blocks.push(format!("### {}", squeeze_spaces(&unbolded)));
                continue;
            }
        }
        if doubt.is_none()
            && let Some(at) = inner_break(&texts)
        {
            doubt = Some(format!(
                "Absätze und Zwischenüberschriften nicht sicher zu erkennen (kurze Zeile {} mitten im Absatz): bitte mit dem Original vergleichen",
                paragraph[at].no
            ));
        }
        let lines: Vec<(usize, &str)> = paragraph
            .iter()
            .map(|l| (l.indent, l.text.as_str()))
            .collect();
        blocks.push(block(&lines));
    }
    (blocks.join("\n\n"), doubt)
}

/// The index of a line inside a paragraph that looks like the end of a paragraph or a
/// heading: well shorter than the paragraph's longest line, and neither a list item nor
/// the line before one that introduces it (ending in ":" or ",").
fn inner_break(texts: &[&str]) -> Option<usize> {
    if texts.len() < 3 {
        return None;
    }
    let longest = texts.iter().map(|t| t.chars().count()).max().unwrap_or(0);
    (0..texts.len() - 1).find(|&i| {
        let text = texts[i];
        let next_is_item = bullet(texts[i + 1]).is_some() || numbered(texts[i + 1]).is_some();
        let is_item = bullet(text).is_some() || numbered(text).is_some();
        let introduces = text.ends_with(':') || text.ends_with(',');
        text.chars().count() * 10 < longest * 6 && !is_item && !(next_is_item && introduces)
    })
}

/// One paragraph as Markdown (lines with their indentation): text, or a list with the text
/// that introduces it; a line indented less than the list's items after them starts a new
/// paragraph.
fn block(lines: &[(usize, &str)]) -> String {
    if !lines.iter().any(|(_, t)| bullet(t).is_some()) {
        return join_paragraph(lines.iter().map(|(_, t)| *t));
    }
    let mut lead: Vec<&str> = Vec::new();
    let mut items: Vec<Vec<&str>> = Vec::new();
    let mut after: Vec<(usize, &str)> = Vec::new();
    let mut item_indent = 0;
    for (i, &(indent, text)) in lines.iter().enumerate() {
        match (bullet(text), items.last_mut()) {
            (Some(rest), _) => {
                item_indent = indent;
                items.push(vec![rest]);
            }
            (None, Some(_)) if indent < item_indent => {
                after = lines[i..].to_vec();
                break;
            }
            (None, Some(item)) => item.push(text),
            (None, None) => lead.push(text),
        }
    }
    let mut out = Vec::new();
    if !lead.is_empty() {
        out.push(join_paragraph(lead));
    }
    out.extend(
        items
            .into_iter()
            .map(|item| format!("- {}", join_paragraph(item))),
    );
    let list = out.join("\n");
    if after.is_empty() {
        list
    } else {
        format!("{list}\n\n{}", block(&after))
    }
}

/// The text after a bullet ("- ", "• ", "– ").
fn bullet(text: &str) -> Option<&str> {
    ["- ", "• ", "– ", "· "]
        .iter()
        .find_map(|b| text.trim_start().strip_prefix(b))
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

/// A check box at the start of a line: ticked or not, and the text after it.
fn check_box(text: &str) -> Option<(bool, &str)> {
    let text = text.strip_prefix("- ").unwrap_or(text);
    for (mark, ticked) in [
        ("☒", true),
        ("☑", true),
        ("⊠", true),
        ("[x]", true),
        ("[X]", true),
        ("☐", false),
        ("□", false),
        ("[ ]", false),
    ] {
        if let Some(rest) = text.strip_prefix(mark) {
            return Some((ticked, rest.trim()));
        }
    }
    None
}

/// Finanzielle Auswirkungen: which of the two boxes is ticked, and the text under the second.
pub fn financial(part: Option<&Part>) -> Field {
    let key = "finanzielle_auswirkungen";
    let Some(part) = part else {
        return missing(
            key,
            json!({ "keine": true }),
            "keine „Finanzielle Auswirkungen“ im Text gefunden",
        );
    };
    let mut none = None;
    let mut some = None;
    let mut after = Vec::new();
    for line in &part.lines {
        match check_box(&line.text) {
            Some((ticked, text)) if text.contains("keine finanziellen") => none = Some(ticked),
            Some((ticked, text)) if text.contains("folgende") => some = Some(ticked),
            _ if some.is_some() => after.push(line.clone()),
            _ => {}
        }
    }
    match (none, some) {
        (Some(true), Some(false) | None) => sure(key, json!({ "keine": true }), part),
        (Some(false) | None, Some(true)) => {
            let (text, doubt) = markdown(&after);
            if let Some(why) = doubt {
                doubtful(key, json!({ "keine": false, "text": text }), part, why)
            } else if text.is_empty() {
                doubtful(
                    key,
                    json!({ "keine": false, "text": "" }),
                    part,
                    "„folgende bilanzielle Auswirkungen“ angekreuzt, aber kein Text darunter"
                        .into(),
                )
            } else {
                sure(key, json!({ "keine": false, "text": text }), part)
            }
        }
        _ => doubtful(
            key,
            json!({ "keine": true }),
            part,
            "nicht genau eines der beiden Kästchen (☒/☐) angekreuzt".into(),
        ),
    }
}

/// Words that begin a signatory's function ("Erster Beigeordneter").
const FUNCTION_WORDS: [&str; 12] = [
    "Erster",
    "Erste",
    "Zweiter",
    "Zweite",
    "Technischer",
    "Technische",
    "Leiter",
    "Leiterin",
    "Stadtrat",
    "Stadträtin",
    "Landrat",
    "Landrätin",
];

/// Endings of function words ("Oberbürgermeister", "Beigeordnete", "Stadtkämmerin").
const FUNCTION_ENDINGS: [&str; 12] = [
    "meister",
    "meisterin",
    "ordneter",
    "ordnete",
    "kämmerer",
    "kämmerin",
    "direktor",
    "direktorin",
    "leiter",
    "leiterin",
    "dezernent",
    "dezernentin",
];

fn is_function_word(word: &str) -> bool {
    FUNCTION_WORDS.contains(&word) || FUNCTION_ENDINGS.iter().any(|e| word.ends_with(e))
}

/// "Jörg Dehm Oberbürgermeister" → name and function, at the first function word after the
/// name's first word.
fn name_and_function(text: &str) -> Option<(String, String)> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let at = (1..words.len()).find(|&i| is_function_word(words[i]))?;
    Some((words[..at].join(" "), words[at..].join(" ")))
}

/// Unterschriften: a row of "gez.", then names and functions in columns (one line "Name
/// Funktion" per column, or a line of names over a line of functions).
pub fn signatories(part: Option<&Part>) -> Field {
    let key = "unterschriften";
    let Some(part) = part else {
        return missing(key, json!([]), "keine Zeile „gez.“ im Text gefunden");
    };
    let block = paragraphs(&part.lines);
    let rows: Vec<Vec<&str>> = block
        .first()
        .map(|p| p.iter().map(|l| cells(&l.text)).collect())
        .unwrap_or_default();
    let count = part.label_cells;
    let mut out = Vec::new();
    let mut doubt = None;
    match rows.as_slice() {
        [one] if one.len() == count => {
            for cell in one {
                match name_and_function(cell) {
                    Some((name, function)) => {
                        out.push(json!({ "name": name, "funktion": function }))
                    }
                    None => {
                        doubt = Some(format!("„{cell}“: Name und Funktion nicht zu trennen"));
                        out.push(json!({ "name": cell, "funktion": "" }));
                    }
                }
            }
        }
        [names, functions, ..] if names.len() == count && functions.len() == count => {
            for (name, function) in names.iter().zip(functions) {
                out.push(json!({ "name": name, "funktion": function }));
            }
            if rows.len() > 2 {
                doubt = Some("mehr als zwei Zeilen unter „gez.“".into());
            }
        }
        _ => {
            doubt = Some(format!(
                "{count}× „gez.“, aber die Zeilen darunter haben nicht so viele Spalten"
            ))
        }
    }
    if block.len() > 1 {
        doubt = doubt.or(Some("Text nach den Unterschriften".into()));
    }
    match doubt {
        None => sure(key, Value::Array(out), part),
        Some(why) => doubtful(key, Value::Array(out), part, why),
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

/// Verfügung: Veröffentlichung (ticked, or read from the blocking date), Gegenzeichen and
/// Beschlussausfertigungen. A public paper whose "gesperrt bis" is left blank was released.
pub fn routing(part: Option<&Part>, public: Option<bool>) -> Field {
    let Some(part) = part else {
        return absent("verfuegung");
    };
    #[derive(PartialEq)]
    enum Block {
        Release,
        Seen,
        Countersigned,
        Copies,
    }
    let mut block = Block::Release;
    let (mut yes, mut no, mut until) = (None, None, None);
    let mut countersigned = Vec::new();
    let mut copies = Vec::new();
    let mut doubts = Vec::new();
    for line in part.non_blank() {
        let text = unbold(&line.text);
        if text == "Gesehen:" {
            block = Block::Seen;
            continue;
        }
        if text == "Gegenzeichen:" {
            block = Block::Countersigned;
            continue;
        }
        if text.starts_with("Beschlussausfertigungen") {
            block = Block::Copies;
            continue;
        }
        let values: Vec<&str> = cells(&text)
            .into_iter()
            .filter(|c| !matches!(*c, "Amt/Eigenbetrieb:" | "Anzahl:"))
            .collect();
        match block {
            Block::Release => {
                let (ticked, rest) = match check_box(&text) {
                    Some((ticked, rest)) => (Some(ticked), rest),
                    None => (None, text.as_str()),
                };
                if rest == "Ja" {
                    yes = ticked;
                } else if let Some(date) = rest.strip_prefix("Nein, gesperrt bis einschließlich") {
                    no = ticked;
                    let date = date.trim().trim_matches('_').trim();
                    if !date.is_empty() {
                        match german_date(date) {
                            Some(iso) => until = Some(iso),
                            None => {
                                doubts.push(format!("„{date}“ ist kein Datum (Zeile {})", line.no))
                            }
                        }
                    }
                }
            }
            Block::Seen => {}
            Block::Countersigned => {
                for value in values {
                    countersigned.extend(
                        value
                            .split(',')
                            .map(str::trim)
                            .filter(|v| !v.is_empty())
                            .map(String::from),
                    );
                }
            }
            Block::Copies => match values.as_slice() {
                [] => {}
                [department] => copies.push(json!({ "amt": department })),
                [department, count] => match count.parse::<u32>() {
                    Ok(n) => copies.push(json!({ "amt": department, "anzahl": n })),
                    Err(_) => doubts.push(format!(
                        "Anzahl „{count}“ ist keine Zahl (Zeile {})",
                        line.no
                    )),
                },
                _ => doubts.push(format!(
                    "„{text}“: mehr Spalten als Amt und Anzahl (Zeile {})",
                    line.no
                )),
            },
        }
    }
    let publish = match (yes, no) {
        (Some(true), Some(true)) => {
            doubts.push("„Ja“ und „Nein“ angekreuzt".into());
            false
        }
        (Some(true), _) => true,
        (_, Some(true)) => false,
        (Some(false), Some(false)) => {
            doubts.push("weder „Ja“ noch „Nein“ angekreuzt".into());
            false
        }
        // No boxes in the text: released unless a blocking date is written.
        _ => until.is_none() && public != Some(false),
    };
    let mut value = Map::new();
    value.insert("veroeffentlichung".into(), json!(publish));
    if let Some(until) = until {
        value.insert("gesperrt_bis".into(), json!(until));
    }
    value.insert("gegenzeichen".into(), json!(countersigned));
    value.insert("beschlussausfertigungen".into(), Value::Array(copies));
    if doubts.is_empty() {
        sure("verfuegung", Value::Object(value), part)
    } else {
        doubtful("verfuegung", Value::Object(value), part, doubts.join("; "))
    }
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
    fn names_and_functions_split_at_the_function_word() {
        assert_eq!(
            name_and_function("Dr. Schmidt Erster Beigeordneter"),
            Some(("Dr. Schmidt".into(), "Erster Beigeordneter".into()))
        );
        assert_eq!(
            name_and_function("Anna Weber Stadtkämmerin"),
            Some(("Anna Weber".into(), "Stadtkämmerin".into()))
        );
        assert_eq!(name_and_function("Jörg Dehm"), None);
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
