//! `drucksache check`: proves the archive consistent — database integrity, every record
//! readable and matching its SHA-512 (and what is stored beside it), every rendition's file
//! present with its SHA-512, no stored file without a row, no gap in allocated numbers.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use rusqlite::{Connection, TransactionBehavior};
use serde::Serialize;

use super::db::published_from_column;
use super::store::{FileStore, sha512_hex};
use super::{ArchiveError, DbError, FILES_DIR, ORIGINALS_DIR};
use crate::model::{Kind, Record, Status};

/// The outcome of a check: counts, and one line per problem found.
#[derive(Debug, Default, Serialize)]
pub struct CheckReport {
    pub papers: usize,
    pub renditions: usize,
    /// Originals of legacy papers.
    pub originals: usize,
    pub files: usize,
    pub problems: Vec<String>,
}

impl CheckReport {
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Runs every check under the write lock, so that no paper is half-written meanwhile.
pub(super) fn run(
    conn: &mut Connection,
    store: &FileStore,
    originals: &FileStore,
) -> Result<CheckReport, ArchiveError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut report = CheckReport::default();

    let integrity: String = tx.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
    if integrity != "ok" {
        report
            .problems
            .push(format!("database integrity check: {integrity}"));
    }

    // Every paper: its record matches its hash and reads as a paper (a legacy paper not
    // structured yet: as one that keeps the rules), what is stored beside it can be read and
    // follows from it, and it has a rendition (a legacy paper not structured yet: none).
    {
        let mut stmt = tx.prepare(
            "SELECT reference, source_json, source_sha512,
                (SELECT COUNT(*) FROM renditions WHERE paper_id = papers.id),
                kind, status, published_from, structured
             FROM papers ORDER BY id",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            report.papers += 1;
            let reference: String = row.get(0)?;
            let source: String = row.get(1)?;
            let sha: String = row.get(2)?;
            let renditions: i64 = row.get(3)?;
            if sha512_hex(source.as_bytes()) != sha {
                report.problems.push(format!(
                    "{reference}: the stored record does not match its SHA-512"
                ));
            }
            let structured: bool = row.get(7)?;
            match Record::from_stored(structured, &source) {
                Ok(record) => {
                    if let Record::Legacy(legacy) = &record
                        && let Err(e) = legacy.check()
                    {
                        report.problems.push(format!("{reference}: {e}"));
                    }
                    let stored: Option<String> = row.get(6)?;
                    let derived = published_from_column(record.published_from());
                    if stored != derived {
                        report.problems.push(format!(
                            "{reference}: the stored publication day ({}) is not the one of its record ({})",
                            stored.as_deref().unwrap_or("never"),
                            derived.as_deref().unwrap_or("never"),
                        ));
                    }
                }
                Err(e) => report
                    .problems
                    .push(DbError::unreadable_record(&reference, &e).to_string()),
            }
            let kind: String = row.get(4)?;
            if (structured || !kind.is_empty())
                && let Err(e) = kind.parse::<Kind>()
            {
                report.problems.push(format!("{reference}: {e}"));
            }
            let status: String = row.get(5)?;
            if let Err(e) = status.parse::<Status>() {
                report.problems.push(format!("{reference}: {e}"));
            }
            if renditions == 0 && structured {
                report.problems.push(format!("{reference}: no stored PDF"));
            }
            if renditions > 0 && !structured {
                report.problems.push(format!(
                    "{reference}: a legacy paper not structured yet, but with a stored PDF"
                ));
            }
        }
    }

    // Every rendition's and every original's file exists and matches its SHA-512, and
    // nothing else is in the stores.
    let (renditions, files) = check_store(&tx, store, "renditions", FILES_DIR, &mut report)?;
    report.renditions = renditions;
    report.files = files;
    let (originals, original_files) =
        check_store(&tx, originals, "originals", ORIGINALS_DIR, &mut report)?;
    report.originals = originals;
    report.files += original_files;

