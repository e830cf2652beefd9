//! Re-rendering runs in the archive: which papers a run selected, which are still pending,
//! and [`Archive::store_outcomes`], which stores a batch of results (new renditions and
//! verdicts) in one short transaction with the crash protocol of `new`, so that a run stopped
//! or killed at any moment continues with exactly the papers not yet done.

use std::path::PathBuf;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::create::{insert_rendition, short, store_and_commit};
use super::{Archive, ArchiveError, Content, DbError, Produced, now};
use crate::model::{Kind, Paper};

/// Which papers a re-rendering run takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// Every paper.
    All,
    /// The papers that match every given filter.
    Filter {
        /// The paper's year (the year of its number).
        year: Option<i32>,
        kind: Option<Kind>,
        /// Only papers whose newest rendition was made with another template set or
        /// program version, and not found unchanged by a run with the current ones.
        outdated: bool,
    },
    /// These papers (Drucksachennummern), in this order, each once.
    References(Vec<String>),
}

/// Why parts do not make a selection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SelectionError {
    /// Neither all papers, nor a filter, nor references.
    Nothing,
    /// More than one of the three.
    Mixed,
}

impl Selection {
    /// The selection of these parts, as the command line and the service's API give them:
    /// all papers, or any of the filters, or references — exactly one of the three.
    pub fn from_parts(
        all: bool,
        year: Option<i32>,
        kind: Option<Kind>,
        outdated: bool,
        references: Vec<String>,
    ) -> Result<Selection, SelectionError> {
        let filtered = year.is_some() || kind.is_some() || outdated;
        match (all, filtered, !references.is_empty()) {
            (true, false, false) => Ok(Selection::All),
            (false, true, false) => Ok(Selection::Filter {
                year,
                kind,
                outdated,
            }),
            (false, false, true) => Ok(Selection::References(references)),
            (false, false, false) => Err(SelectionError::Nothing),
            _ => Err(SelectionError::Mixed),
        }
    }

    /// The selection as the command line writes it (`--year 2012 --outdated`): a run is
    /// resumed by the same selection with the same templates and program.
    pub fn canonical(&self) -> String {
        match self {
            Selection::All => "--all".into(),
            Selection::Filter {
                year,
                kind,
                outdated,
            } => {
                let mut parts = Vec::new();
                if let Some(year) = year {
                    parts.push(format!("--year {year}"));
                }
                if let Some(kind) = kind {
                    parts.push(format!("--kind {}", kind.key()));
                }
                if *outdated {
                    parts.push("--outdated".into());
                }
                parts.join(" ")
            }
            Selection::References(references) => references.join(" "),
        }
    }
}

/// A paper a run still has to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    pub paper_id: i64,
    /// Drucksachennummer.
    pub reference: String,
}

/// What a run's start found.
#[derive(Debug, Clone)]
pub struct RunStart {
    /// The run's id; `None` when the selection is empty (no run is recorded).
    pub run: Option<i64>,
    /// True when an earlier, unfinished run of the same selection, templates and program
    /// continues.
    pub resumed: bool,
    /// Papers the run selected in all (done before and pending).
    pub selected: usize,
    /// The papers not done yet, oldest first.
    pub pending: Vec<Pending>,
}

/// What re-rendering needs of a paper: its stored record and its newest rendition.
#[derive(Debug, Clone)]
pub struct RerenderSource {
    pub paper: Paper,
    /// The newest rendition's row id, SHA-512 and stored file (the one a new rendition
    /// replaces).
    pub newest_id: i64,
    pub newest_sha512: String,
    pub newest_file: PathBuf,
    /// What the newest rendition says, as recorded when it was made (`None` before migration
    /// 6 or when its words could not be read then).
    pub newest_content: Option<Content>,
}

