//! Writing legacy papers not structured yet ("nicht strukturiert"): [`Archive::create_legacy`]
//! keeps a legacy paper's own number with what is known of it, its text and its originals
//! (no rendition); [`Archive::complete_legacy`] replaces what is known and adds originals (a
//! harvest that fetched its files later); [`Archive::structure`] makes it a structured paper
//! once its reviewed record is accepted, with its first rendition. Each is one `BEGIN
//! IMMEDIATE` transaction; a failure changes nothing.

use rusqlite::{OptionalExtension, Transaction, TransactionBehavior, params};

use super::allocate::keep;
use super::create::{insert_rendition, stage_originals, store_and_commit};
use super::db::published_from_column;
use super::harvest::{HarvestPending, is_harvested, record_harvested};
use super::read::original_reference;
use super::store::{FileStore, Staging};
use super::{
    Archive, ArchiveError, BoxError, Created, Harvested, Original, Produced, canonical_json, now,
    sha512_hex,
};
use crate::model::{Kind, LegacyPaper, LegacyPaperError, Paper, slug};

/// A harvested Paper archived as a legacy paper, and why it is still pending.
#[derive(Debug, Clone)]
pub struct PendingHarvest {
    pub paper: Harvested,
    /// In review, or its files failed (fetched again by the next run).
    pub state: HarvestPending,
    pub reason: String,
}

