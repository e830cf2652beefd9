//! An ECDSA P-256 signing key that signs through ring (SHA-256, DER signature), many times
//! faster than the pure-Rust `p256` crate, which still parses the key and checks it against
//! the certificate. It implements the RustCrypto signer traits the `cms` builder asks for.

use p256::ecdsa::{DerSignature, SigningKey, VerifyingKey};
use rsa::signature::{Error, Keypair, Signer};
use spki::{AlgorithmIdentifier, SignatureAlgorithmIdentifier};

/// An ECDSA private key on the curve P-256, ready to sign with SHA-256.
pub(crate) struct EcdsaKey {
    /// The key as the `p256` crate reads it (to compare it with a certificate).
    pub(crate) private: SigningKey,
    /// The same key, loaded into ring for signing.
    ring: ring::signature::EcdsaKeyPair,
}

impl EcdsaKey {
    /// Loads `private` into ring; the error says why ring refuses it.
    pub(crate) fn new(private: SigningKey) -> Result<EcdsaKey, String> {
        let public = private.verifying_key().to_encoded_point(false);
        let ring = ring::signature::EcdsaKeyPair::from_private_key_and_public_key(
            &ring::signature::ECDSA_P256_SHA256_ASN1_SIGNING,
            &private.to_bytes(),
            public.as_bytes(),
            &ring::rand::SystemRandom::new(),
        )
        .map_err(|e| format!("the ECDSA key cannot be used for signing: {e}"))?;
        Ok(EcdsaKey { private, ring })
    }
}

impl Keypair for EcdsaKey {
    type VerifyingKey = VerifyingKey;

    fn verifying_key(&self) -> VerifyingKey {
        *self.private.verifying_key()
    }
}

impl SignatureAlgorithmIdentifier for EcdsaKey {
    type Params = der::AnyRef<'static>;

    const SIGNATURE_ALGORITHM_IDENTIFIER: AlgorithmIdentifier<der::AnyRef<'static>> =
        <SigningKey as SignatureAlgorithmIdentifier>::SIGNATURE_ALGORITHM_IDENTIFIER;
}

impl Signer<DerSignature> for EcdsaKey {
    fn try_sign(&self, message: &[u8]) -> Result<DerSignature, Error> {
        let signature = self
            .ring
            .sign(&ring::rand::SystemRandom::new(), message)
            .map_err(|_| Error::new())?;
        DerSignature::try_from(signature.as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsa::signature::Verifier;

    /// ring's signature verifies with the `p256` crate's public key of the same key, and
    /// only for the message signed.
    #[test]
    fn ring_signs_for_the_p256_key() {
        let private = SigningKey::random(&mut rsa::rand_core::OsRng);
        let key = EcdsaKey::new(private.clone()).unwrap();
        let message = b"Drucksache 0310/2012";
        let ours: DerSignature = key.try_sign(message).unwrap();
        let signature = p256::ecdsa::Signature::from_der(ours.as_bytes()).unwrap();
        private.verifying_key().verify(message, &signature).unwrap();
        assert!(
            private
                .verifying_key()
                .verify(b"other", &signature)
                .is_err()
        );
        assert_eq!(key.verifying_key(), *private.verifying_key());
    }
}
