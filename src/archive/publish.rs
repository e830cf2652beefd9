//! The publish pipeline: an open archive plus what turns a paper into its stored PDF
//! (validate → allocate → render → sign → store → commit → index), and the import of the
//! tracked records under `papers/` that are not in the database yet.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{Archive, ArchiveError, BoxError, Created, Origin, PAPERS_DIR, Produced, sha512_hex};
use crate::config::Settings;
use crate::model::{Clock, InputError, Paper, SourceText};
use crate::render::{RenderOptions, Renderer};
use crate::search::{self, IndexDoc, RebuildStats, SearchError, SearchIndex, SyncMark};
use crate::sign::{SignError, Signer};

/// What [`Publisher::import_tracked`] did.
#[derive(Debug, Default)]
pub struct ImportReport {
    /// References of the records imported now.
    pub imported: Vec<String>,
    /// Records that could not be imported, each with the reason (they stay pending).
    pub refused: Vec<String>,
}

/// An archive with its renderer and signer (each built only when something needs it).
pub struct Publisher {
    archive: Archive,
    settings: Settings,
    renderer: Option<Arc<Renderer>>,
    /// The signing key and whether it is the archive's development key.
    signer: Option<(Signer, bool)>,
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

    /// The signing key: the configured one, else the archive's development key (created on
    /// first use, under the write lock, with a loud warning).
    fn signer(&mut self) -> Result<(), PublishError> {
        if self.signer.is_some() {
            return Ok(());
        }
        let signer = match &self.settings.signing_key {
            Some(config) => (Signer::load(config)?, false),
            None => {
                let root = self.archive.root().to_path_buf();
                let (signer, created) = self
                    .archive
                    .locked(|_| crate::sign::dev::ensure_archive_key(&root))??;
                if created {
                    tracing::warn!(
                        "created a DEVELOPMENT signing key in {}: papers signed with it are NOT valid for production; configure [signatur] in drucksache.toml",
                        root.join(crate::sign::dev::ARCHIVE_KEY_DIR).display()
                    );
                }
                (signer, true)
            }
        };
        if signer.1 {
            tracing::warn!(
                "signing with the archive's DEVELOPMENT key (not for production): {}",
                signer.0.subject()
            );
        }
        self.signer = Some(signer);
        Ok(())
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
        self.renderer()?;
        self.signer()?;
        let renderer = self.renderer.as_ref().expect("built above");
        let signer = self.signer.as_ref().expect("loaded above");
        let items = papers.into_iter().map(|p| (p, Origin::New)).collect();
        let created: Vec<Created> = self
            .archive
            .create_all(items, |numbered| {
                renderer
                    .render_all(numbered, &RenderOptions::default())
                    .into_iter()
                    .map(|result| produced(renderer, signer, result))
                    .collect()
            })?
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
        self.renderer()?;
        self.signer()?;
        let renderer = self.renderer.as_ref().expect("built above");
        let signer = self.signer.as_ref().expect("loaded above");
        let produce = |paper: &Paper| {
            produced(
                renderer,
                signer,
                renderer.render(paper, &RenderOptions::default()),
            )
        };
        Ok(self.archive.create(paper, origin, produce)?)
    }

    /// Withdraws a paper and marks it in the search index.
    pub fn withdraw(&mut self, reference: &str, reason: &str) -> Result<(), PublishError> {
        self.archive.withdraw(reference, reason)?;
        self.keep_index_in_step();
        Ok(())
    }

    /// Replaces the index's content with every paper of the archive (non-public ones are
    /// left out by the index itself). `progress` gets (done, total).
    pub fn rebuild_index(
        &mut self,
        index: &mut SearchIndex,
        mut progress: impl FnMut((u64, u64)),
    ) -> Result<RebuildStats, PublishError> {
        // The mark is read before the records: a paper committed in between is indexed
        // again by the next sync, never missed.
        let mark = SyncMark {
            events: self.archive.last_event()?,
            day: index.today(),
        };
        let records = self.archive.records()?;
        let total = records.len() as u64;
        let docs = records
            .into_iter()
            .map(|(paper, status)| index_doc(&paper, status));
        Ok(index.rebuild(docs, Some(mark), |done| progress((done, total)))?)
    }

