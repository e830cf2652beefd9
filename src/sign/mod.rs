//! PAdES signing and verification of the rendered papers: key loading, the incremental
//! update that carries a signature, the CMS signature itself, verification and development keys.
//!
//! A signature never changes the bytes it signs: it is appended to the PDF as an incremental
//! update (a new signature field, its widget, the updated catalog and page, a new
//! cross-reference section). The CMS is PAdES baseline B-B: SHA-256, signed attributes
//! content-type, message-digest, signing-time and signing-certificate-v2, RSA (2048 bits or
//! more, PKCS#1 v1.5) or ECDSA P-256. No timestamps, no revocation data (no B-T/B-LT).

mod changes;
mod cms;
pub mod dev;
mod ecdsa_key;
mod keys;
pub mod pdf;
mod rsa_key;
mod tagging;
mod verify;
mod xmp;

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

/// Subject of a certificate as a readable distinguished name (`CN=…,O=…`).
pub(crate) fn subject_name(cert: &x509_cert::Certificate) -> String {
    cert.tbs_certificate.subject.to_string()
}

/// Who a certificate subject names, in words: its common name (CN) and its organisation (O).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectWords {
    pub name: Option<String>,
    pub organization: Option<String>,
}

/// The CN and O of `subject`, a distinguished name as RFC 4514 writes it (as
/// [`VerifyReport`] and the archive give a signer: `CN=Stadt Hagen\, Rat,O=Stadt Hagen`),
/// escapes undone. `None` when `subject` is no distinguished name.
pub fn subject_in_words(subject: &str) -> Option<SubjectWords> {
    use std::str::FromStr;
    use x509_cert::der::asn1::{Ia5StringRef, PrintableStringRef, TeletexStringRef, Utf8StringRef};
    use x509_cert::der::oid::db::rfc4519::{CN, O};
    use x509_cert::der::{Tag, Tagged};

    let name = x509_cert::name::RdnSequence::from_str(subject).ok()?;
    let mut words = SubjectWords {
        name: None,
        organization: None,
    };
    for rdn in name.0.iter().rev() {
        for atv in rdn.0.iter() {
            let value = match atv.value.tag() {
                Tag::Utf8String => Utf8StringRef::try_from(&atv.value)
                    .ok()
                    .map(|s| s.as_str().to_string()),
                Tag::PrintableString => PrintableStringRef::try_from(&atv.value)
                    .ok()
                    .map(|s| s.as_str().to_string()),
                Tag::Ia5String => Ia5StringRef::try_from(&atv.value)
                    .ok()
                    .map(|s| s.as_str().to_string()),
                Tag::TeletexString => TeletexStringRef::try_from(&atv.value)
                    .ok()
                    .map(|s| s.as_str().to_string()),
                _ => None,
            };
            let slot = match atv.oid {
                oid if oid == CN => &mut words.name,
                oid if oid == O => &mut words.organization,
                _ => continue,
            };
            if slot.is_none() {
                *slot = value.filter(|v| !v.trim().is_empty());
            }
        }
    }
    Some(words)
}

#[cfg(test)]
mod tests {
    use lopdf::{Document, Object, Stream, dictionary};
    use time::macros::datetime;

    use super::dev::{Algorithm, generate};
    use super::*;

    #[test]
    fn subjects_in_words() {
        let keys = generate(
            Algorithm::Ecdsa,
            "Stadt Hagen",
            datetime!(2026-01-01 0:00 UTC),
        )
        .unwrap();
        let cert = load_certificates(keys.chain_pem.as_bytes()).unwrap();
        let words = subject_in_words(&subject_name(&cert[0])).unwrap();
        assert_eq!(
            words.name.as_deref(),
            Some("Stadt Hagen Signatur (NOT FOR PRODUCTION)")
        );
        assert_eq!(
            words.organization.as_deref(),
            Some("drucksache NOT FOR PRODUCTION")
        );
        let words = subject_in_words("CN=Hagen\\, Rat \\+ Verwaltung,O=Stadt Hagen,C=DE").unwrap();
        assert_eq!(words.name.as_deref(), Some("Hagen, Rat + Verwaltung"));
        assert_eq!(words.organization.as_deref(), Some("Stadt Hagen"));
        let words = subject_in_words("O=Stadt Gräfenhausen").unwrap();
        assert_eq!(
            (words.name, words.organization.as_deref()),
            (None, Some("Stadt Gräfenhausen"))
        );
        assert_eq!(subject_in_words("kein Name"), None);
    }

    /// A one-page PDF written by lopdf, with a classic cross-reference table or a stream.
    fn tiny_pdf(xref_stream: bool) -> Vec<u8> {
        let mut doc = Document::with_version("1.7");
        let pages_id = doc.new_object_id();
        let content_id = doc.add_object(Stream::new(dictionary! {}, b"0 0 m 10 10 l S".to_vec()));
        let page_id = doc.add_object(dictionary! {
            "Type" => "Page",
            "Parent" => pages_id,
            "Contents" => content_id,
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        });
        doc.objects.insert(
            pages_id,
            Object::Dictionary(dictionary! {
                "Type" => "Pages",
                "Kids" => vec![page_id.into()],
                "Count" => 1,
            }),
        );
        let catalog_id = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
        doc.trailer.set("Root", catalog_id);
        doc.reference_table.cross_reference_type = if xref_stream {
            lopdf::xref::XrefType::CrossReferenceStream
        } else {
            lopdf::xref::XrefType::CrossReferenceTable
        };
        let mut out = Vec::new();
        doc.save_to(&mut out).unwrap();
        out
    }

    #[test]
    fn sign_and_verify_with_a_fixed_time_in_both_xref_styles() {
        let valid_from = datetime!(2026-01-01 00:00 UTC);
        let keys = generate(Algorithm::Ecdsa, "Test", valid_from).unwrap();
        let signer = keys.signer().unwrap();
        let ca = load_certificates(keys.ca_pem.as_bytes()).unwrap();
        for xref_stream in [false, true] {
            let pdf = tiny_pdf(xref_stream);
            let once = signer
                .sign(&pdf, datetime!(2026-03-01 09:30:00 UTC))
                .unwrap();
            assert!(once.starts_with(&pdf));
            let twice = signer
                .sign(&once, datetime!(2026-03-02 10:00:00 UTC))
                .unwrap();
            assert!(twice.starts_with(&once));
            let report = verify(&twice, &ca);
            assert!(report.valid, "{report:#?}");
            let times: Vec<_> = report
                .signatures
                .iter()
                .map(|s| s.signing_time.clone().unwrap())
                .collect();
            assert_eq!(times, ["2026-03-01T09:30:00Z", "2026-03-02T10:00:00Z"]);
            assert!(!report.signatures[0].covers_whole_file);
            assert!(report.signatures[1].covers_whole_file);
            let doc = Document::load_mem(&twice).unwrap();
            assert_eq!(
                matches!(
                    doc.reference_table.cross_reference_type,
                    lopdf::xref::XrefType::CrossReferenceStream
                ),
                xref_stream
            );
        }
    }

    #[test]
    fn signing_outside_the_validity_is_refused() {
        let keys = generate(Algorithm::Ecdsa, "Test", datetime!(2026-01-01 00:00 UTC)).unwrap();
        let signer = keys.signer().unwrap();
        let err = signer
            .sign(&tiny_pdf(false), datetime!(2040-01-01 00:00 UTC))
            .unwrap_err();
        assert!(matches!(err, SignError::Expired { .. }), "{err}");
    }

    #[test]
    fn a_signer_is_shared_between_threads() {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<Signer>();
    }
}
