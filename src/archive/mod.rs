//! The archive: pure storage of the papers — SQLite metadata, Drucksachennummer allocation
//! and the content-addressed file store. The archive (database + stored files) is the truth;
//! everything else (the search index) is derived from it. It takes the PDF a paper gets as a
//! closure ([`Produced`]) and knows nothing of rendering, signing, searching or
//! configuration; `crate::publish` puts those together.
//!
//! - `mod.rs`: [`Archive`] (opening, recovery, the write lock), its errors and shared types;
//! - `create.rs`: writing new papers; `legacy.rs`: legacy papers not structured yet; `allocate.rs`: numbering; `rerender.rs`: re-rendering
//!   runs and storing their new renditions;
//! - `read.rs`: `list`, `show`, records, history; `public.rs`: what the public may see;
//! - `withdraw.rs`, `backup.rs`, `check.rs`: the other commands; `db.rs`: schema and
//!   migrations; `store.rs`: the file store; `hooks.rs`: the crash tests' hooks.
//!
//! Layout under the archive root:
//! `drucksache.toml` (configuration, tracked), `papers/` (historical records, tracked),
//! `archive.sqlite` (+ `-wal`, `-shm`), `files/<xx>/<sha512>.pdf`, `files/tmp/`,
//! `originals/<xx>/<sha512>.original` (the files legacy papers came from), `index/`,
//! `entwicklungsschluessel/` (generated).

mod allocate;
mod backup;
mod check;
mod create;
mod db;
mod harvest;
mod hooks;
mod legacy;
mod meetings;
mod public;
mod read;
mod rerender;
mod store;
mod withdraw;

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, TransactionBehavior};
use serde::Serialize;

use crate::model::{Numbering, Paper};
pub use check::CheckReport;
pub use db::{DbError, SCHEMA_VERSION};
pub use harvest::{HarvestPending, KnownPaper, ListState, RunState};
pub(crate) use hooks::test_pause;
pub use legacy::PendingHarvest;
pub use meetings::{AgendaEntry, PublicMeeting};
pub use public::{
    ChangeWindow, PaperLink, PublicBody, PublicDepartment, PublicFile, PublicPaper, PublicRendition,
};
pub use read::{Event, ListFilter, OriginalFile, PaperDetails, Rendition, Summary};
pub use rerender::{
    DoneItem, Outcome, Pending, RerenderSource, RunStart, Selection, SelectionError, Verdict,
};
use store::Staging;
pub use store::{FileStore, StoreError, sha512_hex};

/// The database file below the archive root.
pub const DB_FILE: &str = "archive.sqlite";
/// The file store below the archive root.
pub const FILES_DIR: &str = "files";
/// The originals of legacy papers below the archive root.
pub const ORIGINALS_DIR: &str = "originals";
/// The tracked historical records below the archive root.
pub const PAPERS_DIR: &str = "papers";

/// Why an archive operation failed. Nothing was changed.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("cannot use the archive {path}: {source}")]
    Root {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("drucksachennummer: {0} is already in the archive")]
    ReferenceExists(String),
    #[error("drucksachennummer: {reference} is number {seq} of {year}, which {other} already has")]
    NumberTaken {
        reference: String,
        year: i32,
        seq: u32,
        other: String,
    },
    /// A legacy paper's metadata breaks a rule.
    #[error(transparent)]
    Legacy(crate::model::LegacyPaperError),
    #[error(
        "drucksachennummer: the archive holds this legacy paper as {reference}, the new data says {other}; a paper keeps its number"
    )]
    LegacyNumber { reference: String, other: String },
    #[error(
        "{0} is a legacy paper not structured yet (nicht strukturiert): it cannot be rendered until its reviewed record is accepted (drucksache import --accept)"
    )]
    NotStructured(String),
    #[error("bezug: {0} is not in the archive (a supplement needs its paper archived first)")]
    UnknownParent(String),
    #[error("{0} is not in the archive")]
    NotFound(String),
    #[error("{reference} was already withdrawn on {at}")]
    AlreadyWithdrawn { reference: String, at: String },
    #[error("--reason: give the reason for the withdrawal")]
    EmptyReason,
    #[error("{0}")]
    BackupTarget(String),
    #[error("cannot produce the PDF: {0}")]
    Produce(#[source] BoxError),
    /// One item of a batch failed (so the whole batch did).
    #[error("record {} of the batch: {source}", index + 1)]
    Item {
        index: usize,
        source: Box<ArchiveError>,
    },
}

/// Any error of the step that produces a PDF (rendering, signing).
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl From<rusqlite::Error> for ArchiveError {
    fn from(e: rusqlite::Error) -> Self {
        match e {
            // A stored value a row's mapping could not read (see `read::stored`).
            rusqlite::Error::FromSqlConversionFailure(_, _, source) => {
                match source.downcast::<DbError>() {
                    Ok(db) => ArchiveError::Db(*db),
                    Err(other) => ArchiveError::Db(DbError::Corrupt(other.to_string())),
                }
            }
            e => ArchiveError::Db(DbError::Sql(e)),
        }
    }
}

