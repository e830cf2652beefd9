//! The meetings the public papers' Beratungsfolgen name, for OParl: every (Gremium, Datum) of
//! a Beratungsfolge is a meeting of that body on that day, shared by all papers discussed
//! then, and each step of a Beratungsfolge is an item on that meeting's agenda. drucksache
//! keeps no meetings of its own; these are read from the papers, public on a given day, with
//! the same [`ChangeWindow`] rules as the papers, through the table `consultation_steps`
//! (migration 11: every step of every record, kept by triggers).

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
    /// Place on the agenda, from 0 (by paper, then step); `None` for a withdrawn paper.
    pub position: Option<u32>,
}

/// A step's Gremium as the name it stands for (`?6`: a JSON object, other name → name).
const CANONICAL: &str =
    "coalesce((SELECT value FROM json_each(?6) WHERE key = s.gremium), s.gremium)";

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
        let json = serde_json::to_string(aliases).expect("strings serialize");
        let (paper, step) = only.map_or((None, None), |(p, s)| (Some(p), Some(s as i64)));
        let bounds = params![
            today.to_string(),
            window.created_since,
            window.created_until,
            window.modified_since,
            window.modified_until,
            json,
            paper,
            step,
        ];
        let from = format!(
            "FROM consultation_steps AS s JOIN papers ON papers.id = s.paper_id
             WHERE {PUBLIC_IN_WINDOW} AND (?7 IS NULL OR (s.paper_id = ?7 AND s.step = ?8))"
        );
        let total: i64 = self
            .conn
            .query_row(&format!("SELECT count(*) {from}"), bounds, |r| r.get(0))?;
        let rows: Vec<(i64, i64, String, String)> = self
            .conn
            .prepare(&format!(
                "SELECT s.paper_id, s.step, {CANONICAL}, s.day {from}
                 ORDER BY s.paper_id, s.step LIMIT {limit} OFFSET {offset}"
            ))?
            .query_map(bounds, |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<Result<_, _>>()?;
        let mut papers = HashMap::new();
        let mut agendas: HashMap<(String, String), Vec<(i64, i64)>> = HashMap::new();
        let mut items = Vec::with_capacity(rows.len());
        for (paper_id, step, body, day) in rows {
            let Some(paper) = self.cached_paper(&mut papers, paper_id, today)? else {
                continue;
            };
            let key = (body, day);
            if !agendas.contains_key(&key) {
                let agenda = self.agenda(&key.0, &key.1, today, aliases)?;
                agendas.insert(key.clone(), agenda);
            }
            let position = agendas[&key]
                .iter()
                .position(|&item| item == (paper_id, step))
                .map(|p| p as u32);
            items.push(AgendaEntry {
                paper,
                step: step as usize,
                position,
            });
        }
        Ok((total as u64, items))
    }

    /// One page of the meetings (by day, then Gremium) with a public paper in `window` on
    /// their agenda (one of only withdrawn papers, a deleted object, only with
    /// `modified_since`), and how many there are; `only`: just the meeting of this Gremium
    /// (by its name) on this day, deleted or not.
    pub fn public_meetings(
        &self,
        window: &ChangeWindow,
        (offset, limit): (u64, u64),
        today: Date,
        aliases: &BTreeMap<String, String>,
        only: Option<(&str, &str)>,
    ) -> Result<(u64, Vec<PublicMeeting>), ArchiveError> {
        let json = serde_json::to_string(aliases).expect("strings serialize");
        let (body, day) = only.unzip();
        let bounds = params![
            today.to_string(),
            window.created_since,
            window.created_until,
            window.modified_since,
            window.modified_until,
            json,
            body,
            day,
        ];
        let with = format!(
            "WITH meetings AS (
                SELECT {CANONICAL} AS body, s.day AS day, min(p.created_at) AS created_at,
                       max(p.modified_at) AS modified_at, max(p.status = 'active') AS active
                FROM consultation_steps AS s JOIN papers AS p ON p.id = s.paper_id
                WHERE p.published_from <= ?1 AND (?8 IS NULL OR s.day = ?8)
                GROUP BY 1, 2)"
        );
        let filter = "WHERE (?4 IS NOT NULL OR ?7 IS NOT NULL OR active)
               AND (?2 IS NULL OR julianday(created_at) >= julianday(?2))
               AND (?3 IS NULL OR julianday(created_at) <= julianday(?3))
               AND (?4 IS NULL OR julianday(modified_at) >= julianday(?4))
               AND (?5 IS NULL OR julianday(modified_at) <= julianday(?5))
               AND (?7 IS NULL OR body = ?7)";
        let total: i64 = self.conn.query_row(
            &format!("{with} SELECT count(*) FROM meetings {filter}"),
            bounds,
            |r| r.get(0),
        )?;
        type Row = (String, String, String, String, bool);
        let rows: Vec<Row> = self
            .conn
            .prepare(&format!(
                "{with} SELECT body, day, created_at, modified_at, active
                 FROM meetings {filter} ORDER BY day, body LIMIT {limit} OFFSET {offset}"
            ))?
            .query_map(bounds, |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })?
            .collect::<Result<_, _>>()?;
        let mut papers = HashMap::new();
        let mut meetings = Vec::with_capacity(rows.len());
        for (body, day, created_at, modified_at, active) in rows {
            let mut items = Vec::new();
            for (position, (paper_id, step)) in self
                .agenda(&body, &day, today, aliases)?
                .into_iter()
                .enumerate()
            {
                if let Some(paper) = self.cached_paper(&mut papers, paper_id, today)? {
                    items.push(AgendaEntry {
                        paper,
                        step: step as usize,
                        position: Some(position as u32),
                    });
                }
            }
            meetings.push(PublicMeeting {
                body,
                day,
                created_at,
                modified_at,
                deleted: !active,
                items,
            });
        }
        Ok((total as u64, meetings))
    }

    /// The agenda of a meeting: the steps (paper, step) of the public papers that are not
    /// withdrawn naming this Gremium (by its name or an other name) on this day, in order.
    fn agenda(
        &self,
        body: &str,
        day: &str,
        today: Date,
        aliases: &BTreeMap<String, String>,
    ) -> Result<Vec<(i64, i64)>, ArchiveError> {
        let names: Vec<&str> = std::iter::once(body)
            .chain(
                aliases
                    .iter()
                    .filter(|(_, name)| name.as_str() == body)
                    .map(|(alias, _)| alias.as_str()),
            )
            .collect();
        let names = serde_json::to_string(&names).expect("strings serialize");
        let steps = self
            .conn
            .prepare_cached(
                "SELECT s.paper_id, s.step FROM consultation_steps AS s
                 JOIN papers AS p ON p.id = s.paper_id
                 WHERE s.gremium IN (SELECT value FROM json_each(?1)) AND s.day = ?2
                   AND p.published_from <= ?3 AND p.status = 'active'
                 ORDER BY s.paper_id, s.step",
            )?
            .query_map(params![names, day, today.to_string()], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?
            .collect::<Result<_, _>>()?;
        Ok(steps)
    }

    /// Every Gremium name a Beratungsfolge uses (public or not: a caller that finds one by it
    /// still asks for the public papers), from the index alone.
    pub fn gremium_names(&self) -> Result<Vec<String>, ArchiveError> {
        let names = self
            .conn
            .prepare_cached("SELECT DISTINCT gremium FROM consultation_steps ORDER BY gremium")?
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        Ok(names)
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
