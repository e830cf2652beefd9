//! Re-rendering archived papers with the current templates and program (`drucksache
//! rerender`, the service's rerender job): each selected paper's stored record is rendered on
//! one of `jobs` threads, compared with its newest rendition (byte-identical: unchanged; else
//! the words of both PDFs), signed, and stored as its new rendition in short transactions of
//! a few papers, so that `new` and the service keep their turn. The run is recorded in the
//! archive (`archive/rerender.rs`): stopped or killed, the same selection continues with the
//! papers not yet done.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::produce::{Producer, content};
use super::{PublishError, Publisher};
use crate::archive::{Archive, Outcome, Pending, Produced, RunStart, Selection, Verdict};
use crate::render::words::{
    WordDifference, document_words, first_difference, page_count, pdf_words,
};

/// Most papers stored in one transaction.
pub const MAX_BATCH: usize = 16;
/// How long a transaction waits for more finished papers after the first.
const BATCH_WINDOW: Duration = Duration::from_millis(250);

/// How a run works.
#[derive(Debug, Clone, Default)]
pub struct RerenderOptions {
    /// Render and check, store nothing (and record no run).
    pub dry_run: bool,
    /// Render threads; 0: one per core.
    pub jobs: usize,
    /// Stop at the first paper whose words differ, without storing it.
    pub fail_on_change: bool,
}

/// What became of one paper.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaperOutcome {
    /// A new rendition was stored (dry run: would be).
    Rerendered,
    /// Stored (dry run: would be), but its words differ from the rendition it replaces.
    Flagged,
    /// Its words differ and `--fail-on-change` is set: not stored, the run stopped.
    Refused,
    /// The new rendering is byte for byte the old one: no new rendition.
    Unchanged,
    /// It could not be rendered or signed; nothing stored.
    Failed,
}

/// One paper's entry of the report.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PaperReport {
    /// Drucksachennummer.
    pub reference: String,
    pub outcome: PaperOutcome,
    /// Pages of the rendition it replaces and of the new one.
    pub pages_old: Option<usize>,
    pub pages_new: Option<usize>,
    /// Where the words first differ (flagged and refused papers).
    pub difference: Option<WordDifference>,
    /// Why it failed.
    pub error: Option<String>,
    /// The rendition it replaces (row id).
    pub replaces: Option<i64>,
    /// The new rendition's row id and SHA-512, once stored.
    pub rendition: Option<i64>,
    pub sha512: Option<String>,
}

/// How far a run is.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    /// Papers done, by this invocation and before it.
    pub done: usize,
    pub selected: usize,
    /// Papers per second of this invocation.
    pub rate: f64,
    /// Time left at that rate.
    pub eta: Option<Duration>,
}

/// The end of a run (or of this invocation of it).
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The run's id in the archive (`None`: dry run or nothing selected).
    pub run: Option<i64>,
    /// An earlier invocation of the same run did part of it.
    pub resumed: bool,
    pub dry_run: bool,
    pub selection: String,
    pub template_sha512: String,
    pub program_version: String,
    pub selected: usize,
    pub rerendered: usize,
    pub unchanged: usize,
    pub flagged: usize,
    pub refused: usize,
    pub failed: usize,
    /// Papers not done yet (the run was stopped: the same command continues).
    pub pending: usize,
    /// Pages of the renditions replaced and of the new ones, over the papers done.
    pub pages_old: usize,
    pub pages_new: usize,
    /// This invocation: papers done, seconds, papers per second.
    pub done_now: usize,
    pub seconds: f64,
    pub papers_per_second: f64,
    /// Why the run stopped before its end.
    pub stopped: Option<String>,
    /// One entry per paper done (by this invocation and before), oldest paper first.
    pub papers: Vec<PaperReport>,
}

