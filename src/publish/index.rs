//! Keeping the search index in step with the archive: rebuilding it from every stored
//! record, indexing what changed after the index's [`SyncMark`] (under the archive's write
//! lock), and comparing both for `drucksache check`.

use super::{PublishError, Publisher};
use crate::archive::{Archive, ArchiveError};
use crate::model::{Date, Record, Status};
use crate::search::{self, IndexDoc, RebuildStats, SearchIndex, SyncMark};

impl Publisher {
    /// Replaces the index's content with every paper of the archive (non-public ones are
    /// left out by the index itself). `progress` gets (done, total).
    pub fn rebuild_index(
        &mut self,
        index: &mut SearchIndex,
        mut progress: impl FnMut((u64, u64)),
    ) -> Result<RebuildStats, PublishError> {
        // The mark is read before the records: a paper committed in between is indexed
        // again by the next sync, never missed.
        let mark = SyncMark {
            events: self.archive.last_event()?,
            day: index.today(),
        };
        let records = self.archive.records()?;
        let total = records.len() as u64;
        let docs = records
            .into_iter()
            .map(|(reference, record, status)| index_doc(&reference, &record, status));
        Ok(index.rebuild(docs, Some(mark), |done| progress((done, total)))?)
    }

    /// Brings the search index up to the archive: indexes the papers of every event after
    /// the index's [`SyncMark`] (creations, imports and withdrawals, of this process or of
    /// another one, even one killed between its commit and its index update) and the papers
    /// whose publication day came since the mark's day, and records the new mark, all under
    /// the archive's write lock, so that the mark is true of the history it names. Cheap when
    /// nothing changed (two small queries, no lock). Returns how many papers were looked at;
    /// `None` when the archive has no complete index (it is built on its next use).
    pub fn sync_index(&mut self) -> Result<Option<usize>, PublishError> {
        let dir = search::index_dir(self.archive.root());
        if !SearchIndex::looks_complete(&dir) {
            return Ok(None);
        }
        let today = self.clock.today();
        let index = SearchIndex::open_or_create_on(&dir, today)?;
        if !index.is_complete() {
            return Ok(None); // replaced since the look above: rebuilt on its next use
        }
        let up_to_date = |archive: &Archive, index: &SearchIndex| -> Result<bool, ArchiveError> {
            Ok(index.mark()
                == Some(SyncMark {
                    events: archive.last_event()?,
                    day: today,
                }))
        };
        if up_to_date(&self.archive, &index)? {
            return Ok(Some(0));
        }
        // Under the write lock: no paper is committed meanwhile, and processes that create
        // papers at the same time take turns with the index writer.
        let synced = self
            .archive
            .locked(|archive| -> Result<usize, PublishError> {
                let events = archive.last_event()?;
                let references = match index.mark() {
                    Some(mark) => {
                        let mut changed = archive.changed_since(mark.events)?;
                        for reference in archive.published_between(mark.day, today)? {
                            if !changed.contains(&reference) {
                                changed.push(reference);
                            }
                        }
                        changed
                    }
                    // An index written without a mark: look at every paper.
                    None => archive.references()?,
                };
                let mut docs = Vec::with_capacity(references.len());
                for reference in &references {
                    let (record, status) = archive.record(reference)?;
                    docs.push(index_doc(reference, &record, status));
                }
                index.add_all(&docs, Some(SyncMark { events, day: today }))?;
                index.finish_writes()?;
                Ok(docs.len())
            })??;
        Ok(Some(synced))
    }

    /// [`Publisher::sync_index`] after a change: the archive is the truth and the index is
    /// derived, so a failure is logged (the next open or `drucksache reindex` repairs it),
    /// never an error of the paper's creation.
    pub(super) fn keep_index_in_step(&mut self) {
        if let Err(e) = self.sync_index() {
            tracing::warn!("the search index was not updated ({e}); run `drucksache reindex`");
        }
    }

    /// What is wrong with the search index, compared with the archive: public papers missing
    /// from it, entries of an older version of a record or of its status, and entries of
    /// papers that are not public today. Empty when there is no index (it is built on its
    /// next use). Reads only.
    pub fn index_problems(&self) -> Result<Vec<String>, PublishError> {
        index_problems(&self.archive, self.clock.today())
    }
}

/// See [`Publisher::index_problems`]; for `drucksache check`, which must not repair what it
/// checks (opening a [`Publisher`] would).
pub fn index_problems(archive: &Archive, today: Date) -> Result<Vec<String>, PublishError> {
    let dir = search::index_dir(archive.root());
    if !SearchIndex::looks_complete(&dir) {
        return Ok(Vec::new());
    }
    let index = SearchIndex::open_or_create_on(&dir, today)?;
    if !index.is_complete() {
        return Ok(Vec::new());
    }
    let mut held: std::collections::HashMap<String, search::IndexEntry> = index
        .entries()?
        .into_iter()
        .map(|e| (e.reference.clone(), e))
        .collect();
    let mut problems = Vec::new();
    for (reference, record, status) in archive.records()? {
        let doc = index_doc(&reference, &record, status);
        let entry = held.remove(&doc.reference);
        let withdrawn = doc.status == Status::Withdrawn;
        match (doc.is_publishable(today), entry) {
            (true, None) => problems.push(format!(
                "{}: public, but missing from the search index (run `drucksache reindex`)",
                doc.reference
            )),
            (true, Some(e)) if e.fingerprint != doc.fingerprint => problems.push(format!(
                "{}: the search index holds another version of the record (run `drucksache reindex`)",
                doc.reference
            )),
            (true, Some(e)) if e.withdrawn != withdrawn => problems.push(format!(
                "{}: the search index shows it as {}, the archive as {} (run `drucksache reindex`)",
                doc.reference,
                if e.withdrawn { "withdrawn" } else { "active" },
                if withdrawn { "withdrawn" } else { "active" },
            )),
            (false, Some(_)) => problems.push(format!(
                "{}: in the search index, but not public today (run `drucksache reindex`)",
                doc.reference
            )),
            _ => {}
        }
    }
    for reference in held.into_keys() {
        problems.push(format!(
            "{reference}: in the search index, but not in the archive (run `drucksache reindex`)"
        ));
    }
    problems.sort();
    Ok(problems)
}

/// What the search index gets of an archived paper.
fn index_doc(reference: &str, record: &Record, status: Status) -> IndexDoc {
    IndexDoc::from_record(record, reference).with_status(status)
}
