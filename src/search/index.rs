//! [`SearchIndex`]: the tantivy index under `<archive>/index/`, its lifecycle: opening (and
//! rebuilding an outdated one), indexing papers with a [`SyncMark`] in every commit, what it
//! holds ([`SearchIndex::entries`]), and the writer's memory. Searching is in `results.rs`.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use tantivy::directory::error::LockError;
use tantivy::schema::{Facet, Value};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

use super::SearchError;
use super::analyzer;
use super::document::IndexDoc;
use super::schema::{
    self, Fields, Level, SCHEMA_VERSION, TextField, date_number, normalize_reference,
};
use crate::model::Date;
use crate::model::Status;

/// Name of the file that marks a complete index of our schema version.
const MARKER: &str = "drucksache-index";
/// Indexing memory of a rebuild: per writer, split over its threads.
const WRITER_MEMORY: usize = 200_000_000;
/// Indexing memory for adding a few papers: tantivy sizes (and zeroes) each new segment's
/// term table by the budget, so a rebuild-sized writer made every small commit pay for
/// tens of megabytes.
const SMALL_WRITER_MEMORY: usize = 15_000_000; // tantivy's minimum per thread

/// How long a write waits for the index's writer lock, which tantivy takes without waiting.
/// Writers are one at a time already (the archive's lock); what holds it for a moment is a
/// child process started while a writer was open: until it runs its program it shares the
/// locked file.
const WRITER_LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// The public search index. Share one per process (it is `Send + Sync`); searching reuses
/// its reader, indexing takes its writer lock (one writer per index across processes).
pub struct SearchIndex {
    pub(super) dir: PathBuf,
    index: Index,
    pub(super) fields: Fields,
    pub(super) reader: IndexReader,
    writer: Mutex<Option<IndexWriter>>,
    complete: bool,
    today: Date,
}

/// How far the index has followed the archive, recorded with every commit: every change of
/// the archive's history up to event `events` (creations, imports, withdrawals) is in it, and
/// which papers are published was decided on `day`. Keeping the index in step means indexing
/// the papers of later events and those whose publication day came since `day`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncMark {
    pub events: i64,
    pub day: Date,
}

impl SyncMark {
    fn payload(&self) -> String {
        format!("drucksache-sync events={} day={}", self.events, self.day)
    }

    fn parse(text: &str) -> Option<SyncMark> {
        let rest = text.strip_prefix("drucksache-sync events=")?;
        let (events, day) = rest.split_once(" day=")?;
        Some(SyncMark {
            events: events.parse().ok()?,
            day: Date::parse_iso(day)?,
        })
    }
}

/// One paper as the index holds it (see [`SearchIndex::entries`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexEntry {
    pub reference: String,
    pub fingerprint: String,
    pub withdrawn: bool,
}

/// What [`SearchIndex::add`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Added {
    Indexed,
    /// Not public (or blocked): not indexed, and removed if it was.
    NotPublic,
}

/// What [`SearchIndex::rebuild`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RebuildStats {
    pub indexed: u64,
    pub not_public: u64,
}

pub(super) fn tantivy_error(dir: &Path) -> impl Fn(tantivy::TantivyError) -> SearchError + '_ {
    move |source| SearchError::Tantivy {
        path: dir.to_path_buf(),
        source,
    }
}

fn io_error(dir: &Path) -> impl Fn(std::io::Error) -> SearchError + '_ {
    move |source| SearchError::Io {
        path: dir.to_path_buf(),
        source,
    }
}

impl SearchIndex {
    /// Whether `dir` holds a complete index of this program's version, judged by its files
    /// alone (cheap; nothing is opened or created). [`SearchIndex::open_or_create`] still
    /// checks the schema.
    pub fn looks_complete(dir: &Path) -> bool {
        std::fs::read_to_string(dir.join(MARKER)).ok().as_deref() == Some(marker_text().as_str())
            && dir.join("meta.json").is_file()
    }

    /// Opens the index in `dir`, creating it when missing. An index of another schema
    /// version (or an interrupted rebuild) is deleted and created anew, empty: then
    /// [`SearchIndex::is_complete`] is false and the caller must [`SearchIndex::rebuild`].
    /// Papers blocked until a date count as published from the day after, by today's date.
    pub fn open_or_create(dir: &Path) -> Result<SearchIndex, SearchError> {
        SearchIndex::open_or_create_on(dir, Date::today())
    }