    // No gaps: every allocated number follows directly on a number that exists.
    let mut numbers: BTreeMap<i32, BTreeSet<u32>> = BTreeMap::new();
    let mut allocated: Vec<(String, i32, u32)> = Vec::new();
    let mut supplements: BTreeMap<String, BTreeSet<u32>> = BTreeMap::new();
    let mut allocated_supplements: Vec<(String, String, u32)> = Vec::new();
    {
        let mut stmt = tx.prepare(
            "SELECT reference, year, seq, parent_reference, supplement_no, allocated FROM papers",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let reference: String = row.get(0)?;
            let year: i32 = row.get(1)?;
            let seq: Option<u32> = row.get(2)?;
            let parent: Option<String> = row.get(3)?;
            let n: Option<u32> = row.get(4)?;
            let is_allocated: bool = row.get(5)?;
            if let Some(seq) = seq {
                numbers.entry(year).or_default().insert(seq);
                if is_allocated {
                    allocated.push((reference.clone(), year, seq));
                }
            }
            if let (Some(parent), Some(n)) = (parent, n) {
                supplements.entry(parent.clone()).or_default().insert(n);
                if is_allocated {
                    allocated_supplements.push((reference, parent, n));
                }
            }
        }
    }
    for (reference, year, seq) in allocated {
        if seq > 1 && !numbers[&year].contains(&(seq - 1)) {
            report.problems.push(format!(
                "{reference}: gap — number {} of {year} is missing",
                seq - 1
            ));
        }
    }
    for (reference, parent, n) in allocated_supplements {
        if n > 1 && !supplements[&parent].contains(&(n - 1)) {
            report.problems.push(format!(
                "{reference}: gap — supplement {} of {parent} is missing",
                n - 1
            ));
        }
    }
    tx.commit()?;
    Ok(report)
}

