//! Writing PDFs into the archive: [`Archive::create`] and [`Archive::create_all`] number,
//! produce, store and insert new papers, through `store_and_commit`, the sequence every
//! write of a PDF shares (re-rendering's `rerender.rs` too). Every write is one `BEGIN
//! IMMEDIATE` transaction with the file store's crash protocol (see `store.rs`): a failure
//! leaves no number used, no row, no file.

use rusqlite::{OptionalExtension, Transaction, TransactionBehavior, params};

use super::allocate::{Number, assign};
use super::db::published_from_column;
use super::harvest::{is_harvested, record_harvested};
use super::hooks::test_pause;
use super::read::original_reference;
use super::store::{FileStore, Staged, Staging};
use super::{
    Archive, ArchiveError, BoxError, Created, Origin, Produced, canonical_json, now, settle_all,
    sha512_hex,
};
use crate::model::{Kind, LegacyPaper, Paper, slug};

impl Archive {
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
        let in_item = item_error(items.len() == 1);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let now = now();

        // 1. Numbers and paper rows, one after the other: each sees the ones before it.
        let mut slots: Vec<Option<(i64, Number)>> = Vec::new();
        let mut numbered = Vec::new();
        let mut originals = Vec::new();
        for (index, (mut paper, origin)) in items.into_iter().enumerate() {
            let row = (|| {
                if let Origin::Legacy {
                    originals,
                    harvested,
                } = &origin
                    && (is_harvested(&tx, harvested.as_ref())?
                        || match originals.first() {
                            Some(first) => {
                                original_reference(&tx, &sha512_hex(&first.bytes))?.is_some()
                            }
                            None => false,
                        })
                {
                    return Ok(None);
                }
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
            .map_err(|e| in_item(index, e))?;
            if let (
                Some((paper_id, _)),
                Origin::Legacy {
                    originals: files, ..
                },
            ) = (&row, origin)
            {
                originals.extend(files.into_iter().map(|file| (*paper_id, file)));
            }
            if row.is_some() {
                numbered.push(paper);
            }
            slots.push(row);
        }
        test_pause("allocated");

        // The originals of legacy papers: staged like the PDFs, undone if those fail.
        let originals = stage_originals(&tx, &self.originals, &originals, &now)?;

        // 2.–4. The PDFs, their files and rows, the commit.
        let mut rows = slots.iter().flatten();
        let store = &self.store;
        let stored = store_and_commit(
            tx,
            store,
            &mut self.settling,
            numbered.len(),
            || produce(&numbered),
            &in_item,
            |tx, staged, produced| {
                let (paper_id, number) = rows.next().expect("one file per numbered paper");
                insert_rendition(tx, *paper_id, staged, produced, &now, None)?;
                Ok(Created {
                    file: store.path(&staged.sha512),
                    sha512: staged.sha512.clone(),
                    reference: number.reference.clone(),
                    allocated: number.allocated,
                })
            },
        );
        let mut stored = match stored {
            Ok(stored) => stored.into_iter(),
            Err(e) => {
                if let Some(staging) = originals {
                    staging.abandon(&self.originals)?;
                }
                return Err(e);
            }
        };
        self.settling.extend(originals);
        Ok(slots
            .iter()
            .map(|slot| slot.as_ref().map(|_| stored.next().expect("one per row")))
            .collect())
    }
}

/// Stages the originals of legacy papers and inserts their rows (in `tx`, which holds the
/// write lock); the caller commits, or abandons the staging if the commit does not happen.
pub(super) fn stage_originals(
    tx: &Transaction<'_>,
    store: &FileStore,
    originals: &[(i64, super::Original)],
    now: &str,
) -> Result<Option<Staging>, ArchiveError> {
    if originals.is_empty() {
        return Ok(None);
    }
    let bytes: Vec<&[u8]> = originals.iter().map(|(_, o)| &o.bytes[..]).collect();
    let staging = store.stage_all(&bytes, store.prepare(bytes.len())?)?;
    for (staged, (paper_id, original)) in staging.files.iter().zip(originals) {
        let inserted = tx
            .prepare_cached(
                "INSERT INTO originals (paper_id, sha512, size, media_type, file_name, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .and_then(|mut stmt| {
                stmt.execute(params![
                    paper_id,
                    staged.sha512,
                    staged.size as i64,
                    original.media_type,
                    original.file_name,
                    now,
                ])
            });
        if let Err(e) = inserted {
            staging.abandon(store)?;
            return Err(e.into());
        }
    }
    Ok(Some(staging))
}

