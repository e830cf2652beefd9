//! The citizen pages, server-rendered with askama (templates/web/): the search page with
//! filters, facets, highlighted snippets and paging, the paper page, the public PDFs, the
//! sitemap and robots.txt. German, no JavaScript.

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use super::AppState;

use super::html::markdown;
use super::params::SearchParams;
use crate::archive::PublicPaper;
use crate::model::{LegacyPaper, Record, Status, kind_label, slug};
use crate::search::{FacetCount, SearchResults, Sort};

/// A page that failed: rendered as an HTML page with its status.
pub struct PageError {
    status: StatusCode,
    title: &'static str,
    message: String,
    municipality: String,
}

impl PageError {
    pub(super) fn not_found(state: &AppState) -> PageError {
        PageError {
            status: StatusCode::NOT_FOUND,
            title: "Nicht gefunden",
            message: "Diese Seite gibt es nicht. Vielleicht finden Sie die Vorlage über die Suche."
                .into(),
            municipality: state.settings().letterhead.municipality.clone(),
        }
    }

    pub(super) fn internal(state: &AppState, error: impl std::fmt::Display) -> PageError {
        tracing::error!("{error}");
        PageError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            title: "Fehler",
            message: "Die Seite kann gerade nicht angezeigt werden. Bitte versuchen Sie es später noch einmal.".into(),
            municipality: state.settings().letterhead.municipality.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "web/error.html")]
struct ErrorPage<'a> {
    municipality: &'a str,
    title: &'a str,
    message: &'a str,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let page = ErrorPage {
            municipality: &self.municipality,
            title: self.title,
            message: &self.message,
        };
        match page.render() {
            Ok(html) => (self.status, Html(html)).into_response(),
            Err(_) => (self.status, self.message).into_response(),
        }
    }
}

fn html(state: &AppState, page: impl Template) -> Result<Response, PageError> {
    page.render()
        .map(|html| Html(html).into_response())
        .map_err(|e| PageError::internal(state, e))
}

/// Fallback for unknown paths.
pub async fn not_found(State(state): State<AppState>) -> PageError {
    PageError::not_found(&state)
}

/// Escapes text for HTML (askama's escaper, as in the templates).
pub fn escape(text: &str) -> String {
    askama::filters::escape(text, askama::filters::Html)
        .expect("escaping cannot fail")
        .to_string()
}

struct HitView {
    url: String,
    subject: String,
    reference: String,
    kind: String,
    date: String,
    department: String,
    withdrawn: bool,
    /// Escaped HTML with `<mark>` around the matching words.
    snippet: Option<String>,
}

struct FacetView {
    /// Heading and the parameter its links set.
    title: &'static str,
    values: Vec<FacetLink>,
}

struct FacetLink {
    label: String,
    count: u64,
    href: String,
    active: bool,
}

#[derive(Template)]
#[template(path = "web/search.html")]
struct SearchPage {
    municipality: String,
    params: SearchParams,
    error: Option<String>,
    results: Option<SearchResultsView>,
}

struct SearchResultsView {
    total: usize,
    hits: Vec<HitView>,
    facets: Vec<FacetView>,
    suggestion: Option<(String, String)>,
    page: usize,
    pages: usize,
    prev: Option<String>,
    next: Option<String>,
    first_shown: usize,
    last_shown: usize,
    filtered: bool,
    clear: String,
}

/// `GET /`: the search page. Without a query it lists the newest papers.
pub async fn search(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let params = SearchParams::from_query(raw.as_deref());
    let mut page = SearchPage {
        municipality: state.settings().letterhead.municipality.clone(),
        params: params.clone(),
        error: None,
        results: None,
    };
    match params.to_query() {
        Err(e) => page.error = Some(e.message),
        Ok(mut query) => {
            if query.text.trim().is_empty() && params.sortierung.is_none() {
                query.sort = Sort::Date;
            }
            let per_page = query.limit;
            match state.search(query).await {
                Ok(results) => page.results = Some(view(&params, &results, per_page)),
                // A query that costs too much is explained on the page.
                Err(e) if e.status.is_client_error() => page.error = Some(e.message),
                Err(e) => return Err(PageError::internal(&state, e.message)),
            }
        }
    }
    html(&state, page)
}

