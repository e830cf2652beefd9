//! OParl 1.1, read-only (`/oparl/v1`): System, one Body (the municipality), its papers
//! (paged, with `created_since`/`created_until`/`modified_since`/`modified_until`), each
//! paper's files and consultations, and the Organizations named in Beratungsfolgen. People,
//! meetings, agenda items, memberships, locations and legislative terms are not kept by
//! drucksache: their lists exist and are empty.
//!
//! Only published papers appear. A withdrawn paper appears as a deleted object (`id`, `type`,
//! `created`, `modified`, `deleted: true`), as OParl asks for objects that are gone; in a list
//! only when it is asked for with `modified_since`.

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use serde_json::{Value, json};

use super::AppState;
use super::error::ApiError;
use super::{downloads, params};
use crate::archive::{ChangeWindow, OriginalFile, PublicBody, PublicPaper, PublicRendition};
use crate::model::{Paper, Record, Status};
use crate::search::IndexDoc;

const VERSION: &str = "https://schema.oparl.org/1.1/";
/// The one Body's id segment.
const BODY: &str = "1";
/// Papers per list page unless `limit` says otherwise, and the most `limit` may ask for.
const PAGE: u64 = 100;
const MAX_PAGE: u64 = 1000;

fn kind(name: &str) -> String {
    format!("{VERSION}{name}")
}

struct Urls<'a>(&'a str);

impl Urls<'_> {
    fn oparl(&self, rest: &str) -> String {
        format!("{}/oparl/v1/{rest}", self.0)
    }
    fn body(&self) -> String {
        self.oparl(&format!("body/{BODY}"))
    }
    fn paper(&self, id: i64) -> String {
        self.oparl(&format!("paper/{id}"))
    }
    fn file(&self, id: i64) -> String {
        self.oparl(&format!("file/{id}"))
    }
    fn organization(&self, name: &str) -> String {
        self.oparl(&format!("organization/{}", organization_id(name)))
    }
}

/// The id segment of a Gremium: its name in lowercase ASCII (umlauts spelled out), runs of
/// anything else as one `-`.
pub fn organization_id(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        let spelled = match c {
            'ä' => "ae",
            'ö' => "oe",
            'ü' => "ue",
            'ß' => "ss",
            c if c.is_ascii_alphanumeric() => {
                out.push(c);
                continue;
            }
            _ => {
                if !out.is_empty() && !out.ends_with('-') {
                    out.push('-');
                }
                continue;
            }
        };
        out.push_str(spelled);
    }
    out.trim_end_matches('-').to_string()
}

/// A stored RFC 3339 time as OParl 1.1.1 writes date-times: `yyyy-mm-ddThh:mm:ss±hh:mm`
/// (whole seconds, UTC as `+00:00`). A filter given back (`modified_since`) is inclusive, so
/// cutting the fraction loses no change. A time that cannot be read is passed on as stored.
fn oparl_time(rfc3339: &str) -> String {
    use time::format_description::well_known::Rfc3339;
    match time::OffsetDateTime::parse(rfc3339, &Rfc3339) {
        Ok(t) => {
            let t = t.to_offset(time::UtcOffset::UTC);
            format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}+00:00",
                t.year(),
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute(),
                t.second()
            )
        }
        Err(_) => rfc3339.to_string(),
    }
}

/// `created` and `modified` of System and Body: those of the public papers (the first
/// creation, the last change); before there is any, the start of the Unix epoch.
async fn span(state: &AppState) -> Result<(String, String), ApiError> {
    let today = state.today();
    let span = state
        .read(move |archive| archive.public_span(today))
        .await?;
    let (created, modified) =
        span.unwrap_or_else(|| ("1970-01-01T00:00:00Z".into(), "1970-01-01T00:00:00Z".into()));
    Ok((oparl_time(&created), oparl_time(&modified)))
}

