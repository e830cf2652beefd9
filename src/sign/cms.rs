//! The CMS SignedData of a PAdES B-B signature (detached, SHA-256) and the ASN.1 pieces that
//! building and verifying it share.

use cms::builder::{SignedDataBuilder, SignerInfoBuilder};
use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::ContentInfo;
use cms::signed_data::{EncapsulatedContentInfo, SignerIdentifier};
use der::asn1::{OctetString, SetOfVec, UtcTime};
use der::{Any, Encode, Sequence};
use spki::AlgorithmIdentifierOwned;
use time::OffsetDateTime;
use x509_cert::attr::Attribute;
use x509_cert::time::Time;

use super::SignError;
use super::keys::{Signer, SigningKey};

/// id-data: the content type of a detached PDF signature.
pub(crate) const ID_DATA: der::oid::ObjectIdentifier =
    der::oid::ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");
/// id-sha256.
pub(crate) const ID_SHA_256: der::oid::ObjectIdentifier =
    der::oid::ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
/// id-signingTime.
pub(crate) const ID_SIGNING_TIME: der::oid::ObjectIdentifier =
    der::oid::ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.5");
/// id-messageDigest.
pub(crate) const ID_MESSAGE_DIGEST: der::oid::ObjectIdentifier =
    der::oid::ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
/// id-aa-signingCertificateV2 (RFC 5035).
pub(crate) const ID_SIGNING_CERTIFICATE_V2: der::oid::ObjectIdentifier =
    der::oid::ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.47");

/// ESSCertIDv2 (RFC 5035). We write only the hash (the hash algorithm defaults to SHA-256);
/// other signers may also write the algorithm and issuerSerial.
#[derive(Clone, Debug, Sequence)]
pub(crate) struct EssCertIdV2 {
    #[asn1(optional = "true")]
    pub hash_algorithm: Option<AlgorithmIdentifierOwned>,
    pub cert_hash: OctetString,
    #[asn1(optional = "true")]
    pub issuer_serial: Option<Any>,
}

/// SigningCertificateV2; we write no policies.
#[derive(Clone, Debug, Sequence)]
pub(crate) struct SigningCertificateV2 {
    pub certs: Vec<EssCertIdV2>,
    #[asn1(optional = "true")]
    pub policies: Option<Any>,
}

/// The DER of a ContentInfo(SignedData) over the external `digest` (SHA-256 of the signed
/// byte ranges), signed by `signer` at `time`.
pub(crate) fn signed_data(
    signer: &Signer,
    digest: &[u8; 32],
    time: OffsetDateTime,
) -> Result<Vec<u8>, SignError> {
    let fail = |what: &str, e: &dyn std::fmt::Display| SignError::Cms(format!("{what}: {e}"));
    let content = EncapsulatedContentInfo {
        econtent_type: ID_DATA,
        econtent: None,
    };
    let cert = signer.certificate();
    let sid = SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
        issuer: cert.tbs_certificate.issuer.clone(),
        serial_number: cert.tbs_certificate.serial_number.clone(),
    });
    let sha256 = AlgorithmIdentifierOwned {
        oid: ID_SHA_256,
        parameters: None,
    };
    let attributes = [
        attribute(ID_SIGNING_TIME, &signing_time(time)?)?,
        attribute(
            ID_SIGNING_CERTIFICATE_V2,
            &SigningCertificateV2 {
                certs: vec![EssCertIdV2 {
                    hash_algorithm: None,
                    cert_hash: OctetString::new(signer.cert_hash.to_vec())
                        .map_err(|e| fail("certificate hash", &e))?,
                    issuer_serial: None,
                }],
                policies: None,
            },
        )?,
    ];

    let mut builder = SignedDataBuilder::new(&content);
    builder
        .add_digest_algorithm(sha256.clone())
        .map_err(|e| fail("digest algorithm", &e))?;
    for c in signer.chain() {
        builder
            .add_certificate(CertificateChoices::Certificate(c.clone()))
            .map_err(|e| fail("certificate", &e))?;
    }
    // The builder adds content-type and message-digest itself.
    match &signer.key {
        SigningKey::Rsa(key, _) => {
            let mut info =
                SignerInfoBuilder::new(key.as_ref(), sid, sha256, &content, Some(digest))
                    .map_err(|e| fail("signer info", &e))?;
            for a in attributes {
                info.add_signed_attribute(a)
                    .map_err(|e| fail("attribute", &e))?;
            }
            builder
                .add_signer_info::<_, rsa::pkcs1v15::Signature>(info)
                .map_err(|e| fail("RSA signature", &e))?;
        }
        SigningKey::Ecdsa(key) => {
            let mut info =
                SignerInfoBuilder::new(key.as_ref(), sid, sha256, &content, Some(digest))
                    .map_err(|e| fail("signer info", &e))?;
            for a in attributes {
                info.add_signed_attribute(a)
                    .map_err(|e| fail("attribute", &e))?;
            }
            builder
                .add_signer_info::<_, p256::ecdsa::DerSignature>(info)
                .map_err(|e| fail("ECDSA signature", &e))?;
        }
    }
    let info: ContentInfo = builder.build().map_err(|e| fail("SignedData", &e))?;
    info.to_der().map_err(|e| fail("encoding", &e))
}

/// An attribute with one value.
fn attribute(oid: der::oid::ObjectIdentifier, value: &impl Encode) -> Result<Attribute, SignError> {
    let der = value.to_der().map_err(|e| SignError::Cms(e.to_string()))?;
    let any = <Any as der::Decode>::from_der(&der).map_err(|e| SignError::Cms(e.to_string()))?;
    let mut values = SetOfVec::new();
    values
        .insert(any)
        .map_err(|e| SignError::Cms(e.to_string()))?;
    Ok(Attribute { oid, values })
}

/// Signing time as UTCTime (until 2049) or GeneralizedTime, as RFC 5652 prescribes.
pub(crate) fn signing_time(time: OffsetDateTime) -> Result<Time, SignError> {
    let secs = u64::try_from(time.unix_timestamp())
        .map_err(|_| SignError::Cms("signing time before 1970".into()))?;
    let duration = std::time::Duration::from_secs(secs);
    if time.year() < 2050 {
        UtcTime::from_unix_duration(duration)
            .map(Time::UtcTime)
            .map_err(|e| SignError::Cms(e.to_string()))
    } else {
        der::asn1::GeneralizedTime::from_unix_duration(duration)
            .map(Time::GeneralTime)
            .map_err(|e| SignError::Cms(e.to_string()))
    }
}
