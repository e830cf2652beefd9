//! OParl 1.1, read-only (`/oparl/v1`): System and the one Body (the municipality) with its
//! lists, and what every list shares: ids, date-times, paging and the time filters. The
//! objects live beside it: papers.rs (Paper, File, Consultation), organizations.rs
//! (Gremien and Ämter), meetings.rs (Meeting, AgendaItem: read from the Beratungsfolgen).
//! People, memberships, locations and legislative terms are not kept by drucksache: their
//! lists exist and are empty.
//!
//! Only published papers appear. A withdrawn paper appears as a deleted object (`id`, `type`,
//! `created`, `modified`, `deleted: true`), as OParl asks for objects that are gone; in a list
//! only when it is asked for with `modified_since`.

mod meetings;
mod organizations;
mod papers;

use axum::Json;
use axum::extract::{Path, State};
use serde_json::{Value, json};

use super::AppState;
use super::error::ApiError;
use super::params;
use std::collections::BTreeMap;

use crate::archive::{Archive, ArchiveError, ChangeWindow};
use crate::model::{Committees, Date, organization_id};

pub use meetings::{agenda_item, agenda_items, meeting, meetings};
pub use organizations::{organization, organizations};
pub use papers::{consultation, consultations, file, files, paper, papers};

const VERSION: &str = "https://schema.oparl.org/1.1/";
/// The one Body's id segment.
const BODY: &str = "1";
/// Papers per list page unless `limit` says otherwise, and the most `limit` may ask for.
const PAGE: u64 = 100;
const MAX_PAGE: u64 = 1000;

fn kind(name: &str) -> String {
    format!("{VERSION}{name}")
}

/// The URLs of OParl objects: below the service's base URL, Gremien by their id
/// ([`Committees::id`]).
struct Urls<'a> {
    base: &'a str,
    committees: &'a Committees,
}

impl<'a> Urls<'a> {
    fn of(state: &'a AppState) -> Urls<'a> {
        Urls {
            base: state.base_url(),
            committees: &state.settings().committees,
        }
    }
    fn oparl(&self, rest: &str) -> String {
        format!("{}/oparl/v1/{rest}", self.base)
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
    /// A Gremium, by any of its names.
    fn gremium(&self, name: &str) -> String {
        self.oparl(&format!("organization/{}", self.committees.id(name)))
    }
    /// An Amt, by its number.
    fn department(&self, number: &str) -> String {
        self.oparl(&format!(
            "organization/{DEPARTMENT_PREFIX}{}",
            organization_id(number)
        ))
    }
    /// The meeting of a Gremium (any of its names) on a day (`YYYY-MM-DD`).
    fn meeting(&self, name: &str, day: &str) -> String {
        self.oparl(&format!("meeting/{day}-{}", self.committees.id(name)))
    }
    /// A paper's Consultation and its AgendaItem share their id segment: the paper's id and
    /// the step of its Beratungsfolge (from 1).
    fn consultation(&self, paper: i64, step: usize) -> String {
        self.oparl(&format!("consultation/{paper}-{}", step + 1))
    }
    fn agenda_item(&self, paper: i64, step: usize) -> String {
        self.oparl(&format!("agendaItem/{paper}-{}", step + 1))
    }
}

/// The id segment of an Amt's Organization: `amt.` and its number (a Gremium's id never has
/// a dot).
const DEPARTMENT_PREFIX: &str = "amt.";

/// `{paper}-{n}` (n from 1) as the paper's id and the step's index (from 0).
fn step_id(id: &str) -> Option<(i64, usize)> {
    let (paper, n) = id.split_once('-')?;
    let n: usize = n.parse().ok()?;
    Some((paper.parse().ok()?, n.checked_sub(1)?))
}

/// An object that is gone, as OParl shows it: its id and type, `deleted`, and when it went
/// as its `modified`.
fn deleted_object(id: String, type_name: &str, created: &str, modified: &str) -> Value {
    json!({
        "id": id,
        "type": kind(type_name),
        "created": oparl_time(created),
        "modified": oparl_time(modified),
        "deleted": true,
    })
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
    let urls = Urls::of(&state);
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
    let urls = Urls::of(state);
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
        "file": format!("{body}/file"),
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
    let url = Urls::of(&state).oparl("body");
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

/// What one page of a Body list asks of the archive.
struct Page {
    window: ChangeWindow,
    offset: u64,
    limit: u64,
    today: Date,
    /// Other names of Gremien → the name they stand for ([`Committees::aliases`]).
    aliases: BTreeMap<String, String>,
}

/// A Body list (`body/1/{name}`): its query read and checked, one page fetched by `fetch` on
/// a read connection, each item made an object by `object`, with the list's links.
async fn paged<T: Send + 'static>(
    state: &AppState,
    body: &str,
    raw: Option<&str>,
    name: &str,
    fetch: impl FnOnce(&Archive, &Page) -> Result<(u64, Vec<T>), ArchiveError> + Send + 'static,
    object: impl Fn(&Urls, &T) -> Option<Value>,
) -> Result<Json<Value>, ApiError> {
    the_body(body)?;
    let query = ListQuery::read(raw)?;
    let page = Page {
        window: query.window,
        offset: (query.page - 1) * query.per_page,
        limit: query.per_page,
        today: state.today(),
        aliases: state.settings().committees.aliases(),
    };
    let (total, items) = state.read(move |archive| fetch(archive, &page)).await?;
    let urls = Urls::of(state);
    let data = items
        .iter()
        .filter_map(|item| object(&urls, item))
        .collect();
    let url = format!("{}/{name}", urls.body());
    Ok(Json(list(
        data,
        total,
        query.page,
        query.per_page,
        &url,
        &query.filters,
    )))
}

/// People, memberships, locations and legislative terms: drucksache
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
