//! Drucksachennummer schemes: `"{seq:04}/{year}"` and friends, formatting a new number and
//! reading the parts back out of an existing one; and a reference's URL form, its slug.

use regex::Regex;

/// Why a numbering scheme from the configuration cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{key} = \"{scheme}\": {message}")]
pub struct SchemeError {
    pub key: &'static str,
    pub scheme: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq)]
enum Part {
    Literal(String),
    /// The running number within the year, zero-padded to `width` digits.
    Seq {
        width: usize,
    },
    /// Four-digit year.
    Year,
    /// Two-digit year.
    ShortYear,
    /// The parent paper's reference (supplement schemes only).
    Parent,
    /// The supplement's running number (supplement schemes only).
    N,
}

/// The configured numbering: one scheme for papers, one for supplements (Ergänzungsvorlagen).
#[derive(Debug, Clone)]
pub struct Numbering {
    paper: Vec<Part>,
    paper_pattern: Regex,
    supplement: Vec<Part>,
    supplement_pattern: Regex,
    paper_scheme: String,
    supplement_scheme: String,
}

impl PartialEq for Numbering {
    fn eq(&self, other: &Self) -> bool {
        self.paper_scheme == other.paper_scheme && self.supplement_scheme == other.supplement_scheme
    }
}

/// The parts of a reference written in the paper scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parsed {
    pub year: i32,
    pub seq: u32,
}

pub const DEFAULT_SCHEME: &str = "{seq:04}/{year}";
pub const DEFAULT_SUPPLEMENT_SCHEME: &str = "{parent}-{n}";

impl Default for Numbering {
    fn default() -> Self {
        Numbering::new(DEFAULT_SCHEME, DEFAULT_SUPPLEMENT_SCHEME).expect("defaults are valid")
    }
}

impl Numbering {
    /// Parses both schemes. The paper scheme needs `{seq}` (or `{seq:0N}`) and `{year}` (or
    /// `{yy}`): without a year, numbers would repeat every year. The supplement scheme needs
    /// `{parent}` and `{n}`.
    pub fn new(paper: &str, supplement: &str) -> Result<Numbering, SchemeError> {
        let error = |key, scheme: &str, message: &str| SchemeError {
            key,
            scheme: scheme.to_string(),
            message: message.to_string(),
        };
        let paper_parts = parse_scheme(paper).map_err(|m| error("schema", paper, &m))?;
        let count = |parts: &[Part], f: fn(&Part) -> bool| parts.iter().filter(|p| f(p)).count();
        if count(&paper_parts, |p| matches!(p, Part::Seq { .. })) != 1 {
            return Err(error(
                "schema",
                paper,
                "needs {seq} (or {seq:04}) exactly once",
            ));
        }
        if count(&paper_parts, |p| matches!(p, Part::Year | Part::ShortYear)) != 1 {
            return Err(error(
                "schema",
                paper,
                "needs {year} or {yy} exactly once (the sequence restarts every year)",
            ));
        }
        if paper_parts
            .iter()
            .any(|p| matches!(p, Part::Parent | Part::N))
        {
            return Err(error(
                "schema",
                paper,
                "{parent} and {n} belong in the ergaenzung scheme",
            ));
        }
        let supplement_parts =
            parse_scheme(supplement).map_err(|m| error("ergaenzung", supplement, &m))?;
        if count(&supplement_parts, |p| matches!(p, Part::Parent)) != 1
            || count(&supplement_parts, |p| matches!(p, Part::N)) != 1
            || supplement_parts.len()
                != 2 + count(&supplement_parts, |p| matches!(p, Part::Literal(_)))
        {
            return Err(error(
                "ergaenzung",
                supplement,
                "needs {parent} and {n} exactly once and nothing else but text",
            ));
        }
        Ok(Numbering {
            paper_pattern: pattern(&paper_parts),
            supplement_pattern: pattern(&supplement_parts),
            paper: paper_parts,
            supplement: supplement_parts,
            paper_scheme: paper.to_string(),
            supplement_scheme: supplement.to_string(),
        })
    }

    /// The scheme text, for messages and `show`.
    pub fn scheme(&self) -> &str {
        &self.paper_scheme
    }

