//! The archive: SQLite metadata, Drucksachennummer allocation, the content-addressed file store
//! and the publish pipeline. The archive (database + stored files) is the truth; everything
//! else (search index) is derived from it.
//!
//! Layout under the archive root:
//! `drucksache.toml` (configuration, tracked), `papers/` (historical records, tracked),
//! `archive.sqlite` (+ `-wal`, `-shm`), `files/<xx>/<sha512>.pdf`, `files/tmp/`, `index/`,
//! `entwicklungsschluessel/` (generated).

mod check;
mod db;
pub mod numbering;
mod public;
mod publish;
mod store;

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use serde::Serialize;

use crate::model::{Kind, Paper};
pub use check::CheckReport;
pub use db::{DbError, SCHEMA_VERSION};
pub use numbering::{Numbering, SchemeError};
pub use public::{ChangeWindow, PaperLink, PublicPaper, PublicRendition, is_slug, slug};
pub use publish::{ImportReport, PublishError, Publisher, index_problems, record_files};
use store::Staging;
pub use store::{FileStore, StoreError, sha512_hex};

/// The database file below the archive root.
pub const DB_FILE: &str = "archive.sqlite";
/// The file store below the archive root.
pub const FILES_DIR: &str = "files";
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

impl ArchiveError {
    /// True when the request was at fault (exit code 2), not the archive or the machine.
    pub fn is_input_error(&self) -> bool {
        matches!(
            self,
            ArchiveError::ReferenceExists(_)
                | ArchiveError::NumberTaken { .. }
                | ArchiveError::UnknownParent(_)
                | ArchiveError::NotFound(_)
                | ArchiveError::AlreadyWithdrawn { .. }
                | ArchiveError::EmptyReason
                | ArchiveError::BackupTarget(_)
        ) || matches!(self, ArchiveError::Item { source, .. } if source.is_input_error())
    }
}

impl From<rusqlite::Error> for ArchiveError {
    fn from(e: rusqlite::Error) -> Self {
        ArchiveError::Db(DbError::Sql(e))
    }
}

/// An open archive. One per process (or per service); it is not shared between threads.
pub struct Archive {
    root: PathBuf,
    conn: Connection,
    store: FileStore,
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

/// One paper as `list` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub reference: String,
    pub kind: Kind,
    pub date: String,
    pub subject: String,
    pub department: String,
    pub public: bool,
    pub status: Status,
}

/// Whether a paper is in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Active,
    Withdrawn,
}

impl Status {
    fn from_db(s: &str) -> Status {
        if s == "withdrawn" {
            Status::Withdrawn
        } else {
            Status::Active
        }
    }
}

/// Everything the archive knows about one paper, for `show` and `export`.
#[derive(Debug, Clone, Serialize)]
pub struct PaperDetails {
    #[serde(flatten)]
    pub summary: Summary,
    pub allocated: bool,
    pub supplements: Option<String>,
    pub withdrawn_reason: Option<String>,
    pub created_at: String,
    pub modified_at: String,
    /// The validated record as stored (canonical JSON) and its SHA-512.
    pub source: serde_json::Value,
    pub source_sha512: String,
    /// Where the record was imported from, if it is a tracked historical record.
    pub imported_from: Option<String>,
    /// Oldest first.
    pub renditions: Vec<Rendition>,
    /// Oldest first.
    pub history: Vec<Event>,
}

/// One stored PDF of a paper.
#[derive(Debug, Clone, Serialize)]
pub struct Rendition {
    /// Row id (the number in `/dateien/{id}` and the admin API's rendition URLs).
    pub id: i64,
    pub sha512: String,
    pub size: u64,
    pub template_sha512: String,
    pub program_version: String,
    pub created_at: String,
    pub file: PathBuf,
    /// The signing certificate's subject (`None`: not signed).
    pub signer: Option<String>,
    /// Signed with the archive's development key: not for production.
    pub development_key: bool,
}

