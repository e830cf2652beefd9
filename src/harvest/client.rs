//! The HTTP side of a harvest: one reqwest client (rustls) with timeouts, a size limit per
//! answer, a rate limit per host (governor) and retries with exponential backoff and jitter
//! (backon's policy) on timeouts, connection errors, 429 and 5xx, honouring `Retry-After`.

use std::io::Read;
use std::num::NonZeroU32;
use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter, clock::Clock as _};

/// How the client talks to the other system.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Requests per second and host.
    pub rate_per_host: NonZeroU32,
    /// Timeout of one request, connecting and reading included.
    pub timeout: Duration,
    /// Attempts after the first one.
    pub retries: usize,
    /// The first pause before a retry (doubled each time, with jitter, at most a minute).
    pub first_backoff: Duration,
    /// The largest answer read (a list page or a file): the largest original a legacy paper
    /// may have.
    pub max_bytes: u64,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            rate_per_host: NonZeroU32::new(5).expect("not zero"),
            timeout: Duration::from_secs(30),
            retries: 4,
            first_backoff: Duration::from_millis(500),
            max_bytes: crate::model::limits::ORIGINAL_PDF_BYTES,
        }
    }
}

/// The longest `Retry-After` honoured; a longer one is cut to this.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(300);

/// An answer with status 2xx.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    /// The `Content-Type` header, lower-cased, without parameters (empty when absent).
    pub media_type: String,
    pub body: Vec<u8>,
}

/// Why a request failed (after its retries, when it could be retried).
#[derive(Debug, Clone, thiserror::Error)]
pub enum FetchError {
    #[error("{url}: not an http or https address")]
    BadUrl { url: String },
    #[error("{url}: no answer within {seconds} s")]
    Timeout { url: String, seconds: u64 },
    #[error("{url}: cannot connect ({why})")]
    Connect { url: String, why: String },
    #[error("{url}: the server answered HTTP {status}")]
    Status { url: String, status: u16 },
    #[error("{url}: the answer has more than {limit} bytes")]
    TooLarge { url: String, limit: u64 },
    #[error("{url}: the answer broke off ({why})")]
    Body { url: String, why: String },
}

impl FetchError {
    /// A failure that may pass: timeouts, connection errors, 429, 5xx, a broken-off body.
    fn is_transient(&self) -> bool {
        match self {
            FetchError::Timeout { .. } | FetchError::Connect { .. } | FetchError::Body { .. } => {
                true
            }
            FetchError::Status { status, .. } => *status == 429 || *status >= 500,
            FetchError::BadUrl { .. } | FetchError::TooLarge { .. } => false,
        }
    }

    /// A short reason for the report ("HTTP 500", "timeout", …).
    pub fn reason(&self) -> String {
        match self {
            FetchError::BadUrl { .. } => "bad address".into(),
            FetchError::Timeout { .. } => "timeout".into(),
            FetchError::Connect { .. } => "connection".into(),
            FetchError::Status { status, .. } => format!("HTTP {status}"),
            FetchError::TooLarge { .. } => "too large".into(),
            FetchError::Body { .. } => "broken answer".into(),
        }
    }
}

/// The harvest's HTTP client.
pub struct Client {
    http: reqwest::blocking::Client,
    limiter: DefaultKeyedRateLimiter<String>,
    options: ClientOptions,
}

impl Client {
    pub fn new(options: ClientOptions) -> Result<Client, FetchError> {
        // reqwest is built without a bundled crypto provider: rustls uses ring, which the
        // signing code has already.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::blocking::Client::builder()
            .timeout(options.timeout)
            .connect_timeout(options.timeout)
            .user_agent(concat!(
                "drucksache/",
                env!("CARGO_PKG_VERSION"),
                " (OParl harvest)"
            ))
            .redirect(reqwest::redirect::Policy::limited(5))
            .build()
            .map_err(|e| FetchError::Connect {
                url: String::new(),
                why: e.to_string(),
            })?;
        Ok(Client {
            http,
            limiter: RateLimiter::keyed(Quota::per_second(options.rate_per_host)),
            options,
        })
    }

    /// GETs `url`: waits for the host's rate limit, retries transient failures with backoff
    /// (at least the `Retry-After` the server asked for), and gives the answer of a 2xx.
    pub fn get(&self, url: &str) -> Result<Answer, FetchError> {
        let mut backoff = ExponentialBuilder::default()
            .with_min_delay(self.options.first_backoff)
            .with_max_delay(Duration::from_secs(60))
            .with_max_times(self.options.retries)
            .with_jitter()
            .build();
        loop {
            let (result, retry_after) = self.get_once(url);
            match result {
                Err(e) if e.is_transient() => match backoff.next() {
                    Some(pause) => {
                        let pause = pause_before_retry(pause, retry_after);
                        tracing::info!("{e}; trying again in {} ms", pause.as_millis());
                        std::thread::sleep(pause);
                    }
                    None => return Err(e),
                },
                other => return other,
            }
        }
    }