    pub fn supplement_scheme(&self) -> &str {
        &self.supplement_scheme
    }

    /// The reference of the `seq`-th paper of `year`.
    pub fn format(&self, year: i32, seq: u32) -> String {
        let mut out = String::new();
        for part in &self.paper {
            match part {
                Part::Literal(text) => out.push_str(text),
                Part::Seq { width } => out.push_str(&format!("{seq:0width$}")),
                Part::Year => out.push_str(&format!("{year:04}")),
                Part::ShortYear => out.push_str(&format!("{:02}", year.rem_euclid(100))),
                Part::Parent | Part::N => unreachable!("checked in new()"),
            }
        }
        out
    }

    /// The reference of the `n`-th supplement of `parent`.
    pub fn format_supplement(&self, parent: &str, n: u32) -> String {
        let mut out = String::new();
        for part in &self.supplement {
            match part {
                Part::Literal(text) => out.push_str(text),
                Part::Parent => out.push_str(parent),
                Part::N => out.push_str(&n.to_string()),
                _ => unreachable!("checked in new()"),
            }
        }
        out
    }

    /// Reads year and sequence number out of a reference written in the paper scheme; `None`
    /// for references in another form (historical papers may predate the scheme). A two-digit
    /// year is completed with the century of `paper_year`.
    pub fn parse(&self, reference: &str, paper_year: i32) -> Option<Parsed> {
        let caps = self.paper_pattern.captures(reference)?;
        let seq = caps.name("seq")?.as_str().parse().ok()?;
        let year = if let Some(y) = caps.name("year") {
            y.as_str().parse().ok()?
        } else {
            let yy: i32 = caps.name("yy")?.as_str().parse().ok()?;
            paper_year - paper_year.rem_euclid(100) + yy
        };
        Some(Parsed { year, seq })
    }

    /// Reads parent reference and supplement number out of a supplement reference.
    pub fn parse_supplement<'r>(&self, reference: &'r str) -> Option<(&'r str, u32)> {
        let caps = self.supplement_pattern.captures(reference)?;
        let parent = caps.name("parent")?.as_str();
        let n = caps.name("n")?.as_str().parse().ok()?;
        Some((parent, n))
    }
}

fn parse_scheme(scheme: &str) -> Result<Vec<Part>, String> {
    let mut parts = Vec::new();
    let mut rest = scheme;
    while !rest.is_empty() {
        let Some(open) = rest.find('{') else {
            if rest.contains('}') {
                return Err("'}' without '{'".into());
            }
            parts.push(Part::Literal(rest.to_string()));
            break;
        };
        if open > 0 {
            if rest[..open].contains('}') {
                return Err("'}' without '{'".into());
            }
            parts.push(Part::Literal(rest[..open].to_string()));
        }
        let close = rest[open..]
            .find('}')
            .ok_or_else(|| "'{' without '}'".to_string())?
            + open;
        let name = &rest[open + 1..close];
        if name.contains('{') {
            return Err("'{' without '}'".into());
        }
        parts.push(match name {
            "seq" => Part::Seq { width: 1 },
            "year" => Part::Year,
            "yy" => Part::ShortYear,
            "parent" => Part::Parent,
            "n" => Part::N,
            _ => match name.strip_prefix("seq:0") {
                Some(width) => match width.parse::<usize>() {
                    Ok(w @ 1..=9) => Part::Seq { width: w },
                    _ => return Err(format!("{{{name}}}: the width must be 1 to 9")),
                },
                None => {
                    return Err(format!(
                        "unknown placeholder {{{name}}} (known: {{seq}}, {{seq:04}}, {{year}}, {{yy}}, {{parent}}, {{n}})"
                    ));
                }
            },
        });
        rest = &rest[close + 1..];
    }
    if parts.is_empty() {
        return Err("is empty".into());
    }
    Ok(parts)
}