impl Archive {
    /// Archives a legacy paper not structured yet under its own Drucksachennummer, with its
    /// originals (none: a harvested paper whose files could not be fetched) and, for a
    /// harvested paper, its pending `harvested` row. `Ok(None)` when its first original, or
    /// the harvested Paper, is archived already.
    pub fn create_legacy(
        &mut self,
        legacy: LegacyPaper,
        originals: Vec<Original>,
        harvested: Option<PendingHarvest>,
    ) -> Result<Option<String>, ArchiveError> {
        legacy.check().map_err(ArchiveError::Legacy)?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        if is_harvested(&tx, harvested.as_ref().map(|h| &h.paper))? {
            return Ok(None);
        }
        if let Some(first) = originals.first()
            && original_reference(&tx, &sha512_hex(&first.bytes))?.is_some()
        {
            return Ok(None);
        }
        let number = keep(
            &tx,
            &self.numbering,
            &legacy.reference,
            legacy.kind == Some(Kind::Ergaenzungsvorlage),
            legacy.date.year(),
        )?;
        let now = now();
        let source = serde_json::to_string(&legacy).expect("a legacy paper serializes");
        tx.prepare_cached(
            "INSERT INTO papers (reference, year, seq, parent_reference, supplement_no,
                allocated, kind, public, date, subject, department, source_json,
                source_sha512, created_at, modified_at, published_from, slug, structured)
             VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13, ?14, ?15, 0)",
        )?
        .execute(params![
            number.reference,
            number.year,
            number.seq,
            number.parent,
            number.supplement_no,
            legacy.kind.map(Kind::key).unwrap_or_default(),
            legacy.public,
            legacy.date.to_string(),
            legacy.subject,
            department_column(&legacy),
            source,
            sha512_hex(source.as_bytes()),
            now,
            published_from_column(legacy.published_from()),
            slug(&number.reference),
        ])?;
        let paper_id = tx.last_insert_rowid();
        let detail = match &harvested {
            Some(h) => format!("harvested {} (nicht strukturiert)", h.paper.oparl_id),
            None => format!("legacy file {} (nicht strukturiert)", names(&originals)),
        };
        event(&tx, paper_id, &now, "imported", &detail)?;
        if let Some(h) = &harvested {
            record_harvested(&tx, &h.paper, paper_id, Some((h.state, &h.reason)))?;
        }
        commit_with_originals(
            tx,
            &self.originals,
            &mut self.settling,
            paper_id,
            &originals,
            &now,
        )?;
        Ok(Some(number.reference))
    }

    /// Replaces what is known of the legacy paper `reference` (not structured yet) by
    /// `legacy`, and adds the originals it does not have yet: a harvested paper whose files
    /// could be fetched now, but whose record is still in doubt.
    pub fn complete_legacy(
        &mut self,
        reference: &str,
        legacy: LegacyPaper,
        originals: Vec<Original>,
        harvested: Option<PendingHarvest>,
    ) -> Result<(), ArchiveError> {
        legacy.check().map_err(ArchiveError::Legacy)?;
        if legacy.reference != reference {
            return Err(ArchiveError::LegacyNumber {
                reference: reference.to_string(),
                other: legacy.reference,
            });
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let paper_id = legacy_row(&tx, reference)?;
        let now = now();
        let source = serde_json::to_string(&legacy).expect("a legacy paper serializes");
        tx.prepare_cached(
            "UPDATE papers SET kind = ?2, public = ?3, date = ?4, subject = ?5, department = ?6,
                source_json = ?7, source_sha512 = ?8, modified_at = ?9, published_from = ?10
             WHERE id = ?1",
        )?
        .execute(params![
            paper_id,
            legacy.kind.map(Kind::key).unwrap_or_default(),
            legacy.public,
            legacy.date.to_string(),
            legacy.subject,
            department_column(&legacy),
            source,
            sha512_hex(source.as_bytes()),
            now,
            published_from_column(legacy.published_from()),
        ])?;
        let new = new_originals(&tx, paper_id, originals)?;
        event(&tx, paper_id, &now, "completed", &names(&new))?;
        if let Some(h) = &harvested {
            record_harvested(&tx, &h.paper, paper_id, Some((h.state, &h.reason)))?;
        }
        commit_with_originals(
            tx,
            &self.originals,
            &mut self.settling,
            paper_id,
            &new,
            &now,
        )
    }

    /// Makes the legacy paper numbered like `paper` a structured paper: its record becomes
    /// `paper` (validated by the caller, with the same Drucksachennummer), the originals it
    /// does not have yet are added, and `produce` makes its first rendition; for a harvested
    /// paper its `harvested` row becomes archived. All in one transaction.
    pub fn structure(
        &mut self,
        paper: Paper,
        originals: Vec<Original>,
        harvested: Option<Harvested>,
        produce: impl FnOnce(&Paper) -> Result<Produced, BoxError>,
    ) -> Result<Created, ArchiveError> {
        let reference = paper.reference.clone().unwrap_or_default();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let paper_id = legacy_row(&tx, &reference)?;
        let now = now();
        let source = canonical_json(&paper);
        tx.prepare_cached(
            "UPDATE papers SET structured = 1, kind = ?2, public = ?3, date = ?4, subject = ?5,
                department = ?6, source_json = ?7, source_sha512 = ?8, modified_at = ?9,
                published_from = ?10
             WHERE id = ?1",
        )?
        .execute(params![
            paper_id,
            paper.kind.key(),
            paper.public,
            paper.date.to_string(),
            paper.subject,
            format!("{} {}", paper.department.number, paper.department.name),
            source,
            sha512_hex(source.as_bytes()),
            now,
            published_from_column(paper.published_from()),
        ])?;
        let new = new_originals(&tx, paper_id, originals)?;
        let detail = match &harvested {
            Some(h) => format!("harvested {}", h.oparl_id),
            None => "reviewed record accepted".to_string(),
        };
        event(&tx, paper_id, &now, "structured", &detail)?;
        match &harvested {
            Some(h) => record_harvested(&tx, h, paper_id, None)?,
            // A harvested paper's draft reviewed and accepted: its Paper is archived now.
            None => {
                tx.prepare_cached(
                    "UPDATE harvested SET state = 'archived', reason = '' WHERE paper_id = ?1",
                )?
                .execute([paper_id])?;
            }
        }
        let originals = stage_originals(
            &tx,
            &self.originals,
            &new.into_iter().map(|o| (paper_id, o)).collect::<Vec<_>>(),
            &now,
        )?;
        let store = &self.store;
        let stored = store_and_commit(
            tx,
            store,
            &mut self.settling,
            1,
            || vec![produce(&paper)],
            &|_, e| e,
            |tx, staged, produced| {
                insert_rendition(tx, paper_id, staged, produced, &now, None)?;
                Ok(Created {
                    file: store.path(&staged.sha512),
                    sha512: staged.sha512.clone(),
                    reference: reference.clone(),
                    allocated: false,
                })
            },
        );
        match stored {
            Ok(mut created) => {
                self.settling.extend(originals);
                Ok(created.pop().expect("one rendition"))
            }
            Err(e) => {
                if let Some(staging) = originals {
                    staging.abandon(&self.originals)?;
                }
                Err(e)
            }
        }
    }
}

