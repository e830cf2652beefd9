//! Verification of every signature in a PDF: signer, signing time, algorithm, whether it
//! covers the whole file, whether the digest and the signature are valid, whether the chain
//! reaches a trust anchor, and what later incremental updates changed (see `changes/`).

use cms::cert::CertificateChoices;
use cms::content_info::ContentInfo;
use cms::signed_data::{SignedData, SignerIdentifier, SignerInfo};
use der::{Decode, Encode};
use lopdf::{Document, Object};
use rsa::pkcs8::DecodePublicKey;
use serde::Serialize;
use sha2::{Digest, Sha256};
use spki::AlgorithmIdentifierOwned;
use x509_cert::Certificate;

use super::changes;
use super::cms::{
    ID_MESSAGE_DIGEST, ID_SHA_256, ID_SIGNING_CERTIFICATE_V2, ID_SIGNING_TIME, SigningCertificateV2,
};
use super::subject_name;

const RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";
const SHA256_WITH_RSA: &str = "1.2.840.113549.1.1.11";
const ECDSA_WITH_SHA256: &str = "1.2.840.10045.4.3.2";

/// The result of checking a PDF's signatures (serialised for `verify --json`).
#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    /// File size in bytes.
    pub size: usize,
    /// One entry per signature, in the order they were made.
    pub signatures: Vec<SignatureReport>,
    /// Problems with the file as a whole (unreadable, no signature).
    pub problems: Vec<String>,
    /// True when there is at least one signature and every one is valid.
    pub valid: bool,
}

/// One signature.
#[derive(Debug, Clone, Serialize)]
pub struct SignatureReport {
    /// Name of the signature field (`Signatur1`, …).
    pub field: String,
    /// Subject of the signer's certificate.
    pub signer: Option<String>,
    /// Signing time from the signed attributes (RFC 3339, UTC).
    pub signing_time: Option<String>,
    /// e.g. "RSA-2048 with SHA-256".
    pub algorithm: Option<String>,
    /// The integers of the `/ByteRange` as written.
    pub byte_range: Vec<i64>,
    /// Where the signed bytes end (the end of the second range), when the `/ByteRange` is
    /// valid.
    pub signed_up_to: Option<usize>,
    /// The signed ranges cover the whole file except the signature itself.
    pub covers_whole_file: bool,
    /// The SHA-256 of the signed ranges equals the signed message digest.
    pub digest_valid: bool,
    /// The signature over the signed attributes verifies with the signer's certificate,
    /// and signing-certificate-v2 names that certificate.
    pub signature_valid: bool,
    /// Subjects from the signer up the chain, as far as it could be built.
    pub chain: Vec<String>,
    /// Whether the chain reaches one of the given trust anchors (`None`: none given).
    pub trusted: Option<bool>,
    /// Changes made by incremental updates after this signature that a signature must not
    /// allow (page content, fonts, metadata, …); each is also a problem.
    pub later_changes: Vec<String>,
    /// Annotations added by later incremental updates: allowed, but a reader sees them.
    pub later_annotations: Vec<String>,
    /// Form fields added or filled in by later incremental updates: allowed (no DocMDP), but
    /// a reader sees them.
    pub later_form_changes: Vec<String>,
    /// Everything that makes this signature invalid, in words.
    pub problems: Vec<String>,
    /// Intact, valid, no forbidden later change and (with trust anchors) trusted.
    pub valid: bool,
}

/// Checks every signature in `pdf`. With `trust` anchors, each chain must reach one of them.
pub fn verify(pdf: &[u8], trust: &[Certificate]) -> VerifyReport {
    let mut report = VerifyReport {
        size: pdf.len(),
        signatures: Vec::new(),
        problems: Vec::new(),
        valid: false,
    };
    if !pdf.starts_with(b"%PDF-") {
        report
            .problems
            .push("the file is not a PDF (it does not start with %PDF-)".into());
        return report;
    }
    let doc = match Document::load_mem(pdf) {
        Ok(doc) => doc,
        Err(e) => {
            report.problems.push(format!(
                "the file is damaged or truncated and cannot be read as a PDF: {e}"
            ));
            return report;
        }
    };
    let mut found = signature_fields(&doc);
    found.sort_by_key(|(_, sig)| {
        byte_range(sig)
            .ok()
            .and_then(|br| br.get(1).copied())
            .unwrap_or(0)
    });
    for (field, sig) in found {
        report
            .signatures
            .push(check_signature(pdf, &doc, field, &sig, trust));
    }
    if report.signatures.is_empty() {
        report.problems.push("the PDF has no signature".into());
    }
    report.valid = report.problems.is_empty() && report.signatures.iter().all(|s| s.valid);
    report
}