    /// [`SearchIndex::open_or_create`] with `today` given (for tests and replays).
    pub fn open_or_create_on(dir: &Path, today: Date) -> Result<SearchIndex, SearchError> {
        let (schema, fields) = schema::build();
        let marker = dir.join(MARKER);
        let meta = dir.join("meta.json");
        let mut complete = false;
        let index = if dir.is_dir() {
            let ours = marker.exists() || meta.is_file();
            if SearchIndex::looks_complete(dir) {
                let index = Index::open_in_dir(dir).map_err(tantivy_error(dir))?;
                if index.schema() == schema {
                    complete = true;
                    Some(index)
                } else {
                    None
                }
            } else if !ours
                && std::fs::read_dir(dir)
                    .map_err(io_error(dir))?
                    .next()
                    .is_some()
            {
                return Err(SearchError::NotAnIndex {
                    path: dir.to_path_buf(),
                });
            } else {
                None
            }
        } else {
            None
        };
        let index = match index {
            Some(index) => index,
            None => {
                if dir.exists() {
                    std::fs::remove_dir_all(dir).map_err(io_error(dir))?;
                }
                std::fs::create_dir_all(dir).map_err(io_error(dir))?;
                Index::create_in_dir(dir, schema).map_err(tantivy_error(dir))?
            }
        };
        analyzer::register(index.tokenizers());
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::OnCommitWithDelay)
            .try_into()
            .map_err(tantivy_error(dir))?;
        Ok(SearchIndex {
            dir: dir.to_path_buf(),
            index,
            fields,
            reader,
            writer: Mutex::new(None),
            complete,
            today,
        })
    }

    /// Whether the index holds the whole archive (a rebuild finished since it was created).
    pub fn is_complete(&self) -> bool {
        self.complete
    }

    /// The day this handle decides publication by (papers blocked until a date).
    pub fn today(&self) -> Date {
        self.today
    }

    /// The directory of the index.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Runs `f` with the index writer, made on first use: a big one for a rebuild (`bulk`),
    /// a small one-thread writer for adding and removing papers.
    fn with_writer<T>(
        &self,
        bulk: bool,
        f: impl FnOnce(&mut IndexWriter) -> tantivy::Result<T>,
    ) -> Result<T, SearchError> {
        let mut guard = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        if guard.is_none() {
            let (threads, memory) = if bulk {
                let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
                (threads, WRITER_MEMORY)
            } else {
                (1, SMALL_WRITER_MEMORY)
            };
            let start = std::time::Instant::now();
            let writer = loop {
                match self.index.writer_with_num_threads(threads, memory) {
                    Err(tantivy::TantivyError::LockFailure(LockError::LockBusy, _))
                        if start.elapsed() < WRITER_LOCK_WAIT =>
                    {
                        std::thread::sleep(std::time::Duration::from_millis(20));
                    }
                    result => break result.map_err(tantivy_error(&self.dir))?,
                }
            };
            *guard = Some(writer);
        }
        let result = f(guard.as_mut().expect("writer was just created"));
        result.map_err(tantivy_error(&self.dir))
    }

    /// Replaces the whole index by `docs` (non-public ones are left out), calling `progress`
    /// with the number of documents seen so far. Marks the index complete.
    /// `mark` says how far into the archive's history `docs` reach (see [`SyncMark`]).
    pub fn rebuild(
        &mut self,
        docs: impl Iterator<Item = IndexDoc>,
        mark: Option<SyncMark>,
        mut progress: impl FnMut(u64),
    ) -> Result<RebuildStats, SearchError> {
        let marker = self.dir.join(MARKER);
        if marker.exists() {
            std::fs::remove_file(&marker).map_err(io_error(&self.dir))?;
        }
        let mut stats = RebuildStats::default();
        let today = self.today;
        let fields = self.fields.clone();
        // A small writer left from `add` is replaced by a big one.
        drop(self.writer.lock().unwrap_or_else(|e| e.into_inner()).take());
        self.with_writer(true, |writer| {
            writer.delete_all_documents()?;
            for (seen, doc) in docs.enumerate() {
                if doc.is_publishable(today) {
                    writer.add_document(to_document(&fields, &doc))?;
                    stats.indexed += 1;
                } else {
                    stats.not_public += 1;
                }
                progress(seen as u64 + 1);
            }
            commit(writer, mark)
        })?;
        std::fs::write(&marker, marker_text()).map_err(io_error(&self.dir))?;
        // Let go of the writer (and its lock on the index): a long-lived handle that was
        // rebuilt once, like the service's, must not keep other writers out.
        drop(self.writer.lock().unwrap_or_else(|e| e.into_inner()).take());
        self.reader.reload().map_err(tantivy_error(&self.dir))?;
        self.complete = true;
        Ok(stats)
    }

    /// Indexes one paper (replacing an earlier version with the same Drucksachennummer) and
    /// commits: it is searchable when this returns. A paper that is not public is not
    /// indexed, and an earlier public version of it is removed.
    pub fn add(&self, doc: &IndexDoc) -> Result<Added, SearchError> {
        Ok(self.add_all(std::slice::from_ref(doc), None)?[0])
    }

    /// [`SearchIndex::add`] for several papers with one commit, which records `mark` (see
    /// [`SyncMark`]; `None` forgets the mark, so the next sync looks at every paper).
    pub fn add_all(
        &self,
        docs: &[IndexDoc],
        mark: Option<SyncMark>,
    ) -> Result<Vec<Added>, SearchError> {
        let today = self.today;
        let added = self.with_writer(false, |writer| {
            let mut added = Vec::with_capacity(docs.len());
            for doc in docs {
                let key =
                    Term::from_field_text(self.fields.number, &normalize_reference(&doc.reference));
                writer.delete_term(key);
                if doc.is_publishable(today) {
                    writer.add_document(to_document(&self.fields, doc))?;
                    added.push(Added::Indexed);
                } else {
                    added.push(Added::NotPublic);
                }
            }
            commit(writer, mark)?;
            Ok(added)
        })?;
        self.reader.reload().map_err(tantivy_error(&self.dir))?;
        Ok(added)
    }

    /// Lets go of the writer after letting it finish its segment merges. Dropping a writer
    /// cancels them: a process that opens the index for each batch and drops it leaves one
    /// more segment every time, and searching slows down with each.
    pub fn finish_writes(&self) -> Result<(), SearchError> {
        let writer = self.writer.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(writer) = writer {
            writer
                .wait_merging_threads()
                .map_err(tantivy_error(&self.dir))?;
        }
        Ok(())
    }

    /// Makes what other writers (other processes, other handles) committed visible to
    /// searches now instead of after the reader's polling delay.
    pub fn reload(&self) -> Result<(), SearchError> {
        self.reader.reload().map_err(tantivy_error(&self.dir))
    }

    /// The mark of the last commit: how far the index has followed the archive.
    pub fn mark(&self) -> Option<SyncMark> {
        let meta = self.index.load_metas().ok()?;
        SyncMark::parse(meta.payload.as_deref()?)
    }

    /// What the index holds of every paper: reference, record fingerprint, withdrawn (for
    /// `drucksache check`).
    pub fn entries(&self) -> Result<Vec<IndexEntry>, SearchError> {
        let searcher = self.reader.searcher();
        let mut entries = Vec::new();
        for segment in searcher.segment_readers() {
            let store = segment.get_store_reader(64).map_err(io_error(&self.dir))?;
            let alive = segment.alive_bitset();
            for doc_id in 0..segment.max_doc() {
                if alive.is_some_and(|a| !a.is_alive(doc_id)) {
                    continue;
                }
                let doc: TantivyDocument = store.get(doc_id).map_err(tantivy_error(&self.dir))?;
                let text = |field| {
                    doc.get_first(field)
                        .and_then(|v| v.as_str())
                        .unwrap_or_default()
                        .to_string()
                };
                entries.push(IndexEntry {
                    reference: text(self.fields.reference),
                    fingerprint: text(self.fields.fingerprint),
                    withdrawn: doc
                        .get_first(self.fields.withdrawn)
                        .and_then(|v| v.as_u64())
                        == Some(1),
                });
            }
        }
        Ok(entries)
    }

    /// Number of papers in the index.
    pub fn len(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn marker_text() -> String {
    format!("drucksache search index, schema version {SCHEMA_VERSION}\n")
}

/// Commits, recording `mark` in the commit's payload.
fn commit(writer: &mut IndexWriter, mark: Option<SyncMark>) -> tantivy::Result<()> {
    let mut prepared = writer.prepare_commit()?;
    if let Some(mark) = mark {
        prepared.set_payload(&mark.payload());
    }
    prepared.commit()?;
    Ok(())
}

/// The tantivy document of a paper.
fn to_document(f: &Fields, doc: &IndexDoc) -> TantivyDocument {
    let mut d = TantivyDocument::default();
    d.add_text(f.number, normalize_reference(&doc.reference));
    d.add_text(f.reference, &doc.reference);
    let department = format!("{} {}", doc.department_number, doc.department);
    let texts: [(TextField, String); 10] = [
        (TextField::Subject, doc.subject.clone()),
        (TextField::Summary, doc.summary.clone()),
        (TextField::Resolution, doc.resolution.clone()),
        (TextField::Reasoning, doc.reasoning.clone()),
        (TextField::Department, department.clone()),
        (TextField::Involved, doc.involved.join("\n")),
        (TextField::Bodies, doc.bodies.join("\n")),
        (TextField::Signatories, doc.signatories.join("\n")),
        (
            TextField::Kind,
            doc.kind.map(|k| k.label().to_string()).unwrap_or_default(),
        ),
        (TextField::Text, doc.text.clone().unwrap_or_default()),
    ];
    for (field, text) in &texts {
        if text.is_empty() {
            continue;
        }
        d.add_text(f.stored(*field), text);
        for level in Level::ALL {
            d.add_text(f.indexed(*field, level), text);
        }
    }
    d.add_text(f.department_number, &doc.department_number);
    if let Some(kind) = doc.kind {
        d.add_text(f.kind, kind.key());
        d.add_facet(f.facet_kind, Facet::from_path([kind.label()]));
    }
    let date = doc.date;
    d.add_u64(f.date, date_number(date));
    d.add_u64(f.year, date.year() as u64);
    d.add_u64(f.withdrawn, u64::from(doc.status == Status::Withdrawn));
    d.add_text(f.fingerprint, &doc.fingerprint);
    d.add_facet(f.facet_year, Facet::from_path([date.year().to_string()]));
    d.add_facet(f.facet_department, Facet::from_path([department]));
    for body in &doc.bodies {
        d.add_facet(f.facet_body, Facet::from_path([body.as_str()]));
    }
    d
}
