//! Writing legacy papers not structured yet ("nicht strukturiert"): [`Archive::create_legacy`]
//! keeps a legacy paper's own number with what is known of it, its text and its originals
//! (no rendition); [`Archive::complete_legacy`] replaces what is known and adds originals (a
//! harvest that fetched its files later); [`Archive::structure`] makes it a structured paper
//! once its reviewed record is accepted, with its first rendition. Each is one `BEGIN
//! IMMEDIATE` transaction; a failure changes nothing.

use rusqlite::{OptionalExtension, Transaction, TransactionBehavior, params};

use super::allocate::keep;
use super::create::{
    RecordColumns, insert_rendition, insert_row, replace_record, stage_originals, store_and_commit,
};
use super::harvest::{HarvestPending, is_harvested, record_harvested};
use super::read::original_reference;
use super::store::{FileStore, Staging};
use super::{
    Archive, ArchiveError, BoxError, Created, Harvested, Original, Produced, now, sha512_hex,
};
use crate::model::{Kind, LegacyPaper, LegacyPaperError, Paper};

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
        let paper_id = insert_row(&tx, &number, &RecordColumns::legacy(&legacy), &now)?;
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
        replace_record(&tx, paper_id, &RecordColumns::legacy(&legacy), &now)?;
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
        replace_record(&tx, paper_id, &RecordColumns::paper(&paper), &now)?;
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

impl From<LegacyPaperError> for ArchiveError {
    fn from(e: LegacyPaperError) -> Self {
        ArchiveError::Legacy(e)
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{produce, unnumbered};
    use super::*;
    use crate::model::{Date, Numbering};

    fn legacy(reference: &str) -> LegacyPaper {
        LegacyPaper {
            public: true,
            kind: None,
            reference: reference.into(),
            date: Date::parse_iso("2012-04-25").unwrap(),
            department: None,
            subject: "Integrationskonzept".into(),
            consultations: Vec::new(),
            text: "Der Text".into(),
        }
    }

    fn original(text: &str) -> Original {
        Original {
            file_name: "a.txt".into(),
            media_type: "text/plain; charset=utf-8".into(),
            bytes: text.as_bytes().to_vec(),
        }
    }

    fn count(archive: &Archive, sql: &str) -> i64 {
        archive.conn.query_row(sql, [], |r| r.get(0)).unwrap()
    }

    #[test]
    fn a_legacy_paper_keeps_its_number_and_becomes_structured_once_or_not_at_all() {
        let dir = tempfile::tempdir().unwrap();
        let mut archive = Archive::open(dir.path(), Numbering::default()).unwrap();
        let created = archive
            .create_legacy(legacy("0310/2012"), vec![original("alt")], None)
            .unwrap();
        assert_eq!(created.as_deref(), Some("0310/2012"));
        // The same original again: nothing; another paper claiming the number: refused.
        assert_eq!(
            archive
                .create_legacy(legacy("0310/2012"), vec![original("alt")], None)
                .unwrap(),
            None
        );
        assert!(matches!(
            archive.create_legacy(legacy("0310/2012"), vec![original("neu")], None),
            Err(ArchiveError::ReferenceExists(_))
        ));
        // A structured paper does not take a number a legacy paper holds.
        let mut paper = unnumbered("Integrationskonzept");
        paper.reference = Some("0310/2012".into());
        assert!(matches!(
            archive.create(paper.clone(), super::super::Origin::New, produce),
            Err(ArchiveError::ReferenceExists(_))
        ));

        // Rendering fails: the legacy paper stays as it was.
        let failed = archive.structure(paper.clone(), vec![original("alt")], None, |_| {
            Err("kaputt".into())
        });
        assert!(
            matches!(failed, Err(ArchiveError::Produce(_))),
            "{failed:?}"
        );
        assert_eq!(count(&archive, "SELECT structured FROM papers"), 0);
        assert_eq!(count(&archive, "SELECT count(*) FROM renditions"), 0);
        assert_eq!(count(&archive, "SELECT count(*) FROM events"), 1);

        let created = archive
            .structure(paper.clone(), vec![original("alt")], None, produce)
            .unwrap();
        assert_eq!(created.reference, "0310/2012");
        assert_eq!(count(&archive, "SELECT structured FROM papers"), 1);
        assert_eq!(count(&archive, "SELECT count(*) FROM renditions"), 1);
        assert_eq!(
            count(&archive, "SELECT count(*) FROM originals"),
            1,
            "not twice"
        );
        // Once structured, never again, and never back.
        assert!(matches!(
            archive.structure(paper, vec![], None, produce),
            Err(ArchiveError::ReferenceExists(_))
        ));
        assert!(matches!(
            archive.complete_legacy("0310/2012", legacy("0310/2012"), vec![], None),
            Err(ArchiveError::ReferenceExists(_))
        ));
        let report = archive.check().unwrap();
        assert!(report.problems.is_empty(), "{:?}", report.problems);
    }

    #[test]
    fn the_database_refuses_a_changed_structured_record_and_a_legacy_papers_new_number() {
        let dir = tempfile::tempdir().unwrap();
        let mut archive = Archive::open(dir.path(), Numbering::default()).unwrap();
        archive
            .create_legacy(legacy("0311/2012"), vec![], None)
            .unwrap();
        archive
            .create(unnumbered("Neu"), super::super::Origin::New, produce)
            .unwrap();
        let refused = |sql: &str| {
            let e = archive.conn.execute(sql, []).unwrap_err().to_string();
            assert!(
                e.contains("never changes") || e.contains("keeps the number"),
                "{e}"
            );
        };
        refused("UPDATE papers SET reference = '1/2012' WHERE structured = 0");
        refused("UPDATE papers SET slug = 'x' WHERE structured = 0");
        refused("UPDATE papers SET subject = 'x' WHERE structured = 1");
        refused("UPDATE papers SET structured = 0 WHERE structured = 1");
        // What is known of a legacy paper may be completed.
        archive
            .conn
            .execute("UPDATE papers SET subject = 'x' WHERE structured = 0", [])
            .unwrap();
        // Its rules hold before anything is written.
        let mut bad = legacy("0312/2012");
        bad.subject = " ".into();
        assert!(matches!(
            archive.create_legacy(bad, vec![], None),
            Err(ArchiveError::Legacy(_))
        ));
        assert_eq!(count(&archive, "SELECT count(*) FROM papers"), 2);
    }
}
