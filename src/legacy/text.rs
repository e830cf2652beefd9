//! Cleaning the text of a legacy paper before it is split into fields: Unicode forms,
//! ligatures, invisible characters, page furniture (page numbers, the letterhead repeated on
//! every page), and the cells of a line (table columns become tabs or runs of spaces).

use unicode_normalization::UnicodeNormalization;

/// One line of the cleaned text, with its line number in the original (from 1).
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub no: usize,
    pub text: String,
    /// How far the original line was indented (spaces and tabs), which tells a list item's
    /// continuation from the paragraph after the list in a layout dump.
    pub indent: usize,
}

impl Line {
    /// The line's cells: table columns, written as tabs or as runs of two or more spaces.
    pub fn cells(&self) -> Vec<&str> {
        cells(&self.text)
    }

    pub fn is_blank(&self) -> bool {
        self.text.is_empty()
    }
}

/// The cells of a line: split at tabs and at runs of two or more spaces, trimmed, empty
/// cells dropped.
pub fn cells(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for part in text.split('\t') {
        let mut rest = part;
        while let Some(at) = rest.find("  ") {
            out.push(&rest[..at]);
            rest = rest[at..].trim_start_matches(' ');
        }
        out.push(rest);
    }
    out.into_iter()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect()
}

/// The cleaned lines of `text`: NFC, ligatures written out, typographic hyphens made plain,
/// soft hyphens and control characters removed, odd spaces made plain, each line trimmed (runs of spaces inside are
/// kept: they separate cells), a form feed made a line break. Blank lines stay (they
/// separate paragraphs).
pub fn clean_lines(text: &str) -> Vec<Line> {
    let mut lines = Vec::new();
    for (index, raw) in text.split('\n').enumerate() {
        for piece in raw.split('\x0c') {
            let text = clean_line(piece);
            let indent = piece
                .chars()
                .take_while(|c| matches!(c, ' ' | '\t'))
                .count();
            lines.push(Line {
                no: index + 1,
                text,
                indent,
            });
        }
    }
    lines
}