    /// One attempt, and the `Retry-After` of its answer.
    fn get_once(&self, url: &str) -> (Result<Answer, FetchError>, Option<Duration>) {
        let parsed = match reqwest::Url::parse(url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => u,
            _ => return (Err(FetchError::BadUrl { url: url.into() }), None),
        };
        let host = parsed.host_str().unwrap_or_default().to_string();
        while let Err(not_yet) = self.limiter.check_key(&host) {
            std::thread::sleep(
                not_yet.wait_time_from(governor::clock::DefaultClock::default().now()),
            );
        }
        let response = match self.http.get(parsed).send() {
            Ok(response) => response,
            Err(e) => return (Err(self.transport_error(url, &e)), None),
        };
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(retry_after);
        if !response.status().is_success() {
            let error = FetchError::Status {
                url: url.into(),
                status,
            };
            return (Err(error), retry_after);
        }
        let media_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                v.split(';')
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .to_ascii_lowercase()
            })
            .unwrap_or_default();
        let limit = self.options.max_bytes;
        let mut body = Vec::new();
        if let Err(e) = response.take(limit + 1).read_to_end(&mut body) {
            let error = FetchError::Body {
                url: url.into(),
                why: e.to_string(),
            };
            return (Err(error), None);
        }
        if body.len() as u64 > limit {
            return (
                Err(FetchError::TooLarge {
                    url: url.into(),
                    limit,
                }),
                None,
            );
        }
        (
            Ok(Answer {
                status,
                media_type,
                body,
            }),
            None,
        )
    }

    fn transport_error(&self, url: &str, e: &reqwest::Error) -> FetchError {
        if e.is_timeout() {
            FetchError::Timeout {
                url: url.into(),
                seconds: self.options.timeout.as_secs().max(1),
            }
        } else if e.is_connect() {
            FetchError::Connect {
                url: url.into(),
                why: innermost(e),
            }
        } else {
            FetchError::Body {
                url: url.into(),
                why: innermost(e),
            }
        }
    }
}

/// The pause a `Retry-After` header asks for: seconds, or an HTTP date (from `now`); at most
/// [`MAX_RETRY_AFTER`].
fn retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds).min(MAX_RETRY_AFTER));
    }
    let format = time::format_description::well_known::Rfc2822;
    let at = time::OffsetDateTime::parse(value, &format).ok()?;
    let wait = at - time::OffsetDateTime::now_utc();
    Some(
        Duration::try_from(wait)
            .unwrap_or_default()
            .min(MAX_RETRY_AFTER),
    )
}

/// The pause before a retry: the backoff's, or longer when the server asked for longer.
fn pause_before_retry(backoff: Duration, asked: Option<Duration>) -> Duration {
    asked.map_or(backoff, |asked| asked.max(backoff))
}

/// The innermost cause of an error ("Connection refused (os error 111)").
fn innermost(e: &dyn std::error::Error) -> String {
    let mut cause = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_errors_and_timeouts_are_retried_client_errors_not() {
        let status = |status| FetchError::Status {
            url: "u".into(),
            status,
        };
        assert!(status(500).is_transient());
        assert!(status(503).is_transient());
        assert!(status(429).is_transient());
        assert!(!status(404).is_transient());
        assert!(!status(400).is_transient());
        assert!(
            FetchError::Timeout {
                url: "u".into(),
                seconds: 1
            }
            .is_transient()
        );
        assert!(!FetchError::BadUrl { url: "u".into() }.is_transient());
    }

    #[test]
    fn a_retry_waits_at_least_as_long_as_the_server_asked() {
        assert_eq!(retry_after("2"), Some(Duration::from_secs(2)));
        assert_eq!(retry_after(" 86400 "), Some(MAX_RETRY_AFTER));
        assert_eq!(
            retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after("bald"), None);
        let ms = Duration::from_millis;
        assert_eq!(pause_before_retry(ms(500), Some(ms(2000))), ms(2000));
        assert_eq!(pause_before_retry(ms(500), Some(ms(100))), ms(500));
        assert_eq!(pause_before_retry(ms(500), None), ms(500));
    }

    #[test]
    fn only_http_addresses_are_fetched() {
        let client = Client::new(ClientOptions::default()).unwrap();
        for url in ["file:///etc/passwd", "ftp://x/", "nicht eine adresse"] {
            assert!(
                matches!(client.get(url), Err(FetchError::BadUrl { .. })),
                "{url}"
            );
        }
    }
}
