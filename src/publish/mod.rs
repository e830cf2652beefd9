//! The publish layer, above the archive, the renderer, the signer and the search index: a
//! [`Publisher`] is an open archive plus what turns a paper into its stored PDF
//! (validated paper → allocate → render → sign → store → commit → index), and the home of
//! work over many stored papers.
//!
//! - `mod.rs`: [`Publisher`] (create, withdraw) and [`PublishError`];
//! - `produce.rs`: the signing key and what the archive stores of one render;
//! - `index.rs`: keeping the search index in step with the archive, rebuilding it, and
//!   comparing both for `check`;
//! - `import.rs`: the tracked records under `papers/` that the database does not have yet;
//! - `legacy.rs`: legacy papers (Altbestand) from text dumps, archived or sent to review;
//! - `harvest.rs`: harvesting another council system over OParl, page by page with checkpoints;
//!   `harvest_run.rs`: one run's fetching (client, cache, lists, meetings, organizations, files);
//! - `rerender.rs`: re-rendering archived papers with the current templates, checked and
//!   resumable.

mod extract;
mod harvest;
mod harvest_run;
mod import;
mod index;
mod legacy;
mod produce;
mod rerender;

use std::sync::Arc;

use crate::archive::{Archive, ArchiveError, Created, Origin};
use crate::config::Settings;
use crate::model::{Clock, Paper};
use crate::render::Renderer;
use crate::search::SearchError;
use crate::sign::{SignError, Signer};
pub use harvest::{HarvestError, HarvestOptions, HarvestReport};
pub use import::{ImportReport, record_files};
pub use index::index_problems;
pub use legacy::{LegacyError, LegacyOutcome};
pub use rerender::{PaperOutcome, PaperReport, Progress, Report, Rerender, RerenderOptions};

/// An archive with its renderer and signer (each built only when something needs it).
pub struct Publisher {
    archive: Archive,
    settings: Settings,
    renderer: Option<Arc<Renderer>>,
    /// The signing key and whether it is the archive's development key.
    signer: Option<Arc<(Signer, bool)>>,
    /// What "today" is: which papers are published.
    clock: Clock,
}

impl Publisher {
    /// Opens the archive of `settings`, imports the tracked records it does not have yet and
    /// brings the search index up to the archive (see [`Publisher::sync_index`]).
    pub fn open(settings: &Settings) -> Result<Publisher, PublishError> {
        Publisher::open_with_clock(settings, Clock::system())
    }

    /// [`Publisher::open`] with the day from `clock`.
    pub fn open_with_clock(settings: &Settings, clock: Clock) -> Result<Publisher, PublishError> {
        let archive = Archive::open(&settings.archive, settings.numbering.clone())?;
        let mut publisher = Publisher {
            archive,
            settings: settings.clone(),
            renderer: None,
            signer: None,
            clock,
        };
        let report = publisher.import_tracked()?;
        for reference in &report.imported {
            tracing::info!("imported the tracked record of {reference}");
        }
        for refusal in &report.refused {
            tracing::warn!("not imported: {refusal}");
        }
        publisher.keep_index_in_step();
        Ok(publisher)
    }

    /// The clock that says which papers are published today.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    pub fn archive(&self) -> &Archive {
        &self.archive
    }

    pub fn archive_mut(&mut self) -> &mut Archive {
        &mut self.archive
    }

    /// The renderer, built on first use.
    pub fn renderer(&mut self) -> Result<&Arc<Renderer>, PublishError> {
        if self.renderer.is_none() {
            self.renderer = Some(Arc::new(Renderer::new(
                self.settings.letterhead.clone(),
                self.settings.template_dir.as_deref(),
            )?));
        }
        Ok(self.renderer.as_ref().expect("just built"))
    }

    /// The renderer, shared with whoever else renders in this process (the service's
    /// previews), so that fonts, templates and caches exist once.
    pub fn share_renderer(&mut self) -> Result<Arc<Renderer>, PublishError> {
        Ok(Arc::clone(self.renderer()?))
    }

    /// Numbers, renders, signs and stores a validated paper (see [`Archive::create`]), then
    /// indexes it.
    pub fn create(&mut self, paper: Paper) -> Result<Created, PublishError> {
        let created = self.create_from(paper, Origin::New)?;
        let created = created.expect("Archive::create returns None only for imports");
        self.keep_index_in_step();
        Ok(created)
    }

    /// Numbers, renders (on all cores), signs and stores many papers, all or nothing, in one
    /// transaction (see [`Archive::create_all`]), then indexes them.
    pub fn create_all(&mut self, papers: Vec<Paper>) -> Result<Vec<Created>, PublishError> {
        let (archive, producer) = self.archive_and_producer()?;
        let items = papers.into_iter().map(|p| (p, Origin::New)).collect();
        let created: Vec<Created> = archive
            .create_all(items, |numbered| producer.all(numbered))?
            .into_iter()
            .flatten()
            .collect();
        self.keep_index_in_step();
        Ok(created)
    }

    fn create_from(
        &mut self,
        paper: Paper,
        origin: Origin,
    ) -> Result<Option<Created>, PublishError> {
        let (archive, producer) = self.archive_and_producer()?;
        Ok(archive.create(paper, origin, |paper| producer.one(paper))?)
    }

    /// Withdraws a paper and marks it in the search index.
    pub fn withdraw(&mut self, reference: &str, reason: &str) -> Result<(), PublishError> {
        self.archive.withdraw(reference, reason)?;
        self.keep_index_in_step();
        Ok(())
    }
}

/// Why publishing failed. Nothing was stored and no number was used.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    #[error(transparent)]
    Render(#[from] crate::render::RenderError),
    #[error(transparent)]
    Sign(#[from] SignError),
    #[error(transparent)]
    Search(#[from] SearchError),
    #[error(transparent)]
    Harvest(#[from] HarvestError),
}
