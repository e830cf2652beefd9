//! Harvesting another council system over OParl (`drucksache harvest`): every body's paper
//! list page by page, with a checkpoint after each page (a killed run continues where it
//! stopped); each Paper's metadata and main file (checked) become a draft (`crate::harvest`),
//! archived like an imported legacy paper when certain (in the same transaction the archive
//! records the other system's id: nothing is imported twice), else sent to review. A page or
//! a paper that fails is reported and tried again by the next run.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::time::Instant;

use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::harvest_run::{Run, extract};
use super::legacy::{checked_paper, write_review};
use super::{PublishError, Publisher};
use crate::archive::{
    ArchiveError, HarvestPending as Pending, Harvested, Origin, Original, PendingHarvest, RunState,
    sha512_hex,
};
use crate::harvest::{self, Client, ClientOptions, FetchError, OparlError, PaperMeta};
use crate::legacy::split;

/// What `drucksache harvest` was asked to do.
#[derive(Debug, Clone)]
pub struct HarvestOptions {
    /// The OParl System's address.
    pub system_url: String,
    /// Only this body (its OParl id); all bodies when `None`.
    pub body: Option<String>,
    /// Only papers modified since (RFC 3339); else since the last complete run, less
    /// `overlap_seconds`; else everything.
    pub since: Option<String>,
    /// Where drafts in doubt go; without it they are reported and left for the next run.
    pub review: Option<PathBuf>,
    pub client: ClientOptions,
    /// How far before the last complete run's start the next run asks (clocks of two systems
    /// differ, and a paper may be saved while the list is read).
    pub overlap_seconds: i64,
}

/// Why a harvest cannot start at all.
#[derive(Debug, thiserror::Error)]
pub enum HarvestError {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error(transparent)]
    Oparl(#[from] OparlError),
    #[error("{url}: not an OParl System (it has no body list in `body`)")]
    NotASystem { url: String },
    #[error("--body {id}: the system has no such body (it has: {known})")]
    NoSuchBody { id: String, known: String },
    #[error("--since {0}: not a date-time (write it as 2024-01-31T00:00:00+01:00)")]
    BadSince(String),
}

/// What a harvest did, for the report at its end.
#[derive(Debug, Default, Serialize)]
pub struct HarvestReport {
    /// List pages read.
    pub pages: usize,
    /// Pages that failed (the next run starts there), with the reason.
    pub pages_failed: Vec<String>,
    /// Drucksachennummern archived now.
    pub new: Vec<String>,
    /// Papers seen before and not changed since.
    pub unchanged: usize,
    /// Archived papers the other system changed since (their records stay as archived).
    pub changed: Vec<String>,
    /// Papers whose draft is in doubt: "id: why" (and the draft, with `--review`).
    pub review: Vec<String>,
    /// Papers that could not be archived: "id: why" (tried again by the next run).
    pub failed: Vec<String>,
    /// Drucksachennummern of the papers in review or failed that are archived (or were
    /// completed) meanwhile as legacy papers not structured yet.
    pub legacy: Vec<String>,
    /// Papers the other system marks as deleted (skipped).
    pub deleted: usize,
    pub files_downloaded: usize,
    /// Files that could not be taken, by reason.
    pub files_failed: BTreeMap<String, usize>,
    /// Record fields of the archived papers taken from OParl, and from the text.
    pub fields_from_oparl: usize,
    pub fields_from_text: usize,
    /// True when every list was read to its end (the next run asks only for changes).
    pub complete: bool,
    pub seconds: f64,
}

impl HarvestReport {
    /// The papers handled so far, whatever became of them.
    pub fn papers(&self) -> usize {
        self.new.len()
            + self.unchanged
            + self.changed.len()
            + self.review.len()
            + self.failed.len()
            + self.deleted
    }

    pub(super) fn count_file_failure(&mut self, reason: &str) {
        *self.files_failed.entry(reason.to_string()).or_default() += 1;
    }
}