/// Stages `originals` of `paper_id`, inserts their rows and commits `tx`; the staged files
/// are removed when the commit does not happen, and settled later when it does.
fn commit_with_originals(
    tx: Transaction<'_>,
    store: &FileStore,
    settling: &mut Vec<Staging>,
    paper_id: i64,
    originals: &[Original],
    now: &str,
) -> Result<(), ArchiveError> {
    let files: Vec<(i64, Original)> = originals.iter().map(|o| (paper_id, o.clone())).collect();
    let staging = stage_originals(&tx, store, &files, now)?;
    if let Err(e) = tx.commit() {
        if let Some(staging) = staging {
            staging.abandon(store)?;
        }
        return Err(e.into());
    }
    settling.extend(staging);
    Ok(())
}

/// The row id of the legacy paper `reference`, not structured yet.
fn legacy_row(tx: &Transaction<'_>, reference: &str) -> Result<i64, ArchiveError> {
    let row: Option<(i64, bool)> = tx
        .prepare_cached("SELECT id, structured FROM papers WHERE reference = ?1")?
        .query_row([reference], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    match row {
        Some((id, false)) => Ok(id),
        Some((_, true)) => Err(ArchiveError::ReferenceExists(reference.to_string())),
        None => Err(ArchiveError::NotFound(reference.to_string())),
    }
}

/// The originals of `originals` that the paper does not have yet (by content).
fn new_originals(
    tx: &Transaction<'_>,
    paper_id: i64,
    originals: Vec<Original>,
) -> Result<Vec<Original>, ArchiveError> {
    let mut stmt =
        tx.prepare_cached("SELECT 1 FROM originals WHERE paper_id = ?1 AND sha512 = ?2")?;
    let mut new = Vec::new();
    for original in originals {
        let sha512 = sha512_hex(&original.bytes);
        let known = stmt
            .query_row(params![paper_id, sha512], |_| Ok(()))
            .optional()?
            .is_some();
        if !known
            && !new
                .iter()
                .any(|o: &Original| sha512_hex(&o.bytes) == sha512)
        {
            new.push(original);
        }
    }
    Ok(new)
}

fn event(
    tx: &Transaction<'_>,
    paper_id: i64,
    now: &str,
    event: &str,
    detail: &str,
) -> rusqlite::Result<()> {
    tx.prepare_cached("INSERT INTO events (paper_id, at, event, detail) VALUES (?1, ?2, ?3, ?4)")?
        .execute(params![paper_id, now, event, detail])?;
    Ok(())
}

fn names(originals: &[Original]) -> String {
    originals
        .iter()
        .map(|o| o.file_name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The `department` column: "55 Fachbereich …", empty when not known.
fn department_column(legacy: &LegacyPaper) -> String {
    legacy
        .department
        .as_ref()
        .map(|d| format!("{} {}", d.number, d.name))
        .unwrap_or_default()
}

impl From<LegacyPaperError> for ArchiveError {
    fn from(e: LegacyPaperError) -> Self {
        ArchiveError::Legacy(e)
    }
}