impl Report {
    /// The summary for people: counts, pages, time.
    pub fn summary(&self) -> String {
        let mut out = String::new();
        let what = if self.dry_run {
            "Probelauf (nichts gespeichert)"
        } else {
            "Neu-Rendern"
        };
        out.push_str(&format!("{what}: {}\n", self.selection));
        out.push_str(&format!(
            "  ausgewählt {}, neu gerendert {}, unverändert {}, abweichend {}, zurückgehalten {}, fehlgeschlagen {}, offen {}\n",
            self.selected,
            self.rerendered,
            self.unchanged,
            self.flagged,
            self.refused,
            self.failed,
            self.pending
        ));
        out.push_str(&format!(
            "  Seiten alt → neu: {} → {}\n  Zeit: {:.1} s, {:.2} Papiere/s\n",
            self.pages_old, self.pages_new, self.seconds, self.papers_per_second
        ));
        for paper in &self.papers {
            match (&paper.difference, &paper.error) {
                (Some(d), _) => out.push_str(&format!(
                    "  {} ({}): Wörter weichen ab ab Wort {}: alt „{}“, neu „{}“\n",
                    paper.reference,
                    outcome_word(paper.outcome),
                    d.at + 1,
                    d.old,
                    d.new
                )),
                (None, Some(error)) => {
                    out.push_str(&format!("  {} fehlgeschlagen: {error}\n", paper.reference))
                }
                (None, None) => {}
            }
        }
        if let Some(why) = &self.stopped {
            out.push_str(&format!("  angehalten: {why}\n"));
        }
        if self.pending > 0 && !self.dry_run {
            out.push_str("  Derselbe Befehl setzt den Lauf fort.\n");
        }
        out
    }
}

fn outcome_word(outcome: PaperOutcome) -> &'static str {
    match outcome {
        PaperOutcome::Rerendered => "neu gerendert",
        PaperOutcome::Flagged => "gespeichert, abweichend",
        PaperOutcome::Refused => "nicht gespeichert",
        PaperOutcome::Unchanged => "unverändert",
        PaperOutcome::Failed => "fehlgeschlagen",
    }
}

/// A paper a render thread finished.
struct Finished {
    paper_id: i64,
    report: PaperReport,
    /// The signed PDF to store (not in a dry run, not when unchanged or failed).
    produced: Option<Produced>,
}

/// A run under way: render threads fill a bounded queue, [`Rerender::step`] stores what they
/// finished.
pub struct Rerender {
    start: RunStart,
    options: RerenderOptions,
    selection: String,
    template_sha512: String,
    stop: Arc<AtomicBool>,
    finished: Receiver<Finished>,
    threads: Option<JoinHandle<()>>,
    started: Instant,
    /// Papers done by this invocation.
    done: usize,
    /// Entries not stored in the archive: a dry run's, and refused papers.
    unstored: Vec<PaperReport>,
    stopped: Option<String>,
}

impl Publisher {
    /// Starts re-rendering `selection` (or resumes its unfinished run; see
    /// [`Archive::begin_run`]); `stop` set (by a signal, by the caller) ends it after the
    /// papers in flight. Drive it with [`Rerender::step`], end it with [`Rerender::finish`].
    pub fn start_rerender(
        &mut self,
        selection: &Selection,
        options: RerenderOptions,
        stop: Arc<AtomicBool>,
    ) -> Result<Rerender, PublishError> {
        let producer = self.producer()?;
        let template_sha512 = producer.renderer().template_sha512().to_string();
        let start = if options.dry_run {
            let pending = self.archive.select(selection, &template_sha512)?;
            RunStart {
                run: None,
                resumed: false,
                selected: pending.len(),
                pending,
            }
        } else {
            self.archive.begin_run(selection, &template_sha512)?
        };
        let reader = Mutex::new(Archive::open_reader(
            self.archive.root(),
            self.settings.numbering.clone(),
        )?);
        let (sender, finished) = sync_channel(MAX_BATCH * 2);
        let pending = start.pending.clone();
        let (thread_stop, jobs, dry_run) = (Arc::clone(&stop), options.jobs, options.dry_run);
        let threads = std::thread::Builder::new()
            .name("rerender".into())
            .spawn(move || {
                render_pending(
                    &producer,
                    &reader,
                    &pending,
                    jobs,
                    dry_run,
                    &thread_stop,
                    sender,
                )
            })
            .expect("the rerender thread starts");
        Ok(Rerender {
            start,
            options,
            selection: selection.canonical(),
            template_sha512,
            stop,
            finished,
            threads: Some(threads),
            started: Instant::now(),
            done: 0,
            unstored: Vec::new(),
            stopped: None,
        })
    }
}

impl Rerender {
    /// Waits for finished papers and stores them (one short transaction of at most
    /// [`MAX_BATCH`] papers); `None` when no paper is left in flight.
    pub fn step(&mut self, publisher: &mut Publisher) -> Result<Option<Progress>, PublishError> {
        self.step_within(publisher, None)
    }

