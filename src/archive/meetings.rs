//! The meetings the public papers' Beratungsfolgen name, for OParl: every (Gremium, Datum) of
//! a Beratungsfolge is a meeting of that body on that day, shared by all papers discussed
//! then, and each step of a Beratungsfolge is an item on that meeting's agenda. drucksache
//! keeps no meetings of its own; these are read from the papers, public on a given day, with
//! the same [`ChangeWindow`] rules as the papers.

use std::collections::{BTreeMap, HashMap};

use rusqlite::params;

use super::public::PUBLIC_IN_WINDOW;
use super::{Archive, ArchiveError, ChangeWindow, PublicPaper};
use crate::model::Date;

/// A meeting: one Gremium on one day.
#[derive(Debug, Clone)]
pub struct PublicMeeting {
    /// The Gremium's name (an alias already replaced by the name it stands for).
    pub body: String,
    /// The day, `YYYY-MM-DD`.
    pub day: String,
    /// RFC 3339: the first creation and the last change of the papers on its agenda.
    pub created_at: String,
    pub modified_at: String,
    /// Every paper on its agenda is withdrawn: the meeting is a deleted object.
    pub deleted: bool,
    /// Its agenda, the papers that are not withdrawn, in order.
    pub items: Vec<AgendaEntry>,
}

/// One step of a paper's Beratungsfolge as an item of its meeting's agenda.
#[derive(Debug, Clone)]
pub struct AgendaEntry {
    pub paper: PublicPaper,
    /// Index in the Beratungsfolge, from 0.
    pub step: usize,
    /// Place on the agenda, from 1 (by paper, then step); `None` for a withdrawn paper.
    pub position: Option<u32>,
}

/// Every step of every paper released on `?1`, with its meeting (`body`, `day`; an alias of
/// `?6`, a JSON object alias → name, replaced) and its place on that meeting's agenda.
const STEPS: &str = "steps AS (
        SELECT papers.id AS paper_id, c.key AS step,
               coalesce(a.value, json_extract(c.value, '$.gremium')) AS body,
               json_extract(c.value, '$.datum') AS day,
               published_from, status, created_at, modified_at
        FROM papers, json_each(papers.source_json, '$.beratungsfolge') AS c
        LEFT JOIN json_each(?6) AS a ON a.key = json_extract(c.value, '$.gremium')
        WHERE published_from <= ?1),
    ranked AS (
        SELECT *, CASE WHEN status = 'active' THEN row_number() OVER (
            PARTITION BY body, day, status = 'active' ORDER BY paper_id, step) END AS position
        FROM steps)";

