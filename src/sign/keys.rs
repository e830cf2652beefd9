//! Signing keys: PKCS#12 files (password from an environment variable or a file) and PEM
//! private keys with a PEM certificate chain. A key that does not match its certificate, an
//! RSA key under 2048 bits and a certificate outside its validity are refused.

use std::path::{Path, PathBuf};

use der::{Decode, Encode};
use p256::pkcs8::DecodePrivateKey;
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs8::DecodePublicKey;
use rsa::traits::PublicKeyParts;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use x509_cert::Certificate;

use super::{SignError, subject_name};

/// Where the signing key comes from (the `[signatur]` section of `drucksache.toml`, or the
/// `sign` command's flags).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyConfig {
    /// A PKCS#12 file (`.p12`/`.pfx`) with key and certificate chain.
    Pkcs12 {
        file: PathBuf,
        password: PasswordSource,
    },
    /// A PEM private key (PKCS#8, PKCS#1 or SEC1, unencrypted) and a PEM file with the
    /// signer's certificate and its chain.
    Pem { key: PathBuf, certificates: PathBuf },
}

/// Where the PKCS#12 password is read from: never from the command line itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordSource {
    /// The name of an environment variable.
    Env(String),
    /// A file whose content (without the final line break) is the password.
    File(PathBuf),
}

/// The private key behind a [`Signer`].
pub(crate) enum SigningKey {
    Rsa(Box<super::rsa_key::RsaKey>, usize),
    Ecdsa(Box<super::ecdsa_key::EcdsaKey>),
}

/// A loaded signing key with its certificate chain. Load once, sign many papers; it is
/// `Send + Sync`, so threads can share it.
pub struct Signer {
    pub(crate) key: SigningKey,
    /// The signer's certificate first, then the rest of the chain.
    pub(crate) chain: Vec<Certificate>,
    /// SHA-256 of the signer's certificate (for signing-certificate-v2).
    pub(crate) cert_hash: [u8; 32],
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("subject", &self.subject())
            .field("algorithm", &self.algorithm())
            .finish_non_exhaustive()
    }
}

impl Signer {
    /// Loads the key `config` names and checks that its certificate is valid now.
    pub fn load(config: &KeyConfig) -> Result<Signer, SignError> {
        let signer = match config {
            KeyConfig::Pkcs12 { file, password } => {
                let password = read_password(password)?;
                Signer::from_pkcs12(&read(file)?, &password, file)?
            }
            KeyConfig::Pem { key, certificates } => {
                Signer::from_pem(&read(key)?, &read(certificates)?, key, certificates)?
            }
        };
        signer.check_valid_at(OffsetDateTime::now_utc())?;
        Ok(signer)
    }

    /// A signer from the bytes of a PKCS#12 file; `path` is for messages only.
    pub fn from_pkcs12(bytes: &[u8], password: &str, path: &Path) -> Result<Signer, SignError> {
        let store = p12_keystore::KeyStore::from_pkcs12(bytes, password).map_err(|e| {
            SignError::Pkcs12 {
                path: path.into(),
                message: e.to_string(),
            }
        })?;
        let (_, entry) = store
            .private_key_chain()
            .ok_or_else(|| SignError::Pkcs12WithoutKey(path.into()))?;
        let key = key_from_pkcs8(entry.key()).map_err(|message| SignError::BadKey {
            path: path.into(),
            message,
        })?;
        let mut chain = Vec::new();
        for cert in entry.chain() {
            chain.push(Certificate::from_der(cert.as_der()).map_err(|e| {
                SignError::BadCertificate {
                    path: path.into(),
                    message: e.to_string(),
                }
            })?);
        }
        Signer::new(key, chain, path, path)
    }

    /// A signer from a PEM private key and a PEM certificate chain (in any order: the
    /// certificate that matches the key is the signer's). The paths are for messages only.
    pub fn from_pem(
        key_pem: &[u8],
        certificates_pem: &[u8],
        key_path: &Path,
        certificates_path: &Path,
    ) -> Result<Signer, SignError> {
        let key = key_from_pem(key_pem).map_err(|message| SignError::BadKey {
            path: key_path.into(),
            message,
        })?;
        let chain =
            load_certificates(certificates_pem).map_err(|message| SignError::BadCertificate {
                path: certificates_path.into(),
                message,
            })?;
        Signer::new(key, chain, key_path, certificates_path)
    }