/// `GET /oparl/v1/system`.
pub async fn system(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let urls = Urls(state.base_url());
    let (created, modified) = span(&state).await?;
    let mut system = json!({
        "id": urls.oparl("system"),
        "type": kind("System"),
        "oparlVersion": VERSION,
        "body": urls.oparl("body"),
        "name": format!("drucksache – {}", state.settings().letterhead.municipality),
        "website": format!("{}/", state.base_url()),
        "created": created,
        "modified": modified,
    });
    let o = &state.settings().oparl;
    for (key, value) in [
        ("license", &o.license),
        ("contactEmail", &o.contact_email),
        ("contactName", &o.contact_name),
        ("vendor", &o.vendor),
        ("product", &o.product),
    ] {
        if let Some(value) = value {
            system[key] = Value::String(value.clone());
        }
    }
    Ok(Json(system))
}

fn body_object(state: &AppState, (created, modified): &(String, String)) -> Value {
    let urls = Urls(state.base_url());
    let body = urls.body();
    let mut object = json!({
        "id": body,
        "type": kind("Body"),
        "system": urls.oparl("system"),
        "name": state.settings().letterhead.municipality,
        "website": format!("{}/", state.base_url()),
        "organization": format!("{body}/organization"),
        "person": format!("{body}/person"),
        "meeting": format!("{body}/meeting"),
        "paper": format!("{body}/paper"),
        "agendaItem": format!("{body}/agendaItem"),
        "consultation": format!("{body}/consultation"),
        "membership": format!("{body}/membership"),
        "locationList": format!("{body}/locationList"),
        "legislativeTermList": format!("{body}/legislativeTermList"),
        "legislativeTerm": [],
        "web": format!("{}/", state.base_url()),
        "created": created,
        "modified": modified,
    });
    let o = &state.settings().oparl;
    for (key, value) in [
        ("ags", &o.ags),
        ("license", &o.license),
        ("contactEmail", &o.contact_email),
        ("contactName", &o.contact_name),
    ] {
        if let Some(value) = value {
            object[key] = Value::String(value.clone());
        }
    }
    object
}

/// Refuses every body id but the one.
fn the_body(id: &str) -> Result<(), ApiError> {
    if id == BODY {
        Ok(())
    } else {
        Err(ApiError::not_found(format!("body {id}")))
    }
}

/// `GET /oparl/v1/body`: the list of bodies (one).
pub async fn bodies(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let url = Urls(state.base_url()).oparl("body");
    let span = span(&state).await?;
    Ok(Json(list(
        vec![body_object(&state, &span)],
        1,
        1,
        1,
        &url,
        "",
    )))
}

/// `GET /oparl/v1/body/{body}`.
pub async fn body(
    State(state): State<AppState>,
    Path(body): Path<String>,
) -> Result<Json<Value>, ApiError> {
    the_body(&body)?;
    let span = span(&state).await?;
    Ok(Json(body_object(&state, &span)))
}

/// An OParl list page: `data`, `pagination`, `links` (with `next` while there is more).
fn list(data: Vec<Value>, total: u64, page: u64, per_page: u64, url: &str, filters: &str) -> Value {
    let pages = total.div_ceil(per_page).max(1);
    let link = |page: u64| {
        let mut query = format!("page={page}");
        if per_page != PAGE {
            query.push_str(&format!("&limit={per_page}"));
        }
        if !filters.is_empty() {
            query.push('&');
            query.push_str(filters);
        }
        format!("{url}?{query}")
    };
    let mut links = json!({
        "first": link(1),
        "last": link(pages),
        "self": link(page),
    });
    if page > 1 {
        links["prev"] = Value::String(link((page - 1).min(pages)));
    }
    if page < pages {
        links["next"] = Value::String(link(page + 1));
    }
    json!({
        "data": data,
        "pagination": {
            "totalElements": total,
            "elementsPerPage": per_page,
            "currentPage": page,
            "totalPages": pages,
        },
        "links": links,
    })
}

