//! What the archive keeps of harvests from other council systems (OParl): the checkpoint of
//! each paper list (the page to fetch next, so a killed run continues where it stopped) and
//! every Paper met, by the other system's id (archived as which paper, or pending and why).

use rusqlite::{OptionalExtension, Transaction, params};

use super::{Archive, ArchiveError, Harvested};

/// The checkpoint of one paper list (one body of one system).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListState {
    /// The run in progress: the page to fetch next, its `modified_since` and its start.
    pub run: Option<RunState>,
    /// When the last run through the whole list started.
    pub done_started_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RunState {
    pub next_page: String,
    pub since: Option<String>,
    pub started_at: String,
}

/// What the archive knows of one OParl Paper.
#[derive(Debug, Clone, PartialEq)]
pub struct KnownPaper {
    /// Archived as this Drucksachennummer; `None` while pending.
    pub reference: Option<String>,
    pub modified: Option<String>,
    /// `archived`, `review` or `failed`.
    pub state: String,
    pub reason: String,
}

/// A pending Paper's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HarvestPending {
    /// Its draft awaits a clerk.
    Review,
    /// It could not be archived (a file, the other system); the next run tries again.
    Failed,
}

impl Archive {
    /// The checkpoint of a paper list.
    pub fn harvest_list(&self, system_url: &str, body_id: &str) -> Result<ListState, ArchiveError> {
        let row = self
            .conn
            .query_row(
                "SELECT next_page, run_since, run_started_at, done_started_at FROM harvest_lists
                 WHERE system_url = ?1 AND body_id = ?2",
                [system_url, body_id],
                |r| {
                    Ok((
                        r.get::<_, Option<String>>(0)?,
                        r.get::<_, Option<String>>(1)?,
                        r.get::<_, Option<String>>(2)?,
                        r.get::<_, Option<String>>(3)?,
                    ))
                },
            )
            .optional()?;
        let Some((next_page, since, started_at, done_started_at)) = row else {
            return Ok(ListState::default());
        };
        let run = match (next_page, started_at) {
            (Some(next_page), Some(started_at)) => Some(RunState {
                next_page,
                since,
                started_at,
            }),
            _ => None,
        };
        Ok(ListState {
            run,
            done_started_at,
        })
    }

