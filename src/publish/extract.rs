//! The text of a legacy PDF, as poppler's `pdftotext -layout` extracts it: the extractor the
//! legacy import measured best (README, "Legacy papers"), run as its own process with a time
//! limit and an output limit, so that no PDF can hang or exhaust the importer.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The program that extracts the text (Debian package poppler-utils).
pub const EXTRACTOR: &str = "pdftotext";
/// A PDF's text extraction is stopped after this long (a paper takes well under a second).
pub const TIMEOUT: Duration = Duration::from_secs(60);
/// At most this much text is taken from one PDF, like a text dump's own limit.
pub const MAX_TEXT: u64 = crate::model::MAX_INPUT_BYTES;

/// Why a PDF's text could not be extracted.
#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    #[error("the file is not a PDF: it does not start with %PDF- (byte 0)")]
    NotPdf,
    #[error(
        "{EXTRACTOR} is not installed, which reads the text of PDFs: install poppler-utils (apt-get install poppler-utils)"
    )]
    Missing,
    #[error("{EXTRACTOR} cannot read the PDF ({0}): the file may be damaged or encrypted")]
    Failed(String),
    #[error("reading the PDF's text took longer than {} s: the file is too large or damaged", TIMEOUT.as_secs())]
    TimedOut,
    #[error("the PDF's text is longer than {MAX_TEXT} bytes")]
    TooLong,
    #[error("the PDF's text is not UTF-8 at byte {0}")]
    NotUtf8(usize),
    #[error("cannot run {EXTRACTOR}: {0}")]
    Io(#[from] std::io::Error),
}

/// True when the bytes start like a PDF.
pub fn is_pdf(bytes: &[u8]) -> bool {
    bytes.starts_with(b"%PDF-")
}

/// The text of the PDF `bytes` (the file at `path`), pages separated by form feeds, each
/// page laid out as printed (columns kept apart by runs of spaces).
pub fn pdf_text(path: &Path, bytes: &[u8]) -> Result<String, ExtractError> {
    if !is_pdf(bytes) {
        return Err(ExtractError::NotPdf);
    }
    let mut child = match Command::new(EXTRACTOR)
        .args(["-layout", "-enc", "UTF-8", "-eol", "unix"])
        .arg(path)
        .arg("-")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(child) => child,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(ExtractError::Missing),
        Err(e) => return Err(e.into()),
    };
    let stdout = child.stdout.take().expect("stdout is piped");
    let stderr = child.stderr.take().expect("stderr is piped");
    let out = std::thread::spawn(move || {
        let mut text = Vec::new();
        stdout
            .take(MAX_TEXT + 1)
            .read_to_end(&mut text)
            .map(|_| text)
    });
    let err = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.take(4096).read_to_string(&mut text);
        text
    });
    let deadline = Instant::now() + TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break Some(status);
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let text = out.join().expect("the reader does not panic")?;
    let message = err.join().expect("the reader does not panic");
    let Some(status) = status else {
        return Err(ExtractError::TimedOut);
    };
    if text.len() as u64 > MAX_TEXT {
        return Err(ExtractError::TooLong);
    }
    if !status.success() {
        let first = message.lines().next().unwrap_or_default().trim();
        let why = if first.is_empty() {
            status.to_string()
        } else {
            first.to_string()
        };
        return Err(ExtractError::Failed(why));
    }
    String::from_utf8(text).map_err(|e| ExtractError::NotUtf8(e.utf8_error().valid_up_to()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_without_the_pdf_magic_is_not_given_to_the_extractor() {
        let err = pdf_text(Path::new("/nonexistent.pdf"), b"<html>Fehler</html>").unwrap_err();
        assert!(matches!(err, ExtractError::NotPdf), "{err}");
    }
}
