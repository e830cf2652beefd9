//! The headers every response carries (a strict Content-Security-Policy, `nosniff`, no
//! referrer, no framing) and the CORS policy of the public machine-readable routes: OParl and
//! the search API answer any origin for GET (OParl 1.1 §2-06); the admin API never does.

use axum::http::{HeaderName, HeaderValue, Method, header};
use tower_http::cors::{Any, CorsLayer};
use tower_http::set_header::SetResponseHeaderLayer;

/// No scripts at all; images and styles from the site itself; no framing, no `<base>`, forms
/// only to the site. The pages need nothing else (no JavaScript, one stylesheet).
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; img-src 'self'; style-src 'self'; \
     frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// The layers that set the security headers on every response (errors and fallbacks too).
pub fn security() -> [SetResponseHeaderLayer<HeaderValue>; 4] {
    let set = |name: HeaderName, value: &'static str| {
        SetResponseHeaderLayer::overriding(name, HeaderValue::from_static(value))
    };
    [
        set(header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        set(header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        set(header::REFERRER_POLICY, "no-referrer"),
        set(header::X_FRAME_OPTIONS, "DENY"),
    ]
}

/// `Access-Control-Allow-Origin: *` for GET and HEAD: OParl and the public search API.
pub fn public_cors() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::HEAD])
}
