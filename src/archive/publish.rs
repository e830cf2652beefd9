//! The publish pipeline: an open archive plus what turns a paper into its stored PDF
//! (validate → allocate → render → store → commit), and the import of the tracked records
//! under `papers/` that are not in the database yet.

use std::path::{Path, PathBuf};

use super::{Archive, ArchiveError, BoxError, Created, Origin, PAPERS_DIR, Produced, sha512_hex};
use crate::config::Settings;
use crate::model::{InputError, Paper, SourceText};
use crate::render::{RenderOptions, Renderer};

/// What [`Publisher::import_tracked`] did.
#[derive(Debug, Default)]
pub struct ImportReport {
    /// References of the records imported now.
    pub imported: Vec<String>,
    /// Records that could not be imported, each with the reason (they stay pending).
    pub refused: Vec<String>,
}

/// An archive with its renderer (built only when something needs rendering).
pub struct Publisher {
    archive: Archive,
    settings: Settings,
    renderer: Option<Renderer>,
}

impl Publisher {
    /// Opens the archive of `settings` and imports the tracked records it does not have yet.
    pub fn open(settings: &Settings) -> Result<Publisher, PublishError> {
        let archive = Archive::open(&settings.archive, settings.numbering.clone())?;
        let mut publisher = Publisher {
            archive,
            settings: settings.clone(),
            renderer: None,
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
    pub fn renderer(&mut self) -> Result<&Renderer, PublishError> {
        if self.renderer.is_none() {
            self.renderer = Some(Renderer::new(
                self.settings.letterhead.clone(),
                self.settings.template_dir.as_deref(),
            )?);
        }
        Ok(self.renderer.as_ref().expect("just built"))
    }

    /// Numbers, renders and stores a validated paper (see [`Archive::create`]).
    pub fn create(&mut self, paper: Paper) -> Result<Created, PublishError> {
        let created = self.create_from(paper, Origin::New)?;
        Ok(created.expect("Archive::create returns None only for imports"))
    }

    /// Numbers, renders (on all cores) and stores many papers, all or nothing, in one
    /// transaction (see [`Archive::create_all`]).
    pub fn create_all(&mut self, papers: Vec<Paper>) -> Result<Vec<Created>, PublishError> {
        self.renderer()?;
        let renderer = self.renderer.as_ref().expect("built above");
        let items = papers.into_iter().map(|p| (p, Origin::New)).collect();
        let created = self.archive.create_all(items, |numbered| {
            renderer
                .render_all(numbered, &RenderOptions::default())
                .into_iter()
                .map(|result| produced(renderer, result))
                .collect()
        })?;
        Ok(created.into_iter().flatten().collect())
    }

    fn create_from(
        &mut self,
        paper: Paper,
        origin: Origin,
    ) -> Result<Option<Created>, PublishError> {
        self.renderer()?;
        let renderer = self.renderer.as_ref().expect("built above");
        let produce =
            |paper: &Paper| produced(renderer, renderer.render(paper, &RenderOptions::default()));
        Ok(self.archive.create(paper, origin, produce)?)
    }

    /// Imports every tracked record under `<archive>/papers/` that the database does not
    /// have yet, oldest path first, keeping its reference. Records that cannot be imported
    /// (invalid, no reference, reference taken) are reported and stay where they are.
    pub fn import_tracked(&mut self) -> Result<ImportReport, PublishError> {
        let mut report = ImportReport::default();
        let dir = self.archive.root().join(PAPERS_DIR);
        let mut records = Vec::new();
        collect_records(&dir, &mut records).map_err(|source| ArchiveError::Root {
            path: dir.clone(),
            source,
        })?;
        records.sort();
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
        Ok(report)
    }
}

/// What the archive stores of one render.
fn produced(
    renderer: &Renderer,
    result: Result<Vec<u8>, crate::render::RenderError>,
) -> Result<Produced, BoxError> {
    Ok(Produced {
        pdf: result?,
        template_sha512: renderer.template_sha512().to_string(),
    })
}

fn load(path: &Path) -> Result<(Paper, String), InputError> {
    let source = SourceText::read(path)?;
    let sha = sha512_hex(source.text.as_bytes());
    Ok((Paper::from_source(&source)?, sha))
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
}
