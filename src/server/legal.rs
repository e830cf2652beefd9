//! The pages a German municipal portal must have, from `[portal]` (`config::PortalSettings`):
//! `/impressum`, `/datenschutz` and `/barrierefreiheit` (Erklärung zur Barrierefreiheit,
//! BITV 2.0, always with the way to report a barrier); each shows the operator's text or
//! links to where the operator publishes it, and says plainly when the operator has provided
//! neither. Also the site's images: `/favicon.svg` and the coat of arms, `/wappen`.

use askama::Template;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};

use super::AppState;
use super::html::markdown_headed;
use super::pages::{PageError, Site, html};
use crate::config::LegalText;

/// A legal page as the template shows it.
#[derive(Template)]
#[template(path = "web/legal.html")]
struct LegalPage {
    site: Site,
    title: &'static str,
    /// The operator's text as HTML, if given.
    text: Option<String>,
    /// Where the operator publishes the page, if given.
    url: Option<String>,
    /// What the page says when the operator has provided nothing.
    missing: &'static str,
    /// On the Erklärung zur Barrierefreiheit: the feedback section.
    feedback: Option<Feedback>,
}

/// How to report a barrier (Feedback-Mechanismus, BITV 2.0 § 7 (1) 2).
struct Feedback {
    /// The configured e-mail address, if any.
    email: Option<String>,
}

fn page(
    state: &AppState,
    title: &'static str,
    content: Option<&LegalText>,
    missing: &'static str,
    feedback: Option<Feedback>,
) -> Result<Response, PageError> {
    let (text, url) = match content {
        Some(LegalText::Text(text)) => (Some(markdown_headed(text, 2)), None),
        Some(LegalText::Url(url)) => (None, Some(url.clone())),
        None => (None, None),
    };
    html(
        state,
        LegalPage {
            site: Site::of(state),
            title,
            text,
            url,
            missing,
            feedback,
        },
    )
}

/// `GET /impressum`.
pub async fn imprint(State(state): State<AppState>) -> Result<Response, PageError> {
    page(
        &state,
        "Impressum",
        state.settings().portal.imprint.as_ref(),
        "Der Betreiber dieses Portals hat noch kein Impressum hinterlegt.",
        None,
    )
}

/// `GET /datenschutz`.
pub async fn privacy(State(state): State<AppState>) -> Result<Response, PageError> {
    page(
        &state,
        "Datenschutzerklärung",
        state.settings().portal.privacy.as_ref(),
        "Der Betreiber dieses Portals hat noch keine Datenschutzerklärung hinterlegt.",
        None,
    )
}

/// `GET /barrierefreiheit`.
pub async fn accessibility(State(state): State<AppState>) -> Result<Response, PageError> {
    let portal = &state.settings().portal;
    page(
        &state,
        "Erklärung zur Barrierefreiheit",
        portal.accessibility.as_ref(),
        "Der Betreiber dieses Portals hat noch keine Erklärung zur Barrierefreiheit hinterlegt.",
        Some(Feedback {
            email: portal.feedback_email.clone(),
        }),
    )
}

/// The site's icon: a page with a folded corner in the pages' accent colour.
const FAVICON: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="5" fill="#00466e"/><path d="M9 5h10l6 6v16H9z" fill="#fff"/><path d="M19 5v6h6" fill="#c8d7e1"/><path d="M12 16h10M12 20h10M12 24h7" stroke="#00466e" stroke-width="2"/></svg>
"##;

/// `GET /favicon.svg`.
pub async fn favicon() -> Response {
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        FAVICON,
    )
        .into_response()
}

/// `GET /favicon.ico`, which browsers ask for by themselves: the SVG icon.
pub async fn favicon_ico() -> Redirect {
    Redirect::permanent("/favicon.svg")
}

/// `GET /wappen`: the configured coat of arms (`[gemeinde] wappen`), or 404.
pub async fn coat_of_arms(State(state): State<AppState>) -> Result<Response, PageError> {
    let coat = state
        .coat_of_arms()
        .ok_or_else(|| PageError::not_found(&state))?;
    Ok((
        [
            (header::CONTENT_TYPE, coat.media_type),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        coat.bytes.clone(),
    )
        .into_response())
}