fn view(params: &SearchParams, results: &SearchResults, per_page: usize) -> SearchResultsView {
    let hits = results
        .hits
        .iter()
        .map(|hit| HitView {
            url: format!("/vorlagen/{}", slug(&hit.reference)),
            subject: hit.subject.clone(),
            reference: hit.reference.clone(),
            kind: hit.kind.clone(),
            date: crate::model::Date::parse_iso(&hit.date)
                .map_or_else(|| hit.date.clone(), |d| d.german()),
            department: hit.department.clone(),
            withdrawn: hit.status == Status::Withdrawn,
            snippet: hit.snippet.as_ref().map(|s| {
                escape(&s.marked("\u{E000}", "\u{E001}"))
                    .replace('\u{E000}', "<mark>")
                    .replace('\u{E001}', "</mark>")
            }),
        })
        .collect();
    let facet =
        |title: &'static str, name: &str, counts: &[FacetCount], current: &Option<String>| {
            FacetView {
                title,
                values: counts
                    .iter()
                    .map(|c| {
                        let active = current.as_deref() == Some(c.value.as_str());
                        FacetLink {
                            label: c.value.clone(),
                            count: c.count,
                            href: format!(
                                "/?{}",
                                params.with(name, (!active).then_some(c.value.as_str()))
                            ),
                            active,
                        }
                    })
                    .collect(),
            }
        };
    let facets = vec![
        facet("Jahr", "jahr", &results.facets.years, &params.jahr),
        facet("Vorlagenart", "art", &results.facets.kinds, &params.art),
        facet("Amt", "amt", &results.facets.departments, &params.amt),
        facet(
            "Gremium",
            "gremium",
            &results.facets.bodies,
            &params.gremium,
        ),
    ]
    .into_iter()
    .filter(|f| !f.values.is_empty())
    .collect();
    let page = results.offset / per_page + 1;
    let pages = results.total.div_ceil(per_page).max(1);
    let link = |n: usize| format!("/?{}", params.with("seite", Some(&n.to_string())));
    SearchResultsView {
        total: results.total,
        hits,
        facets,
        suggestion: results
            .suggestion
            .as_ref()
            .map(|s| (s.clone(), format!("/?{}", params.with("q", Some(s))))),
        page,
        pages,
        prev: (page > 1).then(|| link(page - 1)),
        next: (page < pages).then(|| link(page + 1)),
        first_shown: (results.offset + 1).min(results.total),
        last_shown: results.offset + results.hits.len(),
        filtered: [
            &params.art,
            &params.jahr,
            &params.amt,
            &params.gremium,
            &params.von,
            &params.bis,
        ]
        .iter()
        .any(|p| p.is_some()),
        clear: format!(
            "/?{}",
            serde_urlencoded::to_string([("q", &params.q)]).expect("strings encode")
        ),
    }
}

struct Row {
    label: &'static str,
    value: String,
}

struct ConsultationView {
    date: String,
    body: String,
    role: String,
}

struct SignatureView {
    signer: String,
    time: String,
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
    municipality: String,
    reference: String,
    subject: String,
    kind: String,
    public_label: &'static str,
    withdrawn: Option<String>,
    rows: Vec<Row>,
    consultations: Vec<ConsultationView>,
    resolution: Vec<String>,
    summary: Option<String>,
    reasoning: String,
    financial: String,
    signatories: Vec<(String, String)>,
    attachments: Vec<String>,
    parent: Option<(String, String)>,
    supplements: Vec<(String, String)>,
    pdf_url: String,
    pdf_size: String,
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
    municipality: String,
    reference: String,
    subject: String,
    kind: String,
    withdrawn: Option<String>,
    rows: Vec<Row>,
    consultations: Vec<ConsultationView>,
    /// URL and label.
    originals: Vec<(String, String)>,
    text: String,
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
            value: format!("{} {}", d.number, d.name),
        });
    }
    let page = LegacyPage {
        municipality: state.settings().letterhead.municipality.clone(),
        reference: p.reference.clone(),
        subject: legacy.subject.clone(),
        kind: kind_label(legacy.kind).into(),
        withdrawn: (p.status == Status::Withdrawn)
            .then(|| p.withdrawn_reason.clone().unwrap_or_default()),
        rows,
        consultations: consultation_views(&legacy.consultations),
        originals: original_links(p),
        text: legacy.text.clone(),
    };
    html(state, page)
}

fn consultation_views(consultations: &[crate::model::Consultation]) -> Vec<ConsultationView> {
    consultations
        .iter()
        .map(|c| ConsultationView {
            date: c.date.german(),
            body: c.body.clone(),
            role: c.role.map(|r| r.label().to_string()).unwrap_or_default(),
        })
        .collect()
}