    /// Brings the search index up to the archive: indexes the papers of every event after
    /// the index's [`SyncMark`] (creations, imports and withdrawals, of this process or of
    /// another one, even one killed between its commit and its index update) and the papers
    /// whose publication day came since the mark's day, and records the new mark, all under
    /// the archive's write lock, so that the mark is true of the history it names. Cheap when
    /// nothing changed (two small queries, no lock). Returns how many papers were looked at;
    /// `None` when the archive has no complete index (it is built on its next use).
    pub fn sync_index(&mut self) -> Result<Option<usize>, PublishError> {
        let dir = search::index_dir(self.archive.root());
        if !SearchIndex::looks_complete(&dir) {
            return Ok(None);
        }
        let today = self.clock.today();
        let index = SearchIndex::open_or_create_on(&dir, today)?;
        if !index.is_complete() {
            return Ok(None); // replaced since the look above: rebuilt on its next use
        }
        let up_to_date = |archive: &Archive, index: &SearchIndex| -> Result<bool, ArchiveError> {
            Ok(index.mark()
                == Some(SyncMark {
                    events: archive.last_event()?,
                    day: today,
                }))
        };
        if up_to_date(&self.archive, &index)? {
            return Ok(Some(0));
        }
        // Under the write lock: no paper is committed meanwhile, and processes that create
        // papers at the same time take turns with the index writer.
        let synced = self
            .archive
            .locked(|archive| -> Result<usize, PublishError> {
                let events = archive.last_event()?;
                let references = match index.mark() {
                    Some(mark) => {
                        let mut changed = archive.changed_since(mark.events)?;
                        for reference in archive.published_between(mark.day, today)? {
                            if !changed.contains(&reference) {
                                changed.push(reference);
                            }
                        }
                        changed
                    }
                    // An index written without a mark: look at every paper.
                    None => archive.references()?,
                };
                let mut docs = Vec::with_capacity(references.len());
                for reference in &references {
                    let (paper, status) = archive.record(reference)?;
                    docs.push(index_doc(&paper, status));
                }
                index.add_all(&docs, Some(SyncMark { events, day: today }))?;
                index.finish_writes()?;
                Ok(docs.len())
            })??;
        Ok(Some(synced))
    }

    /// [`Publisher::sync_index`] after a change: the archive is the truth and the index is
    /// derived, so a failure is logged (the next open or `drucksache reindex` repairs it),
    /// never an error of the paper's creation.
    fn keep_index_in_step(&mut self) {
        if let Err(e) = self.sync_index() {
            tracing::warn!("the search index was not updated ({e}); run `drucksache reindex`");
        }
    }

    /// What is wrong with the search index, compared with the archive: public papers missing
    /// from it, entries of an older version of a record or of its status, and entries of
    /// papers that are not public today. Empty when there is no index (it is built on its
    /// next use). Reads only.
    pub fn index_problems(&self) -> Result<Vec<String>, PublishError> {
        index_problems(&self.archive, self.clock.today())
    }

    /// Imports every tracked record under `<archive>/papers/` that the database does not
    /// have yet, oldest path first, keeping its reference. Records that cannot be imported
    /// (invalid, no reference, reference taken) are reported and stay where they are.
    pub fn import_tracked(&mut self) -> Result<ImportReport, PublishError> {
        let mut report = ImportReport::default();
        let dir = self.archive.root().join(PAPERS_DIR);
        let records = record_files(&dir).map_err(|source| ArchiveError::Root {
            path: dir.clone(),
            source,
        })?;
        let done = self.archive.imported_paths()?;
        for path in records {
            let rel = relative_name(self.archive.root(), &path);
            if done.contains(&rel) {
                continue;
            }
            let (paper, file_sha512) = match load(&path) {
                Ok(loaded) => loaded,
                Err(e) => {
                    report.refused.push(e.to_string());
                    continue;
                }
            };
            if paper.reference.is_none() {
                report.refused.push(format!(
                    "{rel}: drucksachennummer: a tracked historical record needs its reference (new papers go through `drucksache new`)"
                ));
                continue;
            }
            let origin = Origin::Import {
                path: rel.clone(),
                file_sha512,
            };
            match self.create_from(paper, origin) {
                Ok(Some(created)) => report.imported.push(created.reference),
                Ok(None) => {}
                Err(PublishError::Archive(e)) if e.is_input_error() => {
                    report.refused.push(format!("{rel}: {e}"))
                }
                Err(e) => return Err(e),
            }
        }
        self.archive.settle();
        Ok(report)
    }
}

