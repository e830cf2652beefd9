//! Importing the tracked records under `<archive>/papers/` that the database does not have
//! yet (historical papers kept in git, with their own references).

use std::path::{Path, PathBuf};

use super::{PublishError, Publisher};
use crate::archive::{ArchiveError, Origin, PAPERS_DIR, sha512_hex};
use crate::model::{InputError, Paper, SourceText};

/// What [`Publisher::import_tracked`] did.
#[derive(Debug, Default)]
pub struct ImportReport {
    /// References of the records imported now.
    pub imported: Vec<String>,
    /// Records that could not be imported, each with the reason (they stay pending).
    pub refused: Vec<String>,
}

impl Publisher {
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
                // The record clashes with the archive: it stays pending, the others go on.
                Err(PublishError::Archive(
                    e @ (ArchiveError::ReferenceExists(_)
                    | ArchiveError::NumberTaken { .. }
                    | ArchiveError::UnknownParent(_)),
                )) => report.refused.push(format!("{rel}: {e}")),
                Err(e) => return Err(e),
            }
        }
        self.archive.settle();
        Ok(report)
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
