//! Full-text search over the public papers: a tantivy index with a German analyzer.
//!
//! - [`analyzer`]: folding, stemming and compound parts ([`compound`]), as tantivy tokenizers.
//! - [`schema`]: the fields, their analysis, the schema version, reference normalisation.
//! - [`document`]: [`IndexDoc`], what the index knows of a paper.
//! - [`query`]: what users type, parsed (never fails).
//! - [`request`]: [`Request`]: a search as the CLI and the service are given it, checked.
//! - [`index`]: [`SearchIndex`]: open/create/rebuild, add, sync mark, entries, the writer.
//! - [`compile`]: a parsed query as one tantivy query (words, phrases, prefixes, filters).
//! - [`results`]: [`SearchIndex::search`] and what it returns: hits, facet counts.
//! - [`snippet`]: the piece of a hit's text that matched, its words marked.
//! - [`suggest`]: "Meinten Sie": a corrected query when nothing was found.
//!
//! **Invariant: non-public papers never enter the index.** [`SearchIndex::add`] and
//! [`SearchIndex::rebuild`] check [`IndexDoc::is_publishable`] themselves, so every public
//! route (hits, counts, facets, snippets, suggestions) can only ever see public papers.

pub mod analyzer;
pub mod compile;
pub mod compound;
pub mod document;
pub mod index;
pub mod query;
pub mod request;
pub mod results;
pub mod schema;
pub mod snippet;
pub mod suggest;

use std::path::PathBuf;

pub use crate::model::Status;
pub use document::IndexDoc;
pub use index::{Added, IndexEntry, RebuildStats, SearchIndex, SyncMark};
pub use query::{
    Filters, MAX_FILTER_CHARS, MAX_PREFIXES, MAX_QUERY_CHARS, MAX_QUERY_WORDS, Query, QueryError,
    Sort,
};
pub use request::{Request, RequestError, RequestProblem};
pub use results::{FacetCount, Facets, Hit, MAX_LIMIT, SearchResults};
pub use snippet::Snippet;

/// Why the index could not be used. What users type is never an error.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("search index {}: {source}", path.display())]
    Tantivy {
        path: PathBuf,
        source: tantivy::TantivyError,
    },
    #[error("search index {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{} holds files that are not a search index; move them away or use another archive",
        path.display()
    )]
    NotAnIndex { path: PathBuf },
    /// The query would cost more than one search may (the user's to fix).
    #[error(transparent)]
    Query(#[from] query::QueryError),
}

/// The index directory of an archive.
pub fn index_dir(archive: &std::path::Path) -> PathBuf {
    archive.join("index")
}
