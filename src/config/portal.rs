//! `[portal]`: the legally required pages of the citizen portal — Impressum,
//! Datenschutzerklärung and Erklärung zur Barrierefreiheit (BITV 2.0 § 7) — each a text
//! (Markdown) or a URL, and the address for feedback about barriers (Feedback-Kontakt).

use serde::Deserialize;

/// Most characters of one page's text (a long Datenschutzerklärung has about 40,000).
pub const MAX_LEGAL_TEXT_CHARS: usize = 100_000;
/// Most characters of a URL or an e-mail address in `[portal]`.
pub const MAX_PORTAL_ADDRESS_CHARS: usize = 2_000;

/// `[portal]`, resolved. A page that is `None` says on the portal that the operator has not
/// provided it (and the service warns at start).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PortalSettings {
    /// Impressum (`impressum` or `impressum_url`).
    pub imprint: Option<LegalText>,
    /// Datenschutzerklärung (`datenschutz` or `datenschutz_url`).
    pub privacy: Option<LegalText>,
    /// Erklärung zur Barrierefreiheit (`barrierefreiheit` or `barrierefreiheit_url`).
    pub accessibility: Option<LegalText>,
    /// Feedback-Kontakt: the e-mail address for reports of barriers
    /// (`barrierefreiheit_kontakt`).
    pub feedback_email: Option<String>,
}

/// One legal page: its text, or where the operator publishes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LegalText {
    /// Markdown, shown on the portal's own page.
    Text(String),
    /// An `http(s)` address the portal's page links to.
    Url(String),
}

impl PortalSettings {
    /// The German names of the pages (and the keys) that are not configured.
    pub fn missing(&self) -> Vec<&'static str> {
        let mut missing = Vec::new();
        if self.imprint.is_none() {
            missing.push("Impressum (impressum oder impressum_url)");
        }
        if self.privacy.is_none() {
            missing.push("Datenschutzerklärung (datenschutz oder datenschutz_url)");
        }
        if self.accessibility.is_none() {
            missing.push(
                "Erklärung zur Barrierefreiheit (barrierefreiheit oder barrierefreiheit_url)",
            );
        }
        if self.feedback_email.is_none() {
            missing
                .push("Kontakt für Rückmeldungen zur Barrierefreiheit (barrierefreiheit_kontakt)");
        }
        missing
    }
}

/// `[portal]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PortalSection {
    impressum: Option<String>,
    impressum_url: Option<String>,
    datenschutz: Option<String>,
    datenschutz_url: Option<String>,
    barrierefreiheit: Option<String>,
    barrierefreiheit_url: Option<String>,
    barrierefreiheit_kontakt: Option<String>,
}

impl PortalSection {
    pub(super) fn resolve(self) -> Result<PortalSettings, String> {
        let feedback_email = match self.barrierefreiheit_kontakt {
            None => None,
            Some(email) => {
                let email = email.trim().to_string();
                if email.chars().count() > MAX_PORTAL_ADDRESS_CHARS
                    || email.chars().any(|c| c.is_whitespace() || c.is_control())
                    || !email
                        .split_once('@')
                        .is_some_and(|(user, host)| !user.is_empty() && host.contains('.'))
                {
                    return Err(format!(
                        "[portal] barrierefreiheit_kontakt: {email} is not an e-mail address (barrierefreiheit@example.de)"
                    ));
                }
                Some(email)
            }
        };
        Ok(PortalSettings {
            imprint: page("impressum", self.impressum, self.impressum_url)?,
            privacy: page("datenschutz", self.datenschutz, self.datenschutz_url)?,
            accessibility: page(
                "barrierefreiheit",
                self.barrierefreiheit,
                self.barrierefreiheit_url,
            )?,
            feedback_email,
        })
    }
}