/// One paper's result, for [`Archive::store_outcomes`].
#[derive(Debug)]
pub struct Outcome {
    pub paper_id: i64,
    pub verdict: Verdict,
    /// The paper's entry of the run's report (JSON), stored with the outcome.
    pub report: String,
}

/// What became of a paper.
#[derive(Debug)]
pub enum Verdict {
    /// Stored as the paper's new, newest rendition.
    Rerendered(Produced),
    /// Stored, although the content check found different words.
    Flagged(Produced),
    /// The new rendering is the old one: no new rendition.
    Unchanged,
    /// It could not be re-rendered (the report says why); nothing stored.
    Failed,
}

impl Verdict {
    fn key(&self) -> &'static str {
        match self {
            Verdict::Rerendered(_) => "rerendered",
            Verdict::Flagged(_) => "flagged",
            Verdict::Unchanged => "unchanged",
            Verdict::Failed => "failed",
        }
    }
}

/// A paper of a run that is done, as the archive recorded it.
#[derive(Debug, Clone)]
pub struct DoneItem {
    pub reference: String,
    /// `rerendered`, `flagged`, `unchanged` or `failed`.
    pub outcome: String,
    /// The report entry stored with the outcome.
    pub report: Option<String>,
    /// The rendition the run stored: row id and SHA-512.
    pub rendition: Option<(i64, String)>,
}

impl Archive {
    /// The papers `selection` takes, oldest first, for renderings with `template_sha512`
    /// and this program. A reference not in the archive is an error.
    pub fn select(
        &self,
        selection: &Selection,
        template_sha512: &str,
    ) -> Result<Vec<Pending>, ArchiveError> {
        select(&self.conn, selection, template_sha512)
    }