/// (field name, signature dictionary) of every signed signature field.
fn signature_fields(doc: &Document) -> Vec<(String, lopdf::Dictionary)> {
    let mut out = Vec::new();
    let Ok(catalog) = doc.catalog() else {
        return out;
    };
    let Ok((_, Object::Dictionary(form))) =
        catalog.get(b"AcroForm").and_then(|f| doc.dereference(f))
    else {
        return out;
    };
    let Ok((_, Object::Array(fields))) = form.get(b"Fields").and_then(|f| doc.dereference(f))
    else {
        return out;
    };
    let mut stack: Vec<Object> = fields.clone();
    let mut seen = 0;
    while let Some(f) = stack.pop() {
        seen += 1;
        if seen > 10_000 {
            break;
        }
        let Ok((_, Object::Dictionary(field))) = doc.dereference(&f) else {
            continue;
        };
        if let Ok(Object::Array(kids)) = field.get(b"Kids") {
            stack.extend(kids.iter().cloned());
        }
        let is_sig = field.get(b"FT").and_then(Object::as_name).ok() == Some(b"Sig");
        if !is_sig {
            continue;
        }
        let Ok((_, Object::Dictionary(sig))) = field.get(b"V").and_then(|v| doc.dereference(v))
        else {
            continue;
        };
        let name = field
            .get(b"T")
            .and_then(Object::as_str)
            .map(|t| String::from_utf8_lossy(t).into_owned())
            .unwrap_or_default();
        out.push((name, sig.clone()));
    }
    out
}

/// The integers of `/ByteRange`, or why it is not a list of integers.
fn byte_range(sig: &lopdf::Dictionary) -> Result<Vec<i64>, String> {
    match sig.get(b"ByteRange") {
        Ok(Object::Array(a)) => a
            .iter()
            .map(|o| o.as_i64().ok())
            .collect::<Option<Vec<i64>>>()
            .ok_or_else(|| "the /ByteRange holds something other than integers".to_string()),
        Ok(_) => Err("the /ByteRange is not an array".into()),
        Err(_) => Err("the signature has no /ByteRange".into()),
    }
}