/// Checks one file store against the table whose rows name its files (`renditions`,
/// `originals`): every row's file present with its SHA-512, no file without a row, nothing
/// else in the store, no unfinished write. Returns the rows and the files counted.
fn check_store(
    tx: &rusqlite::Transaction<'_>,
    store: &FileStore,
    table: &str,
    dir: &str,
    report: &mut CheckReport,
) -> Result<(usize, usize), ArchiveError> {
    let mut rows_seen = 0;
    let mut referenced = HashSet::new();
    {
        let mut stmt = tx.prepare(&format!(
            "SELECT p.reference, r.sha512 FROM {table} r JOIN papers p ON p.id = r.paper_id
             ORDER BY r.id"
        ))?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            rows_seen += 1;
            let reference: String = row.get(0)?;
            let sha: String = row.get(1)?;
            if referenced.insert(sha.clone())
                && let Err(e) = store.read_verified(&sha)
            {
                report.problems.push(format!("{reference}: {e}"));
            }
        }
    }
    let listing = store.list()?;
    for sha in &listing.files {
        if !referenced.contains(sha) {
            report.problems.push(format!(
                "{}: stored file without a database row",
                store.path(sha).display()
            ));
        }
    }
    for stray in &listing.strays {
        report.problems.push(format!(
            "{}: not a file of the store ({dir}/ holds only files named by their SHA-512)",
            stray.display()
        ));
    }
    // Marks of committed rows belong to writers finishing their write (or to a write the
    // next opening completes); any other mark is a write that never got its row.
    let unfinished = store
        .marks()?
        .into_iter()
        .filter(|mark| !mark.sha512.as_ref().is_some_and(|s| referenced.contains(s)))
        .count();
    if unfinished > 0 {
        report.problems.push(format!(
            "{dir}/tmp/ holds {unfinished} unfinished write(s) without a database row"
        ));
    }
    Ok((rows_seen, listing.files.len()))
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{produce, unnumbered};
    use super::super::{Archive, Numbering, Origin};

    /// Every detector of `check` fires on the fault it is for: a record that no longer
    /// matches its SHA-512, a gap in the numbers, an unfinished write in `tmp/` (besides the
    /// damaged and stray files tested in tests/archive.rs).
    #[test]
    fn every_detector_fires() {
        let dir = tempfile::tempdir().unwrap();
        let mut archive = Archive::open(dir.path(), Numbering::default()).unwrap();
        for subject in ["A", "B", "C"] {
            archive
                .create(unnumbered(subject), Origin::New, produce)
                .unwrap();
        }
        archive.settle();
        assert!(archive.check().unwrap().is_ok());
        let problems = |archive: &mut Archive| archive.check().unwrap().problems;

        // The triggers that keep records and numbers fixed are what a forger removes first.
        let conn = rusqlite::Connection::open(dir.path().join(super::super::DB_FILE)).unwrap();
        conn.execute_batch(
            "DROP TRIGGER papers_identity;
             UPDATE papers SET source_json = replace(source_json, '\"A\"', '\"X\"')
                WHERE reference = '0001/2012';",
        )
        .unwrap();
        assert_eq!(
            problems(&mut archive),
            ["0001/2012: the stored record does not match its SHA-512"]
        );
        conn.execute_batch(
            "UPDATE papers SET source_json = replace(source_json, '\"X\"', '\"A\"')
                WHERE reference = '0001/2012';
             UPDATE papers SET seq = 4, reference = '0004/2012' WHERE reference = '0003/2012';",
        )
        .unwrap();
        assert_eq!(
            problems(&mut archive),
            ["0004/2012: gap — number 3 of 2012 is missing"]
        );
        conn.execute_batch(
            "UPDATE papers SET seq = 3, reference = '0003/2012' WHERE reference = '0004/2012';",
        )
        .unwrap();
        assert!(problems(&mut archive).is_empty());

        // A write that never got its row (here: a mark with content nobody committed).
        std::fs::write(dir.path().join("files/tmp/verwaist.part"), b"%PDF verwaist").unwrap();
        assert_eq!(
            problems(&mut archive),
            ["files/tmp/ holds 1 unfinished write(s) without a database row"]
        );
    }

    /// Stored values the program cannot read are findings of `check` and errors of every
    /// read, never a default (an unknown kind was once read as a Beschlussvorlage; the
    /// status has a CHECK constraint of its own).
    #[test]
    fn corrupt_stored_values_are_findings_and_errors() {
        let dir = tempfile::tempdir().unwrap();
        let mut archive = Archive::open(dir.path(), Numbering::default()).unwrap();
        archive
            .create(unnumbered("A"), Origin::New, produce)
            .unwrap();
        let conn = rusqlite::Connection::open(dir.path().join(super::super::DB_FILE)).unwrap();
        conn.execute_batch(
            "DROP TRIGGER papers_identity; DROP TRIGGER papers_derived;
             UPDATE papers SET kind = 'vorlage', published_from = NULL;",
        )
        .unwrap();
        assert_eq!(
            archive.check().unwrap().problems,
            [
                "0001/2012: the stored publication day (never) is not the one of its record (0000-01-01)",
                "0001/2012: vorlage is not a kind (beschlussvorlage, mitteilungsvorlage, ergaenzungsvorlage)",
            ]
        );
        let err = archive
            .list(&crate::archive::ListFilter::default())
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "archive database: 0001/2012: vorlage is not a kind (beschlussvorlage, mitteilungsvorlage, ergaenzungsvorlage)"
        );
        assert!(archive.show("0001/2012").is_err());
        conn.execute_batch("UPDATE papers SET kind = 'beschlussvorlage', source_json = '{}';")
            .unwrap();
        let problems = archive.check().unwrap().problems;
        assert!(
            problems.iter().any(|p| p.starts_with(
                "archive database: 0001/2012: the stored record cannot be read: missing field"
            )),
            "{problems:?}"
        );
        let err = archive.record("0001/2012").unwrap_err().to_string();
        assert!(err.contains("the stored record cannot be read"), "{err}");
    }
}
