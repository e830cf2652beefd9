//! What the archive stores of one render: the PDF signed with the archive's key, and the
//! key itself (the configured one, else the archive's development key).

use std::sync::Arc;

use super::{PublishError, Publisher};
use crate::archive::{Archive, BoxError, Content, Produced};
use crate::model::Paper;
use crate::render::words::{PdfWords, document_words};
use crate::render::{RenderError, RenderOptions, Renderer};
use crate::sign::Signer;

impl Publisher {
    /// The archive and a [`Producer`] side by side, the renderer and the signing key built
    /// first if needed.
    pub(super) fn archive_and_producer(
        &mut self,
    ) -> Result<(&mut Archive, Producer), PublishError> {
        let producer = self.producer()?;
        Ok((&mut self.archive, producer))
    }

    /// A [`Producer`], the renderer and the signing key built first if needed.
    pub(super) fn producer(&mut self) -> Result<Producer, PublishError> {
        self.renderer()?;
        self.signer()?;
        Ok(Producer {
            renderer: Arc::clone(self.renderer.as_ref().expect("built above")),
            signer: Arc::clone(self.signer.as_ref().expect("loaded above")),
        })
    }

    /// The signing key: the configured one, else the archive's development key (created on
    /// first use, under the write lock, with a loud warning).
    fn signer(&mut self) -> Result<(), PublishError> {
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
        if let Some(weakness) = signer.0.weakness() {
            tracing::warn!("{weakness}");
        }
        if signer.1 {
            tracing::warn!(
                "signing with the archive's DEVELOPMENT key (not for production): {}",
                signer.0.subject()
            );
        }
        self.signer = Some(Arc::new(signer));
        Ok(())
    }
}

/// Renders and signs papers for the archive: the PDF the archive stores of each, signed now.
/// Cheap to clone and to send to other threads.
#[derive(Clone)]
pub(super) struct Producer {
    renderer: Arc<Renderer>,
    /// The signing key and whether it is the archive's development key.
    signer: Arc<(Signer, bool)>,
}

impl Producer {
    /// Many papers, rendered on all cores.
    pub(super) fn all(&self, papers: &[Paper]) -> Vec<Result<Produced, BoxError>> {
        self.renderer
            .render_all(papers, &RenderOptions::default())
            .into_iter()
            .map(|result| self.signed(result))
            .collect()
    }

    /// One paper, on this thread.
    pub(super) fn one(&self, paper: &Paper) -> Result<Produced, BoxError> {
        self.signed(self.unsigned(paper))
    }

    /// The renderer the PDFs are made with.
    pub(super) fn renderer(&self) -> &Renderer {
        &self.renderer
    }

    /// One paper's PDF before it is signed, exactly as [`Producer::one`] renders it.
    pub(super) fn unsigned(&self, paper: &Paper) -> Result<Vec<u8>, RenderError> {
        self.renderer.render(paper, &RenderOptions::default())
    }

    /// Signs a PDF from [`Producer::unsigned`]: what the archive stores, with its words
    /// recorded for a later re-rendering's content check.
    pub(super) fn signed(
        &self,
        rendered: Result<Vec<u8>, RenderError>,
    ) -> Result<Produced, BoxError> {
        let pdf = rendered?;
        let doc = crate::sign::pdf::load(&pdf)?;
        // A fresh rendering always reads; if it ever did not, the check reads the file later.
        let content = document_words(doc.pdf()).ok().map(|w| content(&w));
        self.signed_loaded(&pdf, &doc, content)
    }

    /// Signs a rendered PDF read as `doc` by `sign::pdf::load`, whose words are known
    /// (`content`: what [`content`] gives for `pdf`).
    pub(super) fn signed_loaded(
        &self,
        pdf: &[u8],
        doc: &crate::sign::pdf::Loaded,
        content: Option<Content>,
    ) -> Result<Produced, BoxError> {
        let (signer, development_key) = &*self.signer;
        let pdf = signer.sign_loaded(pdf, doc, time::OffsetDateTime::now_utc())?;
        Ok(Produced {
            pdf,
            template_sha512: self.renderer.template_sha512().to_string(),
            signer: Some(signer.subject()),
            development_key: *development_key,
            content,
        })
    }
}

/// What the archive records of a PDF's words: its page count and their digest.
pub(super) fn content(words: &PdfWords) -> Content {
    Content {
        pages: words.pages,
        words_sha256: words.digest(),
    }
}
