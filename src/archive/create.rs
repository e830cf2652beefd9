//! Writing PDFs into the archive: [`Archive::create`] and [`Archive::create_all`] number,
//! produce, store and insert new papers; [`Archive::add_renditions`] adds a newly produced PDF
//! to papers already archived. Every write is one `BEGIN IMMEDIATE` transaction with the file
//! store's crash protocol (see `store.rs`): a failure leaves no number used, no row, no file.

use std::path::PathBuf;

use rusqlite::{OptionalExtension, Transaction, TransactionBehavior, params};
use serde::Serialize;

use super::allocate::{Number, assign};
use super::db::published_from_column;
use super::hooks::test_pause;
use super::store::{FileStore, Staged, Staging};
use super::{
    Archive, ArchiveError, BoxError, Created, DbError, Origin, Produced, canonical_json, now,
    settle_all, sha512_hex,
};
use crate::model::{Paper, slug};

/// What [`Archive::add_renditions`] stored for one paper.
#[derive(Debug, Clone, Serialize)]
pub struct AddedRendition {
    /// Drucksachennummer.
    pub reference: String,
    /// The new rendition's row id.
    pub id: i64,
    /// The stored PDF.
    pub file: PathBuf,
    pub sha512: String,
}

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
            .map_err(|e| in_item(index, e))?;
            if row.is_some() {
                numbered.push(paper);
            }
            slots.push(row);
        }
        test_pause("allocated");

        // 2.–4. The PDFs, their files and rows, the commit.
        let mut rows = slots.iter().flatten();
        let store = &self.store;
        let mut stored = store_and_commit(
            tx,
            store,
            &mut self.settling,
            &numbered,
            produce,
            &in_item,
            |tx, staged, produced| {
                let (paper_id, number) = rows.next().expect("one file per numbered paper");
                insert_rendition(tx, *paper_id, staged, produced, &now)?;
                Ok(Created {
                    file: store.path(&staged.sha512),
                    sha512: staged.sha512.clone(),
                    reference: number.reference.clone(),
                    allocated: number.allocated,
                })
            },
        )?
        .into_iter();
        Ok(slots
            .iter()
            .map(|slot| slot.as_ref().map(|_| stored.next().expect("one per row")))
            .collect())
    }

    /// Adds a newly produced PDF to each paper of `references` (all archived already), all
    /// or nothing, in one transaction: `produce` gets their stored records (and may render
    /// them in parallel); each new rendition becomes its paper's newest, and its history says
    /// so (`rendered`). Earlier renditions and their files stay. An error names the item
    /// ([`ArchiveError::Item`]) unless there is only one.
    pub fn add_renditions(
        &mut self,
        references: &[String],
        produce: impl FnOnce(&[Paper]) -> Vec<Result<Produced, BoxError>>,
    ) -> Result<Vec<AddedRendition>, ArchiveError> {
        let in_item = item_error(references.len() == 1);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let now = now();
        let mut ids = Vec::with_capacity(references.len());
        let mut papers = Vec::with_capacity(references.len());
        for (index, reference) in references.iter().enumerate() {
            let row: Option<(i64, String)> = tx
                .prepare_cached("SELECT id, source_json FROM papers WHERE reference = ?1")?
                .query_row([reference], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            let Some((id, json)) = row else {
                return Err(in_item(index, ArchiveError::NotFound(reference.clone())));
            };
            let paper: Paper = serde_json::from_str(&json)
                .map_err(|e| in_item(index, DbError::unreadable_record(reference, &e).into()))?;
            ids.push(id);
            papers.push(paper);
        }
        test_pause("allocated");

        let mut rows = ids.iter().zip(references);
        let store = &self.store;
        store_and_commit(
            tx,
            store,
            &mut self.settling,
            &papers,
            produce,
            &in_item,
            |tx, staged, produced| {
                let (paper_id, reference) = rows.next().expect("one file per paper");
                let id = insert_rendition(tx, *paper_id, staged, produced, &now)?;
                tx.prepare_cached(
                    "INSERT INTO events (paper_id, at, event, detail) VALUES (?1, ?2, 'rendered', ?3)",
                )?
                .execute(params![
                    paper_id,
                    now,
                    format!(
                        "rendition {id}: templates {}, drucksache {}",
                        short(&produced.template_sha512),
                        crate::VERSION
                    )
                ])?;
                tx.prepare_cached("UPDATE papers SET modified_at = ?2 WHERE id = ?1")?
                    .execute(params![paper_id, now])?;
                Ok(AddedRendition {
                    reference: reference.clone(),
                    id,
                    file: store.path(&staged.sha512),
                    sha512: staged.sha512.clone(),
                })
            },
        )
    }
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
/// `produce` makes the PDFs of `papers` while another thread settles the earlier writes and
/// prepares the marks the files go to; the files are staged (durable before their final
/// names), `insert` adds each one's rows in order, and the transaction commits. Any failure
/// before the commit removes the staged files; after it, their marks wait in `settling`.
fn store_and_commit<T>(
    tx: Transaction<'_>,
    store: &FileStore,
    settling: &mut Vec<Staging>,
    papers: &[Paper],
    produce: impl FnOnce(&[Paper]) -> Vec<Result<Produced, BoxError>>,
    in_item: &impl Fn(usize, ArchiveError) -> ArchiveError,
    mut insert: impl FnMut(&Transaction<'_>, &Staged, &Produced) -> Result<T, ArchiveError>,
) -> Result<Vec<T>, ArchiveError> {
    // The PDFs; meanwhile the store settles the previous writes and makes the marks.
    let earlier = std::mem::take(settling);
    let (prepared, produced) = std::thread::scope(|scope| {
        let prepared = scope.spawn(|| {
            settle_all(earlier);
            store.prepare(papers.len())
        });
        let produced = produce(papers);
        (
            prepared.join().expect("the store thread panicked"),
            produced,
        )
    });
    let mut pdfs = Vec::with_capacity(papers.len());
    for (index, result) in produced.into_iter().enumerate() {
        pdfs.push(result.map_err(|e| in_item(index, ArchiveError::Produce(e)))?);
    }
    assert_eq!(pdfs.len(), papers.len(), "one PDF per paper");
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

/// Inserts a rendition row; returns its id.
fn insert_rendition(
    tx: &Transaction<'_>,
    paper_id: i64,
    staged: &Staged,
    produced: &Produced,
    now: &str,
) -> Result<i64, ArchiveError> {
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
    Ok(tx.last_insert_rowid())
}

/// The first 16 hex digits of a SHA-512, for the history.
fn short(sha512: &str) -> &str {
    sha512.get(..16).unwrap_or(sha512)
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
            source_sha512, created_at, modified_at, published_from, slug)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?14, ?15, ?16)",
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
        published_from_column(paper),
        slug(&number.reference),
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

#[cfg(test)]
mod tests {
    use super::super::test_support::{produce, unnumbered};
    use super::*;
    use crate::model::Numbering;

    /// A new rendition of an archived paper is its newest, the earlier one stays, the history
    /// says so, and the same crash protocol applies (no mark left behind).
    #[test]
    fn add_renditions_keeps_the_earlier_ones() {
        let dir = tempfile::tempdir().unwrap();
        let mut archive = Archive::open(dir.path(), Numbering::default()).unwrap();
        let first = archive
            .create(unnumbered("A"), Origin::New, produce)
            .unwrap()
            .unwrap();
        let again = |papers: &[Paper]| {
            papers
                .iter()
                .map(|p| {
                    let mut produced = produce(p)?;
                    produced.pdf.extend_from_slice(b" again");
                    produced.template_sha512 = "0123456789abcdef0123".into();
                    Ok(produced)
                })
                .collect()
        };
        let added = archive
            .add_renditions(std::slice::from_ref(&first.reference), again)
            .unwrap();
        assert_eq!(added.len(), 1);
        let details = archive.show(&first.reference).unwrap();
        let shas: Vec<&str> = details.renditions.iter().map(|r| &r.sha512[..]).collect();
        assert_eq!(shas, [&first.sha512[..], &added[0].sha512[..]]);
        assert_eq!(details.renditions[1].id, added[0].id);
        assert!(first.file.is_file() && added[0].file.is_file());
        let last = details.history.last().unwrap();
        assert_eq!(last.event, "rendered");
        assert!(
            last.detail.contains("templates 0123456789abcdef"),
            "{last:?}"
        );
        assert_eq!(details.modified_at, last.at);
        drop(archive);
        let mut archive = Archive::open(dir.path(), Numbering::default()).unwrap();
        assert!(archive.store.marks().unwrap().is_empty());
        let report = archive.check().unwrap();
        assert!(report.is_ok(), "{report:?}");
    }

    /// An unknown paper or a failed render changes nothing.
    #[test]
    fn add_renditions_is_all_or_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let mut archive = Archive::open(dir.path(), Numbering::default()).unwrap();
        let a = archive
            .create(unnumbered("A"), Origin::New, produce)
            .unwrap()
            .unwrap();
        let events = archive.last_event().unwrap();
        let both = [a.reference.clone(), "9999/2099".to_string()];
        let err = archive
            .add_renditions(&both, |papers| papers.iter().map(produce).collect())
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "record 2 of the batch: 9999/2099 is not in the archive"
        );
        let err = archive
            .add_renditions(std::slice::from_ref(&a.reference), |papers| {
                papers
                    .iter()
                    .map(|_| Err("the template broke".into()))
                    .collect()
            })
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot produce the PDF: the template broke"
        );
        assert_eq!(archive.last_event().unwrap(), events);
        assert_eq!(archive.show(&a.reference).unwrap().renditions.len(), 1);
        drop(archive);
        let mut archive = Archive::open(dir.path(), Numbering::default()).unwrap();
        let report = archive.check().unwrap();
        assert!(report.is_ok(), "{report:?}");
        assert_eq!(report.files, 1);
    }
}
