//! Drucksachennummer allocation inside the write transaction: keep the record's own reference
//! if it is free, number a supplement after its paper, else the next number of the year.

use rusqlite::{OptionalExtension, params};

use super::ArchiveError;
use crate::model::{Kind, Numbering, Paper};

/// A reference as allocated or kept, with what the database records about it.
pub(super) struct Number {
    pub reference: String,
    pub year: i32,
    pub seq: Option<u32>,
    pub parent: Option<String>,
    pub supplement_no: Option<u32>,
    pub allocated: bool,
}

/// The last number of a year. `seq IS NOT NULL` lets SQLite use the partial index
/// `papers_year_seq`; without it, every allocation scans the whole table.
const LAST_SEQ_SQL: &str =
    "SELECT COALESCE(MAX(seq), 0) FROM papers WHERE year = ?1 AND seq IS NOT NULL";

/// The last supplement of a paper, through the partial index `papers_supplements`.
const LAST_SUPPLEMENT_SQL: &str = "SELECT COALESCE(MAX(supplement_no), 0) FROM papers
     WHERE parent_reference = ?1 AND supplement_no IS NOT NULL";

/// `SELECT 1` for a reference that is taken.
fn exists(tx: &rusqlite::Transaction<'_>, reference: &str) -> rusqlite::Result<bool> {
    tx.prepare_cached("SELECT 1 FROM papers WHERE reference = ?1")?
        .query_row([reference], |_| Ok(()))
        .optional()
        .map(|r| r.is_some())
}

/// Keeps a reference the paper brings along (a historical one, or a legacy paper's) if it is
/// free: neither the reference nor, when it is in the paper scheme, its number of the year is
/// taken. `supplement`: the paper is an Ergänzungsvorlage (its reference may name its parent).
pub(super) fn keep(
    tx: &rusqlite::Transaction<'_>,
    numbering: &Numbering,
    reference: &str,
    supplement: bool,
    paper_year: i32,
) -> Result<Number, ArchiveError> {
    if exists(tx, reference)? {
        return Err(ArchiveError::ReferenceExists(reference.to_string()));
    }
    if supplement && let Some((parent, n)) = numbering.parse_supplement(reference) {
        return Ok(Number {
            reference: reference.to_string(),
            year: paper_year,
            seq: None,
            parent: Some(parent.to_string()),
            supplement_no: Some(n),
            allocated: false,
        });
    }
    let parsed = numbering.parse(reference, paper_year);
    if let Some(p) = parsed
        && let Some(other) = tx
            .prepare_cached("SELECT reference FROM papers WHERE year = ?1 AND seq = ?2")?
            .query_row(params![p.year, p.seq], |r| r.get(0))
            .optional()?
    {
        return Err(ArchiveError::NumberTaken {
            reference: reference.to_string(),
            year: p.year,
            seq: p.seq,
            other,
        });
    }
    Ok(Number {
        reference: reference.to_string(),
        year: parsed.map_or(paper_year, |p| p.year),
        seq: parsed.map(|p| p.seq),
        parent: None,
        supplement_no: None,
        allocated: false,
    })
}

/// Decides the paper's reference inside the write transaction.
pub(super) fn assign(
    tx: &rusqlite::Transaction<'_>,
    numbering: &Numbering,
    paper: &Paper,
) -> Result<Number, ArchiveError> {
    let paper_year = paper.date.year();
    let exists = |reference: &str| exists(tx, reference);

    // A record that brings its own (historical) reference keeps it if it is free.
    if let Some(reference) = &paper.reference {
        return keep(
            tx,
            numbering,
            reference,
            paper.kind == Kind::Ergaenzungsvorlage,
            paper_year,
        );
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::{DB_FILE, db};

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
