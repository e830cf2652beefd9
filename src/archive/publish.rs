//! The publish pipeline: an open archive plus what turns a paper into its stored PDF
//! (validate → allocate → render → sign → store → commit → index), and the import of the
//! tracked records under `papers/` that are not in the database yet.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{Archive, ArchiveError, BoxError, Created, Origin, PAPERS_DIR, Produced, sha512_hex};
use crate::config::Settings;
use crate::model::{InputError, Paper, SourceText};
use crate::render::{RenderOptions, Renderer};
use crate::search::{self, IndexDoc, RebuildStats, SearchError, SearchIndex};
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
}

impl Publisher {
    /// Opens the archive of `settings` and imports the tracked records it does not have yet.
    pub fn open(settings: &Settings) -> Result<Publisher, PublishError> {
        let archive = Archive::open(&settings.archive, settings.numbering.clone())?;
        let mut publisher = Publisher {
            archive,
            settings: settings.clone(),
            renderer: None,
            signer: None,
        };
        let report = publisher.import_tracked()?;
        for reference in &report.imported {
            tracing::info!("imported the tracked record of {reference}");
        }
        for refusal in &report.refused {
            tracing::warn!("not imported: {refusal}");
        }
        Ok(publisher)
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
                    .locked(|| crate::sign::dev::ensure_archive_key(&root))??;
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
        self.index(std::slice::from_ref(&created.reference));
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
        let references: Vec<String> = created.iter().map(|c| c.reference.clone()).collect();
        self.index(&references);
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
        self.index(&[reference.to_string()]);
        Ok(())
    }

    /// Replaces the index's content with every paper of the archive (non-public ones are
    /// left out by the index itself). `progress` gets (done, total).
    pub fn rebuild_index(
        &mut self,
        index: &mut SearchIndex,
        mut progress: impl FnMut((u64, u64)),
    ) -> Result<RebuildStats, PublishError> {
        let records = self.archive.records()?;
        let total = records.len() as u64;
        let docs = records
            .into_iter()
            .map(|(paper, status)| index_doc(&paper, status));
        Ok(index.rebuild(docs, |done| progress((done, total)))?)
    }

    /// Brings the index up to date for these papers. The archive is the truth and the index
    /// is derived: a failure here is logged (run `drucksache reindex`), never an error of the
    /// paper's creation.
    fn index(&mut self, references: &[String]) {
        let dir = search::index_dir(self.archive.root());
        if !SearchIndex::looks_complete(&dir) {
            // A missing or outdated index is rebuilt, papers included, on its next use.
            return;
        }
        let mut docs = Vec::new();
        for reference in references {
            match self.archive.record(reference) {
                Ok((paper, status)) => docs.push(index_doc(&paper, status)),
                Err(e) => tracing::warn!("{reference}: {e}"),
            }
        }
        // Under the archive's write lock: processes that create papers at the same time take
        // turns with the index writer (it is released when `index` is dropped).
        let result = self.archive.locked(|| -> Result<(), PublishError> {
            let index = SearchIndex::open_or_create(&dir)?;
            if !index.is_complete() {
                return Ok(()); // replaced since the look above: rebuilt on its next use
            }
            index.add_all(&docs)?;
            index.finish_writes()?;
            Ok(())
        });
        let result = result.map_err(PublishError::from).and_then(|r| r);
        if let Err(e) = result {
            tracing::warn!("the search index was not updated ({e}); run `drucksache reindex`");
        }
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
