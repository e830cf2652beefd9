//! Withdrawing a paper (zurückziehen): its number, record and files stay; its status and
//! history say so.

use rusqlite::{OptionalExtension, TransactionBehavior, params};

use super::read::parse_stored;
use super::{Archive, ArchiveError, now};
use crate::model::Status;

impl Archive {
    /// Marks a paper withdrawn. Its number, record and files stay.
    pub fn withdraw(&mut self, reference: &str, reason: &str) -> Result<(), ArchiveError> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(ArchiveError::EmptyReason);
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let row: Option<(i64, String, String)> = tx
            .query_row(
                "SELECT id, status, modified_at FROM papers WHERE reference = ?1",
                [reference],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let Some((id, status, modified_at)) = row else {
            return Err(ArchiveError::NotFound(reference.to_string()));
        };
        let status: Status = parse_stored(reference, &status)?;
        if status == Status::Withdrawn {
            return Err(ArchiveError::AlreadyWithdrawn {
                reference: reference.to_string(),
                at: modified_at,
            });
        }
        let now = now();
        tx.prepare_cached(
            "UPDATE papers SET status = ?4, withdrawn_reason = ?2, modified_at = ?3 WHERE id = ?1",
        )?
        .execute(params![id, reason, now, Status::Withdrawn.key()])?;
        tx.prepare_cached(
            "INSERT INTO events (paper_id, at, event, detail) VALUES (?1, ?2, 'withdrawn', ?3)",
        )?
        .execute(params![id, now, reason])?;
        tx.commit()?;
        Ok(())
    }
}
