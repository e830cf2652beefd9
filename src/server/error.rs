//! The one JSON error shape of the API, `{code, message, errors: [{path, message}]}`, and the
//! table that maps every failure to its code and HTTP status.
//!
//! | code                | status | when                                                  |
//! |---------------------|--------|-------------------------------------------------------|
//! | `unauthorized`      | 401    | no bearer token, or one that is not configured        |
//! | `malformed_json`    | 400    | the body is not JSON (or not UTF-8)                   |
//! | `invalid_paper`     | 422    | the paper breaks the model; `errors` lists each field |
//! | `invalid_parameter` | 400    | a query parameter cannot be used; `errors` names it   |
//! | `payload_too_large` | 413    | the body is larger than a record may be               |
//! | `unsupported_media_type` | 415 | a body that is not `Content-Type: application/json`  |
//! | `not_found`         | 404    | no such paper, file or route                          |
//! | `conflict`          | 409    | already withdrawn, reference already taken            |
//! | `unavailable`       | 503    | the service is shutting down                          |
//! | `internal`          | 500    | anything else (logged; the message names no secrets)  |

use axum::Json;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::writer::WriterError;
use crate::archive::{ArchiveError, PublishError};
use crate::model::InputError;

/// An API failure as the client sees it.
#[derive(Debug, Clone, Serialize)]
pub struct ApiError {
    #[serde(skip)]
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub errors: Vec<FieldProblem>,
}

/// One problem with one field of the request.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FieldProblem {
    /// Field path in record keys (`beratungsfolge[2].datum`), or the query parameter.
    pub path: String,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            errors: Vec::new(),
        }
    }

    pub fn unauthorized() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "this route needs a valid API token: Authorization: Bearer <token>",
        )
    }

    pub fn not_found(what: impl std::fmt::Display) -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what} not found"),
        )
    }

    pub fn parameter(path: &str, message: impl Into<String>) -> ApiError {
        let message = message.into();
        ApiError {
            errors: vec![FieldProblem {
                path: path.into(),
                message: message.clone(),
            }],
            ..ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_parameter",
                format!("{path}: {message}"),
            )
        }
    }

    pub fn too_large(limit: u64) -> ApiError {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the request body is larger than {limit} bytes"),
        )
    }

    pub fn unsupported_media_type(found: Option<&str>) -> ApiError {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!(
                "the request body must be JSON, sent as Content-Type: application/json (found: {})",
                found.unwrap_or("no Content-Type")
            ),
        )
    }

    /// A failure the client cannot fix: logged in full, answered without details.
    pub fn internal(error: impl std::fmt::Display) -> ApiError {
        tracing::error!("{error}");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error; the administrator finds the details in the service log",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(&self)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        response
    }
}

impl From<InputError> for ApiError {
    fn from(e: InputError) -> ApiError {
        match e {
            InputError::Invalid { errors, .. } => {
                let errors: Vec<FieldProblem> = errors
                    .into_iter()
                    .map(|f| FieldProblem {
                        message: match f.at {
                            Some(at) => format!("{} ({at})", f.message),
                            None => f.message,
                        },
                        path: f.path,
                    })
                    .collect();
                ApiError {
                    errors,
                    ..ApiError::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "invalid_paper",
                        "the paper is not valid; errors lists every problem",
                    )
                }
            }
            InputError::TooLarge { .. } => ApiError::too_large(crate::model::MAX_INPUT_BYTES),
            e @ (InputError::Syntax { .. } | InputError::NotUtf8 { .. }) => {
                ApiError::new(StatusCode::BAD_REQUEST, "malformed_json", e.to_string())
            }
            e @ (InputError::Io { .. } | InputError::UnknownFormat { .. }) => ApiError::internal(e),
        }
    }
}

impl From<ArchiveError> for ApiError {
    fn from(e: ArchiveError) -> ApiError {
        match e {
            ArchiveError::NotFound(what) => ApiError::not_found(what),
            ArchiveError::UnknownParent(_) => ApiError {
                errors: vec![FieldProblem {
                    path: "bezug".into(),
                    message: e.to_string(),
                }],
                ..ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_paper",
                    e.to_string(),
                )
            },
            ArchiveError::EmptyReason => ApiError::parameter("grund", "give the reason"),
            ArchiveError::Item { source, .. } => ApiError::from(*source),
            e if e.is_input_error() => {
                ApiError::new(StatusCode::CONFLICT, "conflict", e.to_string())
            }
            e => ApiError::internal(e),
        }
    }
}

impl From<PublishError> for ApiError {
    fn from(e: PublishError) -> ApiError {
        match e {
            PublishError::Archive(e) => ApiError::from(e),
            e => ApiError::internal(e),
        }
    }
}

impl From<WriterError> for ApiError {
    fn from(e: WriterError) -> ApiError {
        match e {
            WriterError::Gone => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the service is shutting down; try again shortly",
            ),
            WriterError::Publish(e) => ApiError::from(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_errors_keep_path_and_position() {
        let source = crate::model::SourceText::from_bytes(
            "request".into(),
            crate::model::Format::Json,
            br#"{"oeffentlich": true, "unbekannt": 1}"#.to_vec(),
        )
        .unwrap();
        let error = ApiError::from(crate::model::Paper::from_source(&source).unwrap_err());
        assert_eq!(error.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(error.code, "invalid_paper");
        assert!(
            error
                .errors
                .iter()
                .any(|e| e.path == "unbekannt" && e.message.contains("line 1")),
            "{:?}",
            error.errors
        );
        assert!(error.errors.iter().any(|e| e.path == "betreff"));
    }
}
