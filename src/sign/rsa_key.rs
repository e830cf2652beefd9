//! An RSA signing key that signs through ring (RSASSA-PKCS1-v1_5 with SHA-256), several times
//! faster than the pure-Rust `rsa` crate, which still parses the key and checks it against
//! the certificate. It implements the RustCrypto signer traits the `cms` builder asks for.

use rsa::RsaPrivateKey;
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::signature::{Error, Keypair, Signer};
use sha2::Sha256;
use spki::{AlgorithmIdentifier, SignatureAlgorithmIdentifier};

/// An RSA private key, ready to sign with SHA-256.
pub(crate) struct RsaKey {
    /// The key as the `rsa` crate reads it (to compare it with a certificate).
    pub(crate) private: RsaPrivateKey,
    /// The same key, loaded into ring for signing.
    ring: ring::signature::RsaKeyPair,
    verifying: VerifyingKey<Sha256>,
}

impl RsaKey {
    /// Loads `private` into ring; the error says why ring refuses it.
    pub(crate) fn new(private: RsaPrivateKey) -> Result<RsaKey, String> {
        let der = private.to_pkcs1_der().map_err(|e| e.to_string())?;
        let ring = ring::signature::RsaKeyPair::from_der(der.as_bytes())
            .map_err(|e| format!("the RSA key cannot be used for signing: {e}"))?;
        let verifying = VerifyingKey::new(private.to_public_key());
        Ok(RsaKey {
            private,
            ring,
            verifying,
        })
    }
}

impl Keypair for RsaKey {
    type VerifyingKey = VerifyingKey<Sha256>;

    fn verifying_key(&self) -> VerifyingKey<Sha256> {
        self.verifying.clone()
    }
}

impl SignatureAlgorithmIdentifier for RsaKey {
    type Params = der::AnyRef<'static>;

    const SIGNATURE_ALGORITHM_IDENTIFIER: AlgorithmIdentifier<der::AnyRef<'static>> =
        <rsa::pkcs1v15::SigningKey<Sha256> as SignatureAlgorithmIdentifier>::SIGNATURE_ALGORITHM_IDENTIFIER;
}

impl Signer<Signature> for RsaKey {
    fn try_sign(&self, message: &[u8]) -> Result<Signature, Error> {
        let mut signature = vec![0; self.ring.public().modulus_len()];
        self.ring
            .sign(
                &ring::signature::RSA_PKCS1_SHA256,
                &ring::rand::SystemRandom::new(),
                message,
                &mut signature,
            )
            .map_err(|_| Error::new())?;
        Signature::try_from(signature.as_slice())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsa::signature::Verifier;

    /// ring's signature is the deterministic PKCS#1 v1.5 signature the `rsa` crate makes, and
    /// it verifies.
    #[test]
    fn ring_signs_what_the_rsa_crate_signs() {
        let private = RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).unwrap();
        let key = RsaKey::new(private.clone()).unwrap();
        let message = b"Drucksache 0310/2012";
        let ours = key.try_sign(message).unwrap();
        let theirs = rsa::pkcs1v15::SigningKey::<Sha256>::new(private).sign(message);
        assert_eq!(ours, theirs);
        key.verifying_key().verify(message, &ours).unwrap();
        assert!(key.verifying_key().verify(b"other", &ours).is_err());
    }
}
