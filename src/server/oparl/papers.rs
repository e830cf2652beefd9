//! OParl Papers and what they embed: their Files (the renditions, a legacy paper's
//! originals) and their Consultations (the steps of the Beratungsfolge), as objects, as
//! lists and one by one; a withdrawn paper's as deleted objects.

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use serde_json::{Value, json};

use super::{Page, Urls, deleted_object, kind, oparl_time, paged, step_id};
use crate::archive::{Archive, OriginalFile, PublicFile, PublicPaper, PublicRendition};
use crate::model::{Paper, Record, Status};
use crate::search::IndexDoc;
use crate::server::AppState;
use crate::server::downloads;
use crate::server::error::ApiError;

/// `GET /oparl/v1/body/{body}/paper?page=&limit=&created_since=&…`.
pub async fn papers(
    State(state): State<AppState>,
    Path(body): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let fetch =
        |archive: &Archive, p: &Page| archive.public_papers(&p.window, p.offset, p.limit, p.today);
    paged(
        &state,
        &body,
        raw.as_deref(),
        "paper",
        fetch,
        |urls, paper| Some(paper_object(urls, paper)),
    )
    .await
}

/// `GET /oparl/v1/paper/{id}`.
pub async fn paper(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let paper = public_paper(&state, &id).await?;
    Ok(Json(paper_object(&Urls::of(&state), &paper)))
}

pub(super) async fn public_paper(state: &AppState, id: &str) -> Result<PublicPaper, ApiError> {
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
            let own = urls.consultation(p.id, i);
            if p.status == Status::Withdrawn {
                return deleted(own, "Consultation", p);
            }
            let day = c.date.to_string();
            let mut consultation = json!({
                "id": own,
                "type": kind("Consultation"),
                "paper": id,
                "meeting": urls.meeting(&c.body, &day),
                "agendaItem": urls.agenda_item(p.id, i),
                "organization": [urls.gremium(&c.body)],
                "authoritative": deciding_body
                    .is_some_and(|d| urls.committees.name(d) == urls.committees.name(&c.body)),
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
        "web": format!("{}/vorlagen/{}", urls.base, p.slug),
        "created": oparl_time(&p.created_at),
        "modified": oparl_time(&p.modified_at),
        "deleted": false,
    });
    if let Some(kind) = p.record.kind() {
        object["paperType"] = Value::String(kind.label().into());
    }
    // The Amt in charge (Federführung) first, then the ones involved; the one in charge
    // submitted the paper.
    if let Some(lead) = p.record.department() {
        let mut directing = vec![urls.department(&lead.number)];
        for d in p.record.involved() {
            let url = urls.department(&d.number);
            if !directing.contains(&url) {
                directing.push(url);
            }
        }
        object["underDirectionOf"] = json!(directing);
        object["originatorOrganization"] = json!([urls.department(&lead.number)]);
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
pub(super) fn deleted(id: String, type_name: &str, p: &PublicPaper) -> Value {
    deleted_object(id, type_name, &p.created_at, &p.modified_at)
}

fn file_object(urls: &Urls, p: &PublicPaper, paper: &Paper, r: &PublicRendition) -> Value {
    let doc = IndexDoc::from_paper(paper, &p.reference);
    let text = [&doc.subject, &doc.summary, &doc.resolution, &doc.reasoning]
        .into_iter()
        .filter(|t| !t.is_empty())
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join("\n\n");
    let access = format!("{}/dateien/{}", urls.base, r.id);
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
    let access = format!("{}/originale/{}", urls.base, o.id);
    let mime = o.media_type.split(';').next().unwrap_or_default().trim();
    let mut file = json!({
        "id": original_url(urls, o.id),
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

fn original_url(urls: &Urls, id: i64) -> String {
    urls.oparl(&format!("file/{ORIGINAL_PREFIX}{id}"))
}

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
            let id = Urls::of(&state).oparl(&format!("file/{id}"));
            return Ok(Json(deleted(id, "File", &paper)));
        }
        return Ok(Json(original_object(&Urls::of(&state), &paper, &original)));
    }
    let number: i64 = id.parse().map_err(|_| not_found())?;
    let (rendition, paper) = state
        .read(move |archive| archive.public_rendition(number, today))
        .await?
        .ok_or_else(not_found)?;
    if paper.status == Status::Withdrawn {
        let id = Urls::of(&state).file(rendition.id);
        return Ok(Json(deleted(id, "File", &paper)));
    }
    // A rendition belongs to a structured paper (a legacy one not structured yet has none).
    let record = paper.record.paper().ok_or_else(not_found)?;
    Ok(Json(file_object(
        &Urls::of(&state),
        &paper,
        record,
        &rendition,
    )))
}

/// `GET /oparl/v1/consultation/{paper}-{n}`.
pub async fn consultation(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let not_found = || ApiError::not_found(format!("consultation {id}"));
    let (paper_id, step) = step_id(&id).ok_or_else(not_found)?;
    let paper = public_paper(&state, &paper_id.to_string()).await?;
    consultation_objects(&Urls::of(&state), &paper)
        .into_iter()
        .nth(step)
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
    let fetch = |archive: &Archive, p: &Page| {
        archive.public_consultations(&p.window, p.offset, p.limit, p.today)
    };
    paged(
        &state,
        &body,
        raw.as_deref(),
        "consultation",
        fetch,
        |urls, (paper, n)| consultation_objects(urls, paper).into_iter().nth(*n),
    )
    .await
}

/// `GET /oparl/v1/body/{body}/file?page=&limit=&modified_since=&…`: the Files of the listed
/// papers (each paper's current rendition, then its originals), paged and filtered by their
/// paper's times.
pub async fn files(
    State(state): State<AppState>,
    Path(body): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let fetch =
        |archive: &Archive, p: &Page| archive.public_files(&p.window, p.offset, p.limit, p.today);
    paged(
        &state,
        &body,
        raw.as_deref(),
        "file",
        fetch,
        |urls, (paper, file)| listed_file(urls, paper, *file),
    )
    .await
}

/// A File of the file list as its paper shows it (of a withdrawn paper, deleted).
fn listed_file(urls: &Urls, p: &PublicPaper, file: PublicFile) -> Option<Value> {
    match file {
        PublicFile::Rendition(id) => {
            if p.status == Status::Withdrawn {
                return Some(deleted(urls.file(id), "File", p));
            }
            let rendition = p.renditions.iter().find(|r| r.id == id)?;
            Some(file_object(urls, p, p.record.paper()?, rendition))
        }
        PublicFile::Original(id) => {
            if p.status == Status::Withdrawn {
                return Some(deleted(original_url(urls, id), "File", p));
            }
            let original = p.originals.iter().find(|o| o.id == id)?;
            Some(original_object(urls, p, original))
        }
    }
}
