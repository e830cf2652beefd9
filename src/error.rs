//! The one error table: every kind of failure has its stable code, the HTTP status the
//! service answers with and the exit code of the command line, here and nowhere else; and
//! every library error is given its kind here, once, in exhaustive matches (a new variant
//! does not compile until it has one). `server/error.rs` (the API's JSON errors), the
//! OpenAPI document and `commands::exit_code` read it.

use crate::archive::{ArchiveError, DbError, StoreError};
use crate::config::ConfigError;
use crate::model::{InputError, SchemeError};
use crate::publish::{HarvestError, PublishError};
use crate::render::RenderError;
use crate::search::SearchError;
use crate::sign::SignError;

/// A kind of failure, as clients and scripts see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    Unauthorized,
    MalformedJson,
    InvalidPaper,
    InvalidParameter,
    PayloadTooLarge,
    UnsupportedMediaType,
    NotFound,
    Conflict,
    UnreadableInput,
    InvalidConfiguration,
    InvalidSigningInput,
    Unavailable,
    Internal,
}

/// One row of the table.
pub struct Row {
    pub code: Code,
    /// The stable name (`invalid_paper`): the API's `code`.
    pub name: &'static str,
    /// What the service answers with.
    pub http_status: u16,
    /// What the command line exits with: 2 when the input was at fault (nothing was done),
    /// 1 otherwise.
    pub exit_code: u8,
    /// When it happens.
    pub when: &'static str,
}

/// Exit code for bad input (records, configuration, usage).
pub const EXIT_INVALID: u8 = 2;
/// Exit code for every other failure.
pub const EXIT_FAILURE: u8 = 1;

/// The table, in the order of [`Code`].
#[rustfmt::skip]
pub const TABLE: [Row; 13] = [
    Row { code: Code::Unauthorized, name: "unauthorized", http_status: 401, exit_code: EXIT_INVALID,
          when: "no bearer token, or one that is not configured" },
    Row { code: Code::MalformedJson, name: "malformed_json", http_status: 400, exit_code: EXIT_INVALID,
          when: "the body or record is not well-formed JSON (TOML), or not UTF-8" },
    Row { code: Code::InvalidPaper, name: "invalid_paper", http_status: 422, exit_code: EXIT_INVALID,
          when: "the paper breaks the model; errors lists each field" },
    Row { code: Code::InvalidParameter, name: "invalid_parameter", http_status: 400, exit_code: EXIT_INVALID,
          when: "a query parameter or command-line option cannot be used; errors names it" },
    Row { code: Code::PayloadTooLarge, name: "payload_too_large", http_status: 413, exit_code: EXIT_INVALID,
          when: "the body is larger than a record may be" },
    Row { code: Code::UnsupportedMediaType, name: "unsupported_media_type", http_status: 415, exit_code: EXIT_INVALID,
          when: "a body that is not sent as Content-Type: application/json" },
    Row { code: Code::NotFound, name: "not_found", http_status: 404, exit_code: EXIT_INVALID,
          when: "no such paper, file or route" },
    Row { code: Code::Conflict, name: "conflict", http_status: 409, exit_code: EXIT_INVALID,
          when: "already withdrawn, reference already taken, backup target not empty" },
    Row { code: Code::UnreadableInput, name: "unreadable_input", http_status: 500, exit_code: EXIT_INVALID,
          when: "a record file cannot be read or is neither .toml nor .json (command line only)" },
    Row { code: Code::InvalidConfiguration, name: "invalid_configuration", http_status: 500, exit_code: EXIT_INVALID,
          when: "drucksache.toml, its numbering scheme or a template override cannot be used" },
    Row { code: Code::InvalidSigningInput, name: "invalid_signing_input", http_status: 500, exit_code: EXIT_INVALID,
          when: "the PDF, key, certificate or password given for signing cannot be used" },
    Row { code: Code::Unavailable, name: "unavailable", http_status: 503, exit_code: EXIT_FAILURE,
          when: "the service is shutting down" },
    Row { code: Code::Internal, name: "internal", http_status: 500, exit_code: EXIT_FAILURE,
          when: "anything else (logged; the message names no secrets)" },
];

impl Code {
    /// Its row of [`TABLE`].
    pub fn row(self) -> &'static Row {
        let row = &TABLE[self as usize];
        debug_assert_eq!(row.code, self, "TABLE is in the order of Code");
        row
    }

    pub fn name(self) -> &'static str {
        self.row().name
    }

    pub fn http_status(self) -> u16 {
        self.row().http_status
    }

    pub fn exit_code(self) -> u8 {
        self.row().exit_code
    }
}

/// The kind of an error of this crate. `None`: the error only wraps its source, whose kind
/// decides (a failed render inside an archive write, one item of a batch).
pub trait ErrorCode {
    fn code(&self) -> Option<Code>;
}

/// The kind of the first error along a chain of causes (an error, its source, …) that has
/// one; [`Code::Internal`] when none has.
pub fn code_of_chain<'a>(
    chain: impl IntoIterator<Item = &'a (dyn std::error::Error + 'static)>,
) -> Code {
    chain
        .into_iter()
        .find_map(own_code)
        .unwrap_or(Code::Internal)
}

