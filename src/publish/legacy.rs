//! Importing legacy papers (Altbestand): a text dump or a PDF of an older system's Vorlage
//! (its text extracted by `super::extract`) is split into a record (`crate::legacy`); a record read without doubt is validated and archived
//! with its own Drucksachennummer, its original file stored unchanged beside the rendering
//! made with the current templates; any other goes to the review folder as a TOML draft
//! (with a copy of the original), from where `accept` archives it once a clerk has checked it.

use std::path::{Path, PathBuf};

use super::extract::{ExtractError, pdf_text};
use super::{PublishError, Publisher};
use crate::archive::{ArchiveError, Created, Harvested, Origin, Original, sha512_hex};
use crate::legacy::{Draft, readable, split};
use crate::model::{
    InputError, LegacyPaper, MAX_INPUT_BYTES, Paper, SourceText, clean_text, limits,
};

/// What happened to one legacy file.
#[derive(Debug)]
pub enum LegacyOutcome {
    /// Archived as this Drucksachennummer.
    Imported(String),
    /// This file was imported before, as this Drucksachennummer.
    AlreadyImported(String),
    /// Written to the review folder as this draft, for these reasons (field: why), and
    /// archived meanwhile as a legacy paper not structured yet under this Drucksachennummer
    /// (`Err`: why it could not be: what is known of it for certain is not enough).
    ToReview {
        draft: PathBuf,
        doubts: Vec<String>,
        legacy: Result<String, String>,
    },
    /// A reviewed draft made the legacy paper of this Drucksachennummer (archived "nicht
    /// strukturiert" before) a structured paper.
    Structured(String),
    /// A reviewed draft that is no valid record yet archived (or completed) its paper as
    /// "nicht strukturiert" under this Drucksachennummer; `problems`: why it is no record.
    Unstructured { reference: String, problems: String },
    /// Not imported, and why (nothing was written).
    Refused(String),
}

/// Why a legacy file cannot be read at all.
#[derive(Debug, thiserror::Error)]
pub enum LegacyError {
    #[error("{path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: the file has more than {limit} bytes")]
    TooLarge { path: String, limit: u64 },
    #[error(
        "{path}: byte {offset} is not UTF-8 (legacy text must be UTF-8: convert it first, e.g. iconv -f windows-1252 -t utf-8)"
    )]
    NotUtf8 { path: String, offset: usize },
    #[error("{path}: only text dumps (.txt, UTF-8) and PDFs (.pdf) can be imported")]
    Unsupported { path: String },
    #[error("{path}: {source}")]
    Extract { path: String, source: ExtractError },
    #[error("{path}: cannot write the review draft: {source}")]
    Review {
        path: String,
        source: std::io::Error,
    },
}

impl Publisher {
    /// Imports one legacy text file (see the module comment). Drafts go to `review`; without
    /// one, a draft in doubt is refused and nothing is written.
    pub fn import_legacy(
        &mut self,
        file: &Path,
        review: Option<&Path>,
    ) -> Result<LegacyOutcome, PublishError> {
        let (name, bytes, text) = match read_original(file) {
            Ok(read) => read,
            Err(e) => return Ok(LegacyOutcome::Refused(e.to_string())),
        };
        let mut draft = split(&text);
        let mut doubts: Vec<String> = draft
            .doubts()
            .map(|f| format!("{}: {}", f.key, f.doubt.as_deref().unwrap_or_default()))
            .collect();
        if doubts.is_empty() {
            match checked_paper(&draft, &name) {
                Ok(paper) => return self.archive_legacy(paper, &name, bytes),
                Err(problems) => {
                    for (path, why) in &problems {
                        draft.add_doubt(path, why);
                    }
                    doubts = problems
                        .into_iter()
                        .map(|(path, why)| format!("{path}: {why}"))
                        .collect();
                }
            }
        }
        let Some(review) = review else {
            return Ok(LegacyOutcome::Refused(format!(
                "{name}: not certain enough to archive ({}); give --review DIR to write a draft for review",
                doubts.join("; ")
            )));
        };
        let draft_path = match write_review(review, &name, &bytes, &draft) {
            Ok(path) => path,
            Err(e) => return Ok(LegacyOutcome::Refused(e.to_string())),
        };
        let legacy = match draft.legacy_paper(&text) {
            Ok(legacy) => self.archive_unstructured(legacy, &name, bytes)?,
            Err(e) => Err(format!("{name}: not archived until it is reviewed: {e}")),
        };
        Ok(LegacyOutcome::ToReview {
            draft: draft_path,
            doubts,
            legacy,
        })
    }