/// A regular expression that matches exactly the references a scheme produces.
fn pattern(parts: &[Part]) -> Regex {
    let mut re = String::from("^");
    for part in parts {
        match part {
            Part::Literal(text) => re.push_str(&regex::escape(text)),
            Part::Seq { width } => re.push_str(&format!("(?P<seq>[0-9]{{{width},9}})")),
            Part::Year => re.push_str("(?P<year>[0-9]{4})"),
            Part::ShortYear => re.push_str("(?P<yy>[0-9]{2})"),
            Part::Parent => re.push_str("(?P<parent>.+)"),
            Part::N => re.push_str("(?P<n>[1-9][0-9]{0,8})"),
        }
    }
    re.push('$');
    Regex::new(&re).expect("escaped literals and fixed groups form a valid pattern")
}

/// The slug of a reference: lowercase ASCII, `/` and spaces as `-` (the archive stores it
/// with every paper).
pub fn slug(reference: &str) -> String {
    reference
        .chars()
        .map(|c| match c {
            '/' | ' ' => '-',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

/// Whether `text` can be a slug at all: letters, digits, `-`, `_` and `.` (but not `..`),
/// at most 100 characters. Anything else is not looked up.
pub fn is_slug(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 100
        && !text.contains("..")
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_scheme_formats_and_parses() {
        let n = Numbering::default();
        assert_eq!(n.format(2012, 310), "0310/2012");
        assert_eq!(n.format(2012, 12345), "12345/2012");
        assert_eq!(
            n.parse("0310/2012", 2012),
            Some(Parsed {
                year: 2012,
                seq: 310
            })
        );
        assert_eq!(n.parse("VO/310/2012", 2012), None);
        assert_eq!(n.parse("310/2012", 2012), None, "the width is a minimum");
        assert_eq!(n.format_supplement("0310/2012", 1), "0310/2012-1");
        assert_eq!(n.parse_supplement("0310/2012-2"), Some(("0310/2012", 2)));
        assert_eq!(n.parse_supplement("0310/2012"), None);
    }

    #[test]
    fn other_schemes() {
        let n = Numbering::new("VO/{seq}/{year}", "{parent}/E{n}").unwrap();
        assert_eq!(n.format(2016, 4680), "VO/4680/2016");
        assert_eq!(n.parse("VO/4680/2016", 2016).unwrap().seq, 4680);
        assert_eq!(n.format_supplement("VO/4680/2016", 3), "VO/4680/2016/E3");
        let n = Numbering::new("{year}/{seq:04}", "{parent}-{n}").unwrap();
        assert_eq!(n.format(2015, 288), "2015/0288");
        assert_eq!(n.parse_supplement("2015/0288-1"), Some(("2015/0288", 1)));
        let n = Numbering::new("{seq:05}-{yy}", "{parent}-E{n}").unwrap();
        assert_eq!(n.format(2009, 16051), "16051-09");
        assert_eq!(
            n.parse("16051-09", 2009),
            Some(Parsed {
                year: 2009,
                seq: 16051
            })
        );
    }

    #[test]
    fn bad_schemes_name_the_problem() {
        for (paper, supplement, needle) in [
            ("{seq}", "{parent}-{n}", "{year} or {yy}"),
            ("{year}", "{parent}-{n}", "{seq}"),
            ("{seq}/{year}/{seq}", "{parent}-{n}", "exactly once"),
            (
                "{sequence}/{year}",
                "{parent}-{n}",
                "unknown placeholder {sequence}",
            ),
            ("{seq:00}/{year}", "{parent}-{n}", "width"),
            ("{seq/{year}", "{parent}-{n}", "without"),
            ("{seq}/{year}", "{parent}", "{n}"),
            ("{seq}/{year}", "{parent}-{n}-{year}", "nothing else"),
        ] {
            let err = Numbering::new(paper, supplement).unwrap_err().to_string();
            assert!(err.contains(needle), "{paper} / {supplement}: {err}");
        }
    }

    #[test]
    fn slugs() {
        assert_eq!(slug("0310/2012"), "0310-2012");
        assert_eq!(slug("0310/2012-1"), "0310-2012-1");
        assert_eq!(slug("VO/12/2026"), "vo-12-2026");
        assert!(is_slug("0310-2012") && is_slug("vo-12-2026"));
        for bad in [
            "",
            "..",
            "../etc/passwd",
            "a/b",
            "%2e%2e",
            "a b",
            "ä",
            "x..y",
        ] {
            assert!(!is_slug(bad), "{bad}");
        }
    }
}
