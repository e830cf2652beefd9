//! Answers for stored PDFs: strong ETag from the SHA-512, `If-None-Match` → 304, one byte
//! range (`Range`/`If-Range`) → 206 or 416, and caching headers (a rendition's own URL never
//! changes its bytes; a paper's "current PDF" URL may get a new rendition).

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;

/// How long a response may be reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caching {
    /// The URL names one stored file: cache for a year.
    Immutable,
    /// The URL names the newest file of a paper: revalidate after five minutes.
    Current,
    /// An admin route: only the client may keep it, and must ask again each time.
    Private,
}

/// The PDF `bytes` (stored as `sha512`) as `filename`, honouring conditional and range
/// requests in `request`.
pub fn pdf(
    request: &HeaderMap,
    bytes: Vec<u8>,
    sha512: &str,
    filename: &str,
    caching: Caching,
) -> Response {
    stored(request, bytes, sha512, filename, "application/pdf", caching)
}

/// A stored file of type `media_type` (a PDF, a legacy paper's original text), as [`pdf`].
/// `filename` must be header-safe (the caller makes it from a slug).
pub fn stored(
    request: &HeaderMap,
    bytes: Vec<u8>,
    sha512: &str,
    filename: &str,
    media_type: &str,
    caching: Caching,
) -> Response {
    let etag = format!("\"{}\"", &sha512[..40.min(sha512.len())]);
    let cache_control = match caching {
        Caching::Immutable => "public, max-age=31536000, immutable",
        Caching::Current => "public, max-age=300",
        Caching::Private => "private, no-cache",
    };
    let mut builder = Response::builder()
        .header(header::ETAG, &etag)
        .header(header::CACHE_CONTROL, cache_control)
        .header(header::ACCEPT_RANGES, "bytes");
    if matches(request.get(header::IF_NONE_MATCH), &etag) {
        return builder
            .status(StatusCode::NOT_MODIFIED)
            .body(Body::empty())
            .expect("valid response");
    }
    builder = builder
        .header(header::CONTENT_TYPE, media_type)
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .header(
            header::CONTENT_DISPOSITION,
            format!("inline; filename=\"{filename}\""),
        );
    let len = bytes.len() as u64;
    let range_applies = match request.get(header::IF_RANGE) {
        None => true,
        Some(value) => value.to_str().is_ok_and(|v| v.trim() == etag),
    };
    let range = request
        .get(header::RANGE)
        .filter(|_| range_applies)
        .and_then(|v| v.to_str().ok())
        .map(|v| parse_range(v, len));
    match range {
        Some(Range::Satisfiable(start, end)) => builder
            .status(StatusCode::PARTIAL_CONTENT)
            .header(header::CONTENT_RANGE, format!("bytes {start}-{end}/{len}"))
            .header(header::CONTENT_LENGTH, end - start + 1)
            .body(Body::from(bytes[start as usize..=end as usize].to_vec()))
            .expect("valid response"),
        Some(Range::Unsatisfiable) => builder
            .status(StatusCode::RANGE_NOT_SATISFIABLE)
            .header(header::CONTENT_RANGE, format!("bytes */{len}"))
            .body(Body::empty())
            .expect("valid response"),
        Some(Range::Ignored) | None => builder
            .status(StatusCode::OK)
            .header(header::CONTENT_LENGTH, len)
            .body(Body::from(bytes))
            .expect("valid response"),
    }
}

fn matches(if_none_match: Option<&HeaderValue>, etag: &str) -> bool {
    let Some(value) = if_none_match.and_then(|v| v.to_str().ok()) else {
        return false;
    };
    value
        .split(',')
        .map(|tag| tag.trim().trim_start_matches("W/"))
        .any(|tag| tag == "*" || tag == etag)
}

#[derive(Debug, PartialEq, Eq)]
enum Range {
    /// First and last byte, inclusive.
    Satisfiable(u64, u64),
    Unsatisfiable,
    /// Not one range of bytes we serve (several ranges, another unit, nonsense): the whole
    /// file is sent, as RFC 9110 allows.
    Ignored,
}

