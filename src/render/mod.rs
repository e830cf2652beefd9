//! Rendering a paper to PDF/A-2b with Typst: one shared [`Renderer`] (fonts, parsed templates,
//! standard library) and one small `World` per job, so threads render in parallel.

mod fonts;
mod templates;
mod view;
pub mod words;
mod world;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use typst::diag::{Severity, SourceDiagnostic};
use typst::foundations::{Bytes, Datetime, Smart};
use typst::model::DocumentInfo;
use typst::syntax::FileId;
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Feature, Library, LibraryExt, World, WorldExt};
use typst_layout::PagedDocument;
use typst_pdf::{PdfOptions, PdfStandard, PdfStandards, Timestamp};

use crate::model::Paper;
use templates::TemplateSet;
use view::{HeaderView, TemplateData};
use world::{JobWorld, PAPER_JSON};

/// When to drop old entries from Typst's memoization cache (comemo), which otherwise grows
/// with every distinct paper: every `every` renders, entries unused during the last `max_age`
/// evictions go. The default was chosen with `cargo bench --bench render` (see README).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Eviction {
    pub every: usize,
    pub max_age: usize,
}

impl Default for Eviction {
    fn default() -> Self {
        Eviction {
            every: 4,
            max_age: 1,
        }
    }
}

/// Stack of each render thread (and of any thread that calls [`Renderer::render`] directly,
/// like the service's writer). Typst lays out recursively, and it lays out page runs in
/// parallel on rayon's global pool; Rust's default 2 MiB thread stack is not enough for that.
pub const RENDER_THREAD_STACK: usize = 16 * 1024 * 1024;

/// Why a paper could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// Only drafts are rendered without a Drucksachennummer.
    #[error("drucksachennummer: is required for a final rendering; add it, or render with --draft")]
    MissingReference,
    #[error("template error:\n{}", .0.join("\n"))]
    Template(Vec<String>),
    #[error("cannot read template file {path}: {source}")]
    TemplateIo {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("template file {path} is larger than 8 MiB")]
    TemplateTooLarge { path: PathBuf },
    #[error("no template for {kind}: expected {kind}.typ in the template set")]
    NoTemplate { kind: String },
    #[error("cannot read the coat of arms {path}: {source}")]
    CoatOfArms {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The letterhead (Briefkopf), from the archive's configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Letterhead {
    /// e.g. "Stadt Hagen"; printed in capitals.
    pub municipality: String,
    /// Head of administration, e.g. "Der Oberbürgermeister".
    pub head: String,
    /// An image file (SVG, PNG, JPEG) with the coat of arms (Wappen).
    pub coat_of_arms: Option<PathBuf>,
    /// "Gesehen:" signature fields of the Verfügung, e.g. "Stadtkämmerer".
    pub seen_by: Vec<String>,
}

/// How to render one paper.
#[derive(Debug, Clone, Default)]
pub struct RenderOptions {
    /// Entwurf: marked ENTWURF on every page; needs no Drucksachennummer.
    pub draft: bool,
}

/// Length-prefixed parts, so that no two different template sets hash alike.
fn template_digest(
    templates: &TemplateSet,
    letterhead: &Letterhead,
    coat_of_arms: Option<&(FileId, Bytes)>,
) -> String {
    use sha2::{Digest, Sha512};
    let mut hasher = Sha512::new();
    let mut part = |bytes: &[u8]| {
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(bytes);
    };
    part(b"drucksache template set 1");
    for (name, bytes) in templates.files_in_order() {
        part(name.as_bytes());
        part(bytes);
    }
    part(letterhead.municipality.as_bytes());
    part(letterhead.head.as_bytes());
    for seen in &letterhead.seen_by {
        part(seen.as_bytes());
    }
    if let Some((_, bytes)) = coat_of_arms {
        part(bytes.as_slice());
    }
    hex::encode(hasher.finalize())
}

/// The shared render engine. Build it once; call [`Renderer::render`] from any thread.
pub struct Renderer {
    library: LazyHash<Library>,
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
    templates: TemplateSet,
    letterhead: Letterhead,
    coat_of_arms: Option<(FileId, Bytes)>,
    renders: AtomicUsize,
    /// `None` never evicts (for measurements only).
    eviction: Option<Eviction>,
    /// SHA-512 over templates, coat of arms and letterhead: recorded with every rendition.
    template_sha512: String,
}

