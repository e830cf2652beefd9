//! What the archive stores of one render: the PDF signed with the archive's key, and the
//! key itself (the configured one, else the archive's development key).

use super::{PublishError, Publisher};
use crate::archive::{BoxError, Produced};
use crate::render::{RenderError, Renderer};
use crate::sign::Signer;

impl Publisher {
    /// The signing key: the configured one, else the archive's development key (created on
    /// first use, under the write lock, with a loud warning).
    pub(super) fn signer(&mut self) -> Result<(), PublishError> {
        if self.signer.is_some() {
            return Ok(());
        }
        let signer = match &self.settings.signing_key {
            Some(config) => (Signer::load(config)?, false),
            None => {
                let root = self.archive.root().to_path_buf();
                let (signer, created) = self
                    .archive
                    .locked(|_| crate::sign::dev::ensure_archive_key(&root))??;
                if created {
                    tracing::warn!(
                        "created a DEVELOPMENT signing key in {}: papers signed with it are NOT valid for production; configure [signatur] in drucksache.toml",
                        root.join(crate::sign::dev::ARCHIVE_KEY_DIR).display()
                    );
                }
                (signer, true)
            }
        };
        if signer.1 {
            tracing::warn!(
                "signing with the archive's DEVELOPMENT key (not for production): {}",
                signer.0.subject()
            );
        }
        self.signer = Some(signer);
        Ok(())
    }
}

/// What the archive stores of one render: the PDF signed now.
pub(super) fn produced(
    renderer: &Renderer,
    (signer, development_key): &(Signer, bool),
    result: Result<Vec<u8>, RenderError>,
) -> Result<Produced, BoxError> {
    let pdf = signer.sign(&result?, time::OffsetDateTime::now_utc())?;
    Ok(Produced {
        pdf,
        template_sha512: renderer.template_sha512().to_string(),
        signer: Some(signer.subject()),
        development_key: *development_key,
    })
}