    /// Starts the run of `selection` with `template_sha512` and this program, or resumes
    /// the unfinished run of the same three: one transaction records the run and one
    /// pending item per selected paper. Nothing is recorded for an empty selection.
    pub fn begin_run(
        &mut self,
        selection: &Selection,
        template_sha512: &str,
    ) -> Result<RunStart, ArchiveError> {
        let key = selection.canonical();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let found: Option<i64> = tx
            .query_row(
                "SELECT id FROM rerender_runs WHERE finished_at IS NULL AND selection = ?1
                    AND template_sha512 = ?2 AND program_version = ?3
                 ORDER BY id DESC LIMIT 1",
                params![key, template_sha512, crate::VERSION],
                |r| r.get(0),
            )
            .optional()?;
        let (run, resumed) = match found {
            Some(run) => (run, true),
            None => {
                let selected = select(&tx, selection, template_sha512)?;
                if selected.is_empty() {
                    return Ok(RunStart {
                        run: None,
                        resumed: false,
                        selected: 0,
                        pending: Vec::new(),
                    });
                }
                tx.execute(
                    "INSERT INTO rerender_runs (selection, template_sha512, program_version,
                        started_at) VALUES (?1, ?2, ?3, ?4)",
                    params![key, template_sha512, crate::VERSION, now()],
                )?;
                let run = tx.last_insert_rowid();
                let mut insert = tx.prepare_cached(
                    "INSERT INTO rerender_items (run_id, paper_id) VALUES (?1, ?2)",
                )?;
                for paper in &selected {
                    insert.execute(params![run, paper.paper_id])?;
                }
                drop(insert);
                (run, false)
            }
        };
        let selected: i64 = tx.query_row(
            "SELECT COUNT(*) FROM rerender_items WHERE run_id = ?1",
            [run],
            |r| r.get(0),
        )?;
        let pending = pending(&tx, run)?;
        if pending.is_empty() {
            finish(&tx, run)?;
        }
        tx.commit()?;
        Ok(RunStart {
            run: Some(run),
            resumed,
            selected: selected as usize,
            pending,
        })
    }

    /// A paper's stored record and newest rendition, for re-rendering it.
    pub fn rerender_source(&self, paper_id: i64) -> Result<RerenderSource, ArchiveError> {
        type Row = (String, String, i64, String, Option<i64>, Option<String>);
        let (reference, json, newest_id, newest_sha512, pages, words): Row = self
            .conn
            .prepare_cached(
                "SELECT p.reference, p.source_json, r.id, r.sha512, r.pages, r.words_sha256
                     FROM papers p JOIN renditions r ON r.id =
                        (SELECT MAX(id) FROM renditions WHERE paper_id = p.id)
                     WHERE p.id = ?1",
            )?
            .query_row([paper_id], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ))
            })
            .optional()?
            .ok_or_else(|| ArchiveError::NotFound(format!("paper {paper_id}")))?;
        let paper: Paper =
            serde_json::from_str(&json).map_err(|e| DbError::unreadable_record(&reference, &e))?;
        Ok(RerenderSource {
            paper,
            newest_id,
            newest_file: self.store.path(&newest_sha512),
            newest_sha512,
            newest_content: match (pages, words) {
                (Some(pages), Some(words_sha256)) => Some(Content {
                    pages: usize::try_from(pages).unwrap_or(0),
                    words_sha256,
                }),
                _ => None,
            },
        })
    }

    /// Stores the outcomes of papers of `run` in one transaction: each new PDF as its
    /// paper's newest rendition (file staged and fsynced first, as in `new`), with a
    /// `rendered` event; each outcome and report on the run's item, which leaves `pending`
    /// only here. The run is finished when no item is left pending. All or nothing.
    pub fn store_outcomes(&mut self, run: i64, outcomes: Vec<Outcome>) -> Result<(), ArchiveError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let now = now();
        let left = pending_count(&tx, run, outcomes.len() + 1)? - outcomes.len() as i64;
        let mut stored = Vec::new();
        let mut pdfs = Vec::new();
        for Outcome {
            paper_id,
            verdict,
            report,
        } in outcomes
        {
            let key = verdict.key();
            match verdict {
                Verdict::Rerendered(produced) | Verdict::Flagged(produced) => {
                    pdfs.push(Ok(produced));
                    stored.push((paper_id, key, report));
                }
                Verdict::Unchanged | Verdict::Failed => {
                    mark_done(&tx, run, paper_id, key, None, &report)?
                }
            }
        }
        if left <= 0 {
            finish(&tx, run)?;
        }
        if pdfs.is_empty() {
            tx.commit()?;
            return Ok(());
        }
        let mut items = stored.iter();
        store_and_commit(
            tx,
            &self.store,
            &mut self.settling,
            pdfs.len(),
            || pdfs,
            &|_, e| e,
            |tx, staged, produced| {
                let (paper_id, key, report) = items.next().expect("one file per paper");
                let id = insert_rendition(tx, *paper_id, staged, produced, &now, Some(run))?;
                tx.prepare_cached(
                    "INSERT INTO events (paper_id, at, event, detail) VALUES (?1, ?2, 'rendered', ?3)",
                )?
                .execute(params![
                    paper_id,
                    now,
                    format!(
                        "rendition {id} (re-rendering run {run}): templates {}, drucksache {}",
                        short(&produced.template_sha512),
                        crate::VERSION
                    )
                ])?;
                tx.prepare_cached("UPDATE papers SET modified_at = ?2 WHERE id = ?1")?
                    .execute(params![paper_id, now])?;
                mark_done(tx, run, *paper_id, key, Some(id), report)
            },
        )?;
        Ok(())
    }

    /// The papers of `run` that are done, oldest first, with what the run recorded.
    pub fn run_items(&self, run: i64) -> Result<Vec<DoneItem>, ArchiveError> {
        Ok(self
            .conn
            .prepare(
                "SELECT p.reference, i.outcome, i.report, r.id, r.sha512
                 FROM rerender_items i JOIN papers p ON p.id = i.paper_id
                 LEFT JOIN renditions r ON r.id = i.rendition_id
                 WHERE i.run_id = ?1 AND i.outcome <> 'pending' ORDER BY p.id",
            )?
            .query_map([run], |r| {
                let id: Option<i64> = r.get(3)?;
                let sha: Option<String> = r.get(4)?;
                Ok(DoneItem {
                    reference: r.get(0)?,
                    outcome: r.get(1)?,
                    report: r.get(2)?,
                    rendition: id.zip(sha),
                })
            })?
            .collect::<Result<_, _>>()?)
    }
}