impl Renderer {
    /// Loads fonts and templates (the embedded ones, overridden by `template_dir`) and builds
    /// Typst's standard library.
    pub fn new(
        letterhead: Letterhead,
        template_dir: Option<&Path>,
    ) -> Result<Renderer, RenderError> {
        // Typst's internal parallel layout runs on rayon's global pool: give it big stacks.
        // This fails harmlessly when the pool was already started (then its settings stay).
        let _ = rayon::ThreadPoolBuilder::new()
            .stack_size(RENDER_THREAD_STACK)
            .build_global();
        let fonts = fonts::embedded();
        let templates = TemplateSet::load(template_dir)?;
        let coat_of_arms = match &letterhead.coat_of_arms {
            None => None,
            Some(path) => {
                let bytes = std::fs::read(path).map_err(|source| RenderError::CoatOfArms {
                    path: path.clone(),
                    source,
                })?;
                let ext = path
                    .extension()
                    .and_then(|e| e.to_str())
                    .unwrap_or("png")
                    .to_ascii_lowercase();
                Some((
                    templates::file_id(&format!("wappen.{ext}")),
                    Bytes::new(bytes),
                ))
            }
        };
        let template_sha512 = template_digest(&templates, &letterhead, coat_of_arms.as_ref());
        Ok(Renderer {
            template_sha512,
            library: LazyHash::new(library()),
            book: LazyHash::new(FontBook::from_fonts(&fonts)),
            fonts,
            templates,
            letterhead,
            coat_of_arms,
            renders: AtomicUsize::new(0),
            eviction: Some(Eviction::default()),
        })
    }

    /// The SHA-512 (hex) of everything besides the paper and the program that shapes the PDF:
    /// the template files in effect, the coat of arms and the letterhead settings.
    pub fn template_sha512(&self) -> &str {
        &self.template_sha512
    }

    /// Changes the cache eviction policy; `None` keeps everything (memory grows).
    pub fn set_eviction(&mut self, eviction: Option<Eviction>) {
        self.eviction = eviction;
    }

    /// Renders many papers on all cores; results in input order.
    pub fn render_all(
        &self,
        papers: &[Paper],
        options: &RenderOptions,
    ) -> Vec<Result<Vec<u8>, RenderError>> {
        let mut results: Vec<_> = (0..papers.len()).map(|_| None).collect();
        let done = std::sync::Mutex::new(&mut results);
        self.for_each_parallel(papers.len(), |i| {
            let pdf = self.render(&papers[i], options);
            done.lock().expect("no render panicked")[i] = Some(pdf);
        });
        results
            .into_iter()
            .map(|r| r.expect("every paper was rendered"))
            .collect()
    }

    /// Calls `job(i)` for every `i < count` on one thread per core, each with a stack large
    /// enough for Typst.
    ///
    /// Each thread is the only worker of its own rayon pool, so the parallel work Typst and
    /// krilla hand to rayon (page runs, PDF streams) runs on the same thread, in place: one
    /// paper per core, no hand-overs between threads, and no nesting of one paper's render
    /// inside another's wait (which a shared pool does: a worker waiting inside Typst steals
    /// the next paper, until the stack overflows).
    pub fn for_each_parallel(&self, count: usize, job: impl Fn(usize) + Sync) {
        self.for_each_parallel_on(0, count, job)
    }