/// Wraps an item's error with its position in a batch (not for a batch of one).
fn item_error(single: bool) -> impl Fn(usize, ArchiveError) -> ArchiveError {
    move |index, e| {
        if single {
            e
        } else {
            ArchiveError::Item {
                index,
                source: Box::new(e),
            }
        }
    }
}

/// The steps every write shares once its rows are in `tx` (which holds the write lock):
/// `produce` makes the `count` PDFs while another thread settles the earlier writes and
/// prepares the marks the files go to; the files are staged (durable before their final
/// names), `insert` adds each one's rows in order, and the transaction commits. Any failure
/// before the commit removes the staged files; after it, their marks wait in `settling`.
pub(super) fn store_and_commit<T>(
    tx: Transaction<'_>,
    store: &FileStore,
    settling: &mut Vec<Staging>,
    count: usize,
    produce: impl FnOnce() -> Vec<Result<Produced, BoxError>>,
    in_item: &impl Fn(usize, ArchiveError) -> ArchiveError,
    mut insert: impl FnMut(&Transaction<'_>, &Staged, &Produced) -> Result<T, ArchiveError>,
) -> Result<Vec<T>, ArchiveError> {
    // The PDFs; meanwhile the store settles the previous writes and makes the marks.
    let earlier = std::mem::take(settling);
    let (prepared, produced) = std::thread::scope(|scope| {
        let prepared = scope.spawn(|| {
            settle_all(earlier);
            store.prepare(count)
        });
        let produced = produce();
        (
            prepared.join().expect("the store thread panicked"),
            produced,
        )
    });
    let mut pdfs = Vec::with_capacity(count);
    for (index, result) in produced.into_iter().enumerate() {
        pdfs.push(result.map_err(|e| in_item(index, ArchiveError::Produce(e)))?);
    }
    assert_eq!(pdfs.len(), count, "one PDF per paper");
    let prepared = prepared?;
    test_pause("rendered");

    // The files (durable before they get their final names), their rows, the commit.
    let bytes: Vec<&[u8]> = pdfs.iter().map(|p| &p.pdf[..]).collect();
    let staging = store.stage_all(&bytes, prepared)?;
    test_pause("stored");
    let inserted: Result<Vec<T>, ArchiveError> = staging
        .files
        .iter()
        .zip(&pdfs)
        .map(|(staged, produced)| insert(&tx, staged, produced))
        .collect();
    let inserted = match inserted {
        Ok(inserted) => inserted,
        Err(e) => {
            // Undone while the transaction still holds the write lock.
            staging.abandon(store)?;
            return Err(e);
        }
    };
    test_pause("inserted");
    if let Err(e) = tx.commit() {
        staging.abandon(store)?;
        return Err(e.into());
    }
    test_pause("committed");
    // The marks stay until the final names' folders are fsynced, off this path.
    settling.push(staging);
    Ok(inserted)
}

/// Inserts a rendition row (`run`: the re-rendering run that made it); returns its id.
pub(super) fn insert_rendition(
    tx: &Transaction<'_>,
    paper_id: i64,
    staged: &Staged,
    produced: &Produced,
    now: &str,
    run: Option<i64>,
) -> Result<i64, ArchiveError> {
    tx.prepare_cached(
        "INSERT INTO renditions (paper_id, sha512, size, template_sha512,
            program_version, created_at, signer, development_key, run_id, pages, words_sha256)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
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
        run,
        produced.content.as_ref().map(|c| c.pages as i64),
        produced.content.as_ref().map(|c| &c.words_sha256),
    ])?;
    Ok(tx.last_insert_rowid())
}

/// The first 16 hex digits of a SHA-512, for the history.
pub(super) fn short(sha512: &str) -> &str {
    sha512.get(..16).unwrap_or(sha512)
}

/// The columns of a paper's row that follow from its record, written with it and never apart
/// from it: for a structured paper and for a legacy paper not structured yet alike.
pub(super) struct RecordColumns {
    kind: String,
    public: bool,
    date: String,
    subject: String,
    department: String,
    source_json: String,
    published_from: Option<String>,
    structured: bool,
}

