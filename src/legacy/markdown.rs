//! Text of a legacy paper as Markdown: numbered items, paragraphs, sub-headings and lists
//! (with the indentation that tells a list item's next line from the paragraph after it),
//! and the doubt when a layout dump hides where paragraphs end.

use super::split::{paragraphs, unbold};
use super::text::{Line, join_paragraph, squeeze_spaces};

/// A numbered item's number and text: "3. Das künftige …".
pub(super) fn numbered(text: &str) -> Option<(usize, &str)> {
    let (number, rest) = text.split_once(". ")?;
    let n = number.parse().ok().filter(|_| number.len() <= 3)?;
    Some((n, rest.trim_start()))
}

/// Numbered items (Beschlussvorschlag, Anlagen): a line "N. …" with the next number starts
/// an item, other lines continue it. Text before "1." is returned as the second value.
pub(super) fn items(lines: impl Iterator<Item = Line>) -> (Vec<String>, Vec<Line>) {
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

/// Paragraphs as Markdown: a paragraph of one bold line, or of one short line that ends with
/// a colon, is a sub-heading ("### Sachverhaltsdarstellung:"); lines starting with a bullet
/// are list items. The second value says why the paragraphs may be wrong: a text whose
/// paragraphs are not separated by blank lines (a layout dump) shows a short line inside a
/// paragraph where a paragraph ended or a heading stood.
pub(super) fn markdown(lines: &[Line]) -> (String, Option<String>) {
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
pub(super) fn block(lines: &[(usize, &str)]) -> String {
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
pub(super) fn bullet(text: &str) -> Option<&str> {
    ["- ", "• ", "– ", "· "]
        .iter()
        .find_map(|b| text.trim_start().strip_prefix(b))
}