/// Records a paper's outcome on its item, which must be pending.
fn mark_done(
    conn: &Connection,
    run: i64,
    paper_id: i64,
    outcome: &str,
    rendition: Option<i64>,
    report: &str,
) -> Result<(), ArchiveError> {
    let changed = conn
        .prepare_cached(
            "UPDATE rerender_items SET outcome = ?3, rendition_id = ?4, report = ?5
             WHERE run_id = ?1 AND paper_id = ?2 AND outcome = 'pending'",
        )?
        .execute(params![run, paper_id, outcome, rendition, report])?;
    if changed != 1 {
        return Err(ArchiveError::Db(DbError::Corrupt(format!(
            "paper {paper_id} is not pending in re-rendering run {run}"
        ))));
    }
    Ok(())
}

/// How many items of `run` are pending, counting up to `at_most`.
fn pending_count(conn: &Connection, run: i64, at_most: usize) -> Result<i64, ArchiveError> {
    Ok(conn
        .prepare_cached(
            "SELECT COUNT(*) FROM (SELECT 1 FROM rerender_items
                 WHERE run_id = ?1 AND outcome = 'pending' LIMIT ?2)",
        )?
        .query_row(params![run, at_most as i64], |r| r.get(0))?)
}

/// The papers of `selection`, oldest first.
fn select(
    conn: &Connection,
    selection: &Selection,
    template_sha512: &str,
) -> Result<Vec<Pending>, ArchiveError> {
    let row = |r: &rusqlite::Row<'_>| {
        Ok(Pending {
            paper_id: r.get(0)?,
            reference: r.get(1)?,
        })
    };
    match selection {
        Selection::All => Ok(conn
            .prepare("SELECT id, reference FROM papers WHERE structured = 1 ORDER BY id")?
            .query_map([], row)?
            .collect::<Result<_, _>>()?),
        Selection::Filter {
            year,
            kind,
            outdated,
        } => Ok(conn
            .prepare(
                "SELECT p.id, p.reference FROM papers p
                 WHERE p.structured = 1
                   AND (?1 IS NULL OR p.year = ?1) AND (?2 IS NULL OR p.kind = ?2)
                   AND (?3 = 0 OR (
                     EXISTS (SELECT 1 FROM renditions r
                             WHERE r.id = (SELECT MAX(id) FROM renditions WHERE paper_id = p.id)
                               AND (r.template_sha512 <> ?4 OR r.program_version <> ?5))
                     AND NOT EXISTS (SELECT 1 FROM rerender_items i
                             JOIN rerender_runs u ON u.id = i.run_id
                             WHERE i.paper_id = p.id AND i.outcome = 'unchanged'
                               AND u.template_sha512 = ?4 AND u.program_version = ?5)))
                 ORDER BY p.id",
            )?
            .query_map(
                params![
                    year,
                    kind.map(Kind::key),
                    outdated,
                    template_sha512,
                    crate::VERSION
                ],
                row,
            )?
            .collect::<Result<_, _>>()?),
        Selection::References(references) => {
            let mut stmt =
                conn.prepare("SELECT id, reference, structured FROM papers WHERE reference = ?1")?;
            let mut papers: Vec<Pending> = Vec::with_capacity(references.len());
            for reference in references {
                let (paper, structured) = stmt
                    .query_row([reference], |r| Ok((row(r)?, r.get::<_, bool>(2)?)))
                    .optional()?
                    .ok_or_else(|| ArchiveError::NotFound(reference.clone()))?;
                if !structured {
                    return Err(ArchiveError::NotStructured(reference.clone()));
                }
                if !papers.contains(&paper) {
                    papers.push(paper);
                }
            }
            Ok(papers)
        }
    }
}

