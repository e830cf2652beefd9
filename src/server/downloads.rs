//! The routes that serve stored files as they are: a public paper's current PDF, one
//! rendition (OParl's `accessUrl`), and a legacy paper's original; each read checked against
//! its SHA-512, with ETag and Range (`files.rs`). A withdrawn paper's files answer 410.

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, header};
use axum::response::Response;

use super::AppState;
use super::files::{self, Caching};
use super::pages::PageError;
use super::paper_page::public_paper;
use crate::archive::PublicPaper;
use crate::model::Status;

/// `GET /vorlagen/{slug}/pdf`: the current PDF of a public paper.
pub async fn pdf(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let p = public_paper(&state, slug).await?;
    still_public(&state, &p)?;
    let rendition = p
        .renditions
        .last()
        .ok_or_else(|| PageError::not_found(&state))?;
    let bytes = read_stored(&state, &rendition.path, &rendition.sha512).await?;
    Ok(files::pdf(
        &headers,
        bytes,
        &rendition.sha512,
        &format!("vorlage-{}.pdf", p.slug),
        Caching::Current,
    ))
}

/// `GET /dateien/{id}`: one stored PDF (OParl's `accessUrl`; `?download=1` for
/// `downloadUrl`).
pub async fn file(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let id: i64 = id.parse().map_err(|_| PageError::not_found(&state))?;
    let today = state.today();
    let (rendition, paper) = state
        .read(move |archive| archive.public_rendition(id, today))
        .await
        .map_err(|e| PageError::internal(&state, e.message))?
        .ok_or_else(|| PageError::not_found(&state))?;
    still_public(&state, &paper)?;
    let bytes = read_stored(&state, &rendition.path, &rendition.sha512).await?;
    let name = format!("vorlage-{}.pdf", paper.slug);
    let mut response = files::pdf(
        &headers,
        bytes,
        &rendition.sha512,
        &name,
        Caching::Immutable,
    );
    offer_download(&mut response, raw.as_deref(), &name);
    Ok(response)
}

/// `GET /originale/{id}`: the original a public legacy paper was imported from, unchanged.
pub async fn original(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let id: i64 = id.parse().map_err(|_| PageError::not_found(&state))?;
    let today = state.today();
    let (original, paper) = state
        .read(move |archive| archive.public_original(id, today))
        .await
        .map_err(|e| PageError::internal(&state, e.message))?
        .ok_or_else(|| PageError::not_found(&state))?;
    still_public(&state, &paper)?;
    let bytes = read_stored(&state, &original.file, &original.sha512).await?;
    let name = original_file_name(&paper.slug, &original.media_type);
    let mut response = files::stored(
        &headers,
        bytes,
        &original.sha512,
        &name,
        &original.media_type,
        Caching::Immutable,
    );
    offer_download(&mut response, raw.as_deref(), &name);
    Ok(response)
}

/// A withdrawn paper's files are gone (410).
fn still_public(state: &AppState, paper: &PublicPaper) -> Result<(), PageError> {
    match paper.status {
        Status::Withdrawn => Err(PageError::gone(state, &paper.reference)),
        _ => Ok(()),
    }
}

/// `?download` asks for the file to be saved as `name` (header-safe: made from a slug).
fn offer_download(response: &mut Response, query: Option<&str>, name: &str) {
    if query.is_some_and(|q| q.contains("download")) {
        let value = format!("attachment; filename=\"{name}\"");
        response.headers_mut().insert(
            header::CONTENT_DISPOSITION,
            value.parse().expect("slugs are header-safe"),
        );
    }
}

/// The name an original is served under: from the paper's slug, never from the name it was
/// imported with (which may hold anything).
pub fn original_file_name(slug: &str, media_type: &str) -> String {
    let extension = if media_type.starts_with("application/pdf") {
        "pdf"
    } else {
        "txt"
    };
    format!("original-{slug}.{extension}")
}

/// The stored bytes, checked against their SHA-512 (a damaged file is an error, never
/// served).
async fn read_stored(
    state: &AppState,
    path: &std::path::Path,
    sha512: &str,
) -> Result<Vec<u8>, PageError> {
    let path = path.to_path_buf();
    let bytes = tokio::task::spawn_blocking(move || std::fs::read(path))
        .await
        .map_err(|e| PageError::internal(state, e))?
        .map_err(|e| PageError::internal(state, e))?;
    if crate::archive::sha512_hex(&bytes) != sha512 {
        return Err(PageError::internal(
            state,
            format!("stored file {sha512} does not match its SHA-512; run drucksache check"),
        ));
    }
    Ok(bytes)
}