impl Publisher {
    /// Harvests the papers of another OParl system (see the module comment); `progress` is
    /// called after every paper.
    pub fn harvest(
        &mut self,
        options: &HarvestOptions,
        progress: &mut dyn FnMut(&HarvestReport),
    ) -> Result<HarvestReport, PublishError> {
        let started = Instant::now();
        let since = match &options.since {
            Some(s) => {
                Some(harvest::date_time(s).ok_or_else(|| HarvestError::BadSince(s.clone()))?)
            }
            None => None,
        };
        let mut run = Run {
            client: Client::new(options.client.clone()).map_err(HarvestError::from)?,
            options,
            cache: HashMap::new(),
            seen: Default::default(),
            report: HarvestReport {
                complete: true,
                ..HarvestReport::default()
            },
        };
        let system = run.json(&options.system_url)?;
        let Some(body_list) = harvest::text(&system, "body") else {
            return Err(HarvestError::NotASystem {
                url: options.system_url.clone(),
            }
            .into());
        };
        let bodies = run.whole_list(&body_list)?;
        let chosen: Vec<&Value> = bodies
            .iter()
            .filter(|b| options.body.is_none() || harvest::text(b, "id") == options.body)
            .collect();
        if let (Some(id), true) = (&options.body, chosen.is_empty()) {
            let known: Vec<String> = bodies
                .iter()
                .filter_map(|b| harvest::text(b, "id"))
                .collect();
            return Err(HarvestError::NoSuchBody {
                id: id.clone(),
                known: known.join(", "),
            }
            .into());
        }
        // Then the papers that failed last time (a filtered list would not bring them back).
        for id in self.archive.harvest_failed(&options.system_url)? {
            match run.json(&id) {
                Ok(paper) => self.harvest_paper(&mut run, &paper)?,
                Err(e) => run.report.failed.push(format!("{id}: {e}")),
            }
            progress(&run.report);
        }
        for body in chosen {
            let (Some(body_id), Some(papers)) =
                (harvest::text(body, "id"), harvest::text(body, "paper"))
            else {
                run.report
                    .pages_failed
                    .push(format!("{body_list}: a body without id or paper list"));
                run.report.complete = false;
                continue;
            };
            self.harvest_list(&mut run, &body_id, &papers, since.as_deref(), progress)?;
        }
        run.report.seconds = started.elapsed().as_secs_f64();
        Ok(run.report)
    }

    /// One body's paper list, from its checkpoint (or the start) to its end or a page that
    /// fails.
    fn harvest_list(
        &mut self,
        run: &mut Run<'_>,
        body_id: &str,
        papers: &str,
        since: Option<&str>,
        progress: &mut dyn FnMut(&HarvestReport),
    ) -> Result<(), PublishError> {
        let system = run.options.system_url.clone();
        let state = self.archive.harvest_list(&system, body_id)?;
        let mut checkpoint = match state.run {
            Some(resumed) => {
                // A killed or stopped run is finished first, with the filter it began with.
                if since.is_some() && since != resumed.since.as_deref() {
                    tracing::warn!(
                        "{body_id}: continuing the run begun {} at {} with its own modified_since ({}); --since applies to the next run",
                        resumed.started_at,
                        resumed.next_page,
                        resumed.since.as_deref().unwrap_or("none")
                    );
                }
                resumed
            }
            None => {
                let since = since.map(str::to_string).or_else(|| {
                    earlier(
                        state.done_started_at.as_deref()?,
                        run.options.overlap_seconds,
                    )
                });
                let first = match &since {
                    Some(s) => harvest::with_query(papers, "modified_since", s),
                    None => papers.to_string(),
                };
                let started = OffsetDateTime::now_utc()
                    .replace_nanosecond(0)
                    .expect("0 is a nanosecond")
                    .format(&Rfc3339)
                    .expect("a time formats");
                let fresh = RunState {
                    next_page: first,
                    since,
                    started_at: started,
                };
                self.archive.harvest_checkpoint(
                    &system,
                    body_id,
                    &fresh,
                    Some(&fresh.next_page),
                )?;
                fresh
            }
        };
        let mut visited = std::collections::HashSet::from([checkpoint.next_page.clone()]);
        loop {
            let url = checkpoint.next_page.clone();
            let page = match run.list_page(&url) {
                Ok(page) => page,
                Err(why) => {
                    run.report.pages_failed.push(why);
                    run.report.complete = false;
                    return Ok(());
                }
            };
            run.report.pages += 1;
            for item in &page.items {
                self.harvest_paper(run, item)?;
                progress(&run.report);
            }
            // A server that drops the filter on later pages gets it back. An empty page, or a
            // link back to a page of this run, ends the list.
            let next = page
                .next
                .map(|n| match &checkpoint.since {
                    Some(s) => harvest::with_query(&n, "modified_since", s),
                    None => n,
                })
                .filter(|n| !page.items.is_empty() && visited.insert(n.clone()));
            self.archive
                .harvest_checkpoint(&system, body_id, &checkpoint, next.as_deref())?;
            match next {
                Some(next) => checkpoint.next_page = next,
                None => return Ok(()),
            }
        }
    }

    /// Records a paper that could not be archived, and why (the next run tries it again).
    fn record_failure(
        &mut self,
        run: &mut Run<'_>,
        source: &Harvested,
        why: &str,
    ) -> Result<(), PublishError> {
        let why = format!("{}: {why}", source.oparl_id);
        self.archive
            .harvest_pending(source, Pending::Failed, &why)?;
        run.report.failed.push(why);
        Ok(())
    }