fn clean_line(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.nfc() {
        match c {
            '\u{FB00}' => out.push_str("ff"),
            '\u{FB01}' => out.push_str("fi"),
            '\u{FB02}' => out.push_str("fl"),
            '\u{FB03}' => out.push_str("ffi"),
            '\u{FB04}' => out.push_str("ffl"),
            '\u{FB05}' | '\u{FB06}' => out.push_str("st"),
            // The typographic hyphens (HYPHEN, NON-BREAKING HYPHEN) some producers print
            // where a word breaks at a line end.
            '\u{2010}' | '\u{2011}' => out.push('-'),
            '\u{00AD}' | '\u{200B}' | '\u{FEFF}' | '\u{200C}' | '\u{200D}' => {}
            '\u{00A0}' | '\u{2007}' | '\u{202F}' | '\u{2009}' | '\u{2002}' | '\u{2003}' => {
                out.push(' ')
            }
            '\t' => out.push('\t'),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out.trim().to_string()
}

/// The text of an original as a legacy paper's page and the search index show it: each
/// line cleaned ([`clean_lines`]), page furniture removed ([`drop_furniture`]), a word
/// broken at a line end ("Unterstü-" over "tzung") joined, at most one blank line in a row.
/// Other line breaks stay: a layout dump's tables and lists keep their lines.
pub fn readable(text: &str) -> String {
    let mut lines = clean_lines(text);
    drop_furniture(&mut lines);
    let mut out: Vec<String> = Vec::new();
    for line in lines {
        let text = line.text;
        if text.is_empty() {
            if out.last().is_some_and(|l| !l.is_empty()) {
                out.push(String::new());
            }
            continue;
        }
        if let Some(previous) = out.last_mut()
            && previous.ends_with('-')
            && previous[..previous.len() - 1]
                .chars()
                .next_back()
                .is_some_and(char::is_alphabetic)
            && text.chars().next().is_some_and(char::is_lowercase)
            && !is_conjunction(text.split_whitespace().next().unwrap_or(""))
        {
            previous.pop();
            previous.push_str(&text);
            continue;
        }
        out.push(text);
    }
    while out.last().is_some_and(|l| l.is_empty()) {
        out.pop();
    }
    out.join("\n")
}

/// Removes page furniture: the page number ("Seite 2", "Seite 2 von 5", "- 2 -"), also as a
/// cell beside other text, and the letterhead of the issuing authority ("STADT HAGEN" over
/// "Der Oberbürgermeister"), which extraction repeats on every page wherever the page break
/// fell. Run it after the page header's labelled values are taken out of their lines.
pub fn drop_furniture(lines: &mut Vec<Line>) {
    let mut keep = vec![true; lines.len()];
    for (i, line) in lines.iter_mut().enumerate() {
        let cells = line.cells();
        if cells.iter().any(|c| is_page_number(c)) {
            let rest: Vec<&str> = cells.into_iter().filter(|c| !is_page_number(c)).collect();
            if rest.is_empty() {
                keep[i] = false;
            }
            line.text = rest.join("\t");
        }
    }
    for i in 0..lines.len() {
        let text = lines[i].text.as_str();
        if !keep[i] {
            continue;
        }
        if is_authority(text)
            && let Some(next) = next_non_blank(lines, i + 1)
            && is_head_of_administration(&lines[next].text)
        {
            keep[i] = false;
            keep[next] = false;
        }
    }
    let mut index = 0;
    lines.retain(|_| {
        index += 1;
        keep[index - 1]
    });
}

fn next_non_blank(lines: &[Line], from: usize) -> Option<usize> {
    (from..lines.len()).find(|&i| !lines[i].is_blank())
}

/// "Seite 2", "Seite 2 von 5", "- 2 -".
pub fn is_page_number(text: &str) -> bool {
    let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    if let Some(rest) = text.strip_prefix("Seite ") {
        return match rest.split_once(" von ") {
            Some((page, of)) => digits(page) && digits(of),
            None => digits(rest),
        };
    }
    text.strip_prefix("- ")
        .and_then(|t| t.strip_suffix(" -"))
        .is_some_and(digits)
}

/// The issuing authority in capitals, as letterheads print it: "STADT HAGEN",
/// "GEMEINDE XY", "KREISSTADT …".
fn is_authority(text: &str) -> bool {
    const KINDS: [&str; 8] = [
        "STADT ",
        "GEMEINDE ",
        "KREISSTADT ",
        "HANSESTADT ",
        "UNIVERSITÄTSSTADT ",
        "MARKT ",
        "KREIS ",
        "LANDKREIS ",
    ];
    KINDS.iter().any(|k| text.starts_with(k))
        && text.chars().count() <= 60
        && !text.chars().any(|c| c.is_lowercase())
}

/// The head of the administration under the authority's name.
fn is_head_of_administration(text: &str) -> bool {
    const HEADS: [&str; 8] = [
        "Der Oberbürgermeister",
        "Die Oberbürgermeisterin",
        "Der Bürgermeister",
        "Die Bürgermeisterin",
        "Der Landrat",
        "Die Landrätin",
        "Der Gemeindedirektor",
        "Die Gemeindedirektorin",
    ];
    HEADS.contains(&text)
}

/// Joins the lines of one paragraph: a word hyphenated at a line end is joined again
/// ("Integrations-" + "konzept"), a hyphen before a conjunction stays ("Sport-" + "und" →
/// "Sport- und"), a hyphen before a capital stays in the word ("IMAP-" + "Institut").
pub fn join_paragraph<'a>(lines: impl IntoIterator<Item = &'a str>) -> String {
    let mut out = String::new();
    for line in lines {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if out.is_empty() {
            out.push_str(line);
            continue;
        }
        let hyphenated = out.ends_with('-')
            && out[..out.len() - 1]
                .chars()
                .next_back()
                .is_some_and(char::is_alphabetic);
        let next_word = line.split_whitespace().next().unwrap_or("");
        let starts_lower = next_word.chars().next().is_some_and(char::is_lowercase);
        if hyphenated && starts_lower && !is_conjunction(next_word) {
            out.pop();
            out.push_str(line);
        } else if hyphenated && !is_conjunction(next_word) {
            out.push_str(line);
        } else {
            out.push(' ');
            out.push_str(line);
        }
    }
    squeeze_spaces(&out)
}

fn is_conjunction(word: &str) -> bool {
    matches!(
        word.trim_end_matches(','),
        "und" | "oder" | "bzw." | "sowie" | "bis" | "als" | "noch"
    )
}

/// Runs of whitespace (tabs too) as one space, trimmed.
pub fn squeeze_spaces(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_split_at_tabs_and_runs_of_spaces() {
        assert_eq!(
            cells("08.05.2012\tIntegrationsrat"),
            ["08.05.2012", "Integrationsrat"]
        );
        assert_eq!(
            cells("gez.      gez.  "),
            ["gez.", "gez."],
            "two columns written with spaces"
        );
        assert_eq!(cells("Rat der Stadt Hagen"), ["Rat der Stadt Hagen"]);
    }

    #[test]
    fn cleaning_writes_out_ligatures_and_composes_umlauts() {
        let lines = clean_lines("Ö\u{FB00}entlich \u{FB01}nden\r\nMu\u{0308}nster\u{00AD}land\x07");
        let texts: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, ["Öffentlich finden", "Münsterland"]);
        assert_eq!(lines[1].no, 2);
    }

    #[test]
    fn a_word_broken_with_a_soft_and_a_typographic_hyphen_is_joined() {
        // Chromium's PDFs: the soft hyphen stays in the text, the printed one is U+2010.
        let lines = clean_lines("mit Unterstü\u{00AD}\u{2010}\ntzung des Integra\u{00AD}tionsrats");
        let joined = join_paragraph(lines.iter().map(|l| l.text.as_str()));
        assert_eq!(joined, "mit Unterstützung des Integrationsrats");
    }

    #[test]
    fn page_numbers_and_letterheads_are_removed_other_capitals_stay() {
        let text = "Ende.\n\nSTADT HAGEN\nDer Oberbürgermeister\n\nSeite 2\n- 3 -\nSeite 4 von 9\nSTADT HAGEN\nBetreff:\nSeite zwei";
        let mut lines = clean_lines(text);
        drop_furniture(&mut lines);
        let texts: Vec<String> = lines.into_iter().map(|l| l.text).collect();
        assert_eq!(
            texts,
            ["Ende.", "", "", "STADT HAGEN", "Betreff:", "Seite zwei"]
        );
    }

    #[test]
    fn a_page_number_beside_the_letterhead_is_removed() {
        let mut lines = clean_lines("STADT HAGEN        Seite 2\nDer Oberbürgermeister\nText");
        drop_furniture(&mut lines);
        let texts: Vec<String> = lines.into_iter().map(|l| l.text).collect();
        assert_eq!(texts, ["Text"]);
    }

    #[test]
    fn hyphenation_is_undone_except_before_conjunctions_and_capitals() {
        assert_eq!(
            join_paragraph(["Das Integrations-", "konzept wird"]),
            "Das Integrationskonzept wird"
        );
        assert_eq!(
            join_paragraph(["Sport-", "und Freizeitausschuss"]),
            "Sport- und Freizeitausschuss"
        );
        assert_eq!(
            join_paragraph(["das IMAP-", "Institut"]),
            "das IMAP-Institut"
        );
        assert_eq!(join_paragraph(["Kosten –", "keine"]), "Kosten – keine");
        assert_eq!(join_paragraph(["a  b", "", "c"]), "a b c");
    }

    #[test]
    fn readable_text_joins_broken_words_and_drops_furniture() {
        let raw = "STADT HAGEN\nDer Oberbürgermeister\n\n\n\nBetreff:\nIntegra\u{ad}tionskonzept mit Unterstü\u{2010}\ntzung des IMAP\nSport-\nund Freizeit\nSeite 2\n\n\n08.05.2012    Integrationsrat\n\n";
        assert_eq!(
            readable(raw),
            "Betreff:\nIntegrationskonzept mit Unterstützung des IMAP\nSport-\nund Freizeit\n\n08.05.2012    Integrationsrat"
        );
    }
}