    /// Puts the certificate that belongs to `key` first; refuses a key without one.
    pub(crate) fn new(
        key: SigningKey,
        mut chain: Vec<Certificate>,
        key_path: &Path,
        certificates_path: &Path,
    ) -> Result<Signer, SignError> {
        let Some(position) = chain.iter().position(|c| key.matches(c)) else {
            return Err(SignError::KeyMismatch {
                key: key_path.into(),
                certificate: certificates_path.into(),
            });
        };
        let own = chain.remove(position);
        chain.insert(0, own);
        let der = chain[0]
            .to_der()
            .map_err(|e| SignError::Cms(e.to_string()))?;
        Ok(Signer {
            key,
            chain,
            cert_hash: Sha256::digest(&der).into(),
        })
    }

    /// Refuses a time outside the signer certificate's validity.
    pub fn check_valid_at(&self, time: OffsetDateTime) -> Result<(), SignError> {
        let validity = &self.certificate().tbs_certificate.validity;
        let t = time.unix_timestamp();
        let not_before = validity.not_before.to_unix_duration().as_secs() as i64;
        let not_after = validity.not_after.to_unix_duration().as_secs() as i64;
        if t > not_after {
            return Err(SignError::Expired {
                subject: self.subject(),
                not_after: validity.not_after.to_string(),
            });
        }
        if t < not_before {
            return Err(SignError::NotYetValid {
                subject: self.subject(),
                not_before: validity.not_before.to_string(),
            });
        }
        Ok(())
    }

    /// Signs `pdf` as of `time`: returns the PDF with a new signature appended as an
    /// incremental update. The bytes of `pdf` are the unchanged beginning of the result.
    pub fn sign(&self, pdf: &[u8], time: OffsetDateTime) -> Result<Vec<u8>, SignError> {
        self.sign_loaded(pdf, &super::pdf::load(pdf)?, time)
    }

    /// [`Signer::sign`] of a PDF the caller has read already: `doc` is `pdf` read by
    /// [`super::pdf::load`] (re-rendering reads it once for signing and for its words).
    pub fn sign_loaded(
        &self,
        pdf: &[u8],
        doc: &super::pdf::Loaded,
        time: OffsetDateTime,
    ) -> Result<Vec<u8>, SignError> {
        self.check_valid_at(time)?;
        let mut prepared = super::pdf::prepare(pdf, doc, self.placeholder_len(), time)?;
        let digest = prepared.digest();
        let cms = super::cms::signed_data(self, &digest, time)?;
        prepared.fill(&cms)?;
        Ok(prepared.into_bytes())
    }

    /// The signer's certificate.
    pub fn certificate(&self) -> &Certificate {
        &self.chain[0]
    }

    /// The signer's certificate and the rest of its chain.
    pub fn chain(&self) -> &[Certificate] {
        &self.chain
    }

    /// The certificate's subject (`CN=…,O=…`).
    pub fn subject(&self) -> String {
        subject_name(self.certificate())
    }

    /// "RSA-2048 with SHA-256" or "ECDSA P-256 with SHA-256".
    pub fn algorithm(&self) -> String {
        match &self.key {
            SigningKey::Rsa(_, bits) => format!("RSA-{bits} with SHA-256"),
            SigningKey::Ecdsa(_) => "ECDSA P-256 with SHA-256".into(),
        }
    }

    /// Why the key should be replaced, though it still signs: an RSA key under 3000 bits,
    /// no longer suitable for signatures after 2025 (SOG-IS Agreed Cryptographic Mechanisms
    /// 1.3, announced by the Bundesnetzagentur). `None` for RSA-3072 and more, and for P-256.
    pub fn weakness(&self) -> Option<String> {
        match &self.key {
            SigningKey::Rsa(_, bits) if *bits < 3000 => Some(format!(
                "the signing key is RSA-{bits}: RSA keys under 3000 bits are no longer suitable for signatures since the end of 2025 (SOG-IS 1.3); replace it with RSA-3072 or ECDSA P-256"
            )),
            _ => None,
        }
    }

    /// Bytes reserved for the CMS: the certificates, the signature and the attributes, with
    /// room to spare. Fixed per signer, so a paper's size does not depend on chance.
    fn placeholder_len(&self) -> usize {
        let certs: usize = self
            .chain
            .iter()
            .map(|c| c.to_der().map(|d| d.len()).unwrap_or(4096))
            .sum();
        certs + 2048
    }
}

impl SigningKey {
    /// Whether `cert` carries this key's public key.
    fn matches(&self, cert: &Certificate) -> bool {
        let Ok(spki) = cert.tbs_certificate.subject_public_key_info.to_der() else {
            return false;
        };
        match self {
            SigningKey::Rsa(key, _) => rsa::RsaPublicKey::from_public_key_der(&spki)
                .is_ok_and(|public| public == key.private.to_public_key()),
            SigningKey::Ecdsa(key) => p256::PublicKey::from_public_key_der(&spki)
                .is_ok_and(|public| public == p256::PublicKey::from(key.private.verifying_key())),
        }
    }

