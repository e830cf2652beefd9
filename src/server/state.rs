//! What every request handler shares: settings, the read connections to the archive, the
//! search index, the writer thread, the renderer for previews, metrics, and the cache of
//! signature checks (stored files never change, so each is verified once).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::archive::{Archive, ArchiveError};
use crate::config::{ApiToken, Settings};
use crate::model::{Clock, Date};
use crate::publish::{PublishError, Publisher};
use crate::render::Renderer;
use crate::search::{self, SearchError, SearchIndex, SearchResults};
use crate::sign::VerifyReport;

use super::error::ApiError;
use super::jobs::Jobs;
use super::metrics::Metrics;
use super::writer::Writer;

/// How often the running service brings the search index up to the archive.
pub const INDEX_SYNC_INTERVAL: std::time::Duration = std::time::Duration::from_secs(60);

/// Why the service cannot start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Publish(#[from] PublishError),
    #[error(transparent)]
    Search(#[from] SearchError),
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    #[error("cannot read the coat of arms {path} ([gemeinde] wappen): {source}")]
    CoatOfArms {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
}

/// The largest coat of arms the pages show (`[gemeinde] wappen`); a larger one is printed on
/// the papers but left off the pages, with a warning at start.
pub const MAX_COAT_OF_ARMS_BYTES: usize = 1024 * 1024;

/// The coat of arms (Wappen) as the pages serve it: `/wappen`.
pub struct CoatOfArms {
    pub bytes: axum::body::Bytes,
    pub media_type: &'static str,
}

/// The configured coat of arms, if the pages can show it.
fn coat_of_arms(settings: &Settings) -> Result<Option<CoatOfArms>, StartError> {
    let Some(path) = &settings.letterhead.coat_of_arms else {
        return Ok(None);
    };
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let media_type = match extension.as_str() {
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        _ => {
            tracing::warn!(
                "[gemeinde] wappen {}: the pages show only an SVG, PNG or JPEG file",
                path.display()
            );
            return Ok(None);
        }
    };
    let bytes = std::fs::read(path).map_err(|source| StartError::CoatOfArms {
        path: path.clone(),
        source,
    })?;
    if bytes.len() > MAX_COAT_OF_ARMS_BYTES {
        tracing::warn!(
            "[gemeinde] wappen {}: {} bytes; the pages show one of at most {MAX_COAT_OF_ARMS_BYTES}",
            path.display(),
            bytes.len()
        );
        return Ok(None);
    }
    Ok(Some(CoatOfArms {
        bytes: bytes.into(),
        media_type,
    }))
}

/// Shared state of the service; cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

struct Inner {
    settings: Settings,
    base_url: String,
    readers: Mutex<Vec<Archive>>,
    search: Arc<SearchIndex>,
    /// Two permits per core: searches queue here, first come first served, instead of all
    /// sharing the cores at once, which made every one of them slow under load (p99 25 ms
    /// instead of 13 ms at 32 connections). One permit per core left the cores idle while a
    /// finished search's thread handed over (a quarter fewer searches per second).
    searching: tokio::sync::Semaphore,
    /// One permit per core: what expensive queries take before a place in `searching`.
    searching_heavy: tokio::sync::Semaphore,
    renderer: Arc<Renderer>,
    coat_of_arms: Option<CoatOfArms>,
    /// What "today" is: which papers are published.
    clock: Clock,
    /// The day the index was last brought up to the archive by this service.
    synced_day: Mutex<Date>,
    metrics: Metrics,
    verified: Mutex<HashMap<String, Arc<VerifyReport>>>,
    /// The re-rendering jobs the writer runs.
    jobs: Arc<Jobs>,
    /// Dropped last: waits for the jobs in flight.
    writer: Writer,
}

impl AppState {
    /// Opens the archive (importing tracked records), builds the search index if it is
    /// missing or outdated, and starts the writer. Blocking; call it before serving.
    /// `base_url` is the public address for absolute links, without a trailing `/`.
    pub fn open(settings: &Settings, base_url: &str) -> Result<AppState, StartError> {
        AppState::open_with_clock(settings, base_url, Clock::system())
    }

    /// [`AppState::open`] with "today" from `clock` (tests move it to the day a blocking
    /// date ends).
    pub fn open_with_clock(
        settings: &Settings,
        base_url: &str,
        clock: Clock,
    ) -> Result<AppState, StartError> {
        let coat_of_arms = coat_of_arms(settings)?;
        let missing = settings.portal.missing();
        if !missing.is_empty() {
            tracing::warn!(
                "[portal] in {}: not configured: {}; the portal's pages say that the operator has not provided them",
                settings
                    .config_file
                    .as_deref()
                    .map_or_else(|| "drucksache.toml".into(), |p| p.display().to_string()),
                missing.join("; ")
            );
        }
        let mut publisher = Publisher::open_with_clock(settings, clock.clone())?;
        let mut index =
            SearchIndex::open_or_create_on(&search::index_dir(&settings.archive), clock.today())?;
        if !index.is_complete() {
            tracing::info!(
                "building the search index of {}",
                settings.archive.display()
            );
            let stats = publisher.rebuild_index(&mut index, |_| {})?;
            tracing::info!(
                "search index built: {} papers, {} not public",
                stats.indexed,
                stats.not_public
            );
        }
        let renderer = publisher.share_renderer()?;
        let search = Arc::new(index);
        let reader = Archive::open_reader(&settings.archive, settings.numbering.clone())?;
        let metrics = Metrics::new();
        let jobs = Arc::new(Jobs::default());
        let writer = Writer::start(
            publisher,
            Arc::clone(&search),
            Arc::clone(&jobs),
            metrics.batches_split.clone(),
        );
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Ok(AppState(Arc::new(Inner {
            settings: settings.clone(),
            base_url: base_url.trim_end_matches('/').to_string(),
            readers: Mutex::new(vec![reader]),
            search,
            searching: tokio::sync::Semaphore::new(2 * cores),
            searching_heavy: tokio::sync::Semaphore::new(cores),
            renderer,
            coat_of_arms,
            synced_day: Mutex::new(clock.today()),
            clock,
            metrics,
            verified: Mutex::new(HashMap::new()),
            jobs,
            writer,
        })))
    }

    pub fn settings(&self) -> &Settings {
        &self.0.settings
    }

    /// `http://host:port` (no trailing `/`).
    pub fn base_url(&self) -> &str {
        &self.0.base_url
    }

    pub fn tokens(&self) -> &[ApiToken] {
        &self.0.settings.service.tokens
    }

    /// Runs a search of the public index on the blocking pool.
    pub async fn search(&self, query: crate::search::Query) -> Result<SearchResults, ApiError> {
        // On the first search of a new day, the papers released that day enter the index
        // first: the index answers by the same day as the pages (archive `public.rs`).
        let today = self.today();
        if *self.0.synced_day.lock().unwrap_or_else(|e| e.into_inner()) != today {
            self.sync_index().await?;
            *self.0.synced_day.lock().unwrap_or_else(|e| e.into_inner()) = today;
        }
        let parsed = query
            .parse_bounded()
            .map_err(|e| ApiError::parameter(e.parameter(), e.to_string()))?;
        // Expensive queries (many words, prefixes) first take a place in their own lane,
        // which has half the places: cheap ones always find a free place.
        let _heavy = match parsed.is_heavy() {
            true => Some(
                self.0
                    .searching_heavy
                    .acquire()
                    .await
                    .map_err(ApiError::internal)?,
            ),
            false => None,
        };
        let _permit = self
            .0
            .searching
            .acquire()
            .await
            .map_err(ApiError::internal)?;
        let state = self.clone();
        tokio::task::spawn_blocking(move || state.0.search.search(&query))
            .await
            .map_err(ApiError::internal)?
            .map_err(|e| match e {
                search::SearchError::Query(e) => ApiError::parameter(e.parameter(), e.to_string()),
                other => ApiError::internal(other),
            })
    }

    /// The coat of arms the pages show, if any.
    pub fn coat_of_arms(&self) -> Option<&CoatOfArms> {
        self.0.coat_of_arms.as_ref()
    }

    pub fn renderer(&self) -> &Arc<Renderer> {
        &self.0.renderer
    }

    pub fn jobs(&self) -> &Jobs {
        &self.0.jobs
    }

    pub fn writer(&self) -> &Writer {
        &self.0.writer
    }

    /// Brings the search index up to the archive now (through the writer).
    pub async fn sync_index(&self) -> Result<Option<usize>, ApiError> {
        Ok(self.0.writer.sync_index().await?)
    }

    /// Keeps the index in step while the service runs: every [`INDEX_SYNC_INTERVAL`] the
    /// writer picks up papers that other processes created (or that one killed before its
    /// index update left out) and those a new day released. The task ends with the service.
    pub fn keep_index_in_step(&self) {
        let state = Arc::downgrade(&self.0);
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(INDEX_SYNC_INTERVAL);
            ticks.tick().await; // the first tick is now; the index was synced at start
            loop {
                ticks.tick().await;
                let Some(inner) = state.upgrade() else { return };
                let writer = AppState(inner);
                match writer.sync_index().await {
                    Ok(Some(n)) if n > 0 => {
                        tracing::info!("search index: {n} papers brought up to date")
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!("search index not synced: {}", e.message),
                }
            }
        });
    }

    pub fn metrics(&self) -> &Metrics {
        &self.0.metrics
    }

    /// The day that decides what is published (papers blocked until a date).
    pub fn today(&self) -> Date {
        self.0.clock.today()
    }

    /// Runs `f` with a read connection to the archive on the blocking pool.
    pub async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Archive) -> Result<T, ArchiveError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let state = self.clone();
        let joined = tokio::task::spawn_blocking(move || {
            let pooled = state
                .0
                .readers
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .pop();
            let archive = match pooled {
                Some(archive) => archive,
                None => Archive::open_reader(
                    &state.0.settings.archive,
                    state.0.settings.numbering.clone(),
                )?,
            };
            let result = f(&archive);
            state
                .0
                .readers
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(archive);
            result
        })
        .await;
        match joined {
            Ok(result) => result.map_err(ApiError::from),
            Err(e) => Err(ApiError::internal(format!("a read task failed: {e}"))),
        }
    }

    /// The signature check of a stored file, computed once per file (stored files never
    /// change) on the blocking pool.
    pub async fn verification(
        &self,
        sha512: &str,
        path: &std::path::Path,
    ) -> Result<Arc<VerifyReport>, ApiError> {
        if let Some(report) = self
            .0
            .verified
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(sha512)
        {
            return Ok(Arc::clone(report));
        }
        let path = path.to_path_buf();
        let report = tokio::task::spawn_blocking(move || {
            std::fs::read(&path).map(|pdf| Arc::new(crate::sign::verify(&pdf, &[])))
        })
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
        self.0
            .verified
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(sha512.to_string(), Arc::clone(&report));
        Ok(report)
    }
}
