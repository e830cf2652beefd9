//! Development keys — NOT FOR PRODUCTION: a self-made CA and a signing certificate issued by it
//! (rcgen), written as PEM and PKCS#12, and the archive's development key created on first use.
//! Papers signed with them verify against the development CA only; nobody else trusts it.

use std::path::{Path, PathBuf};

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use rsa::pkcs8::EncodePrivateKey;
use time::{Duration, OffsetDateTime};

use super::keys::{Signer, key_from_pkcs8, load_certificates};
use super::{KeyConfig, SignError};

/// Folder of the archive's development key (inside the archive root).
pub const ARCHIVE_KEY_DIR: &str = "entwicklungsschluessel";

/// File names inside a key folder written by [`write_dev_keys`].
pub const CA_CERT: &str = "entwicklung-ca.pem";
pub const SIGNER_KEY: &str = "signatur-schluessel.pem";
pub const SIGNER_CHAIN: &str = "signatur-zertifikate.pem";
pub const SIGNER_P12: &str = "signatur.p12";
pub const SIGNER_P12_PASSWORD: &str = "signatur.p12.passwort";
pub const WARNING_FILE: &str = "NICHT-FUER-DEN-PRODUKTIVEN-EINSATZ.txt";

/// Words in every development certificate's subject, so no one mistakes it for a real one.
pub const NOT_FOR_PRODUCTION: &str = "NOT FOR PRODUCTION";

/// The key algorithm of a development key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Algorithm {
    /// RSA with 2048 bits.
    Rsa,
    /// ECDSA on the curve P-256.
    Ecdsa,
}

/// A development CA and a signing certificate it issued, in memory.
pub struct DevKeys {
    /// The CA certificate (PEM): the trust anchor for verification.
    pub ca_pem: String,
    /// The signing key (PKCS#8 PEM).
    pub key_pem: String,
    /// The signing certificate followed by the CA certificate (PEM).
    pub chain_pem: String,
    /// PKCS#8 DER of the signing key.
    key_der: Vec<u8>,
    signer_cert_der: Vec<u8>,
    ca_cert_der: Vec<u8>,
}

/// Creates a CA (valid 10 years) and a signing certificate (valid 5 years) from
/// `valid_from` on. `name` goes into the subjects (e.g. the municipality).
pub fn generate(
    algorithm: Algorithm,
    name: &str,
    valid_from: OffsetDateTime,
) -> Result<DevKeys, SignError> {
    let err = |e: rcgen::Error| SignError::KeyGeneration(e.to_string());
    let ca_key = new_key_pair(algorithm)?;
    let mut ca_params = CertificateParams::new(Vec::new()).map_err(err)?;
    ca_params.distinguished_name.push(
        DnType::CommonName,
        format!("{name} Entwicklungs-CA ({NOT_FOR_PRODUCTION})"),
    );
    ca_params.distinguished_name.push(
        DnType::OrganizationName,
        format!("drucksache {NOT_FOR_PRODUCTION}"),
    );
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca_params.not_before = valid_from - Duration::minutes(5);
    ca_params.not_after = valid_from + Duration::days(3650);
    let ca_cert = ca_params.self_signed(&ca_key).map_err(err)?;
    let issuer = Issuer::new(ca_params, ca_key);

    let key = new_key_pair(algorithm)?;
    let mut params = CertificateParams::new(Vec::new()).map_err(err)?;
    params.distinguished_name.push(
        DnType::CommonName,
        format!("{name} Signatur ({NOT_FOR_PRODUCTION})"),
    );
    params.distinguished_name.push(
        DnType::OrganizationName,
        format!("drucksache {NOT_FOR_PRODUCTION}"),
    );
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::ContentCommitment,
    ];
    params.use_authority_key_identifier_extension = true;
    params.not_before = valid_from - Duration::minutes(5);
    params.not_after = valid_from + Duration::days(5 * 365);
    let cert = params.signed_by(&key, &issuer).map_err(err)?;

    Ok(DevKeys {
        ca_pem: ca_cert.pem(),
        key_pem: key.serialize_pem(),
        chain_pem: format!("{}{}", cert.pem(), ca_cert.pem()),
        key_der: key.serialize_der(),
        signer_cert_der: cert.der().to_vec(),
        ca_cert_der: ca_cert.der().to_vec(),
    })
}

fn new_key_pair(algorithm: Algorithm) -> Result<KeyPair, SignError> {
    let err = |e: String| SignError::KeyGeneration(e);
    match algorithm {
        Algorithm::Ecdsa => {
            KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(|e| err(e.to_string()))
        }
        Algorithm::Rsa => {
            let key = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048)
                .map_err(|e| err(e.to_string()))?;
            let der = key.to_pkcs8_der().map_err(|e| err(e.to_string()))?;
            KeyPair::from_pkcs8_der_and_sign_algo(&der.as_bytes().into(), &rcgen::PKCS_RSA_SHA256)
                .map_err(|e| err(e.to_string()))
        }
    }
}