fn check_signature(
    pdf: &[u8],
    doc: &Document,
    field: String,
    sig: &lopdf::Dictionary,
    trust: &[Certificate],
) -> SignatureReport {
    let byte_range = byte_range(sig);
    let mut r = SignatureReport {
        field,
        signer: None,
        signing_time: None,
        algorithm: None,
        byte_range: match &byte_range {
            Ok(br) => br.clone(),
            Err(_) => match sig.get(b"ByteRange") {
                Ok(Object::Array(a)) => a.iter().filter_map(|o| o.as_i64().ok()).collect(),
                _ => Vec::new(),
            },
        },
        signed_up_to: None,
        covers_whole_file: false,
        digest_valid: false,
        signature_valid: false,
        chain: Vec::new(),
        trusted: None,
        later_changes: Vec::new(),
        later_annotations: Vec::new(),
        later_form_changes: Vec::new(),
        problems: Vec::new(),
        valid: false,
    };
    let contents = match sig.get(b"Contents").and_then(Object::as_str) {
        Ok(c) => c.to_vec(),
        Err(_) => {
            r.problems.push("the signature has no /Contents".into());
            return r;
        }
    };
    let ranges = byte_range.and_then(|br| check_ranges(pdf, &br, &contents));
    let ranges = match ranges {
        Ok(ranges) => Some(ranges),
        Err(problem) => {
            r.problems.push(problem);
            None
        }
    };
    r.signed_up_to = ranges.as_ref().map(|g| g.end);
    r.covers_whole_file = r.signed_up_to == Some(pdf.len());
    let signed_data = match parse_cms(&contents) {
        Ok(sd) => sd,
        Err(e) => {
            r.problems
                .push(format!("the signature (CMS) cannot be read: {e}"));
            return r;
        }
    };
    let certs: Vec<Certificate> = signed_data
        .certificates
        .iter()
        .flat_map(|set| set.0.iter())
        .filter_map(|c| match c {
            CertificateChoices::Certificate(c) => Some(c.clone()),
            _ => None,
        })
        .collect();
    let Some(info) = signed_data.signer_infos.0.iter().next() else {
        r.problems.push("the CMS has no signer".into());
        return r;
    };
    let signer_cert = certs.iter().find(|c| identifies(&info.sid, c));
    r.signer = signer_cert.map(subject_name);

    // Digest over the signed ranges.
    let message_digest = signed_attribute(info, ID_MESSAGE_DIGEST)
        .and_then(|a| a.decode_as::<der::asn1::OctetString>().ok());
    if info.digest_alg.oid != ID_SHA_256 {
        r.problems.push(format!(
            "digest algorithm {} is not supported (only SHA-256)",
            info.digest_alg.oid
        ));
    } else if let Some(ranges) = &ranges {
        let mut hasher = Sha256::new();
        hasher.update(&pdf[..ranges.gap_start]);
        hasher.update(&pdf[ranges.gap_end..ranges.end]);
        let actual = hasher.finalize();
        r.digest_valid = message_digest.is_some_and(|d| d.as_bytes() == &actual[..]);
        if !r.digest_valid {
            r.problems.push(
                "the document was changed after signing: the digest of the signed bytes does not match".into(),
            );
        }
    }
    let signing_time: Option<u64> = signed_attribute(info, ID_SIGNING_TIME)
        .and_then(|a| a.to_der().ok())
        .and_then(|der| x509_cert::time::Time::from_der(&der).ok())
        .map(|t| t.to_unix_duration().as_secs());
    r.signing_time = signing_time
        .and_then(|secs| time::OffsetDateTime::from_unix_timestamp(secs as i64).ok())
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        });

    // The signature itself.
    match signer_cert {
        None => r
            .problems
            .push("the certificate of the signer is not in the signature".into()),
        Some(cert) => {
            r.algorithm = describe_algorithm(cert, &info.signature_algorithm);
            let signed = info
                .signed_attrs
                .as_ref()
                .and_then(|a| a.to_der().ok())
                .unwrap_or_default();
            let checked = verify_signature(
                &cert.tbs_certificate.subject_public_key_info,
                &info.signature_algorithm,
                &signed,
                info.signature.as_bytes(),
            );
            let bound = signing_certificate_matches(info, cert);
            match (checked, bound) {
                (Ok(()), true) => r.signature_valid = true,
                (Err(e), _) => r.problems.push(format!(
                    "the signature does not verify with the signer's certificate: {e}"
                )),
                (Ok(()), false) => r.problems.push(
                    "the signed signing-certificate-v2 attribute does not name the signer's certificate".into(),
                ),
            }
            if let Some(problem) = outside_validity(cert, signing_time) {
                r.problems.push(problem);
            }
            r.chain = build_chain(cert, &certs, trust, &mut r.trusted);
            if r.trusted == Some(false) {
                r.problems.push(
                    "the certificate chain does not reach a trusted certificate (--trust)".into(),
                );
            }
        }
    }

    if let Some(ranges) = &ranges
        && ranges.end < pdf.len()
    {
        match Document::load_mem(&pdf[..ranges.end]) {
            Ok(then) => {
                let changes = changes::compare(&then, doc);
                r.later_changes = changes.forbidden;
                r.later_annotations = changes.annotations;
                r.later_form_changes = changes.form;
            }
            Err(e) => r.later_changes.push(format!(
                "cannot be compared with the signed revision (bytes 0 to {}: {e})",
                ranges.end
            )),
        }
        for change in &r.later_changes {
            r.problems
                .push(format!("a later incremental update {change}"));
        }
    }
    r.valid = r.problems.is_empty() && r.digest_valid && r.signature_valid;
    r
}

/// A problem when the signer's certificate was not valid at the claimed signing time.
fn outside_validity(cert: &Certificate, signing_time: Option<u64>) -> Option<String> {
    let t = signing_time?;
    let validity = &cert.tbs_certificate.validity;
    let not_before = validity.not_before.to_unix_duration().as_secs();
    let not_after = validity.not_after.to_unix_duration().as_secs();
    (t < not_before || t > not_after).then(|| {
        format!(
            "the signer's certificate was not valid at the signing time (valid {} to {})",
            validity.not_before, validity.not_after
        )
    })
}

/// The signed ranges of a valid `/ByteRange`: `0..gap_start` and `gap_end..end`.
struct Ranges {
    gap_start: usize,
    gap_end: usize,
    end: usize,
}

