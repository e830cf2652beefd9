//! `/api/v1`: the admin routes (behind a bearer token: create, supplement, withdraw, list,
//! show, PDF, preview) and the public search API.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Extension, Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::AppState;
use super::auth::Caller;
use super::error::{ApiError, FieldProblem};
use super::files::{self, Caching};
use super::params::{self, SearchParams};
use crate::archive::{ArchiveError, Created, ListFilter, Summary};
use crate::error::Code;
use crate::model::{Format, InputError, Kind, MAX_INPUT_BYTES, Paper, SourceText, Status, slug};
use crate::render::RenderOptions;
use crate::search::{Facets, Hit};

/// The JSON body as bytes: 415 unless it is sent as `application/json` (with or without
/// parameters such as `charset=utf-8`), 413 in the API's error shape when over the limit.
/// A small JSON request body: malformed JSON is `malformed_json`, JSON of the wrong shape an
/// invalid `field` with `hint` and serde's message.
pub(super) fn parse_body<T: serde::de::DeserializeOwned>(
    body: &[u8],
    field: &str,
    hint: &str,
) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| {
        if e.is_data() {
            ApiError::parameter(field, format!("{hint} ({e})"))
        } else {
            ApiError::malformed_json(format!("request body: {e}"))
        }
    })
}

pub(super) fn body_bytes(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Bytes, ApiError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap_or("(not text)"));
    let is_json = content_type.is_some_and(|v| {
        v.split(';')
            .next()
            .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"))
    });
    if !is_json {
        return Err(ApiError::unsupported_media_type(content_type));
    }
    body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::too_large(MAX_INPUT_BYTES)
        } else {
            ApiError::malformed_json(rejection.body_text())
        }
    })
}

/// A validated paper from a JSON request body.
/// A validated paper from a JSON request body, naming only the configured Gremien.
fn paper_from(state: &AppState, body: Bytes) -> Result<Paper, ApiError> {
    let source = SourceText::from_bytes("request body".into(), Format::Json, body.to_vec())?;
    let paper = Paper::from_source(&source)?;
    Ok(state.settings().committees.admit(paper, "request body")?)
}

/// What `POST /papers` and `POST /papers/{id}/supplements` answer.
#[derive(Debug, Serialize)]
struct CreatedBody {
    drucksachennummer: String,
    slug: String,
    sha512: String,
    /// Whether the paper is on the public routes (public and released today).
    veroeffentlicht: bool,
    urls: Urls,
}

#[derive(Debug, Serialize)]
struct Urls {
    api: String,
    pdf: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    seite: Option<String>,
}

fn created_response(
    state: &AppState,
    caller: &Caller,
    paper: &Paper,
    created: Created,
) -> Response {
    tracing::info!(caller = %caller.name, reference = %created.reference, "paper created");
    let slug = slug(&created.reference);
    let base = state.base_url();
    let published = paper.is_published_on(state.today());
    let api = format!("{base}/api/v1/papers/{slug}");
    let body = CreatedBody {
        urls: Urls {
            pdf: format!("{api}/pdf"),
            api: api.clone(),
            seite: published.then(|| format!("{base}/vorlagen/{slug}")),
        },
        drucksachennummer: created.reference,
        slug,
        sha512: created.sha512,
        veroeffentlicht: published,
    };
    state.metrics().papers_created.inc();
    (StatusCode::CREATED, [(header::LOCATION, api)], Json(body)).into_response()
}

/// `POST /api/v1/papers`: validate, number, render, sign, archive, index.
pub async fn create(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let paper = paper_from(&state, body_bytes(&headers, body)?)?;
    let created = state.writer().create(paper.clone()).await?;
    Ok(created_response(&state, &caller, &paper, created))
}