/// See [`Publisher::index_problems`]; for `drucksache check`, which must not repair what it
/// checks (opening a [`Publisher`] would).
pub fn index_problems(
    archive: &Archive,
    today: crate::model::Date,
) -> Result<Vec<String>, PublishError> {
    let dir = search::index_dir(archive.root());
    if !SearchIndex::looks_complete(&dir) {
        return Ok(Vec::new());
    }
    let index = SearchIndex::open_or_create_on(&dir, today)?;
    if !index.is_complete() {
        return Ok(Vec::new());
    }
    let mut held: std::collections::HashMap<String, search::IndexEntry> = index
        .entries()?
        .into_iter()
        .map(|e| (e.reference.clone(), e))
        .collect();
    let mut problems = Vec::new();
    for (paper, status) in archive.records()? {
        let doc = index_doc(&paper, status);
        let entry = held.remove(&doc.reference);
        let withdrawn = doc.status == search::Status::Zurueckgezogen;
        match (doc.is_publishable(today), entry) {
            (true, None) => problems.push(format!(
                "{}: public, but missing from the search index (run `drucksache reindex`)",
                doc.reference
            )),
            (true, Some(e)) if e.fingerprint != doc.fingerprint => problems.push(format!(
                "{}: the search index holds another version of the record (run `drucksache reindex`)",
                doc.reference
            )),
            (true, Some(e)) if e.withdrawn != withdrawn => problems.push(format!(
                "{}: the search index shows it as {}, the archive as {} (run `drucksache reindex`)",
                doc.reference,
                if e.withdrawn { "withdrawn" } else { "active" },
                if withdrawn { "withdrawn" } else { "active" },
            )),
            (false, Some(_)) => problems.push(format!(
                "{}: in the search index, but not public today (run `drucksache reindex`)",
                doc.reference
            )),
            _ => {}
        }
    }
    for reference in held.into_keys() {
        problems.push(format!(
            "{reference}: in the search index, but not in the archive (run `drucksache reindex`)"
        ));
    }
    problems.sort();
    Ok(problems)
}

/// What the archive stores of one render: the PDF signed now.
fn produced(
    renderer: &Renderer,
    (signer, development_key): &(Signer, bool),
    result: Result<Vec<u8>, crate::render::RenderError>,
) -> Result<Produced, BoxError> {
    let pdf = signer.sign(&result?, time::OffsetDateTime::now_utc())?;
    Ok(Produced {
        pdf,
        template_sha512: renderer.template_sha512().to_string(),
        signer: Some(signer.subject()),
        development_key: *development_key,
    })
}

/// What the search index gets of an archived paper.
fn index_doc(paper: &Paper, status: super::Status) -> IndexDoc {
    let reference = paper.reference.as_deref().unwrap_or_default();
    let doc = IndexDoc::from_paper(paper, reference);
    match status {
        super::Status::Active => doc,
        super::Status::Withdrawn => doc.with_status(search::Status::Zurueckgezogen),
    }
}

fn load(path: &Path) -> Result<(Paper, String), InputError> {
    let source = SourceText::read(path)?;
    let sha = sha512_hex(source.text.as_bytes());
    Ok((Paper::from_source(&source)?, sha))
}

/// Every record file (`.toml`, `.json`) below `dir`, sorted by path; none if `dir` is missing.
pub fn record_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    collect_records(dir, &mut files)?;
    files.sort();
    Ok(files)
}

fn collect_records(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let path = entry?.path();
        if path.is_dir() {
            collect_records(&path, out)?;
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("toml" | "json")
        ) {
            out.push(path);
        }
    }
    Ok(())
}

/// `papers/2012/0310-2012.toml`: relative to the archive root, with `/`.
fn relative_name(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
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
}