/// Checks `/ByteRange` `[a b c d]` (ranges `a..a+b` and `c..c+d`): four integers, none
/// negative, the first range starts at 0, the ranges do not overlap, the second ends inside
/// the file, and the gap between them is exactly the `/Contents` hex string. Each fault has its
/// own message; no arithmetic on the numbers can overflow.
fn check_ranges(pdf: &[u8], br: &[i64], contents: &[u8]) -> Result<Ranges, String> {
    let [a, b, c, d] = *br else {
        return Err(format!(
            "the /ByteRange has {} number{} instead of 4",
            br.len(),
            if br.len() == 1 { "" } else { "s" }
        ));
    };
    if let Some(negative) = br.iter().find(|n| **n < 0) {
        return Err(format!(
            "the /ByteRange holds a negative number ({negative})"
        ));
    }
    if a != 0 {
        return Err(format!(
            "the /ByteRange does not start at the beginning of the file (the first range starts at byte {a})"
        ));
    }
    if c < b {
        return Err(format!(
            "the two ranges of the /ByteRange overlap (the first ends at byte {b}, the second starts at byte {c})"
        ));
    }
    if c == b {
        return Err(format!(
            "the /ByteRange leaves no gap for the signature (both ranges meet at byte {b})"
        ));
    }
    let too_far = || {
        format!(
            "the /ByteRange reaches past the end of the file (to byte {}, but the file has {} bytes): the file is truncated or the /ByteRange is forged",
            i128::from(c) + i128::from(d),
            pdf.len()
        )
    };
    let end = c
        .checked_add(d)
        .and_then(|end| usize::try_from(end).ok())
        .filter(|end| *end <= pdf.len())
        .ok_or_else(too_far)?;
    // b < c <= end <= pdf.len(), so both fit in usize.
    let (gap_start, gap_end) = (b as usize, c as usize);
    let gap = &pdf[gap_start..gap_end];
    let is_hex_string = |s: &[u8]| {
        s.len() >= 2
            && s[0] == b'<'
            && s[s.len() - 1] == b'>'
            && s[1..s.len() - 1].iter().all(u8::is_ascii_hexdigit)
    };
    let decodes_to_contents = |s: &[u8]| hex_decode(&s[1..s.len() - 1]) == contents;
    if is_hex_string(gap) && decodes_to_contents(gap) {
        return Ok(Ranges {
            gap_start,
            gap_end,
            end,
        });
    }
    // Where in the gap is the signature's hex string, if at all?
    let inside = gap.iter().position(|&x| x == b'<').and_then(|open| {
        let close = open + gap[open..].iter().position(|&x| x == b'>')?;
        let s = &gap[open..=close];
        (is_hex_string(s) && decodes_to_contents(s)).then_some(s.len())
    });
    Err(match inside {
        Some(len) => format!(
            "the unsigned gap of the /ByteRange (bytes {b} to {c}) is wider than the signature's /Contents: {} bytes besides the hex string are not signed",
            gap.len() - len
        ),
        None if is_hex_string(gap) => format!(
            "the unsigned gap of the /ByteRange (bytes {b} to {c}) is a hex string, but not the signature's /Contents"
        ),
        None => format!(
            "the unsigned gap of the /ByteRange (bytes {b} to {c}) does not hold the signature's /Contents"
        ),
    })
}

/// Hex digits to bytes (an odd last digit counts as followed by 0, as in a PDF hex string).
fn hex_decode(hex: &[u8]) -> Vec<u8> {
    let digit = |h: u8| (h as char).to_digit(16).unwrap_or(0) as u8;
    hex.chunks(2)
        .map(|pair| digit(pair[0]) << 4 | pair.get(1).map_or(0, |&l| digit(l)))
        .collect()
}

fn parse_cms(contents: &[u8]) -> Result<SignedData, String> {
    // The placeholder is padded with zeros after the DER.
    let mut reader = der::SliceReader::new(contents).map_err(|e| e.to_string())?;
    let info: ContentInfo = der::Decode::decode(&mut reader).map_err(|e| e.to_string())?;
    info.content
        .decode_as::<SignedData>()
        .map_err(|e| e.to_string())
}

fn identifies(sid: &SignerIdentifier, cert: &Certificate) -> bool {
    match sid {
        SignerIdentifier::IssuerAndSerialNumber(ias) => {
            ias.issuer == cert.tbs_certificate.issuer
                && ias.serial_number == cert.tbs_certificate.serial_number
        }
        SignerIdentifier::SubjectKeyIdentifier(ski) => cert
            .tbs_certificate
            .get::<x509_cert::ext::pkix::SubjectKeyIdentifier>()
            .ok()
            .flatten()
            .is_some_and(|(_, own)| own.0 == ski.0),
    }
}

fn signed_attribute(info: &SignerInfo, oid: der::oid::ObjectIdentifier) -> Option<&der::Any> {
    info.signed_attrs
        .as_ref()?
        .iter()
        .find(|a| a.oid == oid)?
        .values
        .iter()
        .next()
}

