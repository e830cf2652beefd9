//! The records under `<archive>/papers/**` (TOML and JSON) as index documents: what
//! `reindex` and `search` index until the archive database feeds the index.

use std::path::{Path, PathBuf};

use super::document::IndexDoc;
use crate::model::{InputError, Paper};

/// Every record file under `dir`, sorted by path (so indexing order is stable).
pub fn record_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    if !dir.is_dir() {
        return Ok(files);
    }
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else if matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("toml" | "json")
            ) {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

/// A record that could not be indexed.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error(transparent)]
    Invalid(#[from] InputError),
    #[error("{0}: no drucksachennummer; only numbered papers are indexed")]
    Unnumbered(String),
}

/// Loads one record as an index document.
pub fn load(path: &Path) -> Result<IndexDoc, RecordError> {
    let paper = Paper::load(path)?;
    let reference = paper
        .reference
        .clone()
        .ok_or_else(|| RecordError::Unnumbered(path.display().to_string()))?;
    Ok(IndexDoc::from_paper(&paper, &reference))
}
