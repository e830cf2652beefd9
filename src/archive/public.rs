//! What the public may see of the archive: read-only queries that return only papers that
//! are public and released on a given day (the service's citizen pages, search API and OParl
//! go through here and nowhere else).
//!
//! "Released" is the stored column `published_from`, written with the paper from
//! [`Paper::published_from`] (migration 4 computed it for the papers before it): a paper is
//! shown from that day on; `NULL` means never (not public, or publication not released).

use std::path::PathBuf;

use rusqlite::{OptionalExtension, Row, params};

use super::read::{OriginalFile, parse_stored};
use super::{Archive, ArchiveError, DbError};
use crate::model::{Date, Record, Status, is_slug};

/// One paper as the public routes show it.
#[derive(Debug, Clone)]
pub struct PublicPaper {
    /// Row id: the stable id of OParl URLs.
    pub id: i64,
    pub reference: String,
    /// The reference as a URL segment (`0310/2012` → `0310-2012`).
    pub slug: String,
    pub status: Status,
    pub withdrawn_reason: Option<String>,
    /// RFC 3339 times of the row.
    pub created_at: String,
    pub modified_at: String,
    /// The stored record: a structured paper, or a legacy paper not structured yet.
    pub record: Record,
    /// Oldest first; the last one is the current PDF.
    pub renditions: Vec<PublicRendition>,
    /// The files a legacy paper was imported from ("Original"), oldest first.
    pub originals: Vec<OriginalFile>,
    /// The paper this one supplements, if that one is public too.
    pub parent: Option<PaperLink>,
    /// Public supplements (Ergänzungsvorlagen) of this paper.
    pub supplements: Vec<PaperLink>,
}

/// A Gremium named by public papers, with the first creation and the last change of those
/// papers (RFC 3339).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicBody {
    pub name: String,
    pub created_at: String,
    pub modified_at: String,
}

/// An Amt named by public papers (in charge or involved), by its number, with the name the
/// newest of them gives it and the first creation and the last change of those papers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicDepartment {
    pub number: String,
    pub name: String,
    pub created_at: String,
    pub modified_at: String,
}

/// One File of a public paper: its current rendition or one of its originals (row ids).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublicFile {
    Rendition(i64),
    Original(i64),
}

/// A reference to another public paper.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaperLink {
    pub id: i64,
    pub reference: String,
    pub slug: String,
}

/// One stored PDF of a public paper.
#[derive(Debug, Clone)]
pub struct PublicRendition {
    /// Row id: the id of OParl's File.
    pub id: i64,
    pub sha512: String,
    pub size: u64,
    pub created_at: String,
    pub signer: Option<String>,
    pub development_key: bool,
    /// Where the file is in the store.
    pub path: PathBuf,
}

/// Restricts a list to rows created or modified in a time window (RFC 3339 bounds,
/// inclusive), as OParl's `created_since` & co. ask.
#[derive(Debug, Clone, Default)]
pub struct ChangeWindow {
    pub created_since: Option<String>,
    pub created_until: Option<String>,
    pub modified_since: Option<String>,
    pub modified_until: Option<String>,
}

/// The papers public on `?1` in a [`ChangeWindow`] (`?2`–`?5`: created since/until, modified
/// since/until), compared as instants whatever the offset and fraction digits of either side.
/// A withdrawn paper (a deleted object) only for a client that asks what changed
/// (`modified_since`, OParl 1.1 §2-05).
pub(super) const PUBLIC_IN_WINDOW: &str = "published_from <= ?1
     AND (?4 IS NOT NULL OR status = 'active')
     AND (?2 IS NULL OR julianday(created_at) >= julianday(?2))
     AND (?3 IS NULL OR julianday(created_at) <= julianday(?3))
     AND (?4 IS NULL OR julianday(modified_at) >= julianday(?4))
     AND (?5 IS NULL OR julianday(modified_at) <= julianday(?5))";

const PAPER_COLUMNS: &str = "id, reference, slug, status, withdrawn_reason, created_at, \
    modified_at, source_json, parent_reference, structured";

impl Archive {
    /// The public paper with this slug, if it is released on `today`.
    pub fn public_paper_by_slug(
        &self,
        slug: &str,
        today: Date,
    ) -> Result<Option<PublicPaper>, ArchiveError> {
        if !is_slug(slug) {
            return Ok(None);
        }
        self.public_paper_where("slug = ?1", slug, today)
    }