impl DevKeys {
    /// A [`Signer`] for this key.
    pub fn signer(&self) -> Result<Signer, SignError> {
        let key = key_from_pkcs8(&self.key_der).map_err(SignError::KeyGeneration)?;
        let chain =
            load_certificates(self.chain_pem.as_bytes()).map_err(SignError::KeyGeneration)?;
        Signer::new(
            key,
            chain,
            Path::new("(generated)"),
            Path::new("(generated)"),
        )
    }

    /// The key and chain as PKCS#12, encrypted with `password` (PBES2, AES-256, SHA-256 MAC).
    pub fn pkcs12(&self, password: &str) -> Result<Vec<u8>, SignError> {
        let err = |e: p12_keystore::error::Error| SignError::KeyGeneration(e.to_string());
        let chain = [
            p12_keystore::Certificate::from_der(&self.signer_cert_der).map_err(err)?,
            p12_keystore::Certificate::from_der(&self.ca_cert_der).map_err(err)?,
        ];
        let entry = p12_keystore::PrivateKeyChain::new(&self.key_der, [1u8; 20], chain);
        let mut store = p12_keystore::KeyStore::new();
        store.add_entry(
            "signatur",
            p12_keystore::KeyStoreEntry::PrivateKeyChain(entry),
        );
        store.writer(password).write().map_err(err)
    }
}

/// The files [`write_dev_keys`] wrote.
#[derive(Debug, Clone)]
pub struct DevKeyFiles {
    pub dir: PathBuf,
    pub ca: PathBuf,
    pub key: PathBuf,
    pub chain: PathBuf,
    pub pkcs12: PathBuf,
    pub pkcs12_password: PathBuf,
}

impl DevKeyFiles {
    fn in_dir(dir: &Path) -> DevKeyFiles {
        DevKeyFiles {
            dir: dir.into(),
            ca: dir.join(CA_CERT),
            key: dir.join(SIGNER_KEY),
            chain: dir.join(SIGNER_CHAIN),
            pkcs12: dir.join(SIGNER_P12),
            pkcs12_password: dir.join(SIGNER_P12_PASSWORD),
        }
    }

    /// The PEM key configuration for these files.
    pub fn key_config(&self) -> KeyConfig {
        KeyConfig::Pem {
            key: self.key.clone(),
            certificates: self.chain.clone(),
        }
    }
}

/// Writes `keys` into `dir` (created if needed): the CA certificate, the signing key and
/// chain as PEM, the same as PKCS#12 with a random password in a file beside it, a warning
/// file and a `.gitignore` that keeps the private key out of version control. Refuses to
/// overwrite an existing key.
pub fn write_dev_keys(dir: &Path, keys: &DevKeys) -> Result<DevKeyFiles, SignError> {
    let files = DevKeyFiles::in_dir(dir);
    let write_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| SignError::Write { path, source }
    };
    std::fs::create_dir_all(dir).map_err(write_err(dir))?;
    if files.key.exists() || files.pkcs12.exists() {
        return Err(SignError::Write {
            path: files.key.clone(),
            source: std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                "a key is already there; choose another folder or delete the old key first",
            ),
        });
    }
    let password = random_password()?;
    let p12 = keys.pkcs12(&password)?;
    let warning = format!(
        "{NOT_FOR_PRODUCTION} — NICHT FÜR DEN PRODUKTIVEN EINSATZ\n\n\
         These keys were made by `drucksache keygen` for development and tests. Papers signed\n\
         with them are valid only for whoever trusts {CA_CERT}. Never give them to citizens as\n\
         official papers; configure a real key in drucksache.toml ([signatur]).\n\n\
         {CA_CERT}  CA certificate: verify with `drucksache verify --trust {CA_CERT} FILE.pdf`\n\
         {SIGNER_KEY}  signing key (secret)\n\
         {SIGNER_CHAIN}  signing certificate + CA certificate\n\
         {SIGNER_P12}  the same key and chain as PKCS#12 (secret)\n\
         {SIGNER_P12_PASSWORD}  its password (secret)\n"
    );
    let secret_files: [(&Path, &[u8]); 3] = [
        (&files.key, keys.key_pem.as_bytes()),
        (&files.pkcs12, &p12),
        (&files.pkcs12_password, password.as_bytes()),
    ];
    let public_files: [(&Path, &[u8]); 4] = [
        (&files.ca, keys.ca_pem.as_bytes()),
        (&files.chain, keys.chain_pem.as_bytes()),
        (&dir.join(WARNING_FILE), warning.as_bytes()),
        (
            &dir.join(".gitignore"),
            b"# Development keys: the private key must never be committed.\n*\n",
        ),
    ];
    for (path, bytes) in secret_files {
        write_private(path, bytes).map_err(write_err(path))?;
    }
    for (path, bytes) in public_files {
        std::fs::write(path, bytes).map_err(write_err(path))?;
    }
    Ok(files)
}

