//! The one JSON error shape of the API, `{code, message, errors: [{path, message}]}`. Which
//! code and HTTP status a failure gets is the one error table, `crate::error::TABLE`
//! (`GET /api/v1/openapi.json` lists its codes); this file builds the bodies and names the
//! field where a failure belongs to one (`bezug`, `grund`, a query parameter).

use axum::Json;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::writer::WriterError;
use crate::archive::ArchiveError;
use crate::error::{Code, code_of};
use crate::model::InputError;
use crate::publish::PublishError;

/// An API failure as the client sees it.
#[derive(Debug, Clone, Serialize)]
pub struct ApiError {
    #[serde(skip)]
    pub status: StatusCode,
    /// [`Code::name`].
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
    /// A failure of kind `code`, with its HTTP status from the table.
    pub fn new(code: Code, message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::from_u16(code.http_status())
                .expect("the error table holds valid HTTP statuses"),
            code: code.name(),
            message: message.into(),
            errors: Vec::new(),
        }
    }

    /// A failure of kind `code` about one field of the request.
    pub fn field(code: Code, path: &str, message: impl Into<String>) -> ApiError {
        let message = message.into();
        ApiError {
            errors: vec![FieldProblem {
                path: path.into(),
                message: message.clone(),
            }],
            ..ApiError::new(code, format!("{path}: {message}"))
        }
    }

    /// `error` as the client sees it: the client's own failures with their message, the
    /// others ([`ApiError::internal`] and anything answered 5xx) logged and without details.
    pub fn of(error: &(dyn std::error::Error + 'static)) -> ApiError {
        let code = code_of(error);
        if code.http_status() >= 500 && code != Code::Unavailable {
            ApiError::internal(error)
        } else {
            ApiError::new(code, error.to_string())
        }
    }

    pub fn unauthorized() -> ApiError {
        ApiError::new(
            Code::Unauthorized,
            "this route needs a valid API token: Authorization: Bearer <token>",
        )
    }

    pub fn not_found(what: impl std::fmt::Display) -> ApiError {
        ApiError::new(Code::NotFound, format!("{what} not found"))
    }

    pub fn parameter(path: &str, message: impl Into<String>) -> ApiError {
        ApiError::field(Code::InvalidParameter, path, message)
    }

    pub fn malformed_json(message: impl Into<String>) -> ApiError {
        ApiError::new(Code::MalformedJson, message)
    }

    pub fn too_large(limit: u64) -> ApiError {
        ApiError::new(
            Code::PayloadTooLarge,
            format!("the request body is larger than {limit} bytes"),
        )
    }

    pub fn unsupported_media_type(found: Option<&str>) -> ApiError {
        ApiError::new(
            Code::UnsupportedMediaType,
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
            Code::Internal,
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
                        Code::InvalidPaper,
                        "the paper is not valid; errors lists every problem",
                    )
                }
            }
            InputError::TooLarge { .. } => ApiError::too_large(crate::model::MAX_INPUT_BYTES),
            e => ApiError::of(&e),
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
                ..ApiError::new(Code::InvalidPaper, e.to_string())
            },
            ArchiveError::EmptyReason => ApiError::parameter("grund", "give the reason"),
            ArchiveError::Item { source, .. } => ApiError::from(*source),
            e => ApiError::of(&e),
        }
    }
}

impl From<PublishError> for ApiError {
    fn from(e: PublishError) -> ApiError {
        match e {
            PublishError::Archive(e) => ApiError::from(e),
            e => ApiError::of(&e),
        }
    }
}

impl From<WriterError> for ApiError {
    fn from(e: WriterError) -> ApiError {
        match e {
            WriterError::Gone => ApiError::new(
                Code::Unavailable,
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