/// `POST /api/v1/papers/{id}/supplements`: an Ergänzungsvorlage to the paper `{id}`; the body
/// is a paper without `bezug` (or with the parent's reference), `art` defaults to
/// `ergaenzungsvorlage`.
pub async fn supplement(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = body_bytes(&headers, body)?;
    let parent = reference_of(&state, id).await?;
    let mut record: Value = serde_json::from_slice(&body)
        .map_err(|e| ApiError::malformed_json(format!("request body: {e}")))?;
    let Some(object) = record.as_object_mut() else {
        return Err(ApiError::malformed_json(
            "request body: a paper is a JSON object",
        ));
    };
    match object.get("bezug") {
        Some(Value::String(given)) if *given == parent => {}
        None => {
            object.insert("bezug".into(), Value::String(parent.clone()));
        }
        Some(other) => {
            return Err(ApiError {
                errors: vec![FieldProblem {
                    path: "bezug".into(),
                    message: format!(
                        "{other} is not {parent}, the paper of this URL; leave it out"
                    ),
                }],
                ..ApiError::new(
                    Code::InvalidPaper,
                    "the paper is not valid; errors lists every problem",
                )
            });
        }
    }
    object
        .entry("art")
        .or_insert_with(|| Value::String(Kind::Ergaenzungsvorlage.key().into()));
    // The record is written anew, so positions would point into that text, not the
    // client's: field paths are what the client gets.
    let text = serde_json::to_vec_pretty(&record).expect("a JSON value serialises");
    let source = SourceText::from_bytes("request body".into(), Format::Json, text)?;
    let paper = Paper::from_source(&source).map_err(|e| match e {
        InputError::Invalid { name, errors } => ApiError::from(InputError::Invalid {
            name,
            errors: errors
                .into_iter()
                .map(|mut f| {
                    f.at = None;
                    f
                })
                .collect(),
        }),
        e => ApiError::from(e),
    })?;
    let paper = state.settings().committees.admit(paper, "request body")?;
    let created = state.writer().create(paper.clone()).await?;
    Ok(created_response(&state, &caller, &paper, created))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WithdrawBody {
    grund: String,
}

/// `POST /api/v1/papers/{id}/withdraw` with `{"grund": "…"}`.
pub async fn withdraw(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<WithdrawnBody>, ApiError> {
    let body = body_bytes(&headers, body)?;
    let request: WithdrawBody = parse_body(&body, "grund", "give {\"grund\": \"…\"}")?;
    let reference = reference_of(&state, id).await?;
    state
        .writer()
        .withdraw(reference.clone(), request.grund)
        .await?;
    tracing::info!(caller = %caller.name, reference = %reference, "paper withdrawn");
    Ok(Json(WithdrawnBody {
        drucksachennummer: reference,
        status: Status::Withdrawn,
    }))
}

/// What `POST /papers/{id}/withdraw` answers.
#[derive(Debug, Serialize)]
pub struct WithdrawnBody {
    drucksachennummer: String,
    status: Status,
}

/// The reference of the paper whose slug is `id` (any paper: this is the admin API).
async fn reference_of(state: &AppState, id: String) -> Result<String, ApiError> {
    let shown = id.clone();
    state
        .read(move |archive| archive.reference_by_slug(&id))
        .await?
        .ok_or_else(|| ApiError::not_found(format!("paper {shown}")))
}

/// A paper as the admin API lists it (and the head of `GET /papers/{id}`).
#[derive(Debug, Serialize)]
struct SummaryBody<'a> {
    reference: &'a str,
    /// `None`: a legacy paper whose kind is not known.
    kind: Option<Kind>,
    /// `false`: a legacy paper not structured yet (metadata, originals and their text).
    structured: bool,
    date: &'a str,
    subject: &'a str,
    department: &'a str,
    public: bool,
    status: Status,
    slug: String,
}

impl<'a> SummaryBody<'a> {
    fn of(summary: &'a Summary) -> SummaryBody<'a> {
        SummaryBody {
            reference: &summary.reference,
            kind: summary.kind,
            structured: summary.structured,
            date: &summary.date,
            subject: &summary.subject,
            department: &summary.department,
            public: summary.public,
            status: summary.status,
            slug: slug(&summary.reference),
        }
    }
}

/// What `GET /papers` answers.
#[derive(Debug, Serialize)]
struct ListBody<'a> {
    gesamt: usize,
    seite: usize,
    pro_seite: usize,
    vorlagen: Vec<SummaryBody<'a>>,
}

/// `GET /api/v1/papers?jahr=&art=&seite=&pro_seite=`: every paper, public or not.
pub async fn list(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let pairs = params::pairs(raw.as_deref());
    let year = params::value(&pairs, "jahr")
        .map(|v| {
            v.parse::<i32>()
                .map_err(|_| ApiError::parameter("jahr", format!("{v} is not a year")))
        })
        .transpose()?;
    let kind = params::value(&pairs, "art")
        .map(|v| v.parse::<Kind>().map_err(|e| ApiError::parameter("art", e)))
        .transpose()?;
    let paging = SearchParams {
        seite: params::value(&pairs, "seite"),
        pro_seite: params::value(&pairs, "pro_seite"),
        ..SearchParams::default()
    };
    let (page, per_page) = (paging.page()?, paging.per_page()?);
    let papers = state
        .read(move |archive| archive.list(&ListFilter { year, kind }))
        .await?;
    let body = ListBody {
        gesamt: papers.len(),
        seite: page,
        pro_seite: per_page,
        vorlagen: papers
            .iter()
            .skip((page - 1) * per_page)
            .take(per_page)
            .map(SummaryBody::of)
            .collect(),
    };
    Ok(Json(body).into_response())
}

/// What `GET /api/v1/papers/{id}` answers: everything the archive knows of one paper, its
/// files named by id and URL (never by their place on the server).
#[derive(Debug, Serialize)]
struct PaperBody<'a> {
    #[serde(flatten)]
    summary: SummaryBody<'a>,
    allocated: bool,
    supplements: &'a Option<String>,
    withdrawn_reason: &'a Option<String>,
    created_at: &'a str,
    modified_at: &'a str,
    source: &'a Value,
    source_sha512: &'a str,
    imported_from: &'a Option<String>,
    renditions: Vec<RenditionBody<'a>>,
    history: Vec<EventBody<'a>>,
}