/// The archive's development key, created on first use under
/// `<archive>/entwicklungsschluessel/` (ECDSA P-256: RSA keys under 3000 bits lost their
/// suitability for signatures at the end of 2025, SOG-IS catalogue 1.3, and an RSA-3072
/// signature costs several times a P-256 one). Returns the signer and whether the key was
/// created just now (the caller should warn loudly either way: it is not for production).
pub fn ensure_archive_key(archive_dir: &Path) -> Result<(Signer, bool), SignError> {
    let dir = archive_dir.join(ARCHIVE_KEY_DIR);
    let files = DevKeyFiles::in_dir(&dir);
    if files.key.exists() {
        return Ok((Signer::load(&files.key_config())?, false));
    }
    // Written beside the final folder and renamed into place, so an interrupted creation
    // never leaves half a key where the next run would look for one.
    let staging = archive_dir.join(format!("{ARCHIVE_KEY_DIR}.neu"));
    let write_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| SignError::Write { path, source }
    };
    if staging.exists() {
        std::fs::remove_dir_all(&staging).map_err(write_err(&staging))?;
    }
    let keys = generate(Algorithm::Ecdsa, "drucksache", OffsetDateTime::now_utc())?;
    write_dev_keys(&staging, &keys)?;
    std::fs::rename(&staging, &dir).map_err(write_err(&dir))?;
    Ok((keys.signer()?, true))
}

/// A file only the owner can read (on Unix).
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    std::io::Write::write_all(&mut options.open(path)?, bytes)
}

/// 24 random hex digits.
fn random_password() -> Result<String, SignError> {
    use rsa::rand_core::RngCore;
    let mut bytes = [0u8; 12];
    rsa::rand_core::OsRng
        .try_fill_bytes(&mut bytes)
        .map_err(|e| SignError::KeyGeneration(e.to_string()))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkcs12_round_trip_and_wrong_password() {
        let t = time::macros::datetime!(2026-01-01 00:00 UTC);
        let keys = generate(Algorithm::Ecdsa, "Test", t).unwrap();
        let p12 = keys.pkcs12("geheim").unwrap();
        let signer = Signer::from_pkcs12(&p12, "geheim", Path::new("k.p12")).unwrap();
        assert!(signer.subject().contains(NOT_FOR_PRODUCTION));
        assert_eq!(signer.chain().len(), 2);
        let err = Signer::from_pkcs12(&p12, "falsch", Path::new("k.p12")).unwrap_err();
        assert!(matches!(err, SignError::Pkcs12 { .. }), "{err}");
    }

    #[test]
    fn validity_follows_the_given_time() {
        let t = time::macros::datetime!(2026-01-01 00:00 UTC);
        let signer = generate(Algorithm::Ecdsa, "Test", t)
            .unwrap()
            .signer()
            .unwrap();
        signer.check_valid_at(t + Duration::days(365)).unwrap();
        let late = signer
            .check_valid_at(t + Duration::days(6 * 365))
            .unwrap_err();
        assert!(matches!(late, SignError::Expired { .. }), "{late}");
        let early = signer.check_valid_at(t - Duration::days(1)).unwrap_err();
        assert!(matches!(early, SignError::NotYetValid { .. }), "{early}");
    }

    #[test]
    fn a_key_needs_its_own_certificate() {
        let t = time::macros::datetime!(2026-01-01 00:00 UTC);
        let a = generate(Algorithm::Ecdsa, "A", t).unwrap();
        let b = generate(Algorithm::Ecdsa, "B", t).unwrap();
        let err = Signer::from_pem(
            a.key_pem.as_bytes(),
            b.chain_pem.as_bytes(),
            Path::new("a.pem"),
            Path::new("b.pem"),
        )
        .unwrap_err();
        assert!(matches!(err, SignError::KeyMismatch { .. }), "{err}");
    }

    /// An RSA-2048 key still signs, but is named as one to replace.
    #[test]
    fn rsa_2048_is_a_weakness() {
        let t = time::macros::datetime!(2026-01-01 00:00 UTC);
        let rsa = generate(Algorithm::Rsa, "Test", t)
            .unwrap()
            .signer()
            .unwrap();
        let weakness = rsa.weakness().unwrap();
        assert!(weakness.contains("RSA-2048"), "{weakness}");
        assert!(weakness.contains("ECDSA P-256"), "{weakness}");
    }

    #[test]
    fn the_archive_key_is_made_once_and_kept() {
        let archive = tempfile::tempdir().unwrap();
        let (first, created) = ensure_archive_key(archive.path()).unwrap();
        assert!(created);
        assert_eq!(first.algorithm(), "ECDSA P-256 with SHA-256");
        assert_eq!(first.weakness(), None);
        let dir = archive.path().join(ARCHIVE_KEY_DIR);
        assert!(dir.join(CA_CERT).is_file());
        assert!(dir.join(WARNING_FILE).is_file());
        let ignore = std::fs::read_to_string(dir.join(".gitignore")).unwrap();
        assert!(ignore.lines().any(|l| l == "*"), "{ignore}");
        let (second, created) = ensure_archive_key(archive.path()).unwrap();
        assert!(!created);
        assert_eq!(second.certificate(), first.certificate());
    }
}