/// The pending papers of `run`, oldest first.
fn pending(conn: &Connection, run: i64) -> Result<Vec<Pending>, ArchiveError> {
    Ok(conn
        .prepare(
            "SELECT p.id, p.reference FROM rerender_items i JOIN papers p ON p.id = i.paper_id
             WHERE i.run_id = ?1 AND i.outcome = 'pending' ORDER BY p.id",
        )?
        .query_map([run], |r| {
            Ok(Pending {
                paper_id: r.get(0)?,
                reference: r.get(1)?,
            })
        })?
        .collect::<Result<_, _>>()?)
}

fn finish(conn: &Connection, run: i64) -> Result<(), ArchiveError> {
    conn.execute(
        "UPDATE rerender_runs SET finished_at = ?2 WHERE id = ?1 AND finished_at IS NULL",
        params![run, now()],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{produce, unnumbered};
    use super::*;
    use crate::archive::Origin;
    use crate::model::Numbering;

    fn archive_with(subjects: &[&str]) -> (tempfile::TempDir, Archive, Vec<String>) {
        let dir = tempfile::tempdir().unwrap();
        let mut archive = Archive::open(dir.path(), Numbering::default()).unwrap();
        let references = subjects
            .iter()
            .map(|s| {
                archive
                    .create(unnumbered(s), Origin::New, produce)
                    .unwrap()
                    .unwrap()
                    .reference
            })
            .collect();
        (dir, archive, references)
    }

    /// A second "PDF" of a paper, made with templates `t2`.
    fn again(paper_id: i64, archive: &Archive, reference: &str) -> Outcome {
        let (record, _) = archive.record(reference).unwrap();
        let mut produced = produce(record.paper().unwrap()).unwrap();
        produced.pdf.extend_from_slice(b" again");
        produced.template_sha512 = "t2".into();
        Outcome {
            paper_id,
            verdict: Verdict::Rerendered(produced),
            report: "{}".into(),
        }
    }

    /// A run stores new renditions as the newest, keeps the earlier ones, records each
    /// outcome, resumes with the papers not done, and finishes when none is pending.
    #[test]
    fn a_run_stores_new_renditions_and_resumes_with_the_rest() {
        let (dir, mut archive, refs) = archive_with(&["A", "B", "C"]);
        let outdated = Selection::Filter {
            year: None,
            kind: None,
            outdated: true,
        };
        assert_eq!(archive.select(&outdated, "t").unwrap(), vec![]);
        let start = archive.begin_run(&outdated, "t2").unwrap();
        let run = start.run.unwrap();
        assert!(!start.resumed);
        assert_eq!(start.selected, 3);
        let [a, b, c] = &start.pending[..] else {
            panic!("{:?}", start.pending)
        };
        let first = archive.show(&refs[0]).unwrap().renditions[0].clone();
        let outcome = again(a.paper_id, &archive, &a.reference);
        let unchanged = Outcome {
            paper_id: b.paper_id,
            verdict: Verdict::Unchanged,
            report: "{\"b\":1}".into(),
        };
        archive
            .store_outcomes(run, vec![outcome, unchanged])
            .unwrap();

        let details = archive.show(&refs[0]).unwrap();
        assert_eq!(details.renditions.len(), 2);
        assert_eq!(details.renditions[0].sha512, first.sha512);
        assert_eq!(details.renditions[1].run, Some(run));
        assert!(details.renditions[0].file.is_file() && details.renditions[1].file.is_file());
        let last = details.history.last().unwrap();
        assert_eq!(last.event, "rendered");
        assert_eq!(details.modified_at, last.at);
        assert_eq!(archive.show(&refs[1]).unwrap().renditions.len(), 1);

        // The same run again: only C is pending; an unchanged paper is not outdated.
        let resumed = archive.begin_run(&outdated, "t2").unwrap();
        assert_eq!((resumed.run, resumed.resumed), (Some(run), true));
        assert_eq!(resumed.pending, vec![c.clone()]);
        let items = archive.run_items(run).unwrap();
        assert_eq!(items.len(), 2);
        assert_eq!(items[1].outcome, "unchanged");
        assert_eq!(items[1].report.as_deref(), Some("{\"b\":1}"));
        assert_eq!(
            items[0].rendition.as_ref().unwrap().0,
            details.renditions[1].id
        );

        let outcome = again(c.paper_id, &archive, &c.reference);
        archive.store_outcomes(run, vec![outcome]).unwrap();
        // Finished: a new run finds nothing outdated (A and C are new, B was unchanged).
        let next = archive.begin_run(&outdated, "t2").unwrap();
        assert_eq!((next.run, next.selected), (None, 0));
        drop(archive);
        let mut archive = Archive::open(dir.path(), Numbering::default()).unwrap();
        assert!(archive.store.marks().unwrap().is_empty());
        let report = archive.check().unwrap();
        assert!(report.is_ok(), "{report:?}");
    }

    /// A batch with one bad outcome (a paper not pending) stores nothing at all.
    #[test]
    fn store_outcomes_is_all_or_nothing() {
        let (dir, mut archive, refs) = archive_with(&["A", "B"]);
        let run = archive
            .begin_run(&Selection::References(vec![refs[0].clone()]), "t2")
            .unwrap();
        let a = run.pending[0].clone();
        let b_id = a.paper_id + 1;
        let events = archive.last_event().unwrap();
        let good = again(a.paper_id, &archive, &refs[0]);
        let bad = again(b_id, &archive, &refs[1]);
        let err = archive
            .store_outcomes(run.run.unwrap(), vec![good, bad])
            .unwrap_err();
        assert!(err.to_string().contains("is not pending"), "{err}");
        assert_eq!(archive.last_event().unwrap(), events);
        assert_eq!(archive.show(&refs[0]).unwrap().renditions.len(), 1);
        assert_eq!(
            archive
                .begin_run(&Selection::References(vec![refs[0].clone()]), "t2")
                .unwrap()
                .pending,
            vec![a]
        );
        drop(archive);
        let mut archive = Archive::open(dir.path(), Numbering::default()).unwrap();
        let report = archive.check().unwrap();
        assert!(report.is_ok(), "{report:?}");
        assert_eq!(report.files, 2, "the staged file was removed");
    }

    /// References are looked up (an unknown one is an error) and each taken once.
    #[test]
    fn selections() {
        let (_dir, archive, refs) = archive_with(&["A", "B"]);
        let twice = Selection::References(vec![refs[1].clone(), refs[0].clone(), refs[1].clone()]);
        let got: Vec<String> = archive
            .select(&twice, "t")
            .unwrap()
            .into_iter()
            .map(|p| p.reference)
            .collect();
        assert_eq!(got, [refs[1].clone(), refs[0].clone()]);
        let unknown = Selection::References(vec!["0999/2099".into()]);
        let err = archive.select(&unknown, "t").unwrap_err();
        assert_eq!(err.to_string(), "0999/2099 is not in the archive");
        assert_eq!(archive.select(&Selection::All, "t").unwrap().len(), 2);
        let year = Selection::Filter {
            year: Some(2099),
            kind: None,
            outdated: false,
        };
        assert!(archive.select(&year, "t").unwrap().is_empty());
        assert_eq!(year.canonical(), "--year 2099");
        assert_eq!(
            twice.canonical(),
            format!("{} {} {}", refs[1], refs[0], refs[1])
        );
    }
}
