//! An OParl File as the harvest downloads it: where from, what name, which checksum; and the
//! checks a downloaded file must pass (the checksum when given, `%PDF-` magic, no HTML page
//! passed off as a PDF).

use serde_json::Value;

use super::oparl::text;

/// What the harvest uses of an OParl File.
#[derive(Debug, Clone, PartialEq)]
pub struct FileMeta {
    pub id: Option<String>,
    /// `downloadUrl`, else `accessUrl`.
    pub url: String,
    /// `fileName`, else the last part of the address (no folders).
    pub file_name: String,
    pub sha512: Option<String>,
    pub sha1: Option<String>,
}

impl FileMeta {
    /// Reads a File object; `None` when it has no address to download from.
    pub fn read(value: &Value) -> Option<FileMeta> {
        let url = text(value, "downloadUrl").or_else(|| text(value, "accessUrl"))?;
        let from_url = url
            .split(['?', '#'])
            .next()
            .unwrap_or_default()
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_string();
        let file_name = text(value, "fileName")
            .map(|n| n.rsplit(['/', '\\']).next().unwrap_or_default().to_string())
            .filter(|n| !n.is_empty())
            .unwrap_or(from_url);
        let file_name = if file_name.is_empty() {
            "datei.pdf".to_string()
        } else {
            file_name
        };
        Some(FileMeta {
            id: text(value, "id"),
            url,
            file_name,
            sha512: text(value, "sha512Checksum").map(|s| s.to_ascii_lowercase()),
            sha1: text(value, "sha1Checksum").map(|s| s.to_ascii_lowercase()),
        })
    }
}

/// Why a downloaded file is not taken.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FileProblem {
    #[error("the server sent an HTML page, not the file")]
    Html,
    #[error("not a PDF (it does not start with %PDF-)")]
    NotPdf,
    #[error("the file's {algorithm} is {actual}, the other system says {expected}")]
    Checksum {
        algorithm: &'static str,
        expected: String,
        actual: String,
    },
}

impl FileProblem {
    /// A short reason for the report.
    pub fn reason(&self) -> &'static str {
        match self {
            FileProblem::Html => "HTML statt PDF",
            FileProblem::NotPdf => "kein PDF",
            FileProblem::Checksum { .. } => "Prüfsumme falsch",
        }
    }
}

/// Checks a downloaded file against its metadata.
pub fn check(meta: &FileMeta, media_type: &str, bytes: &[u8]) -> Result<(), FileProblem> {
    let head = &bytes[..bytes.len().min(1024)];
    let start = String::from_utf8_lossy(head)
        .trim_start()
        .to_ascii_lowercase();
    if media_type == "text/html"
        || start.starts_with("<!doctype html")
        || start.starts_with("<html")
    {
        return Err(FileProblem::Html);
    }
    if !bytes.starts_with(b"%PDF-") {
        return Err(FileProblem::NotPdf);
    }
    if let Some(expected) = &meta.sha512 {
        let actual = hex::encode(ring::digest::digest(&ring::digest::SHA512, bytes));
        if &actual != expected {
            return Err(FileProblem::Checksum {
                algorithm: "SHA-512",
                expected: expected.clone(),
                actual,
            });
        }
    }
    if let Some(expected) = &meta.sha1 {
        let actual = hex::encode(ring::digest::digest(
            &ring::digest::SHA1_FOR_LEGACY_USE_ONLY,
            bytes,
        ));
        if &actual != expected {
            return Err(FileProblem::Checksum {
                algorithm: "SHA-1",
                expected: expected.clone(),
                actual,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn meta(sha512: Option<&str>, sha1: Option<&str>) -> FileMeta {
        FileMeta {
            id: None,
            url: "http://x/f.pdf".into(),
            file_name: "f.pdf".into(),
            sha512: sha512.map(str::to_string),
            sha1: sha1.map(str::to_string),
        }
    }

    #[test]
    fn the_download_address_and_name_are_read() {
        let m = FileMeta::read(&json!({
            "accessUrl": "http://x/a?id=1", "downloadUrl": "http://x/dl/0310-2012.pdf?x=1"
        }))
        .unwrap();
        assert_eq!(m.url, "http://x/dl/0310-2012.pdf?x=1");
        assert_eq!(m.file_name, "0310-2012.pdf");
        let m = FileMeta::read(&json!({"accessUrl": "http://x/a", "fileName": "..\\..\\v.pdf"}))
            .unwrap();
        assert_eq!(m.file_name, "v.pdf");
        assert_eq!(FileMeta::read(&json!({"fileName": "v.pdf"})), None);
    }

    #[test]
    fn html_non_pdfs_and_wrong_checksums_are_refused() {
        let pdf = b"%PDF-1.7\n...";
        assert_eq!(check(&meta(None, None), "application/pdf", pdf), Ok(()));
        assert_eq!(
            check(
                &meta(None, None),
                "application/pdf",
                b"<!DOCTYPE html><p>Fehler"
            ),
            Err(FileProblem::Html)
        );
        assert_eq!(
            check(&meta(None, None), "text/html", pdf),
            Err(FileProblem::Html)
        );
        assert_eq!(
            check(&meta(None, None), "application/pdf", b"PK\x03\x04"),
            Err(FileProblem::NotPdf)
        );
        let sha1 = hex::encode(ring::digest::digest(
            &ring::digest::SHA1_FOR_LEGACY_USE_ONLY,
            pdf,
        ));
        assert_eq!(check(&meta(None, Some(&sha1)), "", pdf), Ok(()));
        let wrong = check(&meta(Some("00"), None), "", pdf).unwrap_err();
        assert_eq!(wrong.reason(), "Prüfsumme falsch");
    }
}