/// An open archive. One per process (or per service); it is not shared between threads.
pub struct Archive {
    root: PathBuf,
    conn: Connection,
    store: FileStore,
    /// The originals of legacy papers (`originals/`).
    originals: FileStore,
    numbering: Numbering,
    /// Committed writes whose marks wait for their final names' folders to be fsynced:
    /// settled while the next paper renders, or when the archive is dropped.
    settling: Vec<Staging>,
}

impl Drop for Archive {
    fn drop(&mut self) {
        self.settle();
    }
}

/// Settles committed writes ([`Staging::settle`]); a failure leaves their marks for the next
/// opening's recovery, which completes them.
fn settle_all(stagings: Vec<Staging>) {
    for staging in stagings {
        if let Err(unsettled) = staging.settle() {
            tracing::warn!(
                "{}; the archive's next opening completes the write",
                unsettled.error
            );
        }
    }
}

/// Where a paper's record came from.
#[derive(Debug, Clone)]
pub enum Origin {
    /// `drucksache new` (or the API).
    New,
    /// A tracked record under `papers/`: its path relative to the archive root (with `/`) and
    /// the SHA-512 of the file's bytes.
    Import { path: String, file_sha512: String },
    /// A legacy paper (Altbestand) split from the first of these files; all are stored
    /// unchanged beside the paper's renditions (the others are its Anlagen as the older
    /// system had them). A first file already stored for a paper, or a harvested paper
    /// archived already, is not imported again.
    Legacy {
        originals: Vec<Original>,
        harvested: Option<Harvested>,
    },
}

/// The file a legacy paper was imported from.
#[derive(Clone)]
pub struct Original {
    /// Its name as imported (without folders).
    pub file_name: String,
    /// `text/plain; charset=utf-8` or `application/pdf`.
    pub media_type: String,
    pub bytes: Vec<u8>,
}

/// The paper of another system (OParl) a legacy paper was harvested from.
#[derive(Debug, Clone)]
pub struct Harvested {
    /// The other system's OParl System address.
    pub system_url: String,
    /// The OParl Paper's `id`.
    pub oparl_id: String,
    /// The Paper's `modified`, as sent.
    pub modified: Option<String>,
    /// The record keys whose values came from OParl (the rest came from the file's text).
    pub oparl_fields: Vec<String>,
}

impl std::fmt::Debug for Original {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Original")
            .field("file_name", &self.file_name)
            .field("media_type", &self.media_type)
            .field("size", &self.bytes.len())
            .finish()
    }
}

/// What [`Archive::create`] stored.
#[derive(Debug, Clone, Serialize)]
pub struct Created {
    /// Drucksachennummer.
    pub reference: String,
    /// The stored PDF.
    pub file: PathBuf,
    pub sha512: String,
    /// True when the archive allocated the reference, false when the record brought it.
    pub allocated: bool,
}

/// What the producer (render, sign) contributes to a rendition row besides the bytes.
#[derive(Debug, Clone)]
pub struct Produced {
    pub pdf: Vec<u8>,
    pub template_sha512: String,
    /// The signing certificate's subject, when the PDF is signed.
    pub signer: Option<String>,
    /// Signed with the archive's development key (not for production).
    pub development_key: bool,
    /// The PDF's page count and the SHA-256 of its words, as re-rendering compares them
    /// (`None` when they could not be read).
    pub content: Option<Content>,
}

/// What a rendition says, in short: see [`crate::render::words::PdfWords::digest`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Content {
    pub pages: usize,
    pub words_sha256: String,
}

impl Archive {
    /// Opens the archive at `root` (creating its generated parts if needed), migrates the
    /// database and settles writes a crash interrupted.
    pub fn open(root: &Path, numbering: Numbering) -> Result<Archive, ArchiveError> {
        std::fs::create_dir_all(root).map_err(|source| ArchiveError::Root {
            path: root.into(),
            source,
        })?;
        let conn = db::open(&root.join(DB_FILE))?;
        let store = FileStore::open(root.join(FILES_DIR))?;
        let originals = FileStore::open_with_suffix(root.join(ORIGINALS_DIR), "original")?;
        let mut archive = Archive {
            root: root.to_path_buf(),
            conn,
            store,
            originals,
            numbering,
            settling: Vec::new(),
        };
        archive.recover()?;
        Ok(archive)
    }