impl Archive {
    /// One page of the agenda items (every step of the public papers in `window`, by paper
    /// and step; a withdrawn paper's only with `modified_since`), and how many there are;
    /// `only`: just this paper's step.
    pub fn public_agenda_items(
        &self,
        window: &ChangeWindow,
        (offset, limit): (u64, u64),
        today: Date,
        aliases: &BTreeMap<String, String>,
        only: Option<(i64, usize)>,
    ) -> Result<(u64, Vec<AgendaEntry>), ArchiveError> {
        let aliases = serde_json::to_string(aliases).expect("strings serialize");
        let (paper, step) = only.map_or((None, None), |(p, s)| (Some(p), Some(s as i64)));
        let bounds = params![
            today.to_string(),
            window.created_since,
            window.created_until,
            window.modified_since,
            window.modified_until,
            aliases,
            paper,
            step,
        ];
        let condition = format!(
            "FROM ranked WHERE {PUBLIC_IN_WINDOW}
             AND (?7 IS NULL OR (paper_id = ?7 AND step = ?8))"
        );
        let total: i64 = self.conn.query_row(
            &format!("WITH {STEPS} SELECT count(*) {condition}"),
            bounds,
            |r| r.get(0),
        )?;
        let rows: Vec<(i64, i64, Option<u32>)> = self
            .conn
            .prepare(&format!(
                "WITH {STEPS} SELECT paper_id, step, position {condition}
                 ORDER BY paper_id, step LIMIT {limit} OFFSET {offset}"
            ))?
            .query_map(bounds, |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<Result<_, _>>()?;
        let mut papers = HashMap::new();
        let mut items = Vec::with_capacity(rows.len());
        for (paper_id, step, position) in rows {
            if let Some(paper) = self.cached_paper(&mut papers, paper_id, today)? {
                items.push(AgendaEntry {
                    paper,
                    step: step as usize,
                    position,
                });
            }
        }
        Ok((total as u64, items))
    }

    /// One page of the meetings (by day, then Gremium) with a public paper in `window` on
    /// their agenda (one of only withdrawn papers, a deleted object, only with
    /// `modified_since`), and how many there are; `only`: just the meeting of this Gremium
    /// (by its name) on this day.
    pub fn public_meetings(
        &self,
        window: &ChangeWindow,
        (offset, limit): (u64, u64),
        today: Date,
        aliases: &BTreeMap<String, String>,
        only: Option<(&str, &str)>,
    ) -> Result<(u64, Vec<PublicMeeting>), ArchiveError> {
        let aliases = serde_json::to_string(aliases).expect("strings serialize");
        let (body, day) = only.unzip();
        let bounds = params![
            today.to_string(),
            window.created_since,
            window.created_until,
            window.modified_since,
            window.modified_until,
            aliases,
            body,
            day,
        ];
        let with = format!(
            "WITH {STEPS}, meetings AS (
                SELECT body, day, min(created_at) AS created_at, max(modified_at) AS modified_at,
                       max(status = 'active') AS active,
                       group_concat(paper_id || ':' || step || ':' || position) AS items
                FROM ranked GROUP BY body, day)"
        );
        let filter = "WHERE (?4 IS NOT NULL OR ?7 IS NOT NULL OR active)
               AND (?2 IS NULL OR julianday(created_at) >= julianday(?2))
               AND (?3 IS NULL OR julianday(created_at) <= julianday(?3))
               AND (?4 IS NULL OR julianday(modified_at) >= julianday(?4))
               AND (?5 IS NULL OR julianday(modified_at) <= julianday(?5))
               AND (?7 IS NULL OR (body = ?7 AND day = ?8))";
        let total: i64 = self.conn.query_row(
            &format!("{with} SELECT count(*) FROM meetings {filter}"),
            bounds,
            |r| r.get(0),
        )?;
        type Row = (String, String, String, String, bool, Option<String>);
        let rows: Vec<Row> = self
            .conn
            .prepare(&format!(
                "{with} SELECT body, day, created_at, modified_at, active, items
                 FROM meetings {filter} ORDER BY day, body LIMIT {limit} OFFSET {offset}"
            ))?
            .query_map(bounds, |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ))
            })?
            .collect::<Result<_, _>>()?;
        let mut papers = HashMap::new();
        let mut meetings = Vec::with_capacity(rows.len());
        for (body, day, created_at, modified_at, active, items) in rows {
            let mut entries = Vec::new();
            for item in items.as_deref().unwrap_or_default().split(',') {
                let mut parts = item.split(':').map(str::parse::<i64>);
                let (Some(Ok(paper_id)), Some(Ok(step)), Some(Ok(position))) =
                    (parts.next(), parts.next(), parts.next())
                else {
                    continue; // a withdrawn paper's step: no place on the agenda
                };
                if let Some(paper) = self.cached_paper(&mut papers, paper_id, today)? {
                    entries.push(AgendaEntry {
                        paper,
                        step: step as usize,
                        position: Some(position as u32),
                    });
                }
            }
            entries.sort_by_key(|e| e.position);
            meetings.push(PublicMeeting {
                body,
                day,
                created_at,
                modified_at,
                deleted: !active,
                items: entries,
            });
        }
        Ok((total as u64, meetings))
    }

    /// A public paper, read once per call however many steps name it.
    fn cached_paper(
        &self,
        papers: &mut HashMap<i64, Option<PublicPaper>>,
        id: i64,
        today: Date,
    ) -> Result<Option<PublicPaper>, ArchiveError> {
        if let Some(known) = papers.get(&id) {
            return Ok(known.clone());
        }
        let paper = self.public_paper_by_id(id, today)?;
        papers.insert(id, paper.clone());
        Ok(paper)
    }
}