/// signing-certificate-v2 must be present and hold the SHA-256 of the signer's certificate.
fn signing_certificate_matches(info: &SignerInfo, cert: &Certificate) -> bool {
    let Some(value) = signed_attribute(info, ID_SIGNING_CERTIFICATE_V2) else {
        return false;
    };
    let Ok(v2) = value.decode_as::<SigningCertificateV2>() else {
        return false;
    };
    let Ok(der) = cert.to_der() else {
        return false;
    };
    let hash = Sha256::digest(&der);
    v2.certs.first().is_some_and(|id| {
        let sha256 = id
            .hash_algorithm
            .as_ref()
            .is_none_or(|a| a.oid == ID_SHA_256);
        sha256 && id.cert_hash.as_bytes() == &hash[..]
    })
}

fn describe_algorithm(cert: &Certificate, alg: &AlgorithmIdentifierOwned) -> Option<String> {
    let spki = cert.tbs_certificate.subject_public_key_info.to_der().ok()?;
    match alg.oid.to_string().as_str() {
        RSA_ENCRYPTION | SHA256_WITH_RSA => {
            let key = rsa::RsaPublicKey::from_public_key_der(&spki).ok()?;
            Some(format!(
                "RSA-{} with SHA-256",
                rsa::traits::PublicKeyParts::size(&key) * 8
            ))
        }
        ECDSA_WITH_SHA256 => Some("ECDSA P-256 with SHA-256".into()),
        other => Some(format!("unsupported ({other})")),
    }
}

/// Verifies `signature` over `message` with the key in `spki`.
fn verify_signature(
    spki: &spki::SubjectPublicKeyInfoOwned,
    alg: &AlgorithmIdentifierOwned,
    message: &[u8],
    signature: &[u8],
) -> Result<(), String> {
    use rsa::signature::Verifier;
    let spki = spki.to_der().map_err(|e| e.to_string())?;
    match alg.oid.to_string().as_str() {
        RSA_ENCRYPTION | SHA256_WITH_RSA => {
            let key = rsa::RsaPublicKey::from_public_key_der(&spki)
                .map_err(|_| "the certificate does not hold an RSA key".to_string())?;
            let key = rsa::pkcs1v15::VerifyingKey::<Sha256>::new(key);
            let sig = rsa::pkcs1v15::Signature::try_from(signature)
                .map_err(|_| "malformed RSA signature".to_string())?;
            key.verify(message, &sig)
                .map_err(|_| "the RSA signature is wrong".to_string())
        }
        ECDSA_WITH_SHA256 => {
            let key = p256::ecdsa::VerifyingKey::from_public_key_der(&spki)
                .map_err(|_| "the certificate does not hold a P-256 key".to_string())?;
            let sig = p256::ecdsa::DerSignature::try_from(signature)
                .map_err(|_| "malformed ECDSA signature".to_string())?;
            key.verify(message, &sig)
                .map_err(|_| "the ECDSA signature is wrong".to_string())
        }
        other => Err(format!("signature algorithm {other} is not supported")),
    }
}

/// Walks from `cert` to its issuers (in `pool`, then `trust`) and records whether a trust
/// anchor is reached (`trusted` stays `None` without anchors).
fn build_chain(
    cert: &Certificate,
    pool: &[Certificate],
    trust: &[Certificate],
    trusted: &mut Option<bool>,
) -> Vec<String> {
    let mut chain = vec![subject_name(cert)];
    let mut current = cert.clone();
    let mut reached = false;
    for _ in 0..8 {
        if trust.iter().any(|t| t == &current) {
            reached = true;
            break;
        }
        let issued_by = |issuer: &&Certificate| {
            issuer.tbs_certificate.subject == current.tbs_certificate.issuer
                && current.tbs_certificate.to_der().ok().is_some_and(|tbs| {
                    verify_signature(
                        &issuer.tbs_certificate.subject_public_key_info,
                        &current.signature_algorithm,
                        &tbs,
                        current.signature.raw_bytes(),
                    )
                    .is_ok()
                })
        };
        if let Some(anchor) = trust.iter().find(issued_by) {
            if anchor != &current {
                chain.push(subject_name(anchor));
            }
            reached = true;
            break;
        }
        let self_signed = current.tbs_certificate.subject == current.tbs_certificate.issuer;
        match pool.iter().find(issued_by) {
            Some(next) if !self_signed => {
                chain.push(subject_name(next));
                current = next.clone();
            }
            _ => break,
        }
    }
    if !trust.is_empty() {
        *trusted = Some(reached);
    }
    chain
}
