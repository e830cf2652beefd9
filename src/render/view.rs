//! The data a template receives as `/paper.json`: the paper with dates in German form, rich
//! text as block trees, the letterhead and the rendering mode; and as `/kopf.json` the little
//! the letterhead of every page needs. Keys are the record's German keys, so template authors
//! read the same words as clerks.

use serde::Serialize;

use crate::model::richtext::{self, Block};
use crate::model::{Date, Paper};

use super::{Letterhead, RenderOptions};

#[derive(Serialize)]
pub struct TemplateData<'a> {
    pub gemeinde: GemeindeView<'a>,
    /// `true` for a draft: ENTWURF across every page.
    pub entwurf: bool,
    pub oeffentlich: bool,
    pub art: &'a str,
    /// Vorlagenart as printed ("Beschlussvorlage").
    pub art_name: &'a str,
    pub drucksachennummer: Option<&'a str>,
    pub datum: DateView,
    pub amt: DepartmentView<'a>,
    pub beteiligt: Vec<DepartmentView<'a>>,
    pub betreff: &'a str,
    pub beratungsfolge: Vec<ConsultationView<'a>>,
    pub beschlussfassung: Option<&'a str>,
    pub beschlussvorschlag: Vec<Vec<Block>>,
    pub kurzfassung: Option<Vec<Block>>,
    pub begruendung: Vec<Block>,
    pub finanzen: FinanceView,
    pub unterschriften: Vec<SignatoryView<'a>>,
    pub verfuegung: RoutingView<'a>,
    pub anlagen: Vec<&'a str>,
    pub bezug: Option<&'a str>,
}

/// `/kopf.json`: what the page header (Briefkopf) shows of the paper. Kept apart from
/// `/paper.json` so that the page settings, which every paragraph's layout depends on, are
/// the same for every paper.
#[derive(Serialize)]
pub struct HeaderView<'a> {
    pub drucksachennummer: Option<&'a str>,
    /// `25.04.2012`.
    pub datum: String,
}

impl<'a> HeaderView<'a> {
    pub fn new(paper: &'a Paper) -> Self {
        HeaderView {
            drucksachennummer: paper.reference.as_deref(),
            datum: paper.date.german(),
        }
    }
}

#[derive(Serialize)]
pub struct GemeindeView<'a> {
    pub name: &'a str,
    pub verwaltungsspitze: &'a str,
    /// Virtual path of the coat of arms, for `image(...)`.
    pub wappen: Option<String>,
    /// Signature fields under "Gesehen:" in the Verfügung.
    pub gesehen: &'a [String],
}

#[derive(Serialize)]
pub struct DateView {
    /// `25.04.2012`.
    pub text: String,
    pub jahr: i32,
    pub monat: u8,
    pub tag: u8,
}

impl From<Date> for DateView {
    fn from(date: Date) -> Self {
        DateView {
            text: date.german(),
            jahr: date.year(),
            monat: date.month(),
            tag: date.day(),
        }
    }
}

#[derive(Serialize)]
pub struct DepartmentView<'a> {
    pub nummer: &'a str,
    pub name: &'a str,
}

#[derive(Serialize)]
pub struct ConsultationView<'a> {
    pub datum: String,
    pub gremium: &'a str,
    pub rolle: Option<&'static str>,
}

#[derive(Serialize)]
pub struct SignatoryView<'a> {
    pub name: &'a str,
    pub funktion: &'a str,
}

#[derive(Serialize)]
pub struct FinanceView {
    pub keine: bool,
    pub text: Vec<Block>,
}

#[derive(Serialize)]
pub struct RoutingView<'a> {
    pub veroeffentlichung: bool,
    pub gesperrt_bis: Option<String>,
    pub gegenzeichen: Vec<&'a str>,
    pub beschlussausfertigungen: Vec<CopyView<'a>>,
}

#[derive(Serialize)]
pub struct CopyView<'a> {
    pub amt: &'a str,
    pub anzahl: Option<u32>,
}

