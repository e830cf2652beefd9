//! Reading the archive: the history's change marks, stored records, `list`, `show` and the
//! stored PDFs. A stored value the program cannot read is an error naming the paper, never a
//! default.

use std::path::PathBuf;

use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::{Archive, ArchiveError, DbError};
use crate::model::{Kind, Record, Status};

/// One paper as `list` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub reference: String,
    /// Vorlagenart (`None`: a legacy paper whose kind is not known).
    pub kind: Option<Kind>,
    pub date: String,
    pub subject: String,
    pub department: String,
    pub public: bool,
    pub status: Status,
    /// `false`: a legacy paper not structured yet ("nicht strukturiert"): metadata, its
    /// originals and their text, no rendition.
    pub structured: bool,
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
    /// The files a legacy paper was imported from (empty for every other paper).
    pub originals: Vec<OriginalFile>,
    /// Oldest first.
    pub history: Vec<Event>,
}

/// The stored original of a legacy paper ("Original"): the file it was imported from,
/// unchanged.
#[derive(Debug, Clone, Serialize)]
pub struct OriginalFile {
    pub id: i64,
    pub sha512: String,
    pub size: u64,
    pub media_type: String,
    /// Its name as imported.
    pub file_name: String,
    pub created_at: String,
    pub file: PathBuf,
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
    /// The re-rendering run that made it; `None`: made when the paper was created or
    /// imported.
    pub run: Option<i64>,
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

impl Archive {
    /// The id of the newest event of the history (0 for an empty archive): every creation,
    /// import and withdrawal adds one.
    pub fn last_event(&self) -> Result<i64, ArchiveError> {
        Ok(self
            .conn
            .query_row("SELECT COALESCE(MAX(id), 0) FROM events", [], |r| r.get(0))?)
    }

    /// References of the papers with an event after `event` that changes what the search
    /// index holds of them (a new rendition does not), oldest first.
    pub fn changed_since(&self, event: i64) -> Result<Vec<String>, ArchiveError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT p.reference FROM papers p
             WHERE p.id IN (SELECT paper_id FROM events WHERE id > ?1 AND event <> 'rendered')
             ORDER BY p.id",
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

    /// Every paper's stored record with its reference and status, oldest first (for the
    /// search index).
    pub fn records(&self) -> Result<Vec<(String, Record, Status)>, ArchiveError> {
        let mut stmt = self
            .conn
            .prepare("SELECT reference, source_json, status, structured FROM papers ORDER BY id")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, bool>(3)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (reference, json, status, structured) = row?;
            let record = Record::from_stored(structured, &json)
                .map_err(|e| DbError::unreadable_record(&reference, &e))?;
            let status = parse_stored(&reference, &status)?;
            out.push((reference, record, status));
        }
        Ok(out)
    }

    /// One paper's stored record and status.
    pub fn record(&self, reference: &str) -> Result<(Record, Status), ArchiveError> {
        let details = self.show(reference)?;
        let record = Record::from_stored(details.summary.structured, &details.source.to_string())
            .map_err(|e| DbError::unreadable_record(reference, &e))?;
        Ok((record, details.summary.status))
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
            "SELECT reference, kind, date, subject, department, public, status, structured
             FROM papers
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
                    structured, allocated, parent_reference, withdrawn_reason, created_at, modified_at,
                    source_json, source_sha512,
                    (SELECT path FROM imports WHERE paper_id = papers.id)
                 FROM papers WHERE reference = ?1",
                [reference],
                |r| {
                    let source: String = r.get(14)?;
                    let summary = summary(r, 1)?;
                    let source = serde_json::from_str(&source).map_err(|e| {
                        stored_value_error(14, DbError::unreadable_record(&summary.reference, &e))
                    })?;
                    Ok((
                        r.get::<_, i64>(0)?,
                        PaperDetails {
                            summary,
                            allocated: r.get(9)?,
                            supplements: r.get(10)?,
                            withdrawn_reason: r.get(11)?,
                            created_at: r.get(12)?,
                            modified_at: r.get(13)?,
                            source,
                            source_sha512: r.get(15)?,
                            imported_from: r.get(16)?,
                            renditions: Vec::new(),
                            originals: Vec::new(),
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
                development_key, id, run_id
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
                    run: r.get(8)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        details.originals = self.originals_of(id)?;
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

    /// The originals of the paper with this row id, oldest first.
    pub(super) fn originals_of(&self, paper_id: i64) -> Result<Vec<OriginalFile>, ArchiveError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, sha512, size, media_type, file_name, created_at
             FROM originals WHERE paper_id = ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map([paper_id], |r| {
            let sha512: String = r.get(1)?;
            Ok(OriginalFile {
                id: r.get(0)?,
                file: self.originals.path(&sha512),
                sha512,
                size: r.get::<_, i64>(2)? as u64,
                media_type: r.get(3)?,
                file_name: r.get(4)?,
                created_at: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The Drucksachennummer of the paper whose original has this SHA-512, if any.
    pub fn original_of(&self, sha512: &str) -> Result<Option<String>, ArchiveError> {
        Ok(original_reference(&self.conn, sha512)?)
    }

    /// The stored bytes of an original, checked against its SHA-512.
    pub fn original_bytes(&self, original: &OriginalFile) -> Result<Vec<u8>, ArchiveError> {
        Ok(self.originals.read_verified(&original.sha512)?)
    }
}

/// The Drucksachennummer of the paper whose original has this SHA-512 (also inside a write
/// transaction: a file imported before is not imported again).
pub(super) fn original_reference(
    conn: &rusqlite::Connection,
    sha512: &str,
) -> rusqlite::Result<Option<String>> {
    conn.prepare_cached(
        "SELECT p.reference FROM originals o JOIN papers p ON p.id = o.paper_id
         WHERE o.sha512 = ?1
           AND o.id = (SELECT min(f.id) FROM originals f WHERE f.paper_id = o.paper_id)",
    )?
    .query_row([sha512], |r| r.get(0))
    .optional()
}

fn summary(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<Summary> {
    let reference: String = r.get(at)?;
    let structured: bool = r.get(at + 7)?;
    let kind: String = r.get(at + 1)?;
    Ok(Summary {
        // Only a legacy paper may be of no known kind.
        kind: if kind.is_empty() && !structured {
            None
        } else {
            Some(stored(r, at + 1, &reference)?)
        },
        structured,
        date: r.get(at + 2)?,
        subject: r.get(at + 3)?,
        department: r.get(at + 4)?,
        public: r.get(at + 5)?,
        status: stored(r, at + 6, &reference)?,
        reference,
    })
}

/// A stored text value read with `FromStr` (a kind, a status): a value this program cannot
/// read is corruption, named with the paper, never a default.
pub(super) fn parse_stored<T: std::str::FromStr<Err = String>>(
    reference: &str,
    text: &str,
) -> Result<T, DbError> {
    text.parse()
        .map_err(|e| DbError::Corrupt(format!("{reference}: {e}")))
}

/// [`parse_stored`] of column `at` inside a row's mapping.
fn stored<T: std::str::FromStr<Err = String>>(
    r: &rusqlite::Row<'_>,
    at: usize,
    reference: &str,
) -> rusqlite::Result<T> {
    let text: String = r.get(at)?;
    parse_stored(reference, &text).map_err(|e| stored_value_error(at, e))
}

/// A corrupt stored value as the error of a row's mapping; [`ArchiveError`] turns it back
/// into the [`DbError`].
fn stored_value_error(at: usize, error: DbError) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(at, rusqlite::types::Type::Text, Box::new(error))
}