impl RecordColumns {
    pub(super) fn paper(paper: &Paper) -> RecordColumns {
        RecordColumns {
            kind: paper.kind.key().to_string(),
            public: paper.public,
            date: paper.date.to_string(),
            subject: paper.subject.clone(),
            department: format!("{} {}", paper.department.number, paper.department.name),
            source_json: canonical_json(paper),
            published_from: published_from_column(paper.published_from()),
            structured: true,
        }
    }

    /// A legacy paper's: an unknown kind or Amt is empty.
    pub(super) fn legacy(legacy: &LegacyPaper) -> RecordColumns {
        RecordColumns {
            kind: legacy.kind.map(Kind::key).unwrap_or_default().to_string(),
            public: legacy.public,
            date: legacy.date.to_string(),
            subject: legacy.subject.clone(),
            department: legacy
                .department
                .as_ref()
                .map(|d| format!("{} {}", d.number, d.name))
                .unwrap_or_default(),
            source_json: serde_json::to_string(legacy).expect("a legacy paper serializes"),
            published_from: published_from_column(legacy.published_from()),
            structured: false,
        }
    }
}

/// Inserts a paper's row numbered `number`; returns its id.
pub(super) fn insert_row(
    tx: &Transaction<'_>,
    number: &Number,
    columns: &RecordColumns,
    now: &str,
) -> Result<i64, ArchiveError> {
    let c = columns;
    tx.prepare_cached(
        "INSERT INTO papers (reference, year, seq, parent_reference, supplement_no,
            allocated, kind, public, date, subject, department, source_json,
            source_sha512, created_at, modified_at, published_from, slug, structured)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?14, ?15, ?16, ?17)",
    )?
    .execute(params![
        number.reference,
        number.year,
        number.seq,
        number.parent,
        number.supplement_no,
        number.allocated,
        c.kind,
        c.public,
        c.date,
        c.subject,
        c.department,
        c.source_json,
        sha512_hex(c.source_json.as_bytes()),
        now,
        c.published_from,
        slug(&number.reference),
        c.structured,
    ])?;
    Ok(tx.last_insert_rowid())
}

/// Replaces the record of the legacy paper `paper_id` (the database refuses it for a
/// structured one): what is known completed, or the structured record it becomes.
pub(super) fn replace_record(
    tx: &Transaction<'_>,
    paper_id: i64,
    columns: &RecordColumns,
    now: &str,
) -> Result<(), ArchiveError> {
    let c = columns;
    tx.prepare_cached(
        "UPDATE papers SET structured = ?2, kind = ?3, public = ?4, date = ?5, subject = ?6,
            department = ?7, source_json = ?8, source_sha512 = ?9, modified_at = ?10,
            published_from = ?11
         WHERE id = ?1",
    )?
    .execute(params![
        paper_id,
        c.structured,
        c.kind,
        c.public,
        c.date,
        c.subject,
        c.department,
        c.source_json,
        sha512_hex(c.source_json.as_bytes()),
        now,
        c.published_from,
    ])?;
    Ok(())
}

/// Inserts a paper's row, its first history event and (for imports) its import row.
fn insert_paper(
    tx: &rusqlite::Transaction<'_>,
    paper: &Paper,
    number: &Number,
    origin: &Origin,
    now: &str,
) -> Result<i64, ArchiveError> {
    let paper_id = insert_row(tx, number, &RecordColumns::paper(paper), now)?;
    let (event, detail) = match origin {
        Origin::New if number.allocated => ("created", "number allocated".to_string()),
        Origin::New => ("created", "number taken from the record".to_string()),
        Origin::Import { path, .. } => ("imported", path.clone()),
        Origin::Legacy { originals, .. } => (
            "imported",
            format!(
                "legacy file {}",
                originals
                    .iter()
                    .map(|o| o.file_name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ),
    };
    tx.prepare_cached("INSERT INTO events (paper_id, at, event, detail) VALUES (?1, ?2, ?3, ?4)")?
        .execute(params![paper_id, now, event, detail])?;
    if let Origin::Legacy {
        harvested: Some(h), ..
    } = origin
    {
        record_harvested(tx, h, paper_id, None)?;
    }
    if let Origin::Import { path, file_sha512 } = origin {
        tx.prepare_cached("INSERT INTO imports (path, file_sha512, paper_id) VALUES (?1, ?2, ?3)")?
            .execute(params![path, file_sha512, paper_id])?;
    }
    Ok(paper_id)
}