/// One step of a paper's history in the admin API.
#[derive(Debug, Serialize)]
struct EventBody<'a> {
    at: &'a str,
    event: &'a str,
    detail: &'a str,
}

/// One stored PDF in the admin API.
#[derive(Debug, Serialize)]
struct RenditionBody<'a> {
    id: i64,
    /// `GET` it (with the token) for the PDF.
    url: String,
    sha512: &'a str,
    size: u64,
    template_sha512: &'a str,
    program_version: &'a str,
    created_at: &'a str,
    signer: &'a Option<String>,
    development_key: bool,
}

/// `GET /api/v1/papers/{id}`: everything the archive knows of one paper.
pub async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let reference = reference_of(&state, id).await?;
    let d = state.read(move |archive| archive.show(&reference)).await?;
    let api = format!(
        "{}/api/v1/papers/{}",
        state.base_url(),
        slug(&d.summary.reference)
    );
    let body = PaperBody {
        summary: SummaryBody::of(&d.summary),
        allocated: d.allocated,
        supplements: &d.supplements,
        withdrawn_reason: &d.withdrawn_reason,
        created_at: &d.created_at,
        modified_at: &d.modified_at,
        source: &d.source,
        source_sha512: &d.source_sha512,
        imported_from: &d.imported_from,
        renditions: d
            .renditions
            .iter()
            .map(|r| RenditionBody {
                id: r.id,
                url: format!("{api}/renditions/{}", r.id),
                sha512: &r.sha512,
                size: r.size,
                template_sha512: &r.template_sha512,
                program_version: &r.program_version,
                created_at: &r.created_at,
                signer: &r.signer,
                development_key: r.development_key,
            })
            .collect(),
        history: d
            .history
            .iter()
            .map(|e| EventBody {
                at: &e.at,
                event: &e.event,
                detail: &e.detail,
            })
            .collect(),
    };
    Ok(Json(body).into_response())
}

