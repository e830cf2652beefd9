//! The paper pages: `/vorlagen/{slug}` of a structured paper (all its fields that have a
//! value, the PDF and earlier renditions, the originals of a legacy import, and after the
//! content the digital signature: who signed, in words, and when, in German local time) and
//! of a legacy paper not structured yet (what is known, its originals, their text).

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;

use super::AppState;
use super::html::markdown;
use super::local_time::german_time;
use super::pages::{PageError, Site, html};
use crate::archive::PublicPaper;
use crate::model::{LegacyPaper, Record, Status, kind_label};

struct Row {
    label: &'static str,
    value: String,
}

struct ConsultationView {
    date: String,
    body: String,
    role: String,
}

/// The Beratungsfolge and whether any step has a role (else the column is left out).
struct Consultations {
    steps: Vec<ConsultationView>,
    with_role: bool,
}

struct SignatureView {
    /// Who signed, in words: the certificate's common name (CN).
    signer: String,
    /// The organisation (O), when it adds to the name.
    organization: Option<String>,
    /// German local time, "24.11.2026, 10:05 Uhr (MEZ)".
    time: Option<String>,
    valid: bool,
    development_key: bool,
    problems: Vec<String>,
    /// Annotations and form entries added after signing (allowed, but the reader must know:
    /// they are not part of what was signed).
    added_later: Vec<String>,
}

#[derive(Template)]
#[template(path = "web/paper.html")]
struct PaperPage {
    site: Site,
    reference: String,
    subject: String,
    kind: String,
    public_label: &'static str,
    withdrawn: Option<String>,
    rows: Vec<Row>,
    consultations: Consultations,
    resolution: Vec<String>,
    summary: Option<String>,
    reasoning: String,
    financial: String,
    signatories: Vec<String>,
    /// Titles of the Anlagen (the record names them; the archive holds no file of theirs).
    attachments: Vec<String>,
    parent: Option<(String, String)>,
    supplements: Vec<(String, String)>,
    /// The current PDF: URL and size.
    pdf: Option<(String, String)>,
    /// Earlier renditions (before a re-rendering), newest first: URL and label.
    earlier: Vec<(String, String)>,
    /// The originals of a legacy paper: URL and label.
    originals: Vec<(String, String)>,
    signature: Option<SignatureView>,
}

/// The page of a legacy paper not structured yet: what is known of it, its originals and
/// the text extracted from them.
#[derive(Template)]
#[template(path = "web/legacy.html")]
struct LegacyPage {
    site: Site,
    reference: String,
    subject: String,
    kind: String,
    withdrawn: Option<String>,
    rows: Vec<Row>,
    consultations: Consultations,
    /// URL and label.
    originals: Vec<(String, String)>,
    text: String,
}

/// The rows that have a value.
fn filled(rows: Vec<Row>) -> Vec<Row> {
    rows.into_iter()
        .filter(|r| !r.value.trim().is_empty())
        .collect()
}

fn department(number: &str, name: &str) -> String {
    format!("{number} {name}").trim().to_string()
}

fn withdrawn(p: &PublicPaper) -> Option<String> {
    (p.status == Status::Withdrawn).then(|| p.withdrawn_reason.clone().unwrap_or_default())
}

fn legacy_page(
    state: &AppState,
    p: &PublicPaper,
    legacy: &LegacyPaper,
) -> Result<Response, PageError> {
    let mut rows = vec![
        Row {
            label: "Drucksachennummer",
            value: p.reference.clone(),
        },
        Row {
            label: "Datum",
            value: legacy.date.german(),
        },
    ];
    if let Some(kind) = legacy.kind {
        rows.push(Row {
            label: "Vorlagenart",
            value: kind.label().into(),
        });
    }
    if let Some(d) = &legacy.department {
        rows.push(Row {
            label: "Amt",
            value: department(&d.number, &d.name),
        });
    }
    let page = LegacyPage {
        site: Site::of(state),
        reference: p.reference.clone(),
        subject: legacy.subject.clone(),
        kind: kind_label(legacy.kind).into(),
        withdrawn: withdrawn(p),
        rows: filled(rows),
        consultations: consultation_views(&legacy.consultations),
        originals: original_links(p),
        text: legacy.text.clone(),
    };
    html(state, page)
}