/// The kind of `error` and its sources.
pub fn code_of(error: &(dyn std::error::Error + 'static)) -> Code {
    code_of_chain(std::iter::successors(Some(error), |e| e.source()))
}

/// The kind of one error, if it is one of this crate's.
fn own_code(error: &(dyn std::error::Error + 'static)) -> Option<Code> {
    macro_rules! try_types {
        ($($t:ty),*) => {
            $(if let Some(e) = error.downcast_ref::<$t>() {
                return e.code();
            })*
        };
    }
    try_types!(
        InputError,
        ArchiveError,
        DbError,
        StoreError,
        PublishError,
        RenderError,
        SignError,
        SearchError,
        ConfigError,
        SchemeError
    );
    None
}

impl ErrorCode for InputError {
    fn code(&self) -> Option<Code> {
        Some(match self {
            InputError::Io { .. } | InputError::UnknownFormat { .. } => Code::UnreadableInput,
            InputError::TooLarge { .. } => Code::PayloadTooLarge,
            InputError::NotUtf8 { .. } | InputError::Syntax { .. } => Code::MalformedJson,
            InputError::Invalid { .. } => Code::InvalidPaper,
        })
    }
}

impl ErrorCode for ArchiveError {
    fn code(&self) -> Option<Code> {
        Some(match self {
            ArchiveError::Root { .. } | ArchiveError::Db(_) | ArchiveError::Store(_) => {
                Code::Internal
            }
            ArchiveError::ReferenceExists(_)
            | ArchiveError::NumberTaken { .. }
            | ArchiveError::AlreadyWithdrawn { .. }
            | ArchiveError::BackupTarget(_) => Code::Conflict,
            ArchiveError::UnknownParent(_) | ArchiveError::Legacy(_) => Code::InvalidPaper,
            ArchiveError::LegacyNumber { .. } | ArchiveError::NotStructured(_) => Code::Conflict,
            ArchiveError::NotFound(_) => Code::NotFound,
            ArchiveError::EmptyReason => Code::InvalidParameter,
            ArchiveError::Item { source, .. } => return source.code(),
            ArchiveError::Produce(_) => return None,
        })
    }
}

impl ErrorCode for DbError {
    fn code(&self) -> Option<Code> {
        match self {
            DbError::Open { .. }
            | DbError::Newer { .. }
            | DbError::ReadOnly { .. }
            | DbError::Sql(_)
            | DbError::Corrupt(_) => Some(Code::Internal),
        }
    }
}

impl ErrorCode for StoreError {
    fn code(&self) -> Option<Code> {
        Some(Code::Internal)
    }
}

impl ErrorCode for PublishError {
    fn code(&self) -> Option<Code> {
        match self {
            PublishError::Archive(e) => e.code(),
            PublishError::Render(e) => e.code(),
            PublishError::Sign(e) => e.code(),
            PublishError::Search(e) => e.code(),
            PublishError::Harvest(e) => Some(match e {
                HarvestError::Fetch(_)
                | HarvestError::Oparl(_)
                | HarvestError::NotASystem { .. } => Code::Unavailable,
                HarvestError::NoSuchBody { .. } | HarvestError::BadSince(_) => {
                    Code::InvalidParameter
                }
            }),
        }
    }
}

impl ErrorCode for RenderError {
    fn code(&self) -> Option<Code> {
        Some(match self {
            RenderError::MissingReference => Code::InvalidPaper,
            RenderError::Template(_)
            | RenderError::TemplateIo { .. }
            | RenderError::TemplateTooLarge { .. }
            | RenderError::NoTemplate { .. }
            | RenderError::CoatOfArms { .. } => Code::Internal,
        })
    }
}

impl ErrorCode for SignError {
    fn code(&self) -> Option<Code> {
        Some(match self {
            SignError::Write { .. } | SignError::Cms(_) | SignError::KeyGeneration(_) => {
                Code::Internal
            }
            SignError::NotPdf
            | SignError::UnreadablePdf(_)
            | SignError::Encrypted
            | SignError::Io { .. }
            | SignError::PasswordEnvMissing(_)
            | SignError::Pkcs12 { .. }
            | SignError::Pkcs12WithoutKey(_)
            | SignError::BadKey { .. }
            | SignError::BadCertificate { .. }
            | SignError::KeyMismatch { .. }
            | SignError::Expired { .. }
            | SignError::NotYetValid { .. }
            | SignError::UnsupportedKey(_) => Code::InvalidSigningInput,
        })
    }
}

impl ErrorCode for SearchError {
    fn code(&self) -> Option<Code> {
        Some(match self {
            SearchError::Query(_) => Code::InvalidParameter,
            SearchError::Tantivy { .. }
            | SearchError::Io { .. }
            | SearchError::NotAnIndex { .. } => Code::Internal,
        })
    }
}

impl ErrorCode for ConfigError {
    fn code(&self) -> Option<Code> {
        match self {
            ConfigError::Io { .. } | ConfigError::Invalid { .. } => {
                Some(Code::InvalidConfiguration)
            }
        }
    }
}

impl ErrorCode for SchemeError {
    fn code(&self) -> Option<Code> {
        Some(Code::InvalidConfiguration)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_in_the_order_of_code_and_names_are_unique() {
        let mut names = std::collections::HashSet::new();
        for (i, row) in TABLE.iter().enumerate() {
            assert_eq!(row.code as usize, i, "{}", row.name);
            assert!(names.insert(row.name), "{} twice", row.name);
            assert!(matches!(row.exit_code, EXIT_INVALID | EXIT_FAILURE));
        }
    }

    #[test]
    fn a_wrapped_error_takes_the_kind_of_its_source() {
        let inner = ArchiveError::NotFound("0001/2026".into());
        let batch = ArchiveError::Item {
            index: 2,
            source: Box::new(inner),
        };
        assert_eq!(code_of(&batch), Code::NotFound);
        let produce = ArchiveError::Produce(Box::new(SignError::NotPdf));
        assert_eq!(code_of(&produce), Code::InvalidSigningInput);
        let produce = ArchiveError::Produce("something".into());
        assert_eq!(code_of(&produce), Code::Internal);
    }
}