/// What a list request asks: its page, its page size, its time filters (checked) and those
/// filters again for the list's links.
struct ListQuery {
    page: u64,
    per_page: u64,
    window: ChangeWindow,
    filters: String,
}

impl ListQuery {
    /// `page`, `limit`, `created_since`, `created_until`, `modified_since`, `modified_until`;
    /// a value that is no number or date-time is a 400 naming it.
    fn read(raw: Option<&str>) -> Result<ListQuery, ApiError> {
        let pairs = params::pairs(raw);
        let get = |name: &str| params::value(&pairs, name);
        let page = params::number("page", get("page").as_deref(), 1, u64::MAX / MAX_PAGE)?;
        let per_page = params::number("limit", get("limit").as_deref(), PAGE, MAX_PAGE)?;
        let mut filters = Vec::new();
        let mut time = |name: &str| -> Result<Option<String>, ApiError> {
            let Some(v) = params::value(&pairs, name) else {
                return Ok(None);
            };
            time::OffsetDateTime::parse(&v, &time::format_description::well_known::Rfc3339)
                .map_err(|_| {
                    ApiError::parameter(
                        name,
                        format!("{v}: give a date-time as in 2026-11-24T10:00:00+01:00"),
                    )
                })?;
            filters.push((name.to_string(), v.clone()));
            Ok(Some(v))
        };
        let window = ChangeWindow {
            created_since: time("created_since")?,
            created_until: time("created_until")?,
            modified_since: time("modified_since")?,
            modified_until: time("modified_until")?,
        };
        Ok(ListQuery {
            page,
            per_page,
            window,
            filters: serde_urlencoded::to_string(&filters).expect("strings encode"),
        })
    }
}

/// `GET /oparl/v1/body/{body}/paper?page=&limit=&created_since=&…`.
pub async fn papers(
    State(state): State<AppState>,
    Path(body): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    the_body(&body)?;
    let ListQuery {
        page,
        per_page,
        window,
        filters,
    } = ListQuery::read(raw.as_deref())?;
    let today = state.today();
    let (total, papers) = state
        .read(move |archive| archive.public_papers(&window, (page - 1) * per_page, per_page, today))
        .await?;
    let urls = Urls(state.base_url());
    let data = papers.iter().map(|p| paper_object(&urls, p)).collect();
    let url = format!("{}/paper", urls.body());
    Ok(Json(list(data, total, page, per_page, &url, &filters)))
}

/// `GET /oparl/v1/paper/{id}`.
pub async fn paper(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let paper = public_paper(&state, &id).await?;
    Ok(Json(paper_object(&Urls(state.base_url()), &paper)))
}

async fn public_paper(state: &AppState, id: &str) -> Result<PublicPaper, ApiError> {
    let not_found = || ApiError::not_found(format!("paper {id}"));
    let number: i64 = id.parse().map_err(|_| not_found())?;
    let today = state.today();
    state
        .read(move |archive| archive.public_paper_by_id(number, today))
        .await?
        .ok_or_else(not_found)
}

/// The Consultations of a paper's Beratungsfolge (`consultation/{paper}-{n}`, from 1); of a
/// withdrawn paper, deleted objects.
fn consultation_objects(urls: &Urls, p: &PublicPaper) -> Vec<Value> {
    let id = urls.paper(p.id);
    let deciding_body = p
        .record
        .paper()
        .and_then(|paper| paper.deciding_body.as_deref());
    p.record
        .consultations()
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let own = urls.oparl(&format!("consultation/{}-{}", p.id, i + 1));
            if p.status == Status::Withdrawn {
                return deleted(own, "Consultation", p);
            }
            let mut consultation = json!({
                "id": own,
                "type": kind("Consultation"),
                "paper": id,
                "organization": [urls.organization(&c.body)],
                "authoritative": deciding_body == Some(c.body.as_str()),
                "created": oparl_time(&p.created_at),
                "modified": oparl_time(&p.modified_at),
            });
            if let Some(role) = c.role {
                consultation["role"] = Value::String(role.label().into());
            }
            consultation
        })
        .collect()
}