/// A legacy paper's originals: URL and label.
fn original_links(p: &PublicPaper) -> Vec<(String, String)> {
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
    let signature = match p.renditions.last() {
        Some(rendition) => {
            let report = state
                .verification(&rendition.sha512, &rendition.path)
                .await
                .map_err(|e| PageError::internal(&state, e.message))?;
            let first = report.signatures.last();
            Some(SignatureView {
                signer: first
                    .and_then(|s| s.signer.clone())
                    .or_else(|| rendition.signer.clone())
                    .unwrap_or_else(|| "unbekannt".into()),
                time: first
                    .and_then(|s| s.signing_time.as_deref())
                    .map(german_time)
                    .unwrap_or_default(),
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
            })
        }
        None => None,
    };
    let mut rows = vec![
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
            value: format!("{} {}", paper.department.number, paper.department.name),
        },
    ];
    if !paper.involved.is_empty() {
        rows.push(Row {
            label: "Beteiligt",
            value: paper
                .involved
                .iter()
                .map(|d| format!("{} {}", d.number, d.name))
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    if let Some(body) = &paper.deciding_body {
        rows.push(Row {
            label: "Beschlussfassung",
            value: body.clone(),
        });
    }
    let pdf_size = p
        .renditions
        .last()
        .map(|r| format!("{} KB", r.size.div_ceil(1024)))
        .unwrap_or_default();
    let count = p.renditions.len();
    let earlier = p.renditions[..count.saturating_sub(1)]
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
        municipality: state.settings().letterhead.municipality.clone(),
        reference: p.reference.clone(),
        subject: paper.subject.clone(),
        kind: paper.kind.label().into(),
        public_label: "Öffentliche Vorlage",
        withdrawn: (p.status == Status::Withdrawn)
            .then(|| p.withdrawn_reason.clone().unwrap_or_default()),
        rows,
        consultations: consultation_views(&paper.consultations),
        resolution: paper.resolution.iter().map(|r| markdown(r)).collect(),
        summary: paper.summary.as_deref().map(markdown),
        reasoning: markdown(&paper.reasoning),
        financial: if paper.financial_impact.none {
            "Es entstehen keine finanziellen und personellen Auswirkungen.".into()
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
            .map(|s| (s.name.clone(), s.function.clone()))
            .collect(),
        attachments: paper.attachments.iter().map(|a| a.title.clone()).collect(),
        parent: p
            .parent
            .as_ref()
            .map(|l| (l.reference.clone(), format!("/vorlagen/{}", l.slug))),
        supplements: p
            .supplements
            .iter()
            .map(|l| (l.reference.clone(), format!("/vorlagen/{}", l.slug)))
            .collect(),
        pdf_url: format!("/vorlagen/{}/pdf", p.slug),
        pdf_size,
        earlier,
        originals: original_links(&p),
        signature,
    };
    html(&state, page)
}

/// "2026-11-24T09:30:00Z" → "24.11.2026, 09:30 Uhr (UTC)".
fn german_time(rfc3339: &str) -> String {
    match time::OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339) {
        Ok(t) => {
            let t = t.to_offset(time::UtcOffset::UTC);
            format!(
                "{:02}.{:02}.{}, {:02}:{:02} Uhr (UTC)",
                t.day(),
                u8::from(t.month()),
                t.year(),
                t.hour(),
                t.minute()
            )
        }
        Err(_) => rfc3339.to_string(),
    }
}

/// `GET /sitemap.xml`: every public paper page.
pub async fn sitemap(State(state): State<AppState>) -> Result<Response, PageError> {
    let today = state.today();
    let slugs = state
        .read(move |archive| archive.public_slugs(today))
        .await
        .map_err(|e| PageError::internal(&state, e.message))?;
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for (slug, modified) in slugs {
        xml.push_str(&format!(
            "  <url><loc>{}/vorlagen/{}</loc><lastmod>{}</lastmod></url>\n",
            escape(state.base_url()),
            escape(&slug),
            escape(modified.get(..10).unwrap_or(&modified)),
        ));
    }
    xml.push_str("</urlset>\n");
    Ok((
        [(header::CONTENT_TYPE, "application/xml; charset=utf-8")],
        xml,
    )
        .into_response())
}

/// `GET /stil.css`: the pages' one stylesheet (the Content-Security-Policy allows no inline
/// styles).
pub async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../templates/web/stil.css"),
    )
        .into_response()
}

/// `GET /robots.txt`.
pub async fn robots(State(state): State<AppState>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!(
            "User-agent: *\nDisallow: /api/\nSitemap: {}/sitemap.xml\n",
            state.base_url()
        ),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_is_askamas() {
        assert_eq!(escape("<b>&\"'"), "&#60;b&#62;&#38;&#34;&#39;");
    }

    #[test]
    fn signing_times_in_german() {
        assert_eq!(
            german_time("2026-11-24T09:05:00Z"),
            "24.11.2026, 09:05 Uhr (UTC)"
        );
        assert_eq!(german_time("kaputt"), "kaputt");
    }
}