impl<'a> TemplateData<'a> {
    pub fn new(
        paper: &'a Paper,
        letterhead: &'a Letterhead,
        coat_of_arms: Option<String>,
        options: &'a RenderOptions,
    ) -> Self {
        let department = |d: &'a crate::model::Department| DepartmentView {
            nummer: &d.number,
            name: &d.name,
        };
        TemplateData {
            gemeinde: GemeindeView {
                name: &letterhead.municipality,
                verwaltungsspitze: &letterhead.head,
                wappen: coat_of_arms,
                gesehen: &letterhead.seen_by,
            },
            entwurf: options.draft,
            oeffentlich: paper.public,
            art: paper.kind.key(),
            art_name: paper.kind.label(),
            drucksachennummer: paper.reference.as_deref(),
            datum: paper.date.into(),
            amt: department(&paper.department),
            beteiligt: paper.involved.iter().map(department).collect(),
            betreff: &paper.subject,
            beratungsfolge: paper
                .consultations
                .iter()
                .map(|c| ConsultationView {
                    datum: c.date.german(),
                    gremium: &c.body,
                    rolle: c.role.map(|r| r.label()),
                })
                .collect(),
            beschlussfassung: paper.deciding_body.as_deref(),
            beschlussvorschlag: paper
                .resolution
                .iter()
                .map(|item| section_text(item))
                .collect(),
            kurzfassung: paper.summary.as_deref().map(section_text),
            begruendung: section_text(&paper.reasoning),
            finanzen: FinanceView {
                keine: paper.financial_impact.none,
                text: paper
                    .financial_impact
                    .text
                    .as_deref()
                    .map(section_text)
                    .unwrap_or_default(),
            },
            unterschriften: paper
                .signatories
                .iter()
                .map(|s| SignatoryView {
                    name: &s.name,
                    funktion: &s.function,
                })
                .collect(),
            verfuegung: RoutingView {
                veroeffentlichung: paper.routing.publish,
                gesperrt_bis: paper.routing.blocked_until.map(Date::german),
                gegenzeichen: paper
                    .routing
                    .countersigned_by
                    .iter()
                    .map(String::as_str)
                    .collect(),
                beschlussausfertigungen: paper
                    .routing
                    .copies
                    .iter()
                    .map(|c| CopyView {
                        amt: &c.department,
                        anzahl: c.count,
                    })
                    .collect(),
            },
            anlagen: paper.attachments.iter().map(|a| a.title.as_str()).collect(),
            bezug: paper.supplements.as_deref(),
        }
    }
}

/// The heading level of a paper's sections (Kurzfassung, Begründung, …); level 1 is the
/// paper's title.
const SECTION_LEVEL: u8 = 2;
/// The deepest heading level a tagged PDF has (`H6`).
const DEEPEST_LEVEL: u8 = 6;

/// A section's rich text, its headings nested under the section's heading: each one level
/// deeper than the heading it belongs under, so that the PDF's structure skips no level
/// (PDF/UA) whatever levels the Markdown used (`###` right after the section is level 3).
fn section_text(markdown: &str) -> Vec<Block> {
    let mut open = Vec::new();
    nest_headings(richtext::parse(markdown), &mut open)
}

/// `open`: the Markdown levels of the headings still open, outermost first.
fn nest_headings(blocks: Vec<Block>, open: &mut Vec<u8>) -> Vec<Block> {
    blocks
        .into_iter()
        .map(|block| match block {
            Block::Heading { level, inl } => {
                while open.last().is_some_and(|&outer| outer >= level) {
                    open.pop();
                }
                open.push(level);
                let depth = u8::try_from(open.len()).unwrap_or(u8::MAX);
                Block::Heading {
                    level: SECTION_LEVEL.saturating_add(depth).min(DEEPEST_LEVEL),
                    inl,
                }
            }
            Block::List {
                ordered,
                start,
                items,
            } => Block::List {
                ordered,
                start,
                items: items
                    .into_iter()
                    .map(|item| nest_headings(item, open))
                    .collect(),
            },
            Block::Quote { blocks } => Block::Quote {
                blocks: nest_headings(blocks, open),
            },
            other => other,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn levels(markdown: &str) -> Vec<u8> {
        fn collect(blocks: &[Block], out: &mut Vec<u8>) {
            for b in blocks {
                match b {
                    Block::Heading { level, .. } => out.push(*level),
                    Block::List { items, .. } => items.iter().for_each(|i| collect(i, out)),
                    Block::Quote { blocks } => collect(blocks, out),
                    _ => {}
                }
            }
        }
        let mut out = Vec::new();
        collect(&section_text(markdown), &mut out);
        out
    }

    #[test]
    fn headings_nest_under_the_section_without_gaps() {
        assert_eq!(levels("# A\n\n## B\n\n# C"), [3, 4, 3]);
        // Markdown that starts deep or jumps is closed up.
        assert_eq!(levels("### A\n\n###### B\n\n#### C\n\n## D"), [3, 4, 4, 3]);
        assert_eq!(levels("## A\n\n> ### B\n\n- #### C"), [3, 4, 5]);
        // Never deeper than H6.
        assert_eq!(
            levels("# 1\n\n## 2\n\n### 3\n\n#### 4\n\n##### 5"),
            [3, 4, 5, 6, 6]
        );
        assert_eq!(levels("Kein Titel."), Vec::<u8>::new());
    }
}