fn paper_object(urls: &Urls, p: &PublicPaper) -> Value {
    let id = urls.paper(p.id);
    if p.status == Status::Withdrawn {
        return deleted(id, "Paper", p);
    }
    let paper = p.record.paper();
    let consultations = consultation_objects(urls, p);
    let mut object = json!({
        "id": id,
        "type": kind("Paper"),
        "body": urls.body(),
        "name": p.record.subject(),
        "reference": p.reference,
        "date": p.record.date().to_string(),
        "consultation": consultations,
        "web": format!("{}/vorlagen/{}", urls.0, p.slug),
        "created": oparl_time(&p.created_at),
        "modified": oparl_time(&p.modified_at),
        "deleted": false,
    });
    if let Some(kind) = p.record.kind() {
        object["paperType"] = Value::String(kind.label().into());
    }
    match (paper, p.renditions.last()) {
        (Some(paper), Some(rendition)) => {
            object["mainFile"] = file_object(urls, p, paper, rendition);
            if !p.originals.is_empty() {
                object["auxiliaryFile"] = p
                    .originals
                    .iter()
                    .map(|o| original_object(urls, p, o))
                    .collect();
            }
        }
        // A legacy paper not structured yet: its original is the main file, the others
        // (its Anlagen in the older system) the auxiliary ones.
        _ => {
            object["keyword"] = json!(["Altbestand", "nicht strukturiert"]);
            if let Some((first, others)) = p.originals.split_first() {
                object["mainFile"] = original_object(urls, p, first);
                if !others.is_empty() {
                    object["auxiliaryFile"] =
                        others.iter().map(|o| original_object(urls, p, o)).collect();
                }
            }
        }
    }
    if let Some(parent) = &p.parent {
        object["superordinatedPaper"] = json!([urls.paper(parent.id)]);
    }
    if !p.supplements.is_empty() {
        object["subordinatedPaper"] = p.supplements.iter().map(|s| urls.paper(s.id)).collect();
    }
    object
}

/// An object of a withdrawn paper (the paper, its files, its consultations) as OParl shows
/// what is gone: its id and type, `deleted`, and the withdrawal as its `modified`.
fn deleted(id: String, type_name: &str, p: &PublicPaper) -> Value {
    json!({
        "id": id,
        "type": kind(type_name),
        "created": oparl_time(&p.created_at),
        "modified": oparl_time(&p.modified_at),
        "deleted": true,
    })
}

fn file_object(urls: &Urls, p: &PublicPaper, paper: &Paper, r: &PublicRendition) -> Value {
    let doc = IndexDoc::from_paper(paper, &p.reference);
    let text = [&doc.subject, &doc.summary, &doc.resolution, &doc.reasoning]
        .into_iter()
        .filter(|t| !t.is_empty())
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join("\n\n");
    let access = format!("{}/dateien/{}", urls.0, r.id);
    json!({
        "id": urls.file(r.id),
        "type": kind("File"),
        "name": format!("{} {}", paper.kind.label(), p.reference),
        "fileName": format!("vorlage-{}.pdf", p.slug),
        "mimeType": "application/pdf",
        "date": paper.date.to_string(),
        "size": r.size,
        "sha512Checksum": r.sha512,
        "text": text,
        "accessUrl": access,
        "downloadUrl": format!("{access}?download=1"),
        "paper": [urls.paper(p.id)],
        "created": oparl_time(&r.created_at),
        "modified": oparl_time(&r.created_at),
        "deleted": false,
    })
}