    /// The public paper with this row id, if it is released on `today`.
    pub fn public_paper_by_id(
        &self,
        id: i64,
        today: Date,
    ) -> Result<Option<PublicPaper>, ArchiveError> {
        self.public_paper_where("id = ?1", id, today)
    }

    fn public_paper_where(
        &self,
        condition: &str,
        key: impl rusqlite::ToSql,
        today: Date,
    ) -> Result<Option<PublicPaper>, ArchiveError> {
        let sql = format!(
            "SELECT {PAPER_COLUMNS} FROM papers
             WHERE {condition} AND published_from <= ?2 ORDER BY id LIMIT 1"
        );
        let row = self
            .conn
            .query_row(&sql, params![key, today.to_string()], raw_paper)
            .optional()?;
        match row {
            Some(raw) => Ok(Some(self.complete(raw, today)?)),
            None => Ok(None),
        }
    }

    /// One page of the public papers (ordered by id) in `window`, and how many there are in
    /// all; withdrawn ones only when `window` has `modified_since`.
    pub fn public_papers(
        &self,
        window: &ChangeWindow,
        offset: u64,
        limit: u64,
        today: Date,
    ) -> Result<(u64, Vec<PublicPaper>), ArchiveError> {
        let today = today.to_string();
        let bounds = params![
            today,
            window.created_since,
            window.created_until,
            window.modified_since,
            window.modified_until,
        ];
        let total: i64 = self.conn.query_row(
            &format!("SELECT count(*) FROM papers WHERE {PUBLIC_IN_WINDOW}"),
            bounds,
            |r| r.get(0),
        )?;
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {PAPER_COLUMNS} FROM papers WHERE {PUBLIC_IN_WINDOW} ORDER BY id LIMIT ?6 OFFSET ?7"
        ))?;
        let raws = stmt
            .query_map(
                params![
                    today,
                    window.created_since,
                    window.created_until,
                    window.modified_since,
                    window.modified_until,
                    limit as i64,
                    offset as i64,
                ],
                raw_paper,
            )?
            .collect::<Result<Vec<_>, _>>()?;
        let today = Date::parse_iso(&today).expect("formatted above");
        let papers = raws
            .into_iter()
            .map(|raw| self.complete(raw, today))
            .collect::<Result<_, _>>()?;
        Ok((total as u64, papers))
    }

    /// One page of the Consultations of the public papers in `window` (the steps of their
    /// Beratungsfolge, ordered by paper and step), each as its paper and its index in the
    /// Beratungsfolge (from 0), and how many there are in all; a withdrawn paper's only when
    /// `window` has `modified_since`, as in [`Archive::public_papers`].
    pub fn public_consultations(
        &self,
        window: &ChangeWindow,
        offset: u64,
        limit: u64,
        today: Date,
    ) -> Result<(u64, Vec<(PublicPaper, usize)>), ArchiveError> {
        let from = format!(
            "FROM consultation_steps AS c JOIN papers ON papers.id = c.paper_id
             WHERE {PUBLIC_IN_WINDOW}"
        );
        let today_text = today.to_string();
        let total: i64 = self.conn.query_row(
            &format!("SELECT count(*) {from}"),
            params![
                today_text,
                window.created_since,
                window.created_until,
                window.modified_since,
                window.modified_until,
            ],
            |r| r.get(0),
        )?;
        let steps: Vec<(i64, i64)> = self
            .conn
            .prepare(&format!(
                "SELECT c.paper_id, c.step {from} ORDER BY c.paper_id, c.step LIMIT ?6 OFFSET ?7"
            ))?
            .query_map(
                params![
                    today_text,
                    window.created_since,
                    window.created_until,
                    window.modified_since,
                    window.modified_until,
                    limit as i64,
                    offset as i64,
                ],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?
            .collect::<Result<_, _>>()?;
        let mut out: Vec<(PublicPaper, usize)> = Vec::with_capacity(steps.len());
        for (paper_id, step) in steps {
            let paper = match out.last() {
                Some((p, _)) if p.id == paper_id => p.clone(),
                _ => match self.public_paper_by_id(paper_id, today)? {
                    Some(p) => p,
                    None => continue,
                },
            };
            out.push((paper, step as usize));
        }
        Ok((total as u64, out))
    }

    /// A stored PDF by its rendition id, with its paper, if that paper is public on `today`.
    pub fn public_rendition(
        &self,
        id: i64,
        today: Date,
    ) -> Result<Option<(PublicRendition, PublicPaper)>, ArchiveError> {
        let Some(paper) = self.public_paper_of("renditions", id, today)? else {
            return Ok(None);
        };
        let rendition = paper.renditions.iter().find(|r| r.id == id).cloned();
        Ok(rendition.map(|r| (r, paper)))
    }

    /// A legacy paper's original by its row id, with its paper, if that paper is public on
    /// `today`.
    pub fn public_original(
        &self,
        id: i64,
        today: Date,
    ) -> Result<Option<(OriginalFile, PublicPaper)>, ArchiveError> {
        let Some(paper) = self.public_paper_of("originals", id, today)? else {
            return Ok(None);
        };
        let original = paper.originals.iter().find(|o| o.id == id).cloned();
        Ok(original.map(|o| (o, paper)))
    }

    /// The paper a row of `table` (`renditions`, `originals`) belongs to, if public on `today`.
    fn public_paper_of(
        &self,
        table: &str,
        id: i64,
        today: Date,
    ) -> Result<Option<PublicPaper>, ArchiveError> {
        let paper_id: Option<i64> = self
            .conn
            .query_row(
                &format!("SELECT paper_id FROM {table} WHERE id = ?1"),
                [id],
                |r| r.get(0),
            )
            .optional()?;
        match paper_id {
            Some(paper_id) => self.public_paper_by_id(paper_id, today),
            None => Ok(None),
        }
    }

    /// The Gremien named in the Beratungsfolge or as deciding body of public papers, sorted,
    /// each with the first creation and the last change of those papers, in `window` (as
    /// instants, like [`Archive::public_papers`]).
    pub fn public_bodies(
        &self,
        window: &ChangeWindow,
        today: Date,
    ) -> Result<Vec<PublicBody>, ArchiveError> {
        let mut stmt = self.conn.prepare(
            "SELECT name, min(created_at), max(modified_at) FROM (
                 SELECT c.gremium AS name, created_at, modified_at
                 FROM consultation_steps AS c JOIN papers ON papers.id = c.paper_id
                 WHERE published_from <= ?1
                 UNION ALL
                 SELECT json_extract(source_json, '$.beschlussfassung'), created_at, modified_at
                 FROM papers
                 WHERE published_from <= ?1
                   AND json_extract(source_json, '$.beschlussfassung') IS NOT NULL)
             GROUP BY name
             HAVING (?2 IS NULL OR julianday(min(created_at)) >= julianday(?2))
                AND (?3 IS NULL OR julianday(min(created_at)) <= julianday(?3))
                AND (?4 IS NULL OR julianday(max(modified_at)) >= julianday(?4))
                AND (?5 IS NULL OR julianday(max(modified_at)) <= julianday(?5))
             ORDER BY name",
        )?;
        let bounds = params![
            today.to_string(),
            window.created_since,
            window.created_until,
            window.modified_since,
            window.modified_until,
        ];
        let bodies = stmt
            .query_map(bounds, |r| {
                Ok(PublicBody {
                    name: r.get(0)?,
                    created_at: r.get(1)?,
                    modified_at: r.get(2)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(bodies)
    }

    /// The Ämter named by public papers, in charge (`amt`) or involved (`beteiligt`), by
    /// number, in `window` (as [`Archive::public_bodies`]).
    pub fn public_departments(
        &self,
        window: &ChangeWindow,
        today: Date,
    ) -> Result<Vec<PublicDepartment>, ArchiveError> {
        let mut stmt = self.conn.prepare(
            "WITH d AS (
                 SELECT json_extract(source_json, '$.amt.nummer') AS number,
                        json_extract(source_json, '$.amt.name') AS name,
                        date, id, created_at, modified_at
                 FROM papers
                 WHERE published_from <= ?1 AND json_extract(source_json, '$.amt.nummer') IS NOT NULL
                 UNION ALL
                 SELECT json_extract(b.value, '$.nummer'), json_extract(b.value, '$.name'),
                        date, papers.id, created_at, modified_at
                 FROM papers, json_each(papers.source_json, '$.beteiligt') AS b
                 WHERE published_from <= ?1)
             SELECT number,
                    (SELECT name FROM d AS n WHERE n.number = d.number
                     ORDER BY n.date DESC, n.id DESC LIMIT 1),
                    min(created_at), max(modified_at)
             FROM d GROUP BY number
             HAVING (?2 IS NULL OR julianday(min(created_at)) >= julianday(?2))
                AND (?3 IS NULL OR julianday(min(created_at)) <= julianday(?3))
                AND (?4 IS NULL OR julianday(max(modified_at)) >= julianday(?4))
                AND (?5 IS NULL OR julianday(max(modified_at)) <= julianday(?5))
             ORDER BY number",
        )?;
        let bounds = params![
            today.to_string(),
            window.created_since,
            window.created_until,
            window.modified_since,
            window.modified_until,
        ];
        let departments = stmt
            .query_map(bounds, |r| {
                Ok(PublicDepartment {
                    number: r.get(0)?,
                    name: r.get(1)?,
                    created_at: r.get(2)?,
                    modified_at: r.get(3)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(departments)
    }

    /// One page of the Files of the public papers in `window` (by paper: its current
    /// rendition, then its originals), each with its paper, and how many there are; a
    /// withdrawn paper's only with `modified_since`, as in [`Archive::public_papers`].
    pub fn public_files(
        &self,
        window: &ChangeWindow,
        offset: u64,
        limit: u64,
        today: Date,
    ) -> Result<(u64, Vec<(PublicPaper, PublicFile)>), ArchiveError> {
        let with = format!(
            "WITH listed AS (SELECT id, structured FROM papers WHERE {PUBLIC_IN_WINDOW}),
             files AS (
                 SELECT listed.id AS paper_id, 0 AS original, max(r.id) AS file_id
                 FROM listed JOIN renditions AS r ON r.paper_id = listed.id
                 WHERE listed.structured = 1 GROUP BY listed.id
                 UNION ALL
                 SELECT listed.id, 1, o.id FROM listed JOIN originals AS o ON o.paper_id = listed.id)"
        );
        let bounds = params![
            today.to_string(),
            window.created_since,
            window.created_until,
            window.modified_since,
            window.modified_until,
        ];
        let total: i64 =
            self.conn
                .query_row(&format!("{with} SELECT count(*) FROM files"), bounds, |r| {
                    r.get(0)
                })?;
        let rows: Vec<(i64, bool, i64)> = self
            .conn
            .prepare(&format!(
                "{with} SELECT paper_id, original, file_id FROM files
                 ORDER BY paper_id, original, file_id LIMIT {limit} OFFSET {offset}"
            ))?
            .query_map(bounds, |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<Result<_, _>>()?;
        let mut out: Vec<(PublicPaper, PublicFile)> = Vec::with_capacity(rows.len());
        for (paper_id, original, file_id) in rows {
            let paper = match out.last() {
                Some((p, _)) if p.id == paper_id => p.clone(),
                _ => match self.public_paper_by_id(paper_id, today)? {
                    Some(p) => p,
                    None => continue,
                },
            };
            let file = if original {
                PublicFile::Original(file_id)
            } else {
                PublicFile::Rendition(file_id)
            };
            out.push((paper, file));
        }
        Ok((total as u64, out))
    }

    /// The first creation and the last change of the public papers (`None`: there is none).
    pub fn public_span(&self, today: Date) -> Result<Option<(String, String)>, ArchiveError> {
        Ok(self.conn.query_row(
            "SELECT min(created_at), max(modified_at) FROM papers WHERE published_from <= ?1",
            [today.to_string()],
            |r| {
                Ok(match (r.get(0)?, r.get(1)?) {
                    (Some(created), Some(modified)) => Some((created, modified)),
                    _ => None,
                })
            },
        )?)
    }

    /// Slug and last change of every public paper (for the sitemap), ordered by id.
    pub fn public_slugs(&self, today: Date) -> Result<Vec<(String, String)>, ArchiveError> {
        let mut stmt = self.conn.prepare(
            "SELECT slug, modified_at FROM papers WHERE published_from <= ?1 ORDER BY id",
        )?;
        let rows = stmt
            .query_map([today.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    /// References of the papers whose publication day lies after `after` and not after
    /// `upto` (either order): the papers whose being public changed between the two days.
    pub fn published_between(&self, after: Date, upto: Date) -> Result<Vec<String>, ArchiveError> {
        let (low, high) = if after <= upto {
            (after, upto)
        } else {
            (upto, after)
        };
        let mut stmt = self.conn.prepare(
            "SELECT reference FROM papers WHERE published_from > ?1 AND published_from <= ?2
             ORDER BY id",
        )?;
        let rows = stmt
            .query_map([low.to_string(), high.to_string()], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    /// The reference of the paper with this slug, public or not (for the admin API).
    pub fn reference_by_slug(&self, slug: &str) -> Result<Option<String>, ArchiveError> {
        if !is_slug(slug) {
            return Ok(None);
        }
        Ok(self
            .conn
            .query_row(
                "SELECT reference FROM papers WHERE slug = ?1 ORDER BY id LIMIT 1",
                [slug],
                |r| r.get(0),
            )
            .optional()?)
    }

    fn complete(&self, raw: RawPaper, today: Date) -> Result<PublicPaper, ArchiveError> {
        let record = Record::from_stored(raw.structured, &raw.source_json)
            .map_err(|e| DbError::unreadable_record(&raw.reference, &e))?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, sha512, size, created_at, signer, development_key FROM renditions
             WHERE paper_id = ?1 ORDER BY id",
        )?;
        let renditions = stmt
            .query_map([raw.id], |r| {
                let sha512: String = r.get(1)?;
                Ok(PublicRendition {
                    id: r.get(0)?,
                    path: self.store.path(&sha512),
                    sha512,
                    size: r.get::<_, i64>(2)? as u64,
                    created_at: r.get(3)?,
                    signer: r.get(4)?,
                    development_key: r.get(5)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        let today = today.to_string();
        let link = |r: &Row| {
            Ok(PaperLink {
                id: r.get(0)?,
                reference: r.get(1)?,
                slug: r.get(2)?,
            })
        };
        // The paper this one supplements: the one its `bezug` names (also when it brought a
        // number of its own), or else the one its number was allocated under.
        let parent_reference = record.supplements().or(raw.parent_reference.as_deref());
        let parent = match parent_reference {
            Some(parent) => self
                .conn
                .prepare_cached(
                    "SELECT id, reference, slug FROM papers
                     WHERE reference = ?1 AND published_from <= ?2",
                )?
                .query_row(params![parent, today], link)
                .optional()?,
            None => None,
        };
        let supplements = self
            .conn
            .prepare_cached(
                // Two indexed halves (an OR of both would read every record).
                "SELECT id, reference, slug, supplement_no FROM papers
                 WHERE parent_reference = ?1 AND published_from <= ?2
                 UNION
                 SELECT id, reference, slug, supplement_no FROM papers
                 WHERE json_extract(source_json, '$.bezug') = ?1 AND published_from <= ?2
                 ORDER BY supplement_no, id",
            )?
            .query_map(params![raw.reference, today], link)?
            .collect::<Result<_, _>>()?;
        let status = parse_stored(&raw.reference, &raw.status)?;
        Ok(PublicPaper {
            id: raw.id,
            reference: raw.reference,
            slug: raw.slug,
            status,
            withdrawn_reason: raw.withdrawn_reason,
            created_at: raw.created_at,
            modified_at: raw.modified_at,
            record,
            renditions,
            originals: self.originals_of(raw.id)?,
            parent,
            supplements,
        })
    }
}

struct RawPaper {
    id: i64,
    reference: String,
    slug: String,
    status: String,
    withdrawn_reason: Option<String>,
    created_at: String,
    modified_at: String,
    source_json: String,
    parent_reference: Option<String>,
    structured: bool,
}

fn raw_paper(r: &Row) -> rusqlite::Result<RawPaper> {
    Ok(RawPaper {
        id: r.get(0)?,
        reference: r.get(1)?,
        slug: r.get(2)?,
        status: r.get(3)?,
        withdrawn_reason: r.get(4)?,
        created_at: r.get(5)?,
        modified_at: r.get(6)?,
        source_json: r.get(7)?,
        parent_reference: r.get(8)?,
        structured: r.get(9)?,
    })
}
