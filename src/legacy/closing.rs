//! The closing sections of a legacy Vorlage: Finanzielle Auswirkungen (which box is
//! ticked), the Unterschriften under "gez." and the Verfügung.

use serde_json::{Map, Value, json};

use super::Field;
use super::fields::{absent, doubtful, german_date, sure};
use super::markdown::markdown;
use super::split::{Part, missing, paragraphs, unbold};
use super::text::cells;

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
}
