//! The words a PDF shows, without the artifacts of pages 2 and later (the repeated page
//! header): what the re-rendering content check compares between two renditions of the same
//! paper.
//!
//! Every page's content stream is walked as a viewer draws it: the graphics state (`q`/`Q`,
//! `cm`), the text state (`Tf`, `Tm`, `Td`, …) and marked content (`BDC`/`BMC` … `EMC`).
//! Text inside `/Artifact` is skipped from page 2 on (page 1's header names the
//! Drucksachennummer and the date, which a re-rendering must keep); a span with `/ActualText` contributes that text instead
//! of its glyphs. A word ends at whitespace in the decoded text, at a `TJ` gap wider than a
//! quarter em, and where a text run does not start where the previous one ended (Typst writes
//! every run in its own `BT` … `ET`, placed by `cm`, so runs of one word — a bold part, a
//! fallback font — follow each other exactly, and a new line or column starts elsewhere).
//!
//! The words are then made independent of the layout: a word ending in a hyphen or another
//! character a line may break after (`-`, `‐`, `–`, `—`, `/`, a soft hyphen) is joined with
//! the next one, soft hyphens are removed, and every character of a script written without
//! spaces (CJK, Hangul, Thai) is a word of its own.

mod content;
mod font;
mod lexer;
mod unpack;

use hayro_syntax::{LoadPdfError, Pdf};

/// At most this many bytes of content streams are unpacked for one PDF, pages and forms
/// together (a typical paper has well under 1 MiB).
const MAX_CONTENT: usize = 64 * 1024 * 1024;
const SOFT_HYPHEN: char = '\u{AD}';

/// The text of a PDF as the content check compares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PdfWords {
    /// The number of pages.
    pub pages: usize,
    /// The words of every page in order, artifacts (page headers) left out.
    pub words: Vec<String>,
}

/// Why the words of a PDF could not be read.
#[derive(Debug, thiserror::Error)]
pub enum WordsError {
    #[error("the file is not a PDF (it does not start with %PDF-)")]
    NotPdf,
    #[error(
        "the PDF is truncated (it does not end with %%EOF): copy it again or render the paper again"
    )]
    Truncated,
    #[error(
        "the PDF cannot be read: {0}; the file is damaged: render the paper again or restore the file from a backup"
    )]
    Unreadable(String),
    #[error(
        "page {page} of the PDF cannot be read: {reason}; the file is damaged: render the paper again or restore the file from a backup"
    )]
    Page { page: usize, reason: String },
    #[error(
        "the pages of the PDF hold more than 64 MiB of content: it is no paper rendered by drucksache"
    )]
    TooLarge,
}

/// Where two word lists first differ, beyond layout.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WordDifference {
    /// index of the first differing word (in `old`)
    pub at: usize,
    /// a few words of the old text from there (up to 8, joined by spaces; "" at the end)
    pub old: String,
    /// the same for the new text
    pub new: String,
}