/// A legacy paper's original as an OParl File: an `auxiliaryFile` of its paper, whose
/// `mainFile` is drucksache's rendering; of a legacy paper not structured yet, the first
/// original is the `mainFile` (with the text extracted from it) and the others are
/// auxiliary.
fn original_object(urls: &Urls, p: &PublicPaper, o: &OriginalFile) -> Value {
    let access = format!("{}/originale/{}", urls.0, o.id);
    let mime = o.media_type.split(';').next().unwrap_or_default().trim();
    let mut file = json!({
        "id": urls.oparl(&format!("file/{ORIGINAL_PREFIX}{}", o.id)),
        "type": kind("File"),
        "name": format!("Original {} (Altbestand)", p.reference),
        "fileName": downloads::original_file_name(&p.slug, &o.media_type),
        "mimeType": mime,
        "date": p.record.date().to_string(),
        "size": o.size,
        "sha512Checksum": o.sha512,
        "accessUrl": access,
        "downloadUrl": format!("{access}?download=1"),
        "paper": [urls.paper(p.id)],
        "created": oparl_time(&o.created_at),
        "modified": oparl_time(&o.created_at),
        "deleted": false,
    });
    if let Record::Legacy(legacy) = &p.record
        && p.originals.first().is_some_and(|first| first.id == o.id)
        && !legacy.text.is_empty()
    {
        file["text"] = Value::String(legacy.text.clone());
    }
    file
}

/// The id segment of an original's File: `original-<row id>` (renditions use the bare id).
const ORIGINAL_PREFIX: &str = "original-";

/// `GET /oparl/v1/file/{id}`: a rendition (`{id}`) or a legacy paper's original
/// (`original-{id}`).
pub async fn file(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let not_found = || ApiError::not_found(format!("file {id}"));
    let today = state.today();
    if let Some(number) = id.strip_prefix(ORIGINAL_PREFIX) {
        let number: i64 = number.parse().map_err(|_| not_found())?;
        let (original, paper) = state
            .read(move |archive| archive.public_original(number, today))
            .await?
            .ok_or_else(not_found)?;
        if paper.status == Status::Withdrawn {
            let id = Urls(state.base_url()).oparl(&format!("file/{id}"));
            return Ok(Json(deleted(id, "File", &paper)));
        }
        return Ok(Json(original_object(
            &Urls(state.base_url()),
            &paper,
            &original,
        )));
    }
    let number: i64 = id.parse().map_err(|_| not_found())?;
    let (rendition, paper) = state
        .read(move |archive| archive.public_rendition(number, today))
        .await?
        .ok_or_else(not_found)?;
    if paper.status == Status::Withdrawn {
        let id = Urls(state.base_url()).file(rendition.id);
        return Ok(Json(deleted(id, "File", &paper)));
    }
    // A rendition belongs to a structured paper (a legacy one not structured yet has none).
    let record = paper.record.paper().ok_or_else(not_found)?;
    Ok(Json(file_object(
        &Urls(state.base_url()),
        &paper,
        record,
        &rendition,
    )))
}

/// A Gremium, created and modified with the public papers that name it.
fn organization_object(urls: &Urls, body: &PublicBody) -> Value {
    json!({
        "id": urls.organization(&body.name),
        "type": kind("Organization"),
        "body": urls.body(),
        "name": body.name,
        "organizationType": "Gremium",
        "created": oparl_time(&body.created_at),
        "modified": oparl_time(&body.modified_at),
    })
}

async fn public_bodies(
    state: &AppState,
    window: ChangeWindow,
) -> Result<Vec<PublicBody>, ApiError> {
    let today = state.today();
    state
        .read(move |archive| archive.public_bodies(&window, today))
        .await
}

/// `GET /oparl/v1/body/{body}/organization?page=&limit=&modified_since=&…`: every Gremium
/// named by a published paper, paged and filtered like the papers.
pub async fn organizations(
    State(state): State<AppState>,
    Path(body): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    the_body(&body)?;
    let query = ListQuery::read(raw.as_deref())?;
    let bodies = public_bodies(&state, query.window).await?;
    let urls = Urls(state.base_url());
    let total = bodies.len() as u64;
    let data: Vec<Value> = bodies
        .iter()
        .skip(((query.page - 1) * query.per_page) as usize)
        .take(query.per_page as usize)
        .map(|b| organization_object(&urls, b))
        .collect();
    let url = format!("{}/organization", urls.body());
    Ok(Json(list(
        data,
        total,
        query.page,
        query.per_page,
        &url,
        &query.filters,
    )))
}