    /// [`Renderer::for_each_parallel`] on `threads` threads (0: one per core).
    pub fn for_each_parallel_on(&self, threads: usize, count: usize, job: impl Fn(usize) + Sync) {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let threads = if threads == 0 { cores } else { threads }.min(count.max(1));
        let next = AtomicUsize::new(0);
        let work = || {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= count {
                    break;
                }
                job(i);
            }
        };
        let pools: Vec<rayon::ThreadPool> = (0..threads)
            .map(|t| {
                rayon::ThreadPoolBuilder::new()
                    .num_threads(1)
                    .stack_size(RENDER_THREAD_STACK)
                    .thread_name(move |_| format!("render-{t}"))
                    .build()
                    .expect("render thread starts")
            })
            .collect();
        std::thread::scope(|scope| {
            for pool in &pools {
                scope.spawn(|| pool.install(work));
            }
        });
    }

    /// Renders a validated paper to PDF/A-2b bytes. Deterministic: the same paper, templates
    /// and program version give the same bytes.
    pub fn render(&self, paper: &Paper, options: &RenderOptions) -> Result<Vec<u8>, RenderError> {
        if paper.reference.is_none() && !options.draft {
            return Err(RenderError::MissingReference);
        }
        let coat_path = self
            .coat_of_arms
            .as_ref()
            .map(|(id, _)| id.get().vpath().get_with_slash().to_string());
        let data = TemplateData::new(paper, &self.letterhead, coat_path, options);
        let json = serde_json::to_vec(&data).expect("template data serializes");
        let header = serde_json::to_vec(&HeaderView::new(paper)).expect("header serializes");
        let main = self.templates.main_for(paper.kind.key());
        if self.templates.source(main).is_none() {
            return Err(RenderError::NoTemplate {
                kind: paper.kind.key().into(),
            });
        }
        let world = JobWorld {
            engine: self,
            main,
            data: Bytes::new(json),
            header: Bytes::new(header),
        };

        let result = typst::compile::<PagedDocument>(&world).output;
        let pdf = result.and_then(|mut document| {
            self.describe_document(document.info_mut(), paper);
            typst_pdf::pdf(&document, &pdf_options(paper, options))
        });
        self.evict_now_and_then();
        pdf.map_err(|diagnostics| RenderError::Template(self.describe(&world, &diagnostics)))
    }

    /// The PDF's metadata: title = Betreff, author = Gemeinde, keywords = number (ENTWURF
    /// without one), kind and department, date = the paper's date. Set here, not by a
    /// `set document` rule in the template, which would make every paragraph's styles differ
    /// from paper to paper and so defeat Typst's reuse of layouts between papers.
    fn describe_document(&self, info: &mut DocumentInfo, paper: &Paper) {
        let number = paper.reference.as_deref().unwrap_or("ENTWURF");
        info.title = Some(paper.subject.as_str().into());
        info.author = vec![self.letterhead.municipality.as_str().into()];
        info.keywords = vec![
            number.into(),
            paper.kind.label().into(),
            paper.department.name.as_str().into(),
        ];
        info.date = Smart::Custom(Some(paper_date(paper)));
    }

    fn evict_now_and_then(&self) {
        let done = self.renders.fetch_add(1, Ordering::Relaxed) + 1;
        if let Some(Eviction { every, max_age }) = self.eviction
            && done.is_multiple_of(every.max(1))
        {
            typst::comemo::evict(max_age);
        }
    }

    /// `templates/layout.typ:12:5: unknown variable: foo` plus Typst's hints.
    fn describe(&self, world: &JobWorld<'_>, diagnostics: &[SourceDiagnostic]) -> Vec<String> {
        let mut lines = Vec::new();
        for diag in diagnostics.iter().filter(|d| d.severity == Severity::Error) {
            let location = diag.span.id().map(|id| {
                let file = self
                    .templates
                    .origin(id)
                    .map(str::to_string)
                    .unwrap_or_else(|| {
                        if id == *PAPER_JSON {
                            "paper data".into()
                        } else {
                            id.get().vpath().get_with_slash().to_string()
                        }
                    });
                let position = world
                    .range(diag.span)
                    .zip(world.source(id).ok())
                    .and_then(|(range, source)| source.lines().byte_to_line_column(range.start));
                match position {
                    Some((line, column)) => format!("{file}:{}:{}", line + 1, column + 1),
                    None => file,
                }
            });
            lines.push(format!(
                "{}: error: {}",
                location.unwrap_or_else(|| "template".into()),
                diag.message
            ));
            for hint in &diag.hints {
                lines.push(format!("  hint: {}", hint.v));
            }
        }
        lines
    }
}

/// PDF/A-2a and PDF/UA-1 (accessible: tagged, and checked by Typst while exporting), with a
/// document id derived from the Drucksachennummer and the paper's
/// date as creation date, so that nothing in the file depends on the clock.
fn pdf_options(paper: &Paper, options: &RenderOptions) -> PdfOptions {
    let ident = match (&paper.reference, options.draft) {
        (Some(reference), false) => format!("drucksache:{reference}"),
        (Some(reference), true) => format!("drucksache-entwurf:{reference}"),
        (None, _) => format!("drucksache-entwurf:{}:{}", paper.date, paper.subject),
    };
    let date = paper_date(paper);
    PdfOptions {
        ident: Smart::Custom(ident),
        creator: Smart::Custom(Some(format!("drucksache {}", env!("CARGO_PKG_VERSION")))),
        timestamp: Some(Timestamp::new_utc(date)),
        standards: PdfStandards::new(&[PdfStandard::A_2a, PdfStandard::Ua_1])
            .expect("PDF/A-2a and PDF/UA-1 go together"),
        tagged: true,
        ..PdfOptions::default()
    }
}

/// Typst's standard library with the accessibility extras: `pdf.header-cell` marks the row
/// headers of the letterhead, the header block and the Beratungsfolge.
fn library() -> Library {
    Library::builder()
        .with_features([Feature::A11yExtras].into_iter().collect())
        .build()
}

fn paper_date(paper: &Paper) -> Datetime {
    Datetime::from_ymd(paper.date.year(), paper.date.month(), paper.date.day())
        .expect("validated date")
}