fn consultation_views(consultations: &[crate::model::Consultation]) -> Consultations {
    let steps: Vec<ConsultationView> = consultations
        .iter()
        .map(|c| ConsultationView {
            date: c.date.german(),
            body: c.body.clone(),
            role: c.role.map(|r| r.label().to_string()).unwrap_or_default(),
        })
        .collect();
    Consultations {
        with_role: steps.iter().any(|s| !s.role.is_empty()),
        steps,
    }
}

/// The renditions a page links: none of a withdrawn paper, whose files answer 410
/// (`downloads.rs`).
fn linked_renditions(p: &PublicPaper) -> &[crate::archive::PublicRendition] {
    match p.status {
        Status::Withdrawn => &[],
        _ => &p.renditions,
    }
}

/// A legacy paper's originals: URL and label (none of a withdrawn paper, as above).
fn original_links(p: &PublicPaper) -> Vec<(String, String)> {
    if p.status == Status::Withdrawn {
        return Vec::new();
    }
    p.originals
        .iter()
        .map(|o| {
            let kind = if o.media_type.starts_with("application/pdf") {
                "PDF"
            } else {
                "Text"
            };
            let label = format!(
                "Original „{}“ ({kind}, {} KB)",
                o.file_name,
                o.size.div_ceil(1024)
            );
            (format!("/originale/{}", o.id), label)
        })
        .collect()
}

pub(super) async fn public_paper(state: &AppState, slug: String) -> Result<PublicPaper, PageError> {
    let today = state.today();
    state
        .read(move |archive| archive.public_paper_by_slug(&slug, today))
        .await
        .map_err(|e| PageError::internal(state, e.message))?
        .ok_or_else(|| PageError::not_found(state))
}

/// Who signed, in words, from a certificate subject: its CN, and its O when that is not
/// part of the CN already. A subject that is no distinguished name is shown as it is.
fn signer_in_words(subject: &str) -> (String, Option<String>) {
    match crate::sign::subject_in_words(subject) {
        Some(words) => match (words.name, words.organization) {
            (Some(name), Some(org)) if name.contains(&org) => (name, None),
            (Some(name), org) => (name, org),
            (None, Some(org)) => (org, None),
            (None, None) => ("unbekannt".into(), None),
        },
        None => (subject.to_string(), None),
    }
}

async fn signature(state: &AppState, p: &PublicPaper) -> Result<Option<SignatureView>, PageError> {
    let Some(rendition) = p.renditions.last() else {
        return Ok(None);
    };
    let report = state
        .verification(&rendition.sha512, &rendition.path)
        .await
        .map_err(|e| PageError::internal(state, e.message))?;
    let first = report.signatures.last();
    let (signer, organization) = first
        .and_then(|s| s.signer.as_deref())
        .or(rendition.signer.as_deref())
        .map_or_else(|| ("unbekannt".into(), None), signer_in_words);
    Ok(Some(SignatureView {
        signer,
        organization,
        time: first
            .and_then(|s| s.signing_time.as_deref())
            .map(german_time),
        valid: report.valid,
        development_key: rendition.development_key,
        problems: report
            .signatures
            .iter()
            .flat_map(|s| s.problems.clone())
            .chain(report.problems.clone())
            .collect(),
        added_later: report
            .signatures
            .iter()
            .flat_map(|s| s.later_annotations.iter().chain(&s.later_form_changes))
            .cloned()
            .collect(),
    }))
}