    /// Archives a legacy paper not structured yet with its original; `Err` says why not
    /// (its number is taken, …), in words for the report.
    fn archive_unstructured(
        &mut self,
        legacy: LegacyPaper,
        name: &str,
        bytes: Vec<u8>,
    ) -> Result<Result<String, String>, PublishError> {
        let reference = legacy.reference.clone();
        let sha512 = sha512_hex(&bytes);
        let original = original(name, bytes);
        let outcome = match self.archive.create_legacy(legacy, vec![original], None) {
            Ok(Some(reference)) => Ok(reference),
            Ok(None) => Ok(self.archive.original_of(&sha512)?.unwrap_or(reference)),
            Err(
                e @ (ArchiveError::ReferenceExists(_)
                | ArchiveError::NumberTaken { .. }
                | ArchiveError::Legacy(_)),
            ) => Err(format!("{name}: not archived until it is reviewed: {e}")),
            Err(e) => return Err(e.into()),
        };
        self.keep_index_in_step();
        Ok(outcome)
    }

    /// Makes the legacy paper numbered like `paper` (archived "nicht strukturiert") a
    /// structured paper with its first rendition ([`crate::archive::Archive::structure`]),
    /// then indexes it.
    pub(super) fn structure(
        &mut self,
        paper: Paper,
        originals: Vec<Original>,
        harvested: Option<Harvested>,
    ) -> Result<Created, PublishError> {
        let (archive, producer) = self.archive_and_producer()?;
        let created = archive.structure(paper, originals, harvested, |p| producer.one(p))?;
        self.keep_index_in_step();
        Ok(created)
    }