    /// [`Rerender::step`] that waits at most `wait` for the first finished paper (and then
    /// answers with the progress as it is), for a caller with other work (the service's
    /// writer).
    pub fn step_within(
        &mut self,
        publisher: &mut Publisher,
        wait: Option<Duration>,
    ) -> Result<Option<Progress>, PublishError> {
        let first = match wait {
            None => self.finished.recv().ok(),
            Some(wait) => match self.finished.recv_timeout(wait) {
                Ok(first) => Some(first),
                Err(RecvTimeoutError::Timeout) => return Ok(Some(self.progress())),
                Err(RecvTimeoutError::Disconnected) => None,
            },
        };
        let Some(first) = first else {
            return Ok(None);
        };
        let mut batch = vec![first];
        let until = Instant::now() + BATCH_WINDOW;
        while batch.len() < MAX_BATCH {
            match self
                .finished
                .recv_timeout(until.saturating_duration_since(Instant::now()))
            {
                Ok(finished) => batch.push(finished),
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => break,
            }
        }
        let mut outcomes = Vec::with_capacity(batch.len());
        for Finished {
            paper_id,
            mut report,
            produced,
        } in batch
        {
            self.done += 1;
            if report.outcome == PaperOutcome::Flagged && self.options.fail_on_change {
                report.outcome = PaperOutcome::Refused;
                if self.stopped.is_none() {
                    self.stopped = Some(format!(
                        "die Wörter von {} weichen ab (--fail-on-change); nicht gespeichert",
                        report.reference
                    ));
                }
                self.stop.store(true, Ordering::Relaxed);
                self.unstored.push(report);
                continue;
            }
            if self.options.dry_run || self.start.run.is_none() {
                self.unstored.push(report);
                continue;
            }
            let verdict = match (report.outcome, produced) {
                (PaperOutcome::Rerendered, Some(p)) => Verdict::Rerendered(p),
                (PaperOutcome::Flagged, Some(p)) => Verdict::Flagged(p),
                (PaperOutcome::Unchanged, _) => Verdict::Unchanged,
                _ => Verdict::Failed,
            };
            outcomes.push(Outcome {
                paper_id,
                verdict,
                report: serde_json::to_string(&report).expect("a report serializes"),
            });
        }
        if let Some(run) = self.start.run
            && !outcomes.is_empty()
        {
            publisher.archive_mut().store_outcomes(run, outcomes)?;
        }
        Ok(Some(self.progress()))
    }

    /// How far the run is.
    pub fn progress(&self) -> Progress {
        let seconds = self.started.elapsed().as_secs_f64();
        let rate = if seconds > 0.0 {
            self.done as f64 / seconds
        } else {
            0.0
        };
        let done = self.start.selected - self.start.pending.len() + self.done;
        let left = self.start.selected - done;
        Progress {
            done,
            selected: self.start.selected,
            rate,
            eta: (rate > 0.0).then(|| Duration::from_secs_f64(left as f64 / rate)),
        }
    }

    /// Stops after the papers in flight (as a signal does).
    pub fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }

    /// Stores what is still in flight and reports the whole run.
    pub fn finish(mut self, publisher: &mut Publisher) -> Result<Report, PublishError> {
        while self.step(publisher)?.is_some() {}
        if let Some(threads) = self.threads.take() {
            threads.join().expect("the render threads do not panic");
        }
        if self.stopped.is_none() && self.stop.load(Ordering::Relaxed) {
            self.stopped = Some("unterbrochen (Strg-C oder SIGTERM)".into());
        }
        let seconds = self.started.elapsed().as_secs_f64();
        let mut papers = Vec::new();
        if let (Some(run), false) = (self.start.run, self.options.dry_run) {
            for item in publisher.archive().run_items(run)? {
                // A report entry that does not read keeps what the item itself says.
                let mut report: PaperReport = item
                    .report
                    .as_deref()
                    .and_then(|json| serde_json::from_str(json).ok())
                    .unwrap_or_else(|| {
                        let mut report = PaperReport::new(item.reference.clone());
                        if let Ok(outcome) =
                            serde_json::from_value(serde_json::Value::String(item.outcome.clone()))
                        {
                            report.outcome = outcome;
                        }
                        report
                    });
                if let Some((id, sha512)) = item.rendition {
                    report.rendition = Some(id);
                    report.sha512 = Some(sha512);
                }
                papers.push(report);
            }
        }
        papers.append(&mut self.unstored);
        let count = |outcome| papers.iter().filter(|p| p.outcome == outcome).count();
        let stored_or_checked = papers.len() - count(PaperOutcome::Refused);
        let pending = if self.options.dry_run {
            self.start.selected - papers.len()
        } else {
            self.start.selected - stored_or_checked
        };
        let report = Report {
            run: self.start.run.filter(|_| !self.options.dry_run),
            resumed: self.start.resumed,
            dry_run: self.options.dry_run,
            selection: self.selection.clone(),
            template_sha512: self.template_sha512.clone(),
            program_version: crate::VERSION.to_string(),
            selected: self.start.selected,
            rerendered: count(PaperOutcome::Rerendered),
            unchanged: count(PaperOutcome::Unchanged),
            flagged: count(PaperOutcome::Flagged),
            refused: count(PaperOutcome::Refused),
            failed: count(PaperOutcome::Failed),
            pending,
            pages_old: papers.iter().filter_map(|p| p.pages_old).sum(),
            pages_new: papers.iter().filter_map(|p| p.pages_new).sum(),
            done_now: self.done,
            seconds,
            papers_per_second: if seconds > 0.0 {
                self.done as f64 / seconds
            } else {
                0.0
            },
            stopped: self.stopped.clone(),
            papers,
        };
        publisher.keep_index_in_step();
        Ok(report)
    }
}