fn parse_range(value: &str, len: u64) -> Range {
    let Some(spec) = value.trim().strip_prefix("bytes=") else {
        return Range::Ignored;
    };
    if spec.contains(',') {
        return Range::Ignored;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return Range::Ignored;
    };
    let number = |s: &str| s.trim().parse::<u64>().ok();
    match (first.trim().is_empty(), last.trim().is_empty()) {
        // bytes=-N: the last N bytes.
        (true, false) => match number(last) {
            Some(0) => Range::Unsatisfiable,
            Some(n) if len > 0 => Range::Satisfiable(len.saturating_sub(n), len - 1),
            Some(_) => Range::Unsatisfiable,
            None => Range::Ignored,
        },
        // bytes=A-: from A to the end.
        (false, true) => match number(first) {
            Some(a) if a < len => Range::Satisfiable(a, len - 1),
            Some(_) => Range::Unsatisfiable,
            None => Range::Ignored,
        },
        (false, false) => match (number(first), number(last)) {
            (Some(a), Some(b)) if a <= b && a < len => Range::Satisfiable(a, b.min(len - 1)),
            (Some(a), Some(b)) if a <= b => Range::Unsatisfiable,
            _ => Range::Ignored,
        },
        (true, true) => Range::Ignored,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(parse_range("bytes=0-9", 100), Range::Satisfiable(0, 9));
        assert_eq!(parse_range("bytes=90-", 100), Range::Satisfiable(90, 99));
        assert_eq!(parse_range("bytes=-10", 100), Range::Satisfiable(90, 99));
        assert_eq!(parse_range("bytes=-200", 100), Range::Satisfiable(0, 99));
        assert_eq!(parse_range("bytes=50-500", 100), Range::Satisfiable(50, 99));
        assert_eq!(parse_range("bytes=100-", 100), Range::Unsatisfiable);
        assert_eq!(parse_range("bytes=100-200", 100), Range::Unsatisfiable);
        assert_eq!(parse_range("bytes=-0", 100), Range::Unsatisfiable);
        assert_eq!(parse_range("bytes=0-1,5-6", 100), Range::Ignored);
        assert_eq!(parse_range("bytes=9-1", 100), Range::Ignored);
        assert_eq!(parse_range("lines=1-2", 100), Range::Ignored);
        assert_eq!(parse_range("bytes=x-y", 100), Range::Ignored);
    }

    #[test]
    fn conditional_and_partial_answers() {
        let bytes: Vec<u8> = (0..=99).collect();
        let sha = "ab".repeat(64);
        let etag = format!("\"{}\"", &sha[..40]);
        let mut request = HeaderMap::new();
        let full = pdf(&request, bytes.clone(), &sha, "a.pdf", Caching::Immutable);
        assert_eq!(full.status(), StatusCode::OK);
        assert_eq!(full.headers()[header::ETAG], etag.as_str());

        request.insert(header::IF_NONE_MATCH, etag.parse().unwrap());
        let unchanged = pdf(&request, bytes.clone(), &sha, "a.pdf", Caching::Current);
        assert_eq!(unchanged.status(), StatusCode::NOT_MODIFIED);

        let mut request = HeaderMap::new();
        request.insert(header::RANGE, "bytes=10-19".parse().unwrap());
        let part = pdf(&request, bytes.clone(), &sha, "a.pdf", Caching::Immutable);
        assert_eq!(part.status(), StatusCode::PARTIAL_CONTENT);
        assert_eq!(part.headers()[header::CONTENT_RANGE], "bytes 10-19/100");

        request.insert(header::IF_RANGE, "\"other\"".parse().unwrap());
        let stale = pdf(&request, bytes.clone(), &sha, "a.pdf", Caching::Immutable);
        assert_eq!(
            stale.status(),
            StatusCode::OK,
            "If-Range of another version"
        );

        let mut request = HeaderMap::new();
        request.insert(header::RANGE, "bytes=200-".parse().unwrap());
        let beyond = pdf(&request, bytes, &sha, "a.pdf", Caching::Immutable);
        assert_eq!(beyond.status(), StatusCode::RANGE_NOT_SATISFIABLE);
        assert_eq!(beyond.headers()[header::CONTENT_RANGE], "bytes */100");
    }
}
