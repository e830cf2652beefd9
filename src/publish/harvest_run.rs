//! One harvest run's fetching (`drucksache harvest`, see `harvest.rs`): the client, the
//! addresses fetched already, the report; list pages, meetings, organizations and files,
//! each file checked, and the text of a PDF.

use std::collections::HashMap;

use serde_json::Value;

use super::extract::pdf_text;
use super::harvest::{HarvestError, HarvestOptions, HarvestReport};
use crate::archive::{Original, sha512_hex};
use crate::harvest::{self, Client, FetchError, FileMeta, PaperMeta, Ref, Step};

/// The most addresses (meetings, organizations, files) remembered during one run.
const MAX_CACHED: usize = 100_000;

/// One run: the client, what it fetched already, the report.
pub(super) struct Run<'a> {
    pub client: Client,
    pub options: &'a HarvestOptions,
    pub cache: HashMap<String, Option<Value>>,
    /// The Papers handled in this run (a failed one retried first may be in a list again).
    pub seen: std::collections::HashSet<String>,
    pub report: HarvestReport,
}

impl Run<'_> {
    /// GETs and parses a JSON answer.
    pub(super) fn json(&self, url: &str) -> Result<Value, HarvestError> {
        let answer = self.client.get(url)?;
        Ok(harvest::parse(url, &answer.body)?)
    }

    /// Every item of a list, following `next` (the body list).
    pub(super) fn whole_list(&self, url: &str) -> Result<Vec<Value>, HarvestError> {
        let mut items = Vec::new();
        let mut next = Some(url.to_string());
        let mut seen = std::collections::HashSet::new();
        while let Some(url) = next.take() {
            if !seen.insert(url.clone()) {
                break;
            }
            let page = harvest::page(&url, self.json(&url)?)?;
            items.extend(page.items);
            next = page.next;
        }
        Ok(items)
    }

    /// One page of a paper list. A 404 is an empty list (some systems answer a filter that
    /// matches nothing so); any other failure is the reason, for the report.
    pub(super) fn list_page(&self, url: &str) -> Result<harvest::Page, String> {
        match self.client.get(url) {
            Ok(answer) => harvest::parse(url, &answer.body)
                .and_then(|v| harvest::page(url, v))
                .map_err(|e| e.to_string()),
            Err(FetchError::Status { status: 404, .. }) => Ok(harvest::Page {
                items: Vec::new(),
                next: None,
            }),
            Err(e) => Err(e.to_string()),
        }
    }

    /// An embedded object as it is, an address fetched (once per run); `None` when it cannot
    /// be fetched.
    pub(super) fn resolve(&mut self, reference: &Ref) -> Option<Value> {
        match reference {
            Ref::Object(v) => Some(v.clone()),
            Ref::Url(url) => {
                if let Some(known) = self.cache.get(url) {
                    return known.clone();
                }
                let value = match self.json(url) {
                    Ok(v) => Some(v),
                    Err(e) => {
                        tracing::warn!("{e}");
                        None
                    }
                };
                if self.cache.len() < MAX_CACHED {
                    self.cache.insert(url.clone(), value.clone());
                }
                value
            }
        }
    }

    /// The Beratungsfolge as far as OParl says it: each consultation's meeting day and the
    /// organization (the consultation's, else the meeting's).
    pub(super) fn steps(&mut self, meta: &PaperMeta) -> Vec<Step> {
        let mut steps = Vec::new();
        for c in &meta.consultations {
            let meeting = c.meeting.as_ref().and_then(|m| self.resolve(m));
            let day = meeting
                .as_ref()
                .and_then(|m| harvest::text(m, "start"))
                .and_then(|s| harvest::day(&s));
            let mut organizations = c.organizations.clone();
            if organizations.is_empty()
                && let Some(m) = &meeting
            {
                organizations = harvest::many(m, "organization")
                    .into_iter()
                    .filter_map(Ref::of)
                    .collect();
            }
            let body = organizations
                .first()
                .and_then(|o| self.resolve(o))
                .and_then(|o| harvest::text(&o, "name"))
                .map(|n| harvest::clean_name(&n));
            steps.push(Step {
                day,
                body,
                authoritative: c.authoritative,
                role: c.role.clone(),
            });
        }
        steps
    }

    /// The Amt from `underDirectionOf`, when its organization names a number.
    pub(super) fn department(&mut self, meta: &PaperMeta) -> Option<Value> {
        let organization = self.resolve(meta.under_direction_of.first()?)?;
        let name = harvest::text(&organization, "name")?;
        harvest::department(&name, harvest::text(&organization, "shortName").as_deref())
    }

    /// The main file, downloaded and checked; the reason when there is none to take.
    pub(super) fn main_file(&mut self, meta: &PaperMeta) -> Result<(FileMeta, Vec<u8>), String> {
        let Some(reference) = &meta.main_file else {
            self.report.count_file_failure("keine Datei");
            return Err("the paper has no mainFile".into());
        };
        self.download(reference, "mainFile")
    }

    /// The auxiliary files (Anlagen), downloaded and checked, as originals after the main
    /// file (`main`: its bytes; a file with the same bytes as one before it is left out). One
    /// that cannot be taken fails the paper: it is tried again, whole, by the next run.
    pub(super) fn auxiliary_files(
        &mut self,
        meta: &PaperMeta,
        main: &[u8],
    ) -> Result<Vec<Original>, String> {
        let mut seen = vec![sha512_hex(main)];
        let mut originals = Vec::new();
        for reference in &meta.auxiliary_files {
            let (file, bytes) = self.download(reference, "auxiliaryFile")?;
            let sha512 = sha512_hex(&bytes);
            if seen.contains(&sha512) {
                continue;
            }
            seen.push(sha512);
            originals.push(Original {
                file_name: file.file_name,
                media_type: "application/pdf".into(),
                bytes,
            });
        }
        Ok(originals)
    }

    /// One file, downloaded and checked (`what` names it in the reason).
    pub(super) fn download(
        &mut self,
        reference: &Ref,
        what: &str,
    ) -> Result<(FileMeta, Vec<u8>), String> {
        let Some(file) = self.resolve(reference).as_ref().and_then(FileMeta::read) else {
            self.report.count_file_failure("Dateiangaben fehlen");
            return Err(format!("its {what} has no accessUrl"));
        };
        let answer = match self.client.get(&file.url) {
            Ok(answer) => answer,
            Err(e) => {
                self.report.count_file_failure(&e.reason());
                return Err(e.to_string());
            }
        };
        if let Err(problem) = harvest::check_file(&file, &answer.media_type, &answer.body) {
            self.report.count_file_failure(problem.reason());
            return Err(format!("{}: {problem}", file.url));
        }
        self.report.files_downloaded += 1;
        Ok((file, answer.body))
    }
}

/// The text of a downloaded PDF (pdftotext reads it from a temporary file).
pub(super) fn extract(bytes: &[u8]) -> Result<String, String> {
    let mut tmp = tempfile::NamedTempFile::new().map_err(|e| e.to_string())?;
    std::io::Write::write_all(&mut tmp, bytes).map_err(|e| e.to_string())?;
    pdf_text(tmp.path(), bytes).map_err(|e| e.to_string())
}
