//! Bearer tokens of the admin API: made by `drucksache token`, configured by their SHA-256
//! only, and checked in constant time against every configured hash.

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::AppState;
use super::error::ApiError;
use crate::config::ApiToken;

/// Prefix of every token, so that a leaked one is recognisable in logs and scanners.
const PREFIX: &str = "ds_";

/// Who made an admin request (put into the request's extensions for the handlers and logs).
#[derive(Debug, Clone)]
pub struct Caller {
    pub name: String,
}

/// A new random token (256 bits from the operating system) and its SHA-256 in hex.
pub fn generate() -> Result<(String, String), getrandom::Error> {
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret)?;
    let token = format!("{PREFIX}{}", hex::encode(secret));
    let hash = hex::encode(Sha256::digest(token.as_bytes()));
    Ok((token, hash))
}

/// The configured token that `presented` is, if any. Every configured hash is compared, in
/// constant time, whatever matches.
pub fn check<'a>(presented: &str, tokens: &'a [ApiToken]) -> Option<&'a ApiToken> {
    let hash: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
    let mut found = None;
    for token in tokens {
        if bool::from(token.sha256.ct_eq(&hash)) {
            found = Some(token);
        }
    }
    found
}

/// Middleware: lets the request through only with `Authorization: Bearer <configured token>`.
pub async fn require_token(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim);
    let Some(presented) = presented else {
        return Err(ApiError::unauthorized());
    };
    let Some(token) = check(presented, state.tokens()) else {
        tracing::warn!("admin API: refused a request with an unknown token");
        return Err(ApiError::unauthorized());
    };
    request.extensions_mut().insert(Caller {
        name: token.name.clone(),
    });
    Ok(next.run(request).await)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_tokens_check_against_their_hash_only() {
        let (token, hash) = generate().unwrap();
        let (other, _) = generate().unwrap();
        assert!(token.starts_with(PREFIX) && token.len() == 3 + 64);
        assert_ne!(token, other);
        let mut sha256 = [0u8; 32];
        hex::decode_to_slice(&hash, &mut sha256).unwrap();
        let tokens = [ApiToken {
            name: "Fachverfahren".into(),
            sha256,
        }];
        assert_eq!(check(&token, &tokens).unwrap().name, "Fachverfahren");
        assert!(check(&other, &tokens).is_none());
        assert!(check("", &tokens).is_none());
        assert!(check(&hash, &tokens).is_none(), "the hash is not the token");
    }
}