/// `GET /oparl/v1/organization/{id}`.
pub async fn organization(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let names = public_bodies(&state, ChangeWindow::default()).await?;
    let name = names
        .iter()
        .find(|b| organization_id(&b.name) == id)
        .ok_or_else(|| ApiError::not_found(format!("organization {id}")))?;
    Ok(Json(organization_object(&Urls(state.base_url()), name)))
}

/// `GET /oparl/v1/consultation/{paper}-{n}`.
pub async fn consultation(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let not_found = || ApiError::not_found(format!("consultation {id}"));
    let (paper_id, n) = id.split_once('-').ok_or_else(not_found)?;
    let n: usize = n.parse().map_err(|_| not_found())?;
    let paper = public_paper(&state, paper_id).await?;
    consultation_objects(&Urls(state.base_url()), &paper)
        .into_iter()
        .nth(n.checked_sub(1).ok_or_else(not_found)?)
        .map(Json)
        .ok_or_else(not_found)
}

/// `GET /oparl/v1/body/{body}/consultation?page=&limit=&modified_since=&…`: the Consultations
/// of the listed papers, in paper order, paged and filtered by their paper's times.
pub async fn consultations(
    State(state): State<AppState>,
    Path(body): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    the_body(&body)?;
    let ListQuery {
        page,
        per_page,
        window,
        filters,
    } = ListQuery::read(raw.as_deref())?;
    let today = state.today();
    let (total, steps) = state
        .read(move |archive| {
            archive.public_consultations(&window, (page - 1) * per_page, per_page, today)
        })
        .await?;
    let urls = Urls(state.base_url());
    let data = steps
        .iter()
        .filter_map(|(p, n)| consultation_objects(&urls, p).into_iter().nth(*n))
        .collect();
    let url = format!("{}/consultation", urls.body());
    Ok(Json(list(data, total, page, per_page, &url, &filters)))
}

/// People, meetings, agenda items, memberships, locations and legislative terms: drucksache
/// does not keep them; their lists exist and are empty.
pub async fn empty_list(
    State(state): State<AppState>,
    Path(body): Path<String>,
    uri: axum::extract::OriginalUri,
) -> Result<Json<Value>, ApiError> {
    the_body(&body)?;
    // The whole path: inside the nested router, `Uri` has lost its `/oparl/v1`.
    let url = format!("{}{}", state.base_url(), uri.path());
    Ok(Json(list(Vec::new(), 0, 1, PAGE, &url, "")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn organization_ids() {
        assert_eq!(organization_id("Rat der Stadt"), "rat-der-stadt");
        assert_eq!(
            organization_id("Ausschuss für Bürgerbeteiligung & Gleichstellung"),
            "ausschuss-fuer-buergerbeteiligung-gleichstellung"
        );
        assert_eq!(organization_id("BV Haspe"), "bv-haspe");
    }

    #[test]
    fn list_links() {
        let page = list(vec![], 250, 2, 100, "http://x/oparl/v1/body/1/paper", "");
        assert_eq!(page["pagination"]["totalPages"], 3);
        assert_eq!(
            page["links"]["next"],
            "http://x/oparl/v1/body/1/paper?page=3"
        );
        assert_eq!(
            page["links"]["prev"],
            "http://x/oparl/v1/body/1/paper?page=1"
        );
        let last = list(vec![], 250, 3, 100, "u", "modified_since=x");
        assert!(last["links"].get("next").is_none());
        assert_eq!(last["links"]["first"], "u?page=1&modified_since=x");
    }
}