impl Drop for Rerender {
    fn drop(&mut self) {
        // Not finished (an error): let the render threads end without waiting for them.
        self.stop.store(true, Ordering::Relaxed);
    }
}

impl PaperReport {
    fn new(reference: String) -> PaperReport {
        PaperReport {
            reference,
            outcome: PaperOutcome::Failed,
            pages_old: None,
            pages_new: None,
            difference: None,
            error: None,
            replaces: None,
            rendition: None,
            sha512: None,
        }
    }
}

/// Renders the pending papers on `jobs` threads until done or `stop`, sending each result.
fn render_pending(
    producer: &Producer,
    reader: &Mutex<Archive>,
    pending: &[Pending],
    jobs: usize,
    dry_run: bool,
    stop: &AtomicBool,
    sender: SyncSender<Finished>,
) {
    producer
        .renderer()
        .for_each_parallel_on(jobs, pending.len(), |i| {
            if stop.load(Ordering::Relaxed) {
                return;
            }
            let finished = rerender_one(producer, reader, &pending[i], dry_run);
            // The receiver is gone only when the run was abandoned.
            let _ = sender.send(finished);
        });
}

/// One paper: render, compare with its newest rendition, sign.
fn rerender_one(
    producer: &Producer,
    reader: &Mutex<Archive>,
    pending: &Pending,
    dry_run: bool,
) -> Finished {
    let mut report = PaperReport::new(pending.reference.clone());
    let result = (|| -> Result<Option<Produced>, String> {
        let source = reader
            .lock()
            .expect("no reader panicked")
            .rerender_source(pending.paper_id)
            .map_err(|e| e.to_string())?;
        report.replaces = Some(source.newest_id);
        let old = std::fs::read(&source.newest_file).map_err(|e| {
            format!(
                "the stored PDF {} cannot be read: {e}",
                source.newest_file.display()
            )
        })?;
        let new = producer
            .unsigned(&source.paper)
            .map_err(|e| e.to_string())?;
        if old.starts_with(&new) {
            let pages = page_count(&new).map_err(|e| e.to_string())?;
            report.pages_old = Some(pages);
            report.pages_new = Some(pages);
            report.outcome = PaperOutcome::Unchanged;
            return Ok(None);
        }
        let doc = crate::sign::pdf::load(&new).map_err(|e| format!("the new PDF: {e}"))?;
        let new_words = document_words(doc.pdf()).map_err(|e| format!("the new PDF: {e}"))?;
        report.pages_new = Some(new_words.pages);
        let new_content = content(&new_words);
        match &source.newest_content {
            // The stored rendition's words, recorded when it was made, are the new ones.
            Some(old) if old.words_sha256 == new_content.words_sha256 => {
                report.pages_old = Some(old.pages);
            }
            // Otherwise (another digest, or none recorded) the stored PDF is read: its words
            // decide, and name the first difference.
            _ => {
                let old_words = pdf_words(&old).map_err(|e| format!("the stored PDF: {e}"))?;
                report.pages_old = Some(old_words.pages);
                report.difference = first_difference(&old_words.words, &new_words.words);
            }
        }
        report.outcome = if report.difference.is_some() {
            PaperOutcome::Flagged
        } else {
            PaperOutcome::Rerendered
        };
        if dry_run {
            return Ok(None);
        }
        producer
            .signed_loaded(&new, &doc, Some(new_content))
            .map(Some)
            .map_err(|e| e.to_string())
    })();
    let produced = match result {
        Ok(produced) => produced,
        Err(error) => {
            report.outcome = PaperOutcome::Failed;
            report.error = Some(error);
            None
        }
    };
    Finished {
        paper_id: pending.paper_id,
        report,
        produced,
    }
}