    /// True when `reference` is a legacy paper not structured yet.
    pub(super) fn is_unstructured(&self, reference: &str) -> Result<bool, PublishError> {
        match self.archive.show(reference) {
            Ok(details) => Ok(!details.summary.structured),
            Err(ArchiveError::NotFound(_)) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Archives the reviewed drafts in `dir` (`<name>.toml`, each beside the copy of its
    /// original that `import_legacy` wrote), one outcome per draft, oldest name first.
    pub fn accept_reviewed(
        &mut self,
        dir: &Path,
    ) -> Result<Vec<(PathBuf, LegacyOutcome)>, PublishError> {
        let mut drafts: Vec<PathBuf> = match std::fs::read_dir(dir) {
            Ok(entries) => entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "toml"))
                .collect(),
            Err(e) => {
                return Ok(vec![(
                    dir.to_path_buf(),
                    LegacyOutcome::Refused(format!("{}: {e}", dir.display())),
                )]);
            }
        };
        drafts.sort();
        let mut out = Vec::new();
        for draft in drafts {
            let outcome = self.accept_one(&draft)?;
            out.push((draft, outcome));
        }
        Ok(out)
    }

    fn accept_one(&mut self, draft: &Path) -> Result<LegacyOutcome, PublishError> {
        let paper = match Paper::load(draft) {
            Ok(paper) => paper,
            Err(e @ InputError::Invalid { .. }) => return self.accept_unstructured(draft, e),
            Err(e) => return Ok(LegacyOutcome::Refused(e.to_string())),
        };
        if paper.reference.is_none() {
            return Ok(LegacyOutcome::Refused(format!(
                "{}: drucksachennummer: a legacy paper keeps the number it was issued with; fill it in",
                draft.display()
            )));
        }
        let original = match original_beside(draft) {
            Ok(original) => original,
            Err(why) => return Ok(LegacyOutcome::Refused(why)),
        };
        let (name, bytes, _) = match read_original(&original) {
            Ok(read) => read,
            Err(e) => return Ok(LegacyOutcome::Refused(e.to_string())),
        };
        let reference = paper.reference.clone().unwrap_or_default();
        if self.is_unstructured(&reference)? {
            return match self.structure(paper, vec![self::original(&name, bytes)], None) {
                Ok(created) => Ok(LegacyOutcome::Structured(created.reference)),
                Err(PublishError::Archive(e @ ArchiveError::ReferenceExists(_))) => {
                    Ok(LegacyOutcome::Refused(format!("{name}: {e}")))
                }
                Err(e) => Err(e),
            };
        }
        self.archive_legacy(paper, &name, bytes)
    }

    /// A reviewed draft that is no valid record (a scan whose text a clerk has not typed in):
    /// with its Drucksachennummer, Datum and Betreff it archives the paper "nicht
    /// strukturiert" (or completes the one archived so) with the original beside it; the
    /// draft stays for a later accept. Without them it is refused with the record's problems.
    fn accept_unstructured(
        &mut self,
        draft: &Path,
        invalid: InputError,
    ) -> Result<LegacyOutcome, PublishError> {
        let record = match SourceText::read(draft).and_then(|source| source.parse_value()) {
            Ok(record) => record,
            Err(e) => return Ok(LegacyOutcome::Refused(e.to_string())),
        };
        let Ok(legacy) = Draft::reviewed(&record).legacy_paper("") else {
            return Ok(LegacyOutcome::Refused(invalid.to_string()));
        };
        let original = match original_beside(draft) {
            Ok(original) => original,
            Err(why) => return Ok(LegacyOutcome::Refused(why)),
        };
        let (name, bytes, text) = match read_original(&original) {
            Ok(read) => read,
            Err(e) => return Ok(LegacyOutcome::Refused(e.to_string())),
        };
        let legacy = LegacyPaper {
            text: clean_text(&readable(&text)),
            ..legacy
        };
        let reference = legacy.reference.clone();
        let stored = if self.is_unstructured(&reference)? {
            self.archive
                .complete_legacy(&reference, legacy, vec![self::original(&name, bytes)], None)
                .map(|()| Ok(reference.clone()))
                .map_err(PublishError::from)
        } else {
            self.archive_unstructured(legacy, &name, bytes)
        };
        self.keep_index_in_step();
        Ok(match stored? {
            Ok(reference) => LegacyOutcome::Unstructured {
                reference,
                problems: invalid.to_string(),
            },
            Err(why) => LegacyOutcome::Refused(why),
        })
    }

    fn archive_legacy(
        &mut self,
        paper: Paper,
        name: &str,
        bytes: Vec<u8>,
    ) -> Result<LegacyOutcome, PublishError> {
        let sha512 = sha512_hex(&bytes);
        let reference = paper.reference.clone().unwrap_or_default();
        let origin = Origin::Legacy {
            originals: vec![original(name, bytes)],
            harvested: None,
        };
        let outcome = match self.create_from(paper, origin) {
            Ok(Some(created)) => LegacyOutcome::Imported(created.reference),
            Ok(None) => LegacyOutcome::AlreadyImported(
                self.archive.original_of(&sha512)?.unwrap_or(reference),
            ),
            Err(PublishError::Archive(
                e @ (ArchiveError::ReferenceExists(_)
                | ArchiveError::NumberTaken { .. }
                | ArchiveError::UnknownParent(_)),
            )) => LegacyOutcome::Refused(format!("{name}: {e}")),
            Err(e) => return Err(e),
        };
        self.keep_index_in_step();
        Ok(outcome)
    }
}

/// The file's name (no folders), bytes and text: a text dump as it is, a PDF's text as
/// extracted.
fn read_original(file: &Path) -> Result<(String, Vec<u8>, String), LegacyError> {
    let path = file.display().to_string();
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.clone());
    let pdf = is_pdf_name(&name);
    if !pdf && !has_extension(&name, "txt") {
        return Err(LegacyError::Unsupported { path });
    }
    let size = std::fs::metadata(file)
        .map_err(|source| LegacyError::Read {
            path: path.clone(),
            source,
        })?
        .len();
    let limit = if pdf {
        limits::ORIGINAL_PDF_BYTES
    } else {
        MAX_INPUT_BYTES
    };
    if size > limit {
        return Err(LegacyError::TooLarge { path, limit });
    }
    let bytes = std::fs::read(file).map_err(|source| LegacyError::Read {
        path: path.clone(),
        source,
    })?;
    if pdf {
        return match pdf_text(file, &bytes) {
            Ok(text) => Ok((name, bytes, text)),
            Err(source) => Err(LegacyError::Extract { path, source }),
        };
    }
    let text = match std::str::from_utf8(&bytes) {
        Ok(text) => text.to_string(),
        Err(e) => {
            return Err(LegacyError::NotUtf8 {
                path,
                offset: e.valid_up_to(),
            });
        }
    };
    Ok((name, bytes, text))
}