/// `GET /vorlagen/{slug}`.
pub async fn paper(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Response, PageError> {
    let p = public_paper(&state, slug).await?;
    let paper = match &p.record {
        Record::Structured(paper) => paper,
        Record::Legacy(legacy) => return legacy_page(&state, &p, legacy),
    };
    let signature = signature(&state, &p).await?;
    let rows = vec![
        Row {
            label: "Drucksachennummer",
            value: p.reference.clone(),
        },
        Row {
            label: "Datum",
            value: paper.date.german(),
        },
        Row {
            label: "Vorlagenart",
            value: paper.kind.label().into(),
        },
        Row {
            label: "Amt",
            value: department(&paper.department.number, &paper.department.name),
        },
        Row {
            label: "Beteiligt",
            value: paper
                .involved
                .iter()
                .map(|d| department(&d.number, &d.name))
                .collect::<Vec<_>>()
                .join(", "),
        },
        Row {
            label: "Beschlussfassung",
            value: paper.deciding_body.clone().unwrap_or_default(),
        },
    ];
    let renditions = linked_renditions(&p);
    let pdf = renditions.last().map(|r| {
        (
            format!("/vorlagen/{}/pdf", p.slug),
            format!("{} KB", r.size.div_ceil(1024)),
        )
    });
    let earlier = renditions[..renditions.len().saturating_sub(1)]
        .iter()
        .enumerate()
        .rev()
        .map(|(i, r)| {
            let label = format!(
                "Fassung {} vom {} ({} KB)",
                i + 1,
                german_time(&r.created_at),
                r.size.div_ceil(1024)
            );
            (format!("/dateien/{}", r.id), label)
        })
        .collect();
    let page = PaperPage {
        site: Site::of(&state),
        reference: p.reference.clone(),
        subject: paper.subject.clone(),
        kind: paper.kind.label().into(),
        public_label: "Öffentliche Vorlage",
        withdrawn: withdrawn(&p),
        rows: filled(rows),
        consultations: consultation_views(&paper.consultations),
        resolution: paper
            .resolution
            .iter()
            .filter(|r| !r.trim().is_empty())
            .map(|r| markdown(r))
            .collect(),
        summary: paper
            .summary
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .map(markdown),
        reasoning: markdown(&paper.reasoning),
        financial: if paper.financial_impact.none {
            "<p>Es entstehen keine finanziellen und personellen Auswirkungen.</p>".into()
        } else {
            paper
                .financial_impact
                .text
                .as_deref()
                .map(markdown)
                .unwrap_or_default()
        },
        signatories: paper
            .signatories
            .iter()
            .map(|s| {
                [s.name.trim(), s.function.trim()]
                    .into_iter()
                    .filter(|v| !v.is_empty())
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .filter(|s| !s.is_empty())
            .collect(),
        attachments: paper
            .attachments
            .iter()
            .map(|a| a.title.clone())
            .filter(|t| !t.trim().is_empty())
            .collect(),
        parent: p
            .parent
            .as_ref()
            .map(|l| (l.reference.clone(), format!("/vorlagen/{}", l.slug))),
        supplements: p
            .supplements
            .iter()
            .map(|l| (l.reference.clone(), format!("/vorlagen/{}", l.slug)))
            .collect(),
        pdf,
        earlier,
        originals: original_links(&p),
        signature,
    };
    html(&state, page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signers_in_words() {
        assert_eq!(
            signer_in_words("CN=Sitzungsdienst,O=Stadt Hagen,C=DE"),
            ("Sitzungsdienst".into(), Some("Stadt Hagen".into()))
        );
        assert_eq!(
            signer_in_words("CN=Stadt Hagen Signatur,O=Stadt Hagen"),
            ("Stadt Hagen Signatur".into(), None)
        );
        assert_eq!(
            signer_in_words("O=Stadt Hagen"),
            ("Stadt Hagen".into(), None)
        );
        assert_eq!(signer_in_words("C=DE"), ("unbekannt".into(), None));
        assert_eq!(signer_in_words("kein Name"), ("kein Name".into(), None));
    }
}
