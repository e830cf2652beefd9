//! The field splitter: the cleaned lines of a legacy Vorlage, cut into its sections by the
//! labels the paper prints ("Betreff:", "Beratungsfolge:", "Begründung" …), each section
//! read into its record field with a confidence and the lines it came from.

use serde_json::{Value, json};

use super::text::{Line, clean_lines, drop_furniture, squeeze_spaces};
use super::{Draft, Field};
use super::{closing, fields};

/// The sections of a Vorlage, by the label that starts each one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    Heading,
    Department,
    Involved,
    Subject,
    Consultations,
    DecidingBody,
    Supplements,
    Resolution,
    Summary,
    Reasoning,
    Financial,
    Signatures,
    Attachments,
    Routing,
}

/// The printed labels (without a trailing colon, which is optional) and their sections.
const LABELS: [(&str, Section); 16] = [
    ("Amt/Eigenbetrieb", Section::Department),
    ("Beteiligt", Section::Involved),
    ("Betreff", Section::Subject),
    ("Beratungsfolge", Section::Consultations),
    ("Beschlussfassung", Section::DecidingBody),
    ("Ergänzung zu", Section::Supplements),
    ("Beschlussvorschlag", Section::Resolution),
    ("Ergänzter Beschlussvorschlag", Section::Resolution),
    ("Kurzfassung", Section::Summary),
    ("Begründung", Section::Reasoning),
    ("Sachdarstellung", Section::Reasoning),
    ("Finanzielle Auswirkungen", Section::Financial),
    ("Anlagen", Section::Attachments),
    ("Anlage", Section::Attachments),
    ("Verfügung / Unterschriften", Section::Routing),
    ("Verfügung", Section::Routing),
];

/// One section: its label's line and the lines after it up to the next label (the rest of
/// the label's own line first, when the value stands beside the label).
#[derive(Debug)]
pub(super) struct Part {
    section: Section,
    pub(super) label_line: usize,
    /// How many cells the label's line has (the columns of a row of "gez.").
    pub(super) label_cells: usize,
    pub(super) lines: Vec<Line>,
}

impl Part {
    /// The first and last line numbers this part covers.
    pub(super) fn span(&self) -> (usize, usize) {
        let last = self
            .lines
            .iter()
            .rev()
            .find(|l| !l.is_blank())
            .map_or(self.label_line, |l| l.no);
        (self.label_line, last.max(self.label_line))
    }

    pub(super) fn non_blank(&self) -> impl Iterator<Item = &Line> {
        self.lines.iter().filter(|l| !l.is_blank())
    }
}

/// Splits the text of a legacy paper into a draft record.
pub fn split(text: &str) -> Draft {
    let mut lines = clean_lines(text);
    let mut draft = Draft::default();
    // The page header's values, wherever the extraction put them (then removed).
    let reference = take_labelled(&mut lines, "Drucksachennummer");
    let date = take_labelled(&mut lines, "Datum");
    drop_furniture(&mut lines);
    let parts = cut(&lines);

    let heading = parts.iter().find(|p| p.section == Section::Heading);
    for field in fields::heading(heading) {
        draft.push(field);
    }
    draft.push(fields::reference(&reference));
    draft.push(fields::date(&date));
    let part = |s: Section| parts.iter().find(|p| p.section == s);
    draft.push(fields::subject(part(Section::Subject)));
    draft.push(fields::department(part(Section::Department)));
    draft.push(fields::involved(part(Section::Involved)));
    let kind = draft
        .value("art")
        .and_then(Value::as_str)
        .map(str::to_owned);
    draft.push(fields::deciding_body(
        part(Section::DecidingBody),
        kind.as_deref(),
    ));
    draft.push(fields::consultations(part(Section::Consultations)));
    if kind.as_deref() == Some("ergaenzungsvorlage") || part(Section::Supplements).is_some() {
        draft.push(fields::supplements(part(Section::Supplements)));
    }
    if kind.as_deref() != Some("mitteilungsvorlage") {
        draft.push(fields::resolution(part(Section::Resolution)));
    }
    if let Some(summary) = part(Section::Summary) {
        draft.push(fields::summary(summary));
    }
    draft.push(fields::reasoning(part(Section::Reasoning)));
    draft.push(closing::financial(part(Section::Financial)));
    draft.push(closing::signatories(part(Section::Signatures)));
    draft.push(fields::attachments(part(Section::Attachments)));
    draft.push(closing::routing(
        part(Section::Routing),
        draft.value("oeffentlich").and_then(Value::as_bool),
    ));
    draft
}