/// A legacy file as an original to store: its name, its media type by its extension, its bytes.
fn original(name: &str, bytes: Vec<u8>) -> Original {
    let media_type = if is_pdf_name(name) {
        "application/pdf"
    } else {
        "text/plain; charset=utf-8"
    };
    Original {
        file_name: name.to_string(),
        media_type: media_type.into(),
        bytes,
    }
}

/// The kinds of original a legacy file may be, by the extension of its name.
const EXTENSIONS: [&str; 2] = ["txt", "pdf"];

fn has_extension(name: &str, extension: &str) -> bool {
    Path::new(name)
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case(extension))
}

fn is_pdf_name(name: &str) -> bool {
    has_extension(name, "pdf")
}

/// The draft as a paper that may be archived: valid, and with its own reference. Otherwise
/// the problems as (field path, message).
pub(super) fn checked_paper(draft: &Draft, name: &str) -> Result<Paper, Vec<(String, String)>> {
    match draft.paper(name) {
        Ok(paper) if paper.reference.is_some() => Ok(paper),
        Ok(_) => Err(vec![("drucksachennummer".into(), "not found".into())]),
        Err(InputError::Invalid { errors, .. }) => {
            Err(errors.into_iter().map(|e| (e.path, e.message)).collect())
        }
        Err(e) => Err(vec![(String::new(), e.to_string())]),
    }
}

/// Writes `<review>/<stem>.toml` and the copy `<review>/<name>`, each atomically. A draft of
/// the same original (the copy beside it has the same bytes) is left alone: the clerk may be
/// editing it. Another original of the same stem (`a.txt`, then `a.pdf`) gets `<stem>-2`,
/// `-3`, …, draft and copy alike.
pub(super) fn write_review(
    review: &Path,
    name: &str,
    bytes: &[u8],
    draft: &Draft,
) -> Result<PathBuf, LegacyError> {
    let err = |path: &Path| {
        let path = path.display().to_string();
        move |source| LegacyError::Review { path, source }
    };
    std::fs::create_dir_all(review).map_err(err(review))?;
    let named = Path::new(name);
    let stem = named
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| name.to_string());
    let extension = named
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy()))
        .unwrap_or_default();
    for n in 1..=MAX_SAME_STEM {
        let stem = if n == 1 {
            stem.clone()
        } else {
            format!("{stem}-{n}")
        };
        let toml_path = review.join(format!("{stem}.toml"));
        let copy_path = review.join(format!("{stem}{extension}"));
        if toml_path.exists() {
            if std::fs::read(&copy_path).is_ok_and(|copy| copy == bytes) {
                return Ok(toml_path);
            }
            continue;
        }
        let copy_name = copy_path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let text = draft.review_toml(&copy_name, &sha512_hex(bytes));
        write_new(&copy_path, bytes).map_err(err(&copy_path))?;
        write_new(&toml_path, text.as_bytes()).map_err(err(&toml_path))?;
        return Ok(toml_path);
    }
    Err(LegacyError::Review {
        path: review.join(format!("{stem}.toml")).display().to_string(),
        source: std::io::Error::other(format!(
            "{MAX_SAME_STEM} drafts of this name are waiting already: accept or remove some"
        )),
    })
}

/// The most drafts of one name (`a`, `a-2`, … `a-99`) in a review folder.
const MAX_SAME_STEM: usize = 99;

/// Writes a file through a temporary one beside it, renamed into place.
fn write_new(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    std::io::Write::write_all(&mut tmp, bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// The original's copy beside a draft: the same stem with `.txt` or `.pdf`, exactly one.
fn original_beside(draft: &Path) -> Result<PathBuf, String> {
    let copies: Vec<PathBuf> = EXTENSIONS
        .iter()
        .map(|e| draft.with_extension(e))
        .filter(|p| p.is_file())
        .collect();
    match copies.as_slice() {
        [copy] => Ok(copy.clone()),
        [] => Err(format!(
            "{}: the copy of the original (same name, .txt or .pdf) is missing beside the draft",
            draft.display()
        )),
        _ => Err(format!(
            "{}: two originals beside the draft ({}): remove the one that does not belong to it",
            draft.display(),
            copies
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}
