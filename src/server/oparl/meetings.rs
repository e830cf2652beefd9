//! OParl Meetings and AgendaItems, read from the Beratungsfolgen: the meeting of a Gremium on
//! a day (`meeting/<YYYY-MM-DD>-<Gremium id>`) has one AgendaItem per step of a paper's
//! Beratungsfolge that names them (`agendaItem/<paper>-<n>`, as its Consultation). drucksache
//! knows the day, not the hour: `start` is that day at 00:00 UTC, the same day in Germany.
//! The items are in paper order, `order` counting from 0 as OParl 1.1 says (its place in
//! `Meeting.agendaItem`); they have no `number`: drucksache does not know the real agenda's
//! numbers, and an invented "TOP 3" would mislead.

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use serde_json::{Value, json};

use super::organizations::gremium_name;
use super::papers::deleted;
use super::{Page, Urls, deleted_object, kind, oparl_time, paged, step_id};
use crate::archive::{AgendaEntry, Archive, ChangeWindow, PublicMeeting};
use crate::model::Status;
use crate::server::AppState;
use crate::server::error::ApiError;

fn meeting_object(urls: &Urls, m: &PublicMeeting) -> Value {
    let id = urls.meeting(&m.body, &m.day);
    if m.deleted {
        return deleted_object(id, "Meeting", &m.created_at, &m.modified_at);
    }
    json!({
        "id": id,
        "type": kind("Meeting"),
        "name": format!("Sitzung {}", m.body),
        "start": format!("{}T00:00:00+00:00", m.day),
        "organization": [urls.gremium(&m.body)],
        "agendaItem": m.items.iter().map(|e| agenda_item_object(urls, e)).collect::<Vec<_>>(),
        "created": oparl_time(&m.created_at),
        "modified": oparl_time(&m.modified_at),
        "deleted": false,
    })
}

fn agenda_item_object(urls: &Urls, e: &AgendaEntry) -> Value {
    let p = &e.paper;
    let id = urls.agenda_item(p.id, e.step);
    let (Some(position), Some(step), Status::Active) =
        (e.position, p.record.consultations().get(e.step), p.status)
    else {
        return deleted(id, "AgendaItem", p);
    };
    json!({
        "id": id,
        "type": kind("AgendaItem"),
        "meeting": urls.meeting(&step.body, &step.date.to_string()),
        "order": position,
        "name": p.record.subject(),
        "public": true,
        "consultation": urls.consultation(p.id, e.step),
        "created": oparl_time(&p.created_at),
        "modified": oparl_time(&p.modified_at),
        "deleted": false,
    })
}

/// `GET /oparl/v1/body/{body}/meeting?page=&limit=&modified_since=&…`: by day, then Gremium.
pub async fn meetings(
    State(state): State<AppState>,
    Path(body): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let fetch = |archive: &Archive, p: &Page| {
        archive.public_meetings(&p.window, (p.offset, p.limit), p.today, &p.aliases, None)
    };
    paged(
        &state,
        &body,
        raw.as_deref(),
        "meeting",
        fetch,
        |urls, m| Some(meeting_object(urls, m)),
    )
    .await
}

/// `GET /oparl/v1/meeting/{YYYY-MM-DD}-{gremium}`.
pub async fn meeting(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let not_found = || ApiError::not_found(format!("meeting {id}"));
    let (day, gremium) = match (id.get(..10), id.get(10..11), id.get(11..)) {
        (Some(day), Some("-"), Some(gremium)) => (day.to_string(), gremium),
        _ => return Err(not_found()),
    };
    let name = gremium_name(&state, gremium).await?.ok_or_else(not_found)?;
    let today = state.today();
    let aliases = state.settings().committees.aliases();
    let (_, meetings) = state
        .read(move |archive| {
            let only = Some((name.as_str(), day.as_str()));
            archive.public_meetings(&ChangeWindow::default(), (0, 1), today, &aliases, only)
        })
        .await?;
    let urls = Urls::of(&state);
    meetings
        .first()
        .map(|m| Json(meeting_object(&urls, m)))
        .ok_or_else(not_found)
}

/// `GET /oparl/v1/body/{body}/agendaItem?page=&limit=&modified_since=&…`: every step of the
/// listed papers' Beratungsfolgen, by paper and step, filtered by their paper's times.
pub async fn agenda_items(
    State(state): State<AppState>,
    Path(body): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let fetch = |archive: &Archive, p: &Page| {
        archive.public_agenda_items(&p.window, (p.offset, p.limit), p.today, &p.aliases, None)
    };
    paged(
        &state,
        &body,
        raw.as_deref(),
        "agendaItem",
        fetch,
        |urls, e| Some(agenda_item_object(urls, e)),
    )
    .await
}

/// `GET /oparl/v1/agendaItem/{paper}-{n}`; of a withdrawn paper, a deleted object.
pub async fn agenda_item(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let not_found = || ApiError::not_found(format!("agendaItem {id}"));
    let only = step_id(&id).ok_or_else(not_found)?;
    let today = state.today();
    let aliases = state.settings().committees.aliases();
    // A withdrawn paper's items are asked for as changes, so that they are found at all.
    let window = ChangeWindow {
        modified_since: Some("0000-01-01T00:00:00Z".into()),
        ..ChangeWindow::default()
    };
    let (_, items) = state
        .read(move |archive| {
            archive.public_agenda_items(&window, (0, 1), today, &aliases, Some(only))
        })
        .await?;
    let urls = Urls::of(&state);
    items
        .first()
        .map(|e| Json(agenda_item_object(&urls, e)))
        .ok_or_else(not_found)
}