/// A label that the page header repeats ("Drucksachennummer:", "Datum:"): its value (the
/// next cell, or the next line) on every page, all of them removed from `lines`. The
/// result has one entry per distinct value, with the line of its first occurrence.
fn take_labelled(lines: &mut Vec<Line>, label: &str) -> Vec<(String, usize)> {
    let mut found: Vec<(String, usize)> = Vec::new();
    let mut remove = vec![false; lines.len()];
    for i in 0..lines.len() {
        if remove[i] {
            continue;
        }
        let cells: Vec<String> = split_labels(lines[i].cells().into_iter().map(unbold));
        let Some(at) = cells.iter().position(|c| is_label(c, label)) else {
            continue;
        };
        let (value, rest) = if let Some(value) = cells.get(at + 1) {
            let mut rest: Vec<&str> = cells.iter().map(String::as_str).collect();
            rest.drain(at..at + 2);
            (value.clone(), rest.join("\t"))
        } else {
            let Some(next) = (i + 1..lines.len()).find(|&j| !lines[j].is_blank()) else {
                continue;
            };
            remove[next] = true;
            let mut rest: Vec<&str> = cells.iter().map(String::as_str).collect();
            rest.remove(at);
            (unbold(&lines[next].text), rest.join("\t"))
        };
        if !found.iter().any(|(v, _)| *v == value) {
            found.push((value, lines[i].no));
        }
        if rest.is_empty() {
            remove[i] = true;
        } else {
            lines[i].text = rest;
        }
    }
    let mut index = 0;
    lines.retain(|_| {
        index += 1;
        !remove[index - 1]
    });
    found
}

/// Cuts the lines into parts at the labels. Everything before the first label belongs to
/// the heading; a row of "gez." starts the signatures; after "Verfügung" no other label
/// counts (its fields reuse "Amt/Eigenbetrieb:").
fn cut(lines: &[Line]) -> Vec<Part> {
    let mut parts = vec![Part {
        section: Section::Heading,
        label_line: lines.first().map_or(1, |l| l.no),
        label_cells: 0,
        lines: Vec::new(),
    }];
    for line in lines {
        let in_routing = parts.last().is_some_and(|p| p.section == Section::Routing);
        let started = if in_routing { None } else { starts_part(line) };
        match started {
            Some((section, rest)) => parts.push(Part {
                section,
                label_line: line.no,
                label_cells: line.cells().len(),
                lines: rest
                    .into_iter()
                    .map(|text| Line {
                        no: line.no,
                        text,
                        indent: line.indent,
                    })
                    .collect(),
            }),
            None => parts
                .last_mut()
                .expect("the heading part")
                .lines
                .push(line.clone()),
        }
    }
    parts
}

/// Cells with a label and its value in one ("Betreff: Integrationskonzept", one space
/// apart) made two cells.
fn split_labels(cells: impl Iterator<Item = String>) -> Vec<String> {
    let mut out = Vec::new();
    for cell in cells {
        match cell.split_once(": ") {
            Some((label, value))
                if !label.contains(' ') || LABELS.iter().any(|(l, _)| *l == label) =>
            {
                let label = format!("{label}:");
                let known = is_label(&label, "Drucksachennummer")
                    || is_label(&label, "Datum")
                    || LABELS.iter().any(|(l, _)| is_label(&label, l));
                if known {
                    out.push(label);
                    out.push(value.trim().to_string());
                } else {
                    out.push(cell);
                }
            }
            _ => out.push(cell),
        }
    }
    out
}

/// Whether a line starts a part: its section and what stands beside the label.
fn starts_part(line: &Line) -> Option<(Section, Option<String>)> {
    let cells = split_labels(line.cells().into_iter().map(unbold));
    let first = cells.first()?.clone();
    if cells.iter().all(|c| *c == "gez.") {
        return Some((Section::Signatures, None));
    }
    for (label, section) in LABELS {
        if is_label(&first, label) {
            let rest = cells[1..].join("\t");
            return Some((section, Some(rest).filter(|r| !r.is_empty())));
        }
        // "Begründung**Sachverhaltsdarstellung:**": a heading glued to the label.
        if let Some(rest) = first.strip_prefix(label)
            && rest.starts_with("**")
            && cells.len() == 1
        {
            return Some((section, Some(rest.to_string())));
        }
    }
    None
}

/// `text` is `label`, with or without a colon.
fn is_label(text: &str, label: &str) -> bool {
    text.strip_suffix(':').unwrap_or(text) == label
}

/// A cell without the `**` that mark bold print around all of it.
pub(super) fn unbold(text: &str) -> String {
    let t = text.trim();
    match t.strip_prefix("**").and_then(|t| t.strip_suffix("**")) {
        Some(inner) if !inner.contains("**") => inner.trim().to_string(),
        _ => t.to_string(),
    }
}

/// A field that could not be found at all.
pub(super) fn missing(key: &'static str, placeholder: Value, why: &str) -> Field {
    Field {
        key,
        value: placeholder,
        lines: None,
        doubt: Some(why.to_string()),
    }
}

/// The paragraphs of a part: runs of non-blank lines.
pub(super) fn paragraphs(lines: &[Line]) -> Vec<Vec<&Line>> {
    let mut out: Vec<Vec<&Line>> = Vec::new();
    let mut current = Vec::new();
    for line in lines {
        if line.is_blank() {
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
        } else {
            current.push(line);
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// The text of a part's lines as one line ("Betreff" over two lines).
pub(super) fn one_line(part: &Part) -> String {
    squeeze_spaces(
        &part
            .non_blank()
            .map(|l| unbold(&l.text))
            .collect::<Vec<_>>()
            .join(" "),
    )
}

/// `json!` for a list of strings.
pub(super) fn strings(items: &[String]) -> Value {
    json!(items)
}