/// One page from its text key `key` and its URL key `key_url`: at most one of the two.
fn page(key: &str, text: Option<String>, url: Option<String>) -> Result<Option<LegalText>, String> {
    match (text, url) {
        (None, None) => Ok(None),
        (Some(_), Some(_)) => Err(format!(
            "[portal] {key} and {key}_url: give the text or the URL of the page, not both"
        )),
        (Some(text), None) => {
            let chars = text.chars().count();
            if text.trim().is_empty() {
                return Err(format!(
                    "[portal] {key}: the text is empty (leave the key out if there is none yet)"
                ));
            }
            if chars > MAX_LEGAL_TEXT_CHARS {
                return Err(format!(
                    "[portal] {key}: {chars} characters; at most {MAX_LEGAL_TEXT_CHARS}"
                ));
            }
            if let Some(c) = text
                .chars()
                .find(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
            {
                return Err(format!(
                    "[portal] {key}: the control character U+{:04X} is not allowed in the text",
                    u32::from(c)
                ));
            }
            Ok(Some(LegalText::Text(text)))
        }
        (None, Some(url)) => {
            let url = url.trim().to_string();
            let host = url
                .strip_prefix("https://")
                .or_else(|| url.strip_prefix("http://"));
            if !host.is_some_and(|rest| !rest.is_empty() && !rest.starts_with('/'))
                || url.chars().any(|c| c.is_whitespace() || c.is_control())
                || url.chars().count() > MAX_PORTAL_ADDRESS_CHARS
            {
                return Err(format!(
                    "[portal] {key}_url: {url} must be a URL starting with https:// or http:// (at most {MAX_PORTAL_ADDRESS_CHARS} characters, no spaces)"
                ));
            }
            Ok(Some(LegalText::Url(url)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Overrides, Settings};
    use super::*;

    fn resolve(text: &str) -> Result<PortalSettings, String> {
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("d.toml");
        std::fs::write(&cfg, text).unwrap();
        Settings::resolve(Overrides {
            archive: dir.path().into(),
            config: Some(cfg),
            templates: None,
        })
        .map(|s| s.portal)
        .map_err(|e| e.to_string())
    }

    #[test]
    fn texts_urls_and_the_contact() {
        let portal = resolve(
            "[portal]
impressum = \"\"\"
# Herausgeber
Stadt Hagen, Rathausstraße 11
\"\"\"
datenschutz_url = \"https://www.hagen.example/datenschutz\"
barrierefreiheit = \"Diese Website ist teilweise barrierefrei.\"
barrierefreiheit_kontakt = \" barrierefreiheit@hagen.example \"\n",
        )
        .unwrap();
        assert_eq!(
            portal.imprint,
            Some(LegalText::Text(
                "# Herausgeber\nStadt Hagen, Rathausstraße 11\n".into()
            ))
        );
        assert_eq!(
            portal.privacy,
            Some(LegalText::Url(
                "https://www.hagen.example/datenschutz".into()
            ))
        );
        assert_eq!(
            portal.feedback_email.as_deref(),
            Some("barrierefreiheit@hagen.example")
        );
        assert!(portal.missing().is_empty());
        let none = resolve("").unwrap();
        assert_eq!(none, PortalSettings::default());
        assert_eq!(none.missing().len(), 4);
        assert!(none.missing()[0].contains("impressum_url"));
    }

    #[test]
    fn errors_name_the_key() {
        let long = "x".repeat(MAX_LEGAL_TEXT_CHARS + 1);
        for (text, want) in [
            (
                "[portal]\nimpressum = \"a\"\nimpressum_url = \"https://a.example\"\n".to_string(),
                "[portal] impressum and impressum_url: give the text or the URL",
            ),
            (
                "[portal]\ndatenschutz_url = \"www.hagen.example\"\n".into(),
                "[portal] datenschutz_url: www.hagen.example must be a URL",
            ),
            (
                "[portal]\ndatenschutz_url = \"https://\"\n".into(),
                "[portal] datenschutz_url: https:// must be a URL",
            ),
            (
                "[portal]\nbarrierefreiheit = \"  \"\n".into(),
                "[portal] barrierefreiheit: the text is empty",
            ),
            (
                format!("[portal]\nbarrierefreiheit = \"{long}\"\n"),
                "[portal] barrierefreiheit: 100001 characters; at most 100000",
            ),
            (
                "[portal]\nimpressum = \"a\\u0007b\"\n".into(),
                "[portal] impressum: the control character U+0007",
            ),
            (
                "[portal]\nbarrierefreiheit_kontakt = \"hagen.example\"\n".into(),
                "[portal] barrierefreiheit_kontakt: hagen.example is not an e-mail address",
            ),
            ("[portal]\nimpresum = \"a\"\n".into(), "impresum"),
        ] {
            let err = resolve(&text).unwrap_err();
            assert!(err.contains(want), "{err}");
        }
    }
}
