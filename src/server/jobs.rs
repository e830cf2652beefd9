//! The service's re-rendering jobs: `POST /api/v1/rerender` starts one on the writer (one
//! at a time), `GET /api/v1/jobs/{id}` shows its progress and, when done, its report (the
//! same JSON as `drucksache rerender --report`). Jobs live as long as the process; the run
//! itself is recorded in the archive, so a job cut short by a restart is resumed by posting
//! the same selection again.

use std::collections::HashMap;
use std::sync::Mutex;

use axum::Extension;
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::api::{body_bytes, parse_body};
use super::auth::Caller;
use super::error::ApiError;
use super::state::AppState;
use crate::archive::{Selection, SelectionError};
use crate::error::Code;
use crate::model::Kind;
use crate::publish::{Progress, Report, RerenderOptions};

/// Every job of this process, and which one runs.
#[derive(Default)]
pub struct Jobs(Mutex<Registry>);

#[derive(Default)]
struct Registry {
    last: u64,
    running: Option<u64>,
    all: HashMap<u64, JobView>,
}

/// What `GET /api/v1/jobs/{id}` answers.
#[derive(Debug, Clone, Serialize)]
pub struct JobView {
    pub id: u64,
    /// `laeuft`, `fertig` or `fehlgeschlagen`.
    pub status: &'static str,
    pub selection: String,
    /// Papers done (by this job and by earlier invocations of the same run) and selected.
    pub erledigt: usize,
    pub ausgewaehlt: usize,
    /// Papers per second.
    pub rate: f64,
    /// Seconds left at that rate.
    pub restzeit_s: Option<u64>,
    /// When done: the report.
    pub bericht: Option<Report>,
    /// When failed: why.
    pub fehler: Option<String>,
}

impl Jobs {
    /// Takes the one place for a running job; `None` when a job runs already.
    pub fn begin(&self, selection: String) -> Option<u64> {
        let mut registry = self.0.lock().expect("no job update panicked");
        if registry.running.is_some() {
            return None;
        }
        registry.last += 1;
        let id = registry.last;
        registry.running = Some(id);
        registry.all.insert(
            id,
            JobView {
                id,
                status: "laeuft",
                selection,
                erledigt: 0,
                ausgewaehlt: 0,
                rate: 0.0,
                restzeit_s: None,
                bericht: None,
                fehler: None,
            },
        );
        Some(id)
    }

    /// A job that could not start: forgotten, its place free again.
    pub fn abandon(&self, id: u64) {
        let mut registry = self.0.lock().expect("no job update panicked");
        registry.all.remove(&id);
        registry.running = None;
    }

    pub fn progress(&self, id: u64, progress: Progress) {
        let mut registry = self.0.lock().expect("no job update panicked");
        if let Some(job) = registry.all.get_mut(&id) {
            job.erledigt = progress.done;
            job.ausgewaehlt = progress.selected;
            job.rate = progress.rate;
            job.restzeit_s = progress.eta.map(|d| d.as_secs());
        }
    }

    /// The job ended, with its report or its error; the next may start.
    pub fn end(&self, id: u64, result: Result<Report, String>) {
        let mut registry = self.0.lock().expect("no job update panicked");
        registry.running = None;
        if let Some(job) = registry.all.get_mut(&id) {
            match result {
                Ok(report) => {
                    job.status = "fertig";
                    job.erledigt = report.selected - report.pending;
                    job.ausgewaehlt = report.selected;
                    job.bericht = Some(report);
                }
                Err(error) => {
                    job.status = "fehlgeschlagen";
                    job.fehler = Some(error);
                }
            }
        }
    }

    fn view(&self, id: u64) -> Option<JobView> {
        self.0
            .lock()
            .expect("no job update panicked")
            .all
            .get(&id)
            .cloned()
    }
}

/// The body of `POST /api/v1/rerender`: the selection of `drucksache rerender`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RerenderBody {
    /// Every paper.
    #[serde(default)]
    alle: bool,
    jahr: Option<i32>,
    art: Option<Kind>,
    /// Only papers rendered with other templates or another program version.
    #[serde(default)]
    veraltet: bool,
    /// These Drucksachennummern.
    #[serde(default)]
    drucksachen: Vec<String>,
    /// Render and check, store nothing.
    #[serde(default)]
    probelauf: bool,
    /// Stop at the first paper whose words differ, without storing it.
    #[serde(default)]
    bei_abweichung_anhalten: bool,
}

impl RerenderBody {
    fn selection(&self) -> Result<Selection, ApiError> {
        Selection::from_parts(
            self.alle,
            self.jahr,
            self.art,
            self.veraltet,
            self.drucksachen.clone(),
        )
        .map_err(|e| match e {
            SelectionError::Nothing => ApiError::parameter(
                "alle",
                "choose the papers: alle, jahr, art, veraltet or drucksachen",
            ),
            SelectionError::Mixed => ApiError::parameter(
                "drucksachen",
                "alle, the filters (jahr, art, veraltet) and drucksachen exclude each other",
            ),
        })
    }
}

/// `POST /api/v1/rerender`: 202 with the job's URL (`Location` too), 409 while another job
/// runs.
pub async fn start(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = body_bytes(&headers, body)?;
    let request: RerenderBody = parse_body(
        &body,
        "body",
        "give a selection such as {\"alle\": true} or {\"drucksachen\": [\"0310/2012\"]}",
    )?;
    let selection = request.selection()?;
    let options = RerenderOptions {
        dry_run: request.probelauf,
        jobs: 0,
        fail_on_change: request.bei_abweichung_anhalten,
    };
    let jobs = state.jobs();
    let Some(id) = jobs.begin(selection.canonical()) else {
        return Err(ApiError::new(
            Code::Conflict,
            "a re-rendering job is running already; wait for it (GET /api/v1/jobs/{id})",
        ));
    };
    if let Err(e) = state.writer().rerender(id, selection, options).await {
        jobs.abandon(id);
        return Err(e.into());
    }
    tracing::info!(caller = %caller.name, job = id, "re-rendering started");
    let url = format!("/api/v1/jobs/{id}");
    let body = serde_json::json!({"job": url, "status": "laeuft"});
    Ok((StatusCode::ACCEPTED, [(header::LOCATION, url)], Json(body)).into_response())
}

/// `GET /api/v1/jobs/{id}`.
pub async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<JobView>, ApiError> {
    id.parse::<u64>()
        .ok()
        .and_then(|id| state.jobs().view(id))
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("job {id}")))
}
