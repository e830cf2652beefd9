//! OParl Organizations: the Gremien named in the Beratungsfolgen of public papers (by their
//! configured name and id, [`Committees`](crate::model::Committees)), then the Ämter the
//! papers name as in charge or involved (`organization/amt.<Amtsnummer>`).

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use serde_json::{Value, json};

use super::{DEPARTMENT_PREFIX, ListQuery, Urls, kind, list, oparl_time, the_body};
use crate::archive::{ChangeWindow, PublicBody, PublicDepartment};
use crate::server::AppState;
use crate::server::error::ApiError;

/// A Gremium, created and modified with the public papers that name it.
fn gremium_object(urls: &Urls, body: &PublicBody) -> Value {
    json!({
        "id": urls.gremium(&body.name),
        "type": kind("Organization"),
        "body": urls.body(),
        "name": body.name,
        "organizationType": "Gremium",
        "created": oparl_time(&body.created_at),
        "modified": oparl_time(&body.modified_at),
    })
}

/// An Amt (Verwaltungsbereich), created and modified with the public papers that name it.
fn department_object(urls: &Urls, d: &PublicDepartment) -> Value {
    json!({
        "id": urls.department(&d.number),
        "type": kind("Organization"),
        "body": urls.body(),
        "name": d.name,
        "shortName": d.number,
        "organizationType": "Verwaltungsbereich",
        "classification": "Referat",
        "created": oparl_time(&d.created_at),
        "modified": oparl_time(&d.modified_at),
    })
}

/// Every Organization in `window`: the Gremien (a Gremium's other names joined to it), then
/// the Ämter.
async fn public_organizations(
    state: &AppState,
    window: ChangeWindow,
) -> Result<Vec<Value>, ApiError> {
    let today = state.today();
    let (bodies, departments) = state
        .read(move |archive| {
            Ok((
                archive.public_bodies(&window, today)?,
                archive.public_departments(&window, today)?,
            ))
        })
        .await?;
    let urls = Urls::of(state);
    let mut gremien: BTreeMap<String, PublicBody> = BTreeMap::new();
    for body in bodies {
        let name = urls.committees.name(&body.name).to_string();
        let joined = gremien.entry(name.clone()).or_insert_with(|| PublicBody {
            name,
            ..body.clone()
        });
        if body.created_at < joined.created_at {
            joined.created_at = body.created_at;
        }
        if body.modified_at > joined.modified_at {
            joined.modified_at = body.modified_at;
        }
    }
    Ok(gremien
        .values()
        .map(|b| gremium_object(&urls, b))
        .chain(departments.iter().map(|d| department_object(&urls, d)))
        .collect())
}

/// `GET /oparl/v1/body/{body}/organization?page=&limit=&modified_since=&…`: every Gremium
/// and Amt named by a published paper, paged and filtered like the papers.
pub async fn organizations(
    State(state): State<AppState>,
    Path(body): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    the_body(&body)?;
    let query = ListQuery::read(raw.as_deref())?;
    let all = public_organizations(&state, query.window).await?;
    let total = all.len() as u64;
    let data: Vec<Value> = all
        .into_iter()
        .skip(((query.page - 1) * query.per_page) as usize)
        .take(query.per_page as usize)
        .collect();
    let url = format!("{}/organization", Urls::of(&state).body());
    Ok(Json(list(
        data,
        total,
        query.page,
        query.per_page,
        &url,
        &query.filters,
    )))
}

/// `GET /oparl/v1/organization/{id}`: a Gremium by its id, an Amt by `amt.<number>`.
pub async fn organization(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let want = Urls::of(&state).oparl(&format!("organization/{id}"));
    public_organizations(&state, ChangeWindow::default())
        .await?
        .into_iter()
        .find(|o| o["id"] == want.as_str())
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("organization {id}")))
}

/// The name behind a Gremium id: a configured Gremium's, or else the name a Beratungsfolge
/// uses that makes this id (whether public papers name it is for the caller to ask).
pub(super) async fn gremium_name(state: &AppState, id: &str) -> Result<Option<String>, ApiError> {
    let committees = &state.settings().committees;
    if let Some(name) = committees.by_id(id) {
        return Ok(Some(name.to_string()));
    }
    if id.starts_with(DEPARTMENT_PREFIX) {
        return Ok(None);
    }
    let names = state.read(|archive| archive.gremium_names()).await?;
    Ok(names
        .iter()
        .find(|name| committees.id(name) == id)
        .map(|name| committees.name(name).to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::organization_id;

    #[test]
    fn an_amt_id_is_never_a_gremium_id() {
        // A Gremium's id is made of letters, digits and hyphens only.
        for name in ["Amt 55", "amt.55", "Amt. 55"] {
            assert!(!organization_id(name).starts_with(DEPARTMENT_PREFIX));
        }
    }
}