    fn rsa(key: rsa::RsaPrivateKey) -> Result<SigningKey, String> {
        let bits = key.size() * 8;
        if bits < 2048 {
            return Err(format!(
                "an RSA key of {bits} bits is too weak; use at least 2048 bits"
            ));
        }
        Ok(SigningKey::Rsa(
            Box::new(super::rsa_key::RsaKey::new(key)?),
            bits,
        ))
    }

    fn ecdsa(key: p256::SecretKey) -> Result<SigningKey, String> {
        Ok(SigningKey::Ecdsa(Box::new(
            super::ecdsa_key::EcdsaKey::new(key.into())?,
        )))
    }
}

/// Parses a PKCS#8 private key (RSA or P-256).
pub(crate) fn key_from_pkcs8(der: &[u8]) -> Result<SigningKey, String> {
    if let Ok(key) = rsa::RsaPrivateKey::from_pkcs8_der(der) {
        return SigningKey::rsa(key);
    }
    match p256::SecretKey::from_pkcs8_der(der) {
        Ok(key) => SigningKey::ecdsa(key),
        Err(_) => Err("not an RSA or ECDSA P-256 private key".into()),
    }
}

/// Parses the first private key in a PEM file.
fn key_from_pem(pem: &[u8]) -> Result<SigningKey, String> {
    for (label, der) in pem_blocks(pem)? {
        match label.as_str() {
            "PRIVATE KEY" => return key_from_pkcs8(&der),
            "RSA PRIVATE KEY" => {
                let key = rsa::RsaPrivateKey::from_pkcs1_der(&der).map_err(|e| e.to_string())?;
                return SigningKey::rsa(key);
            }
            "EC PRIVATE KEY" => {
                let key = p256::SecretKey::from_sec1_der(&der)
                    .map_err(|_| "not an ECDSA key on the curve P-256".to_string())?;
                return SigningKey::ecdsa(key);
            }
            "ENCRYPTED PRIVATE KEY" => {
                return Err("encrypted PEM keys are not supported: use a PKCS#12 file with passwort_env or passwort_datei".into());
            }
            _ => {}
        }
    }
    Err("no PEM private key found (expected -----BEGIN PRIVATE KEY-----)".into())
}

/// Reads certificates from PEM (any number of `CERTIFICATE` blocks) or a single DER certificate.
pub fn load_certificates(bytes: &[u8]) -> Result<Vec<Certificate>, String> {
    if bytes.first() == Some(&0x30) {
        return Certificate::from_der(bytes)
            .map(|c| vec![c])
            .map_err(|e| e.to_string());
    }
    let mut certs = Vec::new();
    for (label, der) in pem_blocks(bytes)? {
        if label == "CERTIFICATE" {
            certs.push(Certificate::from_der(&der).map_err(|e| e.to_string())?);
        }
    }
    if certs.is_empty() {
        return Err("no certificate found (expected -----BEGIN CERTIFICATE-----)".into());
    }
    Ok(certs)
}

/// Every PEM block in `text` as (label, DER bytes).
fn pem_blocks(text: &[u8]) -> Result<Vec<(String, Vec<u8>)>, String> {
    let text = std::str::from_utf8(text).map_err(|_| "not a PEM file".to_string())?;
    let mut blocks = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("-----BEGIN ") {
        let block = &rest[start..];
        let label_end = block[11..].find("-----").ok_or("broken PEM header")? + 11;
        let label = &block[11..label_end];
        let end_marker = format!("-----END {label}-----");
        let end = block
            .find(&end_marker)
            .ok_or_else(|| format!("PEM block {label} has no end line"))?
            + end_marker.len();
        let (_, der) = der::pem::decode_vec(&block.as_bytes()[..end])
            .map_err(|e| format!("broken PEM block {label}: {e}"))?;
        blocks.push((label.to_string(), der));
        rest = &block[end..];
    }
    Ok(blocks)
}

fn read(path: &Path) -> Result<Vec<u8>, SignError> {
    std::fs::read(path).map_err(|source| SignError::Io {
        path: path.into(),
        source,
    })
}

fn read_password(source: &PasswordSource) -> Result<String, SignError> {
    match source {
        PasswordSource::Env(var) => {
            std::env::var(var).map_err(|_| SignError::PasswordEnvMissing(var.clone()))
        }
        PasswordSource::File(path) => {
            let text = String::from_utf8_lossy(&read(path)?).into_owned();
            Ok(text
                .strip_suffix('\n')
                .map(|t| t.strip_suffix('\r').unwrap_or(t))
                .unwrap_or(&text)
                .to_string())
        }
    }
}