    fn harvest_paper(&mut self, run: &mut Run<'_>, item: &Value) -> Result<(), PublishError> {
        let meta = match PaperMeta::read(item) {
            Ok(meta) => meta,
            Err(e) => {
                run.report.failed.push(e.to_string());
                return Ok(());
            }
        };
        if !run.seen.insert(meta.id.clone()) {
            return Ok(());
        }
        if meta.deleted {
            run.report.deleted += 1;
            return Ok(());
        }
        let source = Harvested {
            system_url: run.options.system_url.clone(),
            oparl_id: meta.id.clone(),
            modified: meta.modified.clone(),
            oparl_fields: Vec::new(),
        };
        let known = self.archive.harvested(&source.system_url, &meta.id)?;
        match &known {
            Some(k) if k.state == "archived" => {
                if same_time(k.modified.as_deref(), meta.modified.as_deref()) {
                    run.report.unchanged += 1;
                } else {
                    let reference = k.reference.clone().unwrap_or_default();
                    self.archive.harvest_note(
                        &source,
                        "im anderen System geändert; der archivierte Datensatz bleibt",
                    )?;
                    run.report.changed.push(reference);
                }
                return Ok(());
            }
            Some(k)
                if k.state == "review"
                    && same_time(k.modified.as_deref(), meta.modified.as_deref()) =>
            {
                run.report.unchanged += 1;
                return Ok(());
            }
            _ => {}
        }
        // The legacy paper ("nicht strukturiert") the archive holds of it already, if any.
        let held = known.and_then(|k| k.reference);
        let steps = run.steps(&meta);
        let amt = run.department(&meta);
        let read = run
            .main_file(&meta)
            .and_then(|(file, bytes)| match extract(&bytes) {
                Ok(text) => Ok((file, bytes, text)),
                Err(why) => {
                    run.report.count_file_failure("Text nicht lesbar");
                    Err(why)
                }
            });
        let (file, bytes, text) = match read {
            Ok(read) => read,
            Err(why) => {
                // Archived from its metadata meanwhile. A file that failed is fetched again
                // by the next run; a Paper without any waits until the other system changes
                // it.
                let state = match meta.main_file {
                    Some(_) => Pending::Failed,
                    None => Pending::Review,
                };
                let draft = harvest::draft(&meta, &steps, amt, Default::default());
                let why = format!("{}: {why}", meta.id);
                return self.hold_legacy(run, &source, held, &draft, "", Vec::new(), state, why);
            }
        };
        let mut draft = harvest::draft(&meta, &steps, amt, split(&text));
        let name = review_name(&meta);
        let certain = if draft.is_certain() {
            match checked_paper(&draft, &name) {
                Ok(paper) => Ok(paper),
                Err(problems) => {
                    for (path, why) in &problems {
                        draft.add_doubt(path, why);
                    }
                    Err(problems
                        .into_iter()
                        .map(|(p, w)| format!("{p}: {w}"))
                        .collect::<Vec<_>>())
                }
            }
        } else {
            Err(draft
                .doubts()
                .map(|f| format!("{}: {}", f.key, f.doubt.as_deref().unwrap_or_default()))
                .collect())
        };
        let main = Original {
            file_name: file.file_name.clone(),
            media_type: "application/pdf".into(),
            bytes: bytes.clone(),
        };
        let doubts = match certain {
            Ok(paper) => {
                let (given, from_text) = draft
                    .fields()
                    .iter()
                    .partition::<Vec<_>, _>(|f| draft.is_given(f.key));
                let mut originals = vec![main.clone()];
                match run.auxiliary_files(&meta, &bytes) {
                    Ok(more) => originals.extend(more),
                    Err(why) => {
                        let why = format!("{}: {why}", meta.id);
                        return self.hold_legacy(
                            run,
                            &source,
                            held,
                            &draft,
                            &text,
                            vec![main],
                            Pending::Failed,
                            why,
                        );
                    }
                }
                let harvested = Harvested {
                    oparl_fields: given.iter().map(|f| f.key.to_string()).collect(),
                    ..source.clone()
                };
                let created = match &held {
                    Some(_) => self.structure(paper, originals, Some(harvested)).map(Some),
                    None => self.create_from(
                        paper,
                        Origin::Legacy {
                            originals,
                            harvested: Some(harvested),
                        },
                    ),
                };
                match created {
                    Ok(Some(created)) => {
                        run.report.fields_from_oparl += given.len();
                        run.report.fields_from_text += from_text.len();
                        run.report.new.push(created.reference);
                        self.keep_index_in_step();
                        return Ok(());
                    }
                    Ok(None) => vec![format!(
                        "dieselbe Datei ist schon als {} archiviert",
                        self.archive
                            .original_of(&sha512_hex(&bytes))?
                            .unwrap_or_default()
                    )],
                    Err(PublishError::Archive(
                        e @ (ArchiveError::ReferenceExists(_)
                        | ArchiveError::NumberTaken { .. }
                        | ArchiveError::UnknownParent(_)),
                    )) => vec![e.to_string()],
                    // This paper cannot be rendered: it fails, the others go on (a signing
                    // or storage failure concerns every paper: it ends the run).
                    Err(e @ PublishError::Render(_)) => {
                        return self.record_failure(run, &source, &e.to_string());
                    }
                    Err(e) => return Err(e),
                }
            }
            Err(doubts) => doubts,
        };
        let mut why = format!("{}: {}", meta.id, doubts.join("; "));
        if let Some(dir) = &run.options.review {
            match write_review(dir, &name, &bytes, &draft) {
                Ok(path) => why = format!("{why} (Entwurf: {})", path.display()),
                Err(e) => why = format!("{why} ({e})"),
            }
        }
        self.hold_legacy(
            run,
            &source,
            held,
            &draft,
            &text,
            vec![main],
            Pending::Review,
            why,
        )
    }

