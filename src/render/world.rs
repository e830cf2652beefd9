//! The Typst `World` of one render job: the shared engine plus this paper's data file.

use std::sync::LazyLock;

use typst::diag::{FileError, FileResult};
use typst::foundations::{Bytes, Datetime, Duration};
use typst::syntax::{FileId, Source};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, World};

use super::Renderer as Engine;
use super::templates::file_id;

/// `/paper.json`: the paper as template data. The same virtual path in every job, so the
/// global file-id table does not grow with the number of papers.
pub static PAPER_JSON: LazyLock<FileId> = LazyLock::new(|| file_id("paper.json"));

/// `/kopf.json`: what the page header shows (see `view::HeaderView`).
pub static HEADER_JSON: LazyLock<FileId> = LazyLock::new(|| file_id("kopf.json"));

/// One job: borrows the engine, owns only the data of its paper.
pub struct JobWorld<'a> {
    pub engine: &'a Engine,
    pub main: FileId,
    pub data: Bytes,
    pub header: Bytes,
}

impl World for JobWorld<'_> {
    fn library(&self) -> &LazyHash<Library> {
        &self.engine.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &self.engine.book
    }

    fn main(&self) -> FileId {
        self.main
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        self.engine
            .templates
            .source(id)
            .cloned()
            .ok_or_else(|| not_found(id))
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == *PAPER_JSON {
            return Ok(self.data.clone());
        }
        if id == *HEADER_JSON {
            return Ok(self.header.clone());
        }
        if let Some((coat_id, bytes)) = &self.engine.coat_of_arms
            && *coat_id == id
        {
            return Ok(bytes.clone());
        }
        self.engine
            .templates
            .file(id)
            .cloned()
            .ok_or_else(|| not_found(id))
    }

    fn font(&self, index: usize) -> Option<Font> {
        self.engine.fonts.get(index).cloned()
    }

    /// No wall clock: every date on a paper comes from the paper.
    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        None
    }
}

fn not_found(id: FileId) -> FileError {
    FileError::NotFound(id.get().vpath().get_with_slash().into())
}
