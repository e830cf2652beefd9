//! The citizen pages, server-rendered with askama (templates/web/): what every page shares
//! (the site's name and coat of arms, the error pages), the search page with its filter
//! disclosure, facets, highlighted snippets and paging, the sitemap, robots.txt and the
//! stylesheet. German, no JavaScript. The paper pages are `paper_page.rs`, the legal pages
//! `legal.rs`.

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use super::AppState;

use super::messages::{self, Notice};
use super::params::SearchParams;
use crate::model::{Status, slug};
use crate::search::{FacetCount, SearchResults, Sort};

/// What every page shows of the site (the header): the municipality and its coat of arms.
pub(super) struct Site {
    pub municipality: String,
    /// `/wappen` serves a coat of arms.
    pub coat_of_arms: bool,
}

impl Site {
    pub(super) fn of(state: &AppState) -> Site {
        Site {
            municipality: state.settings().letterhead.municipality.clone(),
            coat_of_arms: state.coat_of_arms().is_some(),
        }
    }
}

/// A page that failed: rendered as an HTML page with its status.
pub struct PageError {
    status: StatusCode,
    title: &'static str,
    message: String,
    site: Site,
}

impl PageError {
    pub(super) fn not_found(state: &AppState) -> PageError {
        PageError {
            status: StatusCode::NOT_FOUND,
            title: "Nicht gefunden",
            message: "Diese Seite gibt es nicht. Vielleicht finden Sie die Vorlage über die Suche."
                .into(),
            site: Site::of(state),
        }
    }

    /// 410: a file of a withdrawn paper. The paper's page stays (marked withdrawn); its files
    /// are gone from the public, as its OParl File is a deleted object.
    pub(super) fn gone(state: &AppState, reference: &str) -> PageError {
        PageError {
            status: StatusCode::GONE,
            title: "Zurückgezogen",
            message: format!(
                "Die Vorlage {reference} wurde zurückgezogen; ihre Dateien sind nicht mehr abrufbar."
            ),
            site: Site::of(state),
        }
    }

    pub(super) fn internal(state: &AppState, error: impl std::fmt::Display) -> PageError {
        tracing::error!("{error}");
        PageError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            title: "Fehler",
            message: "Die Seite kann gerade nicht angezeigt werden. Bitte versuchen Sie es später noch einmal.".into(),
            site: Site::of(state),
        }
    }
}

#[derive(Template)]
#[template(path = "web/error.html")]
struct ErrorPage<'a> {
    site: &'a Site,
    title: &'a str,
    message: &'a str,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let page = ErrorPage {
            site: &self.site,
            title: self.title,
            message: &self.message,
        };
        match page.render() {
            Ok(html) => (self.status, Html(html)).into_response(),
            Err(_) => (self.status, self.message).into_response(),
        }
    }
}

pub(super) fn html(state: &AppState, page: impl Template) -> Result<Response, PageError> {
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
    site: Site,
    params: SearchParams,
    notice: Option<Notice>,
    results: Option<SearchResultsView>,
    /// How many filters (Vorlagenart, Jahr, Amt, Gremium, Datum von/bis, Sortierung) are set.
    active_filters: usize,
    /// The filter disclosure starts open: a filter is set, or a filter field is at fault.
    filter_open: bool,
}

impl SearchPage {
    /// Whether the form field `id` is the one at fault.
    fn invalid(&self, id: &str) -> bool {
        self.notice.as_ref().and_then(|n| n.field) == Some(id)
    }

    /// The attributes that tie the form field `id` to the message, when it is at fault.
    fn error_attributes(&self, id: &str) -> &'static str {
        match self.invalid(id) {
            true => " aria-invalid=\"true\" aria-describedby=\"fehler\"",
            false => "",
        }
    }
}

struct SearchResultsView {
    total: usize,
    hits: Vec<HitView>,
    facets: Vec<FacetView>,
    /// The suggestion as the user wrote it, and its link.
    suggestion: Option<(String, String)>,
    page: usize,
    pages: usize,
    prev: Option<String>,
    next: Option<String>,
    first_shown: usize,
    last_shown: usize,
    /// The page asked for is past the last one: the last page and its link.
    past_end: Option<(usize, String)>,
    filtered: bool,
    clear: String,
}

/// `GET /`: the search page. Without a query it lists the newest papers. A page past the
/// last one is answered 404 with the form and a link to the last page.
pub async fn search(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let params = SearchParams::from_query(raw.as_deref());
    let active_filters = [
        &params.art,
        &params.jahr,
        &params.amt,
        &params.gremium,
        &params.von,
        &params.bis,
        &params.sortierung,
    ]
    .iter()
    .filter(|p| p.is_some())
    .count();
    let mut page = SearchPage {
        site: Site::of(&state),
        params: params.clone(),
        notice: None,
        results: None,
        active_filters,
        filter_open: active_filters > 0,
    };
    match params.to_query() {
        Err(e) => page.notice = Some(messages::param_problem(&e, &params)),
        Ok(mut query) => {
            if query.text.trim().is_empty() && params.sortierung.is_none() {
                query.sort = Sort::Date;
            }
            let per_page = query.limit;
            // A query that would cost too much is explained in German (the search itself
            // checks the same bounds again and would answer in English).
            match query.parse_bounded() {
                Err(e) => page.notice = Some(messages::query_problem(&e)),
                Ok(_) => match state.search(query).await {
                    Ok(results) => page.results = Some(view(&params, &results, per_page)),
                    Err(e) if e.status.is_client_error() => {
                        tracing::warn!("a search refused after its checks: {}", e.message);
                        page.notice = Some(Notice {
                            field: None,
                            text: "Diese Suche kann nicht ausgeführt werden. Bitte ändern Sie die Suchbegriffe.".into(),
                            fix: None,
                        });
                    }
                    Err(e) => return Err(PageError::internal(&state, e.message)),
                },
            }
        }
    }
    if let Some(field) = page.notice.as_ref().and_then(|n| n.field)
        && field != "q"
    {
        page.filter_open = true;
    }
    let status = match &page.results {
        Some(r) if r.past_end.is_some() => StatusCode::NOT_FOUND,
        _ => StatusCode::OK,
    };
    let mut response = html(&state, page)?;
    *response.status_mut() = status;
    Ok(response)
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
    // Past the end: no hits on this page although there are some (with none at all there
    // is no page to go to, and "Keine Vorlagen gefunden" says it all).
    let past_end = (results.total > 0 && results.offset >= results.total).then(|| {
        let href = match pages {
            1 => format!("/?{}", params.with("seite", None)),
            n => link(n),
        };
        (pages, href)
    });
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
        prev: (page > 1 && past_end.is_none()).then(|| link(page - 1)),
        next: (page < pages).then(|| link(page + 1)),
        first_shown: (results.offset + 1).min(results.total),
        last_shown: results.offset + results.hits.len(),
        past_end,
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
}