/// One step of a paper's history.
#[derive(Debug, Clone, Serialize)]
pub struct Event {
    pub at: String,
    pub event: String,
    pub detail: String,
}

/// Filters for [`Archive::list`].
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub year: Option<i32>,
    pub kind: Option<Kind>,
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
        let mut archive = Archive {
            root: root.to_path_buf(),
            conn,
            store,
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
        Ok(Archive {
            root: root.to_path_buf(),
            conn,
            store,
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
        let mut lookup = tx.prepare("SELECT 1 FROM renditions WHERE sha512 = ?1")?;
        let actions = self.store.recover(|sha| {
            lookup
                .query_row([sha], |_| Ok(()))
                .optional()
                .ok()
                .flatten()
                .is_some()
        })?;
        drop(lookup);
        tx.commit()?;
        for action in actions {
            tracing::warn!("archive recovery: {action}");
        }
        Ok(())
    }

    /// Numbers, produces and stores a paper in one transaction: the reference is allocated
    /// (or the record's own reference kept), `produce` renders the paper with it, the PDF is
    /// stored and the rows are inserted; any failure leaves no trace — no number used, no
    /// file, no row. `Ok(None)` when `origin` is an import that another process did first.
    pub fn create(
        &mut self,
        paper: Paper,
        origin: Origin,
        produce: impl Fn(&Paper) -> Result<Produced, BoxError>,
    ) -> Result<Option<Created>, ArchiveError> {
        let mut created = self.create_all(vec![(paper, origin)], |papers| {
            papers.iter().map(&produce).collect()
        })?;
        Ok(created.pop().flatten())
    }

    /// Like [`Archive::create`] for many papers at once, all or nothing, in one transaction:
    /// numbers in the given order, `produce` gets every numbered paper (and may render them in
    /// parallel), the files are fsynced together, one commit. An error names the item
    /// ([`ArchiveError::Item`]) unless there is only one.
    pub fn create_all(
        &mut self,
        items: Vec<(Paper, Origin)>,
        produce: impl FnOnce(&[Paper]) -> Vec<Result<Produced, BoxError>>,
    ) -> Result<Vec<Option<Created>>, ArchiveError> {
        let single = items.len() == 1;
        let in_item = |index: usize| {
            move |e: ArchiveError| {
                if single {
                    e
                } else {
                    ArchiveError::Item {
                        index,
                        source: Box::new(e),
                    }
                }
            }
        };
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let now = now();

        // 1. Numbers and paper rows, one after the other: each sees the ones before it.
        let mut slots: Vec<Option<(i64, Number)>> = Vec::new();
        let mut numbered = Vec::new();
        for (index, (mut paper, origin)) in items.into_iter().enumerate() {
            let row = (|| {
                if let Origin::Import { path, .. } = &origin {
                    let done: Option<i64> = tx
                        .query_row(
                            "SELECT paper_id FROM imports WHERE path = ?1",
                            [path],
                            |r| r.get(0),
                        )
                        .optional()?;
                    if done.is_some() {
                        return Ok(None);
                    }
                }
                let number = assign(&tx, &self.numbering, &paper)?;
                paper.reference = Some(number.reference.clone());
                let id = insert_paper(&tx, &paper, &number, &origin, &now)?;
                Ok(Some((id, number)))
            })()
            .map_err(in_item(index))?;
            if row.is_some() {
                numbered.push(paper);
            }
            slots.push(row);
        }
        test_pause("allocated");

        // 2. The PDFs; meanwhile the store settles the previous writes and makes the marks
        //    the new files go to.
        let store = &self.store;
        let settling = std::mem::take(&mut self.settling);
        let (prepared, produced) = std::thread::scope(|scope| {
            let prepared = scope.spawn(|| {
                settle_all(settling);
                store.prepare(numbered.len())
            });
            let produced = produce(&numbered);
            (
                prepared.join().expect("the store thread panicked"),
                produced,
            )
        });
        let mut pdfs = Vec::with_capacity(numbered.len());
        for (index, result) in produced.into_iter().enumerate() {
            pdfs.push(result.map_err(|e| in_item(index)(ArchiveError::Produce(e)))?);
        }
        assert_eq!(pdfs.len(), numbered.len(), "one PDF per paper");
        let prepared = prepared?;
        test_pause("rendered");

        // 3. The files (durable before they get their final names), their rows, the commit.
        let bytes: Vec<&[u8]> = pdfs.iter().map(|p| &p.pdf[..]).collect();
        let staging = store.stage_all(&bytes, prepared)?;
        test_pause("stored");
        let mut created = Vec::with_capacity(slots.len());
        let mut files = staging.files.iter().zip(&pdfs);
        let inserted = (|| -> Result<(), ArchiveError> {
            for slot in slots {
                let Some((paper_id, number)) = slot else {
                    created.push(None);
                    continue;
                };
                let (staged, produced) = files.next().expect("one file per numbered paper");
                tx.prepare_cached(
                    "INSERT INTO renditions (paper_id, sha512, size, template_sha512,
                        program_version, created_at, signer, development_key)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )?
                .execute(params![
                    paper_id,
                    staged.sha512,
                    staged.size as i64,
                    produced.template_sha512,
                    crate::VERSION,
                    now,
                    produced.signer,
                    produced.development_key,
                ])?;
                created.push(Some(Created {
                    file: store.path(&staged.sha512),
                    sha512: staged.sha512.clone(),
                    reference: number.reference,
                    allocated: number.allocated,
                }));
            }
            Ok(())
        })();
        if let Err(e) = inserted {
            // Undone while the transaction still holds the write lock.
            staging.abandon(store)?;
            return Err(e);
        }
        test_pause("inserted");
        if let Err(e) = tx.commit() {
            staging.abandon(store)?;
            return Err(e.into());
        }
        test_pause("committed");
        // 4. The marks stay until the final names' folders are fsynced, off this path.
        self.settling.push(staging);
        Ok(created)
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

    /// The id of the newest event of the history (0 for an empty archive): every creation,
    /// import and withdrawal adds one.
    pub fn last_event(&self) -> Result<i64, ArchiveError> {
        Ok(self
            .conn
            .query_row("SELECT COALESCE(MAX(id), 0) FROM events", [], |r| r.get(0))?)
    }

    /// References of the papers with an event after `event`, oldest first.
    pub fn changed_since(&self, event: i64) -> Result<Vec<String>, ArchiveError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT p.reference FROM papers p
             WHERE p.id IN (SELECT paper_id FROM events WHERE id > ?1) ORDER BY p.id",
        )?;
        let rows = stmt
            .query_map([event], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    /// Every paper's reference, oldest first.
    pub fn references(&self) -> Result<Vec<String>, ArchiveError> {
        let mut stmt = self
            .conn
            .prepare("SELECT reference FROM papers ORDER BY id")?;
        let rows = stmt
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    /// Every paper's stored record with its status, oldest first (for the search index).
    pub fn records(&self) -> Result<Vec<(Paper, Status)>, ArchiveError> {
        let mut stmt = self
            .conn
            .prepare("SELECT reference, source_json, status FROM papers ORDER BY id")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (reference, json, status) = row?;
            let paper: Paper = serde_json::from_str(&json).map_err(|e| {
                ArchiveError::Db(DbError::Corrupt(format!(
                    "{reference}: the stored record cannot be read: {e}"
                )))
            })?;
            out.push((paper, Status::from_db(&status)));
        }
        Ok(out)
    }

    /// One paper's stored record and status.
    pub fn record(&self, reference: &str) -> Result<(Paper, Status), ArchiveError> {
        let details = self.show(reference)?;
        let paper = serde_json::from_value(details.source).map_err(|e| {
            ArchiveError::Db(DbError::Corrupt(format!(
                "{reference}: the stored record cannot be read: {e}"
            )))
        })?;
        Ok((paper, details.summary.status))
    }

    /// Tracked record paths (relative, with `/`) that have been imported.
    pub fn imported_paths(&self) -> Result<std::collections::HashSet<String>, ArchiveError> {
        let mut stmt = self.conn.prepare("SELECT path FROM imports")?;
        let paths = stmt
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        Ok(paths)
    }

    /// Papers, oldest first.
    pub fn list(&self, filter: &ListFilter) -> Result<Vec<Summary>, ArchiveError> {
        let mut stmt = self.conn.prepare(
            "SELECT reference, kind, date, subject, department, public, status FROM papers
             WHERE (?1 IS NULL OR year = ?1) AND (?2 IS NULL OR kind = ?2)
             ORDER BY date, year, seq, reference",
        )?;
        let rows = stmt.query_map(params![filter.year, filter.kind.map(Kind::key)], |r| {
            summary(r, 0)
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Everything about one paper.
    pub fn show(&self, reference: &str) -> Result<PaperDetails, ArchiveError> {
        let row = self
            .conn
            .query_row(
                "SELECT id, reference, kind, date, subject, department, public, status,
                    allocated, parent_reference, withdrawn_reason, created_at, modified_at,
                    source_json, source_sha512,
                    (SELECT path FROM imports WHERE paper_id = papers.id)
                 FROM papers WHERE reference = ?1",
                [reference],
                |r| {
                    let source: String = r.get(13)?;
                    Ok((
                        r.get::<_, i64>(0)?,
                        PaperDetails {
                            summary: summary(r, 1)?,
                            allocated: r.get(8)?,
                            supplements: r.get(9)?,
                            withdrawn_reason: r.get(10)?,
                            created_at: r.get(11)?,
                            modified_at: r.get(12)?,
                            source: serde_json::from_str(&source).unwrap_or_default(),
                            source_sha512: r.get(14)?,
                            imported_from: r.get(15)?,
                            renditions: Vec::new(),
                            history: Vec::new(),
                        },
                    ))
                },
            )
            .optional()?;
        let Some((id, mut details)) = row else {
            return Err(ArchiveError::NotFound(reference.to_string()));
        };
        let mut stmt = self.conn.prepare(
            "SELECT sha512, size, template_sha512, program_version, created_at, signer,
                development_key, id
             FROM renditions WHERE paper_id = ?1 ORDER BY id",
        )?;
        details.renditions = stmt
            .query_map([id], |r| {
                let sha512: String = r.get(0)?;
                Ok(Rendition {
                    id: r.get(7)?,
                    file: self.store.path(&sha512),
                    sha512,
                    size: r.get::<_, i64>(1)? as u64,
                    template_sha512: r.get(2)?,
                    program_version: r.get(3)?,
                    created_at: r.get(4)?,
                    signer: r.get(5)?,
                    development_key: r.get(6)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        let mut stmt = self
            .conn
            .prepare("SELECT at, event, detail FROM events WHERE paper_id = ?1 ORDER BY id")?;
        details.history = stmt
            .query_map([id], |r| {
                Ok(Event {
                    at: r.get(0)?,
                    event: r.get(1)?,
                    detail: r.get(2)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(details)
    }

    /// The newest PDF of a paper, checked against its SHA-512.
    pub fn latest_pdf(&self, details: &PaperDetails) -> Result<Vec<u8>, ArchiveError> {
        let rendition = details.renditions.last().ok_or_else(|| {
            ArchiveError::NotFound(format!("a PDF of {}", details.summary.reference))
        })?;
        self.rendition_pdf(rendition)
    }

    /// The stored PDF of one rendition, checked against its SHA-512.
    pub fn rendition_pdf(&self, rendition: &Rendition) -> Result<Vec<u8>, ArchiveError> {
        Ok(self.store.read_verified(&rendition.sha512)?)
    }

    /// Marks a paper withdrawn. Its number, record and files stay.
    pub fn withdraw(&mut self, reference: &str, reason: &str) -> Result<(), ArchiveError> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(ArchiveError::EmptyReason);
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let row: Option<(i64, String, String)> = tx
            .query_row(
                "SELECT id, status, modified_at FROM papers WHERE reference = ?1",
                [reference],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let Some((id, status, modified_at)) = row else {
            return Err(ArchiveError::NotFound(reference.to_string()));
        };
        if status == "withdrawn" {
            return Err(ArchiveError::AlreadyWithdrawn {
                reference: reference.to_string(),
                at: modified_at,
            });
        }
        let now = now();
        tx.prepare_cached(
            "UPDATE papers SET status = 'withdrawn', withdrawn_reason = ?2, modified_at = ?3
             WHERE id = ?1",
        )?
        .execute(params![id, reason, now])?;
        tx.prepare_cached(
            "INSERT INTO events (paper_id, at, event, detail) VALUES (?1, ?2, 'withdrawn', ?3)",
        )?
        .execute(params![id, now, reason])?;
        tx.commit()?;
        Ok(())
    }

    /// Verifies the whole archive; see [`CheckReport`].
    pub fn check(&mut self) -> Result<CheckReport, ArchiveError> {
        check::run(&mut self.conn, &self.store)
    }

    /// Copies the archive to `target` (which must not exist or be empty) while it stays in
    /// use: a consistent database snapshot (`VACUUM INTO`), the files it refers to, and the
    /// other files of the archive root (configuration, records, keys). The search index is
    /// left out: it is rebuilt from the copy.
    pub fn backup(&self, target: &Path) -> Result<usize, ArchiveError> {
        if target.exists()
            && std::fs::read_dir(target)
                .map(|mut d| d.next().is_some())
                .unwrap_or(true)
        {
            return Err(ArchiveError::BackupTarget(format!(
                "{} exists and is not empty: back up into a new folder",
                target.display()
            )));
        }
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| ArchiveError::Root { path, source }
        };
        std::fs::create_dir_all(target).map_err(io(target))?;
        let db_copy = target.join(DB_FILE);
        self.conn
            .execute("VACUUM INTO ?1", [db_copy.to_string_lossy()])?;
        let snapshot = Connection::open(&db_copy)?;
        let mut stmt = snapshot.prepare("SELECT DISTINCT sha512 FROM renditions")?;
        let hashes: Vec<String> = stmt
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        let copy_store = FileStore::open(target.join(FILES_DIR))?;
        for sha in &hashes {
            let bytes = self.store.read_verified(sha)?;
            copy_store.put(&bytes)?;
        }
        copy_tree(&self.root, target, &self.root).map_err(io(&self.root))?;
        Ok(hashes.len())
    }
}

/// Copies the archive root's own files (not the database, the store or the index).
fn copy_tree(dir: &Path, target: &Path, root: &Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let rel = path.strip_prefix(root).expect("below root");
        let first = rel
            .components()
            .next()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .unwrap_or_default();
        if dir == root && (first.starts_with(DB_FILE) || first == FILES_DIR || first == "index") {
            continue;
        }
        if entry.file_type()?.is_dir() {
            std::fs::create_dir_all(target.join(rel))?;
            copy_tree(&path, target, root)?;
        } else {
            std::fs::copy(&path, target.join(rel))?;
        }
    }
    Ok(())
}

fn summary(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<Summary> {
    let kind: String = r.get(at + 1)?;
    let status: String = r.get(at + 6)?;
    Ok(Summary {
        reference: r.get(at)?,
        kind: serde_json::from_value(serde_json::Value::String(kind))
            .unwrap_or(Kind::Beschlussvorlage),
        date: r.get(at + 2)?,
        subject: r.get(at + 3)?,
        department: r.get(at + 4)?,
        public: r.get(at + 5)?,
        status: Status::from_db(&status),
    })
}

/// Inserts a paper's row, its first history event and (for imports) its import row.
fn insert_paper(
    tx: &rusqlite::Transaction<'_>,
    paper: &Paper,
    number: &Number,
    origin: &Origin,
    now: &str,
) -> Result<i64, ArchiveError> {
    let source = canonical_json(paper);
    tx.prepare_cached(
        "INSERT INTO papers (reference, year, seq, parent_reference, supplement_no,
            allocated, kind, public, date, subject, department, source_json,
            source_sha512, created_at, modified_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?14)",
    )?
    .execute(params![
        number.reference,
        number.year,
        number.seq,
        number.parent,
        number.supplement_no,
        number.allocated,
        paper.kind.key(),
        paper.public,
        paper.date.to_string(),
        paper.subject,
        format!("{} {}", paper.department.number, paper.department.name),
        source,
        sha512_hex(source.as_bytes()),
        now,
    ])?;
    let paper_id = tx.last_insert_rowid();
    let (event, detail) = match origin {
        Origin::New if number.allocated => ("created", "number allocated".to_string()),
        Origin::New => ("created", "number taken from the record".to_string()),
        Origin::Import { path, .. } => ("imported", path.clone()),
    };
    tx.prepare_cached("INSERT INTO events (paper_id, at, event, detail) VALUES (?1, ?2, ?3, ?4)")?
        .execute(params![paper_id, now, event, detail])?;
    if let Origin::Import { path, file_sha512 } = origin {
        tx.prepare_cached("INSERT INTO imports (path, file_sha512, paper_id) VALUES (?1, ?2, ?3)")?
            .execute(params![path, file_sha512, paper_id])?;
    }
    Ok(paper_id)
}

/// A reference as allocated or kept, with what the database records about it.
struct Number {
    reference: String,
    year: i32,
    seq: Option<u32>,
    parent: Option<String>,
    supplement_no: Option<u32>,
    allocated: bool,
}

/// The last number of a year. `seq IS NOT NULL` lets SQLite use the partial index
/// `papers_year_seq`; without it, every allocation scans the whole table.
const LAST_SEQ_SQL: &str =
    "SELECT COALESCE(MAX(seq), 0) FROM papers WHERE year = ?1 AND seq IS NOT NULL";

/// The last supplement of a paper, through the partial index `papers_supplements`.
const LAST_SUPPLEMENT_SQL: &str = "SELECT COALESCE(MAX(supplement_no), 0) FROM papers
     WHERE parent_reference = ?1 AND supplement_no IS NOT NULL";

/// Decides the paper's reference inside the write transaction.
fn assign(
    tx: &rusqlite::Transaction<'_>,
    numbering: &Numbering,
    paper: &Paper,
) -> Result<Number, ArchiveError> {
    let paper_year = paper.date.year();
    let exists = |reference: &str| -> rusqlite::Result<bool> {
        tx.prepare_cached("SELECT 1 FROM papers WHERE reference = ?1")?
            .query_row([reference], |_| Ok(()))
            .optional()
            .map(|r| r.is_some())
    };
    let holder = |year: i32, seq: u32| -> rusqlite::Result<Option<String>> {
        tx.prepare_cached("SELECT reference FROM papers WHERE year = ?1 AND seq = ?2")?
            .query_row(params![year, seq], |r| r.get(0))
            .optional()
    };

    // A record that brings its own (historical) reference keeps it if it is free.
    if let Some(reference) = &paper.reference {
        if exists(reference)? {
            return Err(ArchiveError::ReferenceExists(reference.clone()));
        }
        if paper.kind == Kind::Ergaenzungsvorlage
            && let Some((parent, n)) = numbering.parse_supplement(reference)
        {
            return Ok(Number {
                reference: reference.clone(),
                year: paper_year,
                seq: None,
                parent: Some(parent.to_string()),
                supplement_no: Some(n),
                allocated: false,
            });
        }
        let parsed = numbering.parse(reference, paper_year);
        if let Some(p) = parsed
            && let Some(other) = holder(p.year, p.seq)?
        {
            return Err(ArchiveError::NumberTaken {
                reference: reference.clone(),
                year: p.year,
                seq: p.seq,
                other,
            });
        }
        return Ok(Number {
            reference: reference.clone(),
            year: parsed.map_or(paper_year, |p| p.year),
            seq: parsed.map(|p| p.seq),
            parent: None,
            supplement_no: None,
            allocated: false,
        });
    }

    // A supplement is numbered after the paper it supplements.
    if let (Kind::Ergaenzungsvorlage, Some(parent)) = (paper.kind, &paper.supplements) {
        if !exists(parent)? {
            return Err(ArchiveError::UnknownParent(parent.clone()));
        }
        let last: u32 = tx
            .prepare_cached(LAST_SUPPLEMENT_SQL)?
            .query_row([parent], |r| r.get(0))?;
        let reference = numbering.format_supplement(parent, last + 1);
        if exists(&reference)? {
            return Err(ArchiveError::ReferenceExists(reference));
        }
        return Ok(Number {
            reference,
            year: paper_year,
            seq: None,
            parent: Some(parent.clone()),
            supplement_no: Some(last + 1),
            allocated: true,
        });
    }

    // Everything else gets the next number of the paper's year.
    let last: u32 = tx
        .prepare_cached(LAST_SEQ_SQL)?
        .query_row([paper_year], |r| r.get(0))?;
    let seq = last + 1;
    let reference = numbering.format(paper_year, seq);
    if exists(&reference)? {
        return Err(ArchiveError::ReferenceExists(reference));
    }
    Ok(Number {
        reference,
        year: paper_year,
        seq: Some(seq),
        parent: paper.supplements.clone(),
        supplement_no: None,
        allocated: true,
    })
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

/// Test hooks for the crash tests, read once from the environment:
/// - `DRUCKSACHE_TEST_PAUSE_AT=<phase>`: the process stops at that phase (after printing
///   `drucksache: paused at <phase>` to stderr) and waits to be killed, or, with
///   `DRUCKSACHE_TEST_RESUME=<file>`, until that file exists;
/// - `DRUCKSACHE_TEST_TRACE=1`: every phase reached is printed (`drucksache: at <phase>`),
///   so a test that kills at a random moment knows where the kill landed.
///
/// Phases of [`Archive::create`]: allocated, rendered, stored, inserted, committed; and
/// `recovering`, in the middle of settling a mark when an archive is opened.
pub(crate) fn test_pause(phase: &str) {
    struct Hooks {
        pause_at: Option<String>,
        resume: Option<PathBuf>,
        trace: bool,
    }
    static HOOKS: std::sync::OnceLock<Hooks> = std::sync::OnceLock::new();
    let hooks = HOOKS.get_or_init(|| Hooks {
        pause_at: std::env::var("DRUCKSACHE_TEST_PAUSE_AT").ok(),
        resume: std::env::var_os("DRUCKSACHE_TEST_RESUME").map(PathBuf::from),
        trace: std::env::var_os("DRUCKSACHE_TEST_TRACE").is_some(),
    });
    if hooks.trace {
        eprintln!("drucksache: at {phase}");
    }
    if hooks.pause_at.as_deref() == Some(phase) {
        eprintln!("drucksache: paused at {phase}");
        match &hooks.resume {
            Some(file) => {
                while !file.exists() {
                    std::thread::sleep(std::time::Duration::from_millis(10));
                }
            }
            None => loop {
                std::thread::park();
            },
        }
    }
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

    /// Allocation must not get slower as the archive grows: its queries use an index.
    #[test]
    fn allocation_queries_use_an_index() {
        let dir = tempfile::tempdir().unwrap();
        let conn = db::open(&dir.path().join(DB_FILE)).unwrap();
        for sql in [LAST_SEQ_SQL, LAST_SUPPLEMENT_SQL] {
            let plan: Vec<String> = conn
                .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
                .unwrap()
                .query_map([1], |r| r.get::<_, String>(3))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            assert!(
                plan.iter()
                    .any(|step| step.contains("USING COVERING INDEX")),
                "{sql}: {plan:?}"
            );
        }
    }
}