    /// Opens the archive for reading alongside a process that has it open with
    /// [`Archive::open`] (which settled interrupted writes): the service's read connections.
    pub fn open_reader(root: &Path, numbering: Numbering) -> Result<Archive, ArchiveError> {
        let conn = db::open(&root.join(DB_FILE))?;
        let store = FileStore::open(root.join(FILES_DIR))?;
        let originals = FileStore::open_with_suffix(root.join(ORIGINALS_DIR), "original")?;
        Ok(Archive {
            root: root.to_path_buf(),
            conn,
            store,
            originals,
            numbering,
            settling: Vec::new(),
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Settles interrupted writes under the write lock, so no writer is mid-way.
    fn recover(&mut self) -> Result<(), ArchiveError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut actions = Vec::new();
        for (store, table) in [(&self.store, "renditions"), (&self.originals, "originals")] {
            let mut lookup = tx.prepare(&format!("SELECT 1 FROM {table} WHERE sha512 = ?1"))?;
            actions.extend(store.recover(|sha| {
                lookup
                    .query_row([sha], |_| Ok(()))
                    .optional()
                    .ok()
                    .flatten()
                    .is_some()
            })?);
        }
        tx.commit()?;
        for action in actions {
            tracing::warn!("archive recovery: {action}");
        }
        Ok(())
    }

    /// Settles the committed writes whose marks are still kept: fsyncs their final names'
    /// folders and removes the marks. `create` does this while the next paper renders, and
    /// dropping the archive does it too; a long-running writer calls it when idle.
    pub fn settle(&mut self) {
        settle_all(std::mem::take(&mut self.settling));
    }

    /// Runs `f` while holding the archive's write lock, with the archive to read from (for
    /// work that concurrent processes must take turns at: creating the development key,
    /// bringing the search index up to the history read under the same lock).
    pub fn locked<T>(&mut self, f: impl FnOnce(&Archive) -> T) -> Result<T, ArchiveError> {
        self.conn.execute_batch("BEGIN IMMEDIATE")?;
        let value = f(self);
        self.conn.execute_batch("COMMIT")?;
        Ok(value)
    }

    /// Verifies the whole archive; see [`CheckReport`].
    pub fn check(&mut self) -> Result<CheckReport, ArchiveError> {
        check::run(&mut self.conn, &self.store, &self.originals)
    }
}

/// The record as canonical JSON: the validated paper, keys in a fixed order, no whitespace.
pub fn canonical_json(paper: &Paper) -> String {
    serde_json::to_string(paper).expect("a paper always serializes")
}

/// Now, as RFC 3339 UTC (for created/modified times and the history; never in a PDF).
fn now() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .expect("RFC 3339 formats every UTC time")
}

/// What the archive's unit tests share: papers and a producer of fake PDFs (no render).
#[cfg(test)]
pub(crate) mod test_support {
    use super::{BoxError, Produced};
    use crate::model::Paper;

    /// The seed paper without its reference, with `subject` as Betreff.
    pub fn unnumbered(subject: &str) -> Paper {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("archive/papers/2012/0310-2012.toml");
        let mut paper = Paper::load(&path).unwrap();
        paper.reference = None;
        paper.subject = subject.into();
        paper
    }

    /// A "PDF" made of the paper's subject.
    pub fn produce(paper: &Paper) -> Result<Produced, BoxError> {
        Ok(Produced {
            pdf: format!("%PDF {}", paper.subject).into_bytes(),
            template_sha512: "t".into(),
            signer: None,
            development_key: false,
            content: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A committed write keeps its mark until the next paper renders (or the archive is
    /// dropped); meanwhile `check` passes and another process's recovery finishes it.
    #[test]
    fn marks_are_settled_off_the_critical_path() {
        let dir = tempfile::tempdir().unwrap();
        let unnumbered = test_support::unnumbered;
        let produce = test_support::produce;
        let marks = |archive: &Archive| archive.store.marks().unwrap();
        let mut archive = Archive::open(dir.path(), Numbering::default()).unwrap();

        let a = archive
            .create(unnumbered("A"), Origin::New, produce)
            .unwrap()
            .unwrap();
        let kept = marks(&archive);
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].sha512.as_ref(), Some(&a.sha512));
        let report = archive.check().unwrap();
        assert!(
            report.is_ok(),
            "a committed write's mark is no problem: {report:?}"
        );

        // The next paper's render settles A; B's mark is kept in turn.
        let b = archive
            .create(unnumbered("B"), Origin::New, produce)
            .unwrap()
            .unwrap();
        let kept = marks(&archive);
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].sha512.as_ref(), Some(&b.sha512));

        // Another process opening the archive finishes B (it may not wait for this one).
        let other = Archive::open(dir.path(), Numbering::default()).unwrap();
        assert!(marks(&other).is_empty());
        drop(other);

        let c = archive
            .create(unnumbered("C"), Origin::New, produce)
            .unwrap()
            .unwrap();
        drop(archive);
        let archive = Archive::open(dir.path(), Numbering::default()).unwrap();
        assert!(marks(&archive).is_empty(), "dropping the archive settles C");
        for created in [a, b, c] {
            assert!(created.file.is_file(), "{}", created.reference);
        }
    }
}