impl PdfWords {
    /// The SHA-256 (hex) of the words, one per line: what the archive records of a rendition
    /// so that a later re-rendering with the same words needs not read the stored PDF.
    pub fn digest(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut hasher = Sha256::new();
        for word in &self.words {
            hasher.update(word.as_bytes());
            hasher.update(b"\n");
        }
        hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// Reads `pdf` (unsigned or signed) and returns its page count and the words of every page in
/// order, artifacts (page headers/footers) left out.
pub fn pdf_words(pdf: &[u8]) -> Result<PdfWords, WordsError> {
    document_words(&load(pdf)?)
}

/// [`pdf_words`] of a PDF the caller has read already (re-rendering reads a new PDF once,
/// for signing and for its words). The content streams are unpacked within the same 64 MiB.
pub fn document_words(pdf: &Pdf) -> Result<PdfWords, WordsError> {
    words_of(pdf, content::Skip::LaterArtifacts)
}

/// The words of a tagged PDF that are content, every artifact (page 1's too) left out: what
/// assistive technology reads out. Joined like [`pdf_words`].
pub fn tagged_words(pdf: &[u8]) -> Result<PdfWords, WordsError> {
    words_of(&load(pdf)?, content::Skip::AllArtifacts)
}

fn words_of(pdf: &Pdf, skip: content::Skip) -> Result<PdfWords, WordsError> {
    let (pages, words) = content::walk(pdf, skip)?;
    Ok(PdfWords {
        pages,
        words: words.finish(),
    })
}

/// Just the number of pages (cheap; for listing renditions).
pub fn page_count(pdf: &[u8]) -> Result<usize, WordsError> {
    match load(pdf)?.pages().len() {
        0 => Err(WordsError::Unreadable("it has no pages".into())),
        n => Ok(n),
    }
}

/// `None` when `old` and `new` say the same words.
pub fn first_difference(old: &[String], new: &[String]) -> Option<WordDifference> {
    let at = old.iter().zip(new).take_while(|(a, b)| a == b).count();
    if at == old.len() && at == new.len() {
        return None;
    }
    let few = |words: &[String]| {
        words
            .iter()
            .skip(at)
            .take(8)
            .cloned()
            .collect::<Vec<_>>()
            .join(" ")
    };
    Some(WordDifference {
        at,
        old: few(old),
        new: few(new),
    })
}

fn check_ends(pdf: &[u8]) -> Result<(), WordsError> {
    if !pdf.starts_with(b"%PDF-") {
        return Err(WordsError::NotPdf);
    }
    let end = pdf
        .iter()
        .rposition(|b| !b.is_ascii_whitespace() && *b != 0)
        .map_or(0, |i| i + 1);
    if !pdf[..end].ends_with(b"%%EOF") {
        return Err(WordsError::Truncated);
    }
    Ok(())
}

/// Reads `pdf` lazily: the cross-reference table, the catalog and the page tree (hayro-syntax,
/// which rebuilds a damaged cross-reference table as viewers do).
fn load(pdf: &[u8]) -> Result<Pdf, WordsError> {
    check_ends(pdf)?;
    Pdf::new(pdf.to_vec()).map_err(|e| match e {
        LoadPdfError::Decryption(_) => WordsError::Unreadable("it is encrypted".into()),
        LoadPdfError::Invalid => {
            WordsError::Unreadable("it has no readable catalog or page tree".into())
        }
    })
}

/// The words found so far, normalized as they come: see the module documentation.
#[derive(Default)]
struct Words {
    word: String,
    words: Vec<String>,
}

impl Words {
    fn text(&mut self, text: &str) {
        for c in text.chars() {
            if c.is_whitespace() {
                self.boundary();
            } else if unspaced(c) {
                self.boundary();
                self.word.push(c);
                self.boundary();
            } else {
                self.word.push(c);
            }
        }
    }

    /// Ends the word, unless it ends where a line may break inside a word.
    fn boundary(&mut self) {
        if !self
            .word
            .ends_with(['-', '\u{2010}', '\u{2013}', '\u{2014}', '/', SOFT_HYPHEN])
        {
            self.finish_word();
        }
    }

    fn finish_word(&mut self) {
        self.word.retain(|c| c != SOFT_HYPHEN);
        if !self.word.is_empty() {
            self.words.push(std::mem::take(&mut self.word));
        }
    }

    fn finish(mut self) -> Vec<String> {
        self.finish_word();
        self.words
    }
}

/// Characters of scripts written without spaces between words: a line may break between
/// any two, so each is a word of its own.
fn unspaced(c: char) -> bool {
    matches!(c as u32,
        0x0E00..=0x0E7F // Thai
        | 0x1100..=0x11FF // Hangul Jamo
        | 0x2E80..=0x9FFF // CJK radicals, punctuation, kana, ideographs
        | 0xA960..=0xA97F
        | 0xAC00..=0xD7FF // Hangul syllables
        | 0xF900..=0xFAFF
        | 0xFF00..=0xFFEF // full-width forms
        | 0x20000..=0x3FFFF)
}

#[cfg(test)]
mod tests {
    use lopdf::Document;
    use std::path::Path;
    use std::sync::OnceLock;

    use super::*;
    use crate::model::{Date, Paper};
    use crate::render::{Letterhead, RENDER_THREAD_STACK, RenderOptions, Renderer};

    fn renderer(template_dir: Option<&Path>) -> Renderer {
        let letterhead = Letterhead {
            municipality: "Stadt Hagen".into(),
            head: "Der Oberbürgermeister".into(),
            coat_of_arms: None,
            seen_by: vec!["Stadtkämmerer".into(), "Stadtsyndikus".into()],
        };
        Renderer::new(letterhead, template_dir).unwrap()
    }

    /// Renders on a thread with the stack Typst needs.
    fn render(renderer: &Renderer, paper: &Paper) -> Vec<u8> {
        std::thread::scope(|scope| {
            let job = || renderer.render(paper, &RenderOptions::default()).unwrap();
            let thread = std::thread::Builder::new().stack_size(RENDER_THREAD_STACK);
            thread.spawn_scoped(scope, job).unwrap().join().unwrap()
        })
    }

    fn seed() -> Paper {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        Paper::load(&root.join("archive/papers/2012/0310-2012.toml")).unwrap()
    }

    /// The seed paper rendered with the shipped templates (once for all tests).
    fn seed_pdf() -> &'static [u8] {
        static PDF: OnceLock<Vec<u8>> = OnceLock::new();
        PDF.get_or_init(|| render(&renderer(None), &seed()))
    }

    fn list(text: &str) -> Vec<String> {
        text.split_whitespace().map(String::from).collect()
    }

    /// Whether `words` hold the words of `phrase` one after the other.
    fn has(words: &[String], phrase: &str) -> bool {
        let phrase = list(phrase);
        words.windows(phrase.len()).any(|w| w == phrase)
    }

    #[test]
    fn a_rendered_paper_shows_its_fields_in_order_without_the_page_header() {
        let pdf = seed_pdf();
        let found = pdf_words(pdf).unwrap();
        let paper = seed();
        let w = &found.words;
        assert!(has(w, &paper.subject), "Betreff missing: {w:?}");
        assert!(has(
            w,
            "Betreff: Integrationskonzept für die Stadt Hagen Beratungsfolge:"
        ));
        let mut last = 0;
        for step in &paper.consultations {
            let body = step.body.replace("- ", "-"); // "Sport- und …" is joined
            let entry = format!("{} {body}", step.date.german());
            let at = (last..w.len()).find(|&i| has(&w[i..], &entry));
            last = at.unwrap_or_else(|| panic!("{entry:?} missing or out of order: {w:?}"));
        }
        // The page header (letterhead, "Seite N", Drucksachennummer, date) is an artifact:
        // page 1's counts (the number and the paper's date are printed nowhere else), the same
        // header on the later pages does not.
        for header in [
            "Seite",
            "STADT",
            "Drucksachennummer:",
            "Datum:",
            "0310/2012",
            "25.04.2012",
        ] {
            let count = w.iter().filter(|x| *x == header).count();
            assert_eq!(count, 1, "{header:?} is in page 1's header only: {w:?}");
        }
        assert_eq!(page_count(pdf).unwrap(), found.pages);
        assert!(found.pages >= 2, "the Verfügung starts a page of its own");
        if let Some(pages) = pdfinfo_pages(pdf) {
            assert_eq!(pages, found.pages, "pdfinfo counts the pages differently");
        }
    }

    /// The page count by `pdfinfo` (poppler), when it is installed.
    fn pdfinfo_pages(pdf: &[u8]) -> Option<usize> {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), pdf).unwrap();
        let out = std::process::Command::new("pdfinfo")
            .arg(file.path())
            .output()
            .ok()?;
        let text = String::from_utf8_lossy(&out.stdout);
        let pages = text.lines().find_map(|l| l.strip_prefix("Pages:"))?;
        pages.trim().parse().ok()
    }

    #[test]
    fn a_signed_pdf_shows_the_same_words_as_the_unsigned_one() {
        use crate::sign::dev::{Algorithm, generate};
        let from = time::macros::datetime!(2026-01-01 00:00 UTC);
        let signer = generate(Algorithm::Ecdsa, "Test", from)
            .unwrap()
            .signer()
            .unwrap();
        let pdf = seed_pdf();
        let signed = signer.sign(pdf, from + time::Duration::days(1)).unwrap();
        assert!(signed.len() > pdf.len() && signed.starts_with(pdf));
        assert_eq!(pdf_words(&signed).unwrap(), pdf_words(pdf).unwrap());
        assert_eq!(page_count(&signed).unwrap(), page_count(pdf).unwrap());
    }

    #[test]
    fn another_layout_shows_the_same_words() {
        let shipped = include_str!("../../templates/layout.typ");
        let changed = shipped
            .replace(
                "margin: (left: 2.5cm, right: 2cm,",
                "margin: (left: 4.5cm, right: 3.5cm,",
            )
            .replace(
                "size: 11pt, lang: \"de\", region: \"DE\", hyphenate: false",
                "size: 12pt, lang: \"de\", region: \"DE\", hyphenate: true",
            );
        assert_eq!(
            changed.matches("4.5cm").count() + changed.matches("hyphenate: true").count(),
            2,
            "layout.typ changed: update this test"
        );
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("layout.typ"), changed).unwrap();
        let narrow = render(&renderer(Some(dir.path())), &seed());
        let (old, new) = (pdf_words(seed_pdf()).unwrap(), pdf_words(&narrow).unwrap());
        assert_ne!(
            old.pages, new.pages,
            "the test needs a layout that breaks pages differently"
        );
        assert_eq!(first_difference(&old.words, &new.words), None);
    }

    #[test]
    fn a_changed_date_is_found() {
        let mut paper = seed();
        paper.consultations[2].date = Date::parse_iso("2012-05-16").unwrap();
        let old = pdf_words(seed_pdf()).unwrap().words;
        let new = pdf_words(&render(&renderer(None), &paper)).unwrap().words;
        let difference = first_difference(&old, &new).expect("a difference");
        assert_eq!(old[difference.at], "15.05.2012");
        assert!(
            difference
                .old
                .starts_with("15.05.2012 Sozialausschuss 16.05.2012"),
            "{difference:?}"
        );
        assert!(
            difference
                .new
                .starts_with("16.05.2012 Sozialausschuss 16.05.2012"),
            "{difference:?}"
        );
        assert_eq!(difference.old.split(' ').count(), 8);
    }

    #[test]
    fn damaged_input_is_an_error_and_never_a_panic() {
        for bytes in [
            &b""[..],
            b"hello",
            b"%PDF-1.7\n%%EOF",
            b"%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF",
        ] {
            assert!(
                pdf_words(bytes).is_err() && page_count(bytes).is_err(),
                "{bytes:?}"
            );
        }
        let pdf = seed_pdf();
        assert!(matches!(pdf_words(&pdf[1..]), Err(WordsError::NotPdf)));
        for k in 1..32 {
            let cut = &pdf[..pdf.len() * k / 32];
            assert!(
                pdf_words(cut).is_err() && page_count(cut).is_err(),
                "cut at {}",
                cut.len()
            );
        }
        // Flipped bytes may or may not matter; they must not panic.
        let mut state = 0x2545_f491_u32;
        for _ in 0..300 {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            let mut bad = pdf.to_vec();
            let at = state as usize % bad.len();
            bad[at] ^= 1 << (state >> 29);
            let _ = (pdf_words(&bad), page_count(&bad));
        }
    }

    /// A one-page PDF whose page draws `content`, with a form `/X` that draws `form_content`.
    fn hostile(content: &[u8], form_content: &[u8]) -> Vec<u8> {
        use lopdf::{Object, Stream, dictionary};
        let mut doc = Document::with_version("1.7");
        let pages_id = doc.new_object_id();
        let form_id = doc.new_object_id();
        let form = dictionary! { "Type" => "XObject", "Subtype" => "Form",
        "Resources" => dictionary! { "XObject" => dictionary! { "X" => form_id } } };
        doc.objects.insert(
            form_id,
            Object::Stream(Stream::new(form, form_content.to_vec())),
        );
        let content_id = doc.add_object(Stream::new(dictionary! {}, content.to_vec()));
        let page_id = doc.add_object(
            dictionary! { "Type" => "Page", "Parent" => pages_id, "Contents" => content_id,
            "Resources" => dictionary! { "XObject" => dictionary! { "X" => form_id } } },
        );
        let pages = dictionary! { "Type" => "Pages", "Kids" => vec![page_id.into()], "Count" => 1 };
        doc.objects.insert(pages_id, Object::Dictionary(pages));
        let catalog_id = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
        doc.trailer.set("Root", catalog_id);
        let mut out = Vec::new();
        doc.save_to(&mut out).unwrap();
        out
    }

    #[test]
    fn hostile_content_is_refused() {
        let nested = |e| matches!(e, Err(WordsError::Page { page: 1, .. }));
        assert!(
            nested(pdf_words(&hostile(b"/X Do", b"q /X Do /X Do Q"))),
            "a form drawing itself"
        );
        assert!(nested(pdf_words(&hostile(
            "q ".repeat(300).as_bytes(),
            b""
        ))));
        assert!(
            nested(pdf_words(&hostile(b"BT (x) Tj ET", b""))),
            "text without a font"
        );
        assert_eq!(
            pdf_words(&hostile(b"/X Do", b"")).unwrap().words,
            Vec::<String>::new()
        );
        // A stream packed in a way the walk does not unpack (no limit could bound it).
        let mut doc = Document::load_mem(&hostile(b"/X Do", b"")).unwrap();
        for object in doc.objects.values_mut() {
            if let Ok(stream) = object.as_stream_mut() {
                stream
                    .dict
                    .set("Filter", lopdf::Object::Name(b"LZWDecode".to_vec()));
            }
        }
        let mut lzw = Vec::new();
        doc.save_to(&mut lzw).unwrap();
        match pdf_words(&lzw) {
            Err(WordsError::Page { page: 1, reason }) => {
                assert!(reason.contains("/LZWDecode"), "{reason}")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn words_are_joined_and_split_as_any_layout_would() {
        let mut words = Words::default();
        for part in [
            "Nord-",
            "Süd Haupt-",
            "und Integrations\u{ad}",
            "konzept",
            "und/",
            "oder 漢字",
        ] {
            words.text(part);
            words.boundary();
        }
        assert_eq!(
            words.finish(),
            list("Nord-Süd Haupt-und Integrationskonzept und/oder 漢 字")
        );
    }

    #[test]
    fn first_difference_names_the_words_that_differ() {
        let old = list("a b c d e f g h i j k");
        assert_eq!(first_difference(&old, &old), None);
        assert_eq!(first_difference(&[], &[]), None);
        let changed = list("a b c X e f g h i j k");
        let expected = WordDifference {
            at: 3,
            old: "d e f g h i j k".into(),
            new: "X e f g h i j k".into(),
        };
        assert_eq!(first_difference(&old, &changed), Some(expected));
        let shorter = list("a b c d e f g h i");
        let expected = WordDifference {
            at: 9,
            old: "j k".into(),
            new: String::new(),
        };
        assert_eq!(first_difference(&old, &shorter), Some(expected));
        assert_eq!(first_difference(&shorter, &old).unwrap().new, "j k");
    }

    /// `cargo test --release --lib render::words::tests::speed -- --ignored --nocapture`
    #[test]
    #[ignore]
    fn speed() {
        let pdf = seed_pdf();
        let start = std::time::Instant::now();
        for _ in 0..50 {
            pdf_words(pdf).unwrap();
        }
        let pages = page_count(pdf).unwrap();
        eprintln!(
            "pdf_words: {:?} per call for {pages} pages",
            start.elapsed() / 50
        );
    }
}