/// `GET /api/v1/papers/{id}/renditions/{rendition}`: one stored PDF of any paper.
pub async fn rendition_pdf(
    State(state): State<AppState>,
    Path((id, rendition)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let wanted: i64 = rendition
        .parse()
        .map_err(|_| ApiError::not_found(format!("rendition {rendition}")))?;
    stored_pdf(&state, id, &headers, Some(wanted)).await
}

/// `GET /api/v1/papers/{id}/pdf`: the current PDF of any paper.
pub async fn pdf(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    stored_pdf(&state, id, &headers, None).await
}

/// One rendition of the paper `id` (the newest when `None`), checked against its SHA-512.
async fn stored_pdf(
    state: &AppState,
    id: String,
    headers: &HeaderMap,
    rendition: Option<i64>,
) -> Result<Response, ApiError> {
    let reference = reference_of(state, id).await?;
    let (bytes, sha512) = state
        .read(move |archive| {
            let details = archive.show(&reference)?;
            let found = match rendition {
                Some(wanted) => details
                    .renditions
                    .iter()
                    .find(|r| r.id == wanted)
                    .ok_or_else(|| {
                        ArchiveError::NotFound(format!("rendition {wanted} of {reference}"))
                    })?,
                None => details
                    .renditions
                    .last()
                    .ok_or_else(|| ArchiveError::NotFound(format!("a PDF of {reference}")))?,
            };
            Ok((archive.rendition_pdf(found)?, found.sha512.clone()))
        })
        .await?;
    Ok(files::pdf(
        headers,
        bytes,
        &sha512,
        "vorlage.pdf",
        Caching::Private,
    ))
}

/// `POST /api/v1/preview`: the paper as a draft PDF (ENTWURF, no number); nothing is stored.
pub async fn preview(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let mut paper = paper_from(&state, body_bytes(&headers, body)?)?;
    paper.reference = None;
    let renderer = std::sync::Arc::clone(state.renderer());
    // `render_all` renders on a thread of its own with a render thread's stack (the
    // blocking pool's threads have small ones).
    let pdf = tokio::task::spawn_blocking(move || {
        renderer
            .render_all(std::slice::from_ref(&paper), &RenderOptions { draft: true })
            .pop()
            .expect("one paper, one result")
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::internal)?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf"),
            (header::CACHE_CONTROL, "no-store"),
            (
                header::CONTENT_DISPOSITION,
                "inline; filename=\"entwurf.pdf\"",
            ),
        ],
        pdf,
    )
        .into_response())
}

/// What `GET /api/v1/search` answers: the results as the search names them, each hit with
/// the URL of its page.
#[derive(Debug, Serialize)]
struct SearchBody<'a> {
    gesamt: usize,
    offset: usize,
    limit: usize,
    treffer: Vec<HitBody<'a>>,
    facetten: &'a Facets,
    #[serde(skip_serializing_if = "Option::is_none")]
    vorschlag: Option<&'a str>,
}

/// One hit of the search API.
#[derive(Debug, Serialize)]
struct HitBody<'a> {
    #[serde(flatten)]
    hit: &'a Hit,
    url: String,
}

/// `GET /api/v1/search`: the public search (same parameters as the search page).
pub async fn search(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let query = SearchParams::from_query(raw.as_deref()).to_query()?;
    let results = state.search(query).await?;
    let body = SearchBody {
        gesamt: results.total,
        offset: results.offset,
        limit: results.limit,
        treffer: results
            .hits
            .iter()
            .map(|hit| HitBody {
                hit,
                url: format!("{}/vorlagen/{}", state.base_url(), slug(&hit.reference)),
            })
            .collect(),
        facetten: &results.facets,
        vorschlag: results.suggestion.as_deref(),
    };
    Ok(Json(body).into_response())
}

/// Unknown routes under `/api/v1` and `/oparl/v1`.
pub async fn not_found() -> ApiError {
    ApiError::not_found("route")
}