    /// Records where the run through a list stands: the page to fetch next (a new run
    /// records its first page), or `None` when the list is through (the run becomes the last
    /// complete one).
    pub fn harvest_checkpoint(
        &mut self,
        system_url: &str,
        body_id: &str,
        run: &RunState,
        next_page: Option<&str>,
    ) -> Result<(), ArchiveError> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO harvest_lists (system_url, body_id) VALUES (?1, ?2)
             ON CONFLICT DO NOTHING",
            [system_url, body_id],
        )?;
        match next_page {
            Some(next) => tx.execute(
                "UPDATE harvest_lists SET next_page = ?3, run_since = ?4, run_started_at = ?5
                 WHERE system_url = ?1 AND body_id = ?2",
                params![system_url, body_id, next, run.since, run.started_at],
            )?,
            None => tx.execute(
                "UPDATE harvest_lists SET next_page = NULL, run_since = NULL,
                 run_started_at = NULL, done_started_at = ?3
                 WHERE system_url = ?1 AND body_id = ?2",
                params![system_url, body_id, run.started_at],
            )?,
        };
        tx.commit()?;
        Ok(())
    }

    /// What the archive knows of an OParl Paper, if it has met it.
    pub fn harvested(
        &self,
        system_url: &str,
        oparl_id: &str,
    ) -> Result<Option<KnownPaper>, ArchiveError> {
        Ok(self
            .conn
            .query_row(
                "SELECT p.reference, h.modified, h.state, h.reason FROM harvested h
                 LEFT JOIN papers p ON p.id = h.paper_id
                 WHERE h.system_url = ?1 AND h.oparl_id = ?2",
                [system_url, oparl_id],
                |r| {
                    Ok(KnownPaper {
                        reference: r.get(0)?,
                        modified: r.get(1)?,
                        state: r.get(2)?,
                        reason: r.get(3)?,
                    })
                },
            )
            .optional()?)
    }

    /// The ids of the Papers of a system whose last try failed, oldest id first: the next run
    /// fetches each again (a list filtered by `modified_since` would not bring them back).
    pub fn harvest_failed(&self, system_url: &str) -> Result<Vec<String>, ArchiveError> {
        let mut stmt = self.conn.prepare(
            "SELECT oparl_id FROM harvested WHERE system_url = ?1 AND state = 'failed'
             ORDER BY oparl_id",
        )?;
        let ids = stmt
            .query_map([system_url], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<String>>>()?;
        Ok(ids)
    }

    /// Records a Paper that could not be archived (yet), and why.
    pub fn harvest_pending(
        &mut self,
        paper: &Harvested,
        state: HarvestPending,
        reason: &str,
    ) -> Result<(), ArchiveError> {
        let state = match state {
            HarvestPending::Review => "review",
            HarvestPending::Failed => "failed",
        };
        self.conn.execute(
            "INSERT INTO harvested (system_url, oparl_id, modified, state, reason)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (system_url, oparl_id) DO UPDATE
             SET modified = excluded.modified, state = excluded.state, reason = excluded.reason
             WHERE harvested.paper_id IS NULL",
            params![
                paper.system_url,
                paper.oparl_id,
                paper.modified,
                state,
                reason
            ],
        )?;
        Ok(())
    }

    /// Records the newest `modified` of a Paper the archive holds already, and what became
    /// of it: changed in the other system since (a structured paper's record stays: it never
    /// changes), or its files failed again.
    pub fn harvest_note(&mut self, paper: &Harvested, reason: &str) -> Result<(), ArchiveError> {
        self.conn.execute(
            "UPDATE harvested SET modified = ?3, reason = ?4
             WHERE system_url = ?1 AND oparl_id = ?2 AND paper_id IS NOT NULL",
            params![paper.system_url, paper.oparl_id, paper.modified, reason],
        )?;
        Ok(())
    }
}

/// True when the harvested Paper is archived already (checked in the creating transaction).
pub(super) fn is_harvested(
    tx: &Transaction<'_>,
    harvested: Option<&Harvested>,
) -> rusqlite::Result<bool> {
    let Some(h) = harvested else {
        return Ok(false);
    };
    tx.prepare_cached(
        "SELECT 1 FROM harvested WHERE system_url = ?1 AND oparl_id = ?2 AND paper_id IS NOT NULL",
    )?
    .query_row([&h.system_url, &h.oparl_id], |_| Ok(()))
    .optional()
    .map(|found| found.is_some())
}

/// Records the harvested Paper as archived as `paper_id`, in the transaction that archives
/// it: `pending` `None` for a structured paper, else a legacy paper still in review or whose
/// files failed (and why).
pub(super) fn record_harvested(
    tx: &Transaction<'_>,
    h: &Harvested,
    paper_id: i64,
    pending: Option<(HarvestPending, &str)>,
) -> rusqlite::Result<()> {
    let (state, reason) = match pending {
        None => ("archived", ""),
        Some((HarvestPending::Review, reason)) => ("review", reason),
        Some((HarvestPending::Failed, reason)) => ("failed", reason),
    };
    tx.prepare_cached(
        "INSERT INTO harvested (system_url, oparl_id, paper_id, modified, state, reason, oparl_fields)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (system_url, oparl_id) DO UPDATE
         SET paper_id = excluded.paper_id, modified = excluded.modified, state = excluded.state,
             reason = excluded.reason, oparl_fields = excluded.oparl_fields",
    )?
    .execute(params![
        h.system_url,
        h.oparl_id,
        paper_id,
        h.modified,
        state,
        reason,
        serde_json::to_string(&h.oparl_fields).expect("strings serialize")
    ])?;
    Ok(())
}