    /// A Paper that cannot be archived as a structured paper now (in doubt, or its files
    /// failed): archived meanwhile as a legacy paper not structured yet from what is known of
    /// it for certain, or its existing one completed; recorded as pending either way (in
    /// review, or failed: the next run fetches it again). Too little known for certain (no
    /// Drucksachennummer, Datum or Betreff): only the pending row.
    #[allow(clippy::too_many_arguments)]
    fn hold_legacy(
        &mut self,
        run: &mut Run<'_>,
        source: &Harvested,
        held: Option<String>,
        draft: &crate::legacy::Draft,
        text: &str,
        originals: Vec<Original>,
        state: Pending,
        why: String,
    ) -> Result<(), PublishError> {
        let pending = PendingHarvest {
            paper: Harvested {
                oparl_fields: draft
                    .fields()
                    .iter()
                    .filter(|f| draft.is_given(f.key))
                    .map(|f| f.key.to_string())
                    .collect(),
                ..source.clone()
            },
            state,
            reason: why.clone(),
        };
        let stored = match (draft.legacy_paper(text), &held) {
            // Nothing new to keep of a paper held already (its files failed again).
            (_, Some(_)) if originals.is_empty() => {
                self.archive.harvest_note(source, &why)?;
                Ok(None)
            }
            (Ok(legacy), Some(reference)) => self
                .archive
                .complete_legacy(reference, legacy, originals, Some(pending))
                .map(|()| Some(reference.clone())),
            (Ok(legacy), None) => self.archive.create_legacy(legacy, originals, Some(pending)),
            (Err(e), _) => Err(ArchiveError::Legacy(e)),
        };
        let why = match stored {
            Ok(Some(reference)) => {
                run.report.legacy.push(reference.clone());
                self.keep_index_in_step();
                format!("{why} (archiviert als {reference}, nicht strukturiert)")
            }
            Ok(None) => why,
            Err(
                e @ (ArchiveError::ReferenceExists(_)
                | ArchiveError::NumberTaken { .. }
                | ArchiveError::Legacy(_)
                | ArchiveError::LegacyNumber { .. }),
            ) => {
                let why = format!("{why} (nicht archiviert: {e})");
                self.archive.harvest_pending(source, state, &why)?;
                why
            }
            Err(e) => return Err(e.into()),
        };
        match state {
            Pending::Review => run.report.review.push(why),
            Pending::Failed => run.report.failed.push(why),
        }
        Ok(())
    }
}

/// `at` less `seconds`, as RFC 3339; `None` when `at` cannot be read.
fn earlier(at: &str, seconds: i64) -> Option<String> {
    let at = OffsetDateTime::parse(at, &Rfc3339).ok()?;
    (at - time::Duration::seconds(seconds))
        .format(&Rfc3339)
        .ok()
}

/// Two `modified` values name the same moment (written alike or not).
fn same_time(a: Option<&str>, b: Option<&str>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a == b || harvest::date_time(a) == harvest::date_time(b),
        (None, None) => true,
        _ => false,
    }
}

/// The name of a harvested paper's draft and copy in the review folder: its reference (or
/// the end of its id) as a file name, so two papers' `vorlage.pdf` do not meet there.
fn review_name(meta: &PaperMeta) -> String {
    let base = meta
        .reference
        .clone()
        .unwrap_or_else(|| meta.id.rsplit('/').next().unwrap_or("papier").to_string());
    let safe: String = base
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!("{}.pdf", safe.trim_matches('-'))
}
