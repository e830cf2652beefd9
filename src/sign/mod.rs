//! PAdES signing and verification of the rendered papers: key loading, the incremental
//! update that carries a signature, the CMS signature itself, verification and development keys.
//!
//! A signature never changes the bytes it signs: it is appended to the PDF as an incremental
//! update (a new signature field, its widget, the updated catalog and page, a new
//! cross-reference section). The CMS is PAdES baseline B-B: SHA-256, signed attributes
//! content-type, message-digest, signing-time and signing-certificate-v2, RSA (2048 bits or
//! more, PKCS#1 v1.5) or ECDSA P-256. No timestamps, no revocation data (no B-T/B-LT).

mod cms;
pub mod dev;
mod keys;
pub mod pdf;
mod verify;

use std::path::PathBuf;

pub use keys::{KeyConfig, PasswordSource, Signer, load_certificates};
pub use verify::{SignatureReport, VerifyReport, verify};

/// Why signing (or loading a key) did not work. Every message says what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    #[error("the input is not a PDF (it does not start with %PDF-)")]
    NotPdf,
    #[error("cannot read the PDF: {0}")]
    UnreadablePdf(String),
    #[error(
        "the PDF is encrypted; sign the unencrypted original (an archived paper must not be encrypted)"
    )]
    Encrypted,
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "environment variable {0} (passwort_env) is not set: it must hold the PKCS#12 password"
    )]
    PasswordEnvMissing(String),
    #[error("cannot open PKCS#12 file {path}: wrong password, or not a PKCS#12 file ({message})")]
    Pkcs12 { path: PathBuf, message: String },
    #[error("PKCS#12 file {0} holds no private key with a certificate")]
    Pkcs12WithoutKey(PathBuf),
    #[error("cannot use the private key in {path}: {message}")]
    BadKey { path: PathBuf, message: String },
    #[error("cannot read the certificates in {path}: {message}")]
    BadCertificate { path: PathBuf, message: String },
    #[error(
        "the private key in {key} does not belong to the certificate in {certificate} (their public keys differ); give the matching key and certificate"
    )]
    KeyMismatch { key: PathBuf, certificate: PathBuf },
    #[error(
        "the certificate of {subject} expired on {not_after}; a signature made with it would not be valid: get a new certificate (or run `drucksache keygen` for a development key)"
    )]
    Expired { subject: String, not_after: String },
    #[error("the certificate of {subject} is not valid before {not_before}")]
    NotYetValid { subject: String, not_before: String },
    #[error("unsupported key: {0}; use RSA with at least 2048 bits or ECDSA on the curve P-256")]
    UnsupportedKey(String),
    #[error("cannot create the signature: {0}")]
    Cms(String),
    #[error("cannot create the development key: {0}")]
    KeyGeneration(String),
}

impl SignError {
    /// True when the input (PDF, key file, password, certificate) is at fault, not the program
    /// or the machine: the command line maps this to exit code 2.
    pub fn is_input_fault(&self) -> bool {
        !matches!(
            self,
            SignError::Write { .. } | SignError::Cms(_) | SignError::KeyGeneration(_)
        )
    }
}

/// Subject of a certificate as a readable distinguished name (`CN=…,O=…`).
pub(crate) fn subject_name(cert: &x509_cert::Certificate) -> String {
    cert.tbs_certificate.subject.to_string()
}
