//! Settings: the configuration file < environment < command-line flags, resolved once into
//! [`Settings`] before any work starts.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::model::numbering::{self, Numbering};
use crate::model::{Committee, Committees};
use crate::render::Letterhead;
use crate::sign::{KeyConfig, PasswordSource};

mod portal;

pub use portal::{LegalText, MAX_LEGAL_TEXT_CHARS, MAX_PORTAL_ADDRESS_CHARS, PortalSettings};

/// Why the configuration could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read configuration {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("configuration {path}: {message}")]
    Invalid { path: PathBuf, message: String },
}

/// Everything a command needs to know about its surroundings.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Archive root (default `./archive`).
    pub archive: PathBuf,
    /// The configuration file that was read, if any.
    pub config_file: Option<PathBuf>,
    pub letterhead: Letterhead,
    /// A directory whose files override the embedded templates.
    pub template_dir: Option<PathBuf>,
    /// How Drucksachennummern are formed.
    pub numbering: Numbering,
    /// The signing key from `[signatur]`, if configured.
    pub signing_key: Option<KeyConfig>,
    /// `[dienst]`: how `serve` listens and whom the admin API admits.
    pub service: ServiceSettings,
    pub oparl: OparlSettings,
    /// `[[gremium]]`: the municipality's Gremien (empty: not configured).
    pub committees: Committees,
    /// `[portal]`: the legal pages of the citizen portal.
    pub portal: PortalSettings,
}

/// `[oparl]`: what OParl's System and Body say of the portal and the municipality (each
/// optional; left out of the objects when not given).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OparlSettings {
    /// `lizenz`: the URL of the licence the published data is under (`System.license`, and
    /// `Body.license`).
    pub license: Option<String>,
    /// `kontakt_email`, `kontakt_name`: whom to ask about the system (`contactEmail`,
    /// `contactName` of System and Body).
    pub contact_email: Option<String>,
    pub contact_name: Option<String>,
    /// `anbieter`, `produkt`: URLs of the software's vendor and product (`System.vendor`,
    /// `System.product`).
    pub vendor: Option<String>,
    pub product: Option<String>,
    /// `ags`: the Amtlicher Gemeindeschlüssel (8 digits, `Body.ags`).
    pub ags: Option<String>,
}

/// `[dienst]`, resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceSettings {
    /// Address `serve` listens on (default `127.0.0.1:8080`).
    pub listen: String,
    /// Public base URL for absolute links (OParl ids), without a trailing `/`; default
    /// `http://<listen>`.
    pub base_url: Option<String>,
    /// Bearer tokens of the admin API, by their SHA-256.
    pub tokens: Vec<ApiToken>,
    /// `zeitlimit_kopfzeilen`: how long a client may take to send a request's headers
    /// (also the longest a kept-alive connection waits idle) before it is closed.
    pub header_timeout: std::time::Duration,
    /// `max_verbindungen`: open connections at most; one more is answered 503 at once.
    pub max_connections: usize,
    /// `metriken_adresse`: `/metrics` on its own listener, without a token (else it is on
    /// the main address behind an admin token).
    pub metrics_listen: Option<String>,
}

/// Default of `[dienst] zeitlimit_kopfzeilen`, in seconds.
pub const DEFAULT_HEADER_TIMEOUT_SECS: u64 = 10;
/// Default of `[dienst] max_verbindungen`.
pub const DEFAULT_MAX_CONNECTIONS: usize = 512;

impl Default for ServiceSettings {
    fn default() -> Self {
        ServiceSettings {
            listen: DEFAULT_LISTEN.into(),
            base_url: None,
            tokens: Vec::new(),
            header_timeout: std::time::Duration::from_secs(DEFAULT_HEADER_TIMEOUT_SECS),
            max_connections: DEFAULT_MAX_CONNECTIONS,
            metrics_listen: None,
        }
    }
}

/// Default listen address of `serve`.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

/// One admin API token: who holds it and the SHA-256 of its secret (the secret itself is
/// never stored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    pub name: String,
    pub sha256: [u8; 32],
}

/// What the command line and environment said (clap fills this; `None` = not given).
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub archive: PathBuf,
    pub config: Option<PathBuf>,
    pub templates: Option<PathBuf>,
}

/// `drucksache.toml`. Keys are German, like the records.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default)]
    gemeinde: GemeindeSection,
    #[serde(default)]
    vorlagen: VorlagenSection,
    #[serde(default)]
    nummern: NummernSection,
    signatur: Option<SignaturSection>,
    #[serde(default)]
    dienst: DienstSection,
    #[serde(default)]
    oparl: OparlSection,
    #[serde(default)]
    gremium: Vec<GremiumSection>,
    #[serde(default)]
    portal: portal::PortalSection,
}

/// One `[[gremium]]`: `kennung` (its id in URLs), `name`, `andere_namen`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GremiumSection {
    kennung: String,
    name: String,
    #[serde(default)]
    andere_namen: Vec<String>,
}

/// `[oparl]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct OparlSection {
    lizenz: Option<String>,
    kontakt_email: Option<String>,
    kontakt_name: Option<String>,
    anbieter: Option<String>,
    produkt: Option<String>,
    ags: Option<String>,
}

impl OparlSection {
    fn resolve(self) -> Result<OparlSettings, String> {
        for (key, url) in [
            ("lizenz", &self.lizenz),
            ("anbieter", &self.anbieter),
            ("produkt", &self.produkt),
        ] {
            if let Some(url) = url
                && !(url.starts_with("http://") || url.starts_with("https://"))
            {
                return Err(format!(
                    "[oparl] {key}: {url} must be a URL starting with http:// or https://"
                ));
            }
        }
        if let Some(email) = &self.kontakt_email
            && !email
                .split_once('@')
                .is_some_and(|(user, host)| !user.is_empty() && host.contains('.'))
        {
            return Err(format!(
                "[oparl] kontakt_email: {email} is not an e-mail address (name@example.de)"
            ));
        }
        if let Some(ags) = &self.ags
            && !(ags.len() == 8 && ags.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(format!(
                "[oparl] ags: {ags} must be the 8 digits of the Amtlicher Gemeindeschlüssel (Hagen: 05914000)"
            ));
        }
        Ok(OparlSettings {
            license: self.lizenz,
            contact_email: self.kontakt_email,
            contact_name: self.kontakt_name,
            vendor: self.anbieter,
            product: self.produkt,
            ags: self.ags,
        })
    }
}

/// `[dienst]`: the service.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct DienstSection {
    adresse: Option<String>,
    basis_url: Option<String>,
    zeitlimit_kopfzeilen: Option<u64>,
    max_verbindungen: Option<usize>,
    metriken_adresse: Option<String>,
    /// `[[dienst.token]]` entries, as `drucksache token` prints them.
    #[serde(default)]
    token: Vec<TokenEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenEntry {
    name: String,
    sha256: String,
}

impl DienstSection {
    fn resolve(self) -> Result<ServiceSettings, String> {
        let mut tokens = Vec::new();
        for (i, entry) in self.token.into_iter().enumerate() {
            let mut sha256 = [0u8; 32];
            hex::decode_to_slice(entry.sha256.trim(), &mut sha256).map_err(|_| {
                format!(
                    "[[dienst.token]] {} ({}): sha256 must be 64 hex digits, as `drucksache token` prints it",
                    i + 1,
                    entry.name
                )
            })?;
            tokens.push(ApiToken {
                name: entry.name,
                sha256,
            });
        }
        let base_url = self
            .basis_url
            .map(|url| url.trim_end_matches('/').to_string());
        if let Some(url) = &base_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return Err(format!(
                "[dienst] basis_url: {url} must start with http:// or https://"
            ));
        }
        let header_timeout = self
            .zeitlimit_kopfzeilen
            .unwrap_or(DEFAULT_HEADER_TIMEOUT_SECS);
        if !(1..=300).contains(&header_timeout) {
            return Err(format!(
                "[dienst] zeitlimit_kopfzeilen: {header_timeout} must be between 1 and 300 seconds"
            ));
        }
        let max_connections = self.max_verbindungen.unwrap_or(DEFAULT_MAX_CONNECTIONS);
        if !(1..=100_000).contains(&max_connections) {
            return Err(format!(
                "[dienst] max_verbindungen: {max_connections} must be between 1 and 100000"
            ));
        }
        Ok(ServiceSettings {
            listen: self.adresse.unwrap_or_else(|| DEFAULT_LISTEN.into()),
            base_url,
            tokens,
            header_timeout: std::time::Duration::from_secs(header_timeout),
            max_connections,
            metrics_listen: self.metriken_adresse,
        })
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GemeindeSection {
    #[serde(default = "default_name")]
    name: String,
    #[serde(default = "default_head")]
    verwaltungsspitze: String,
    /// Image file, relative to the configuration file.
    wappen: Option<PathBuf>,
    #[serde(default = "default_seen_by")]
    gesehen: Vec<String>,
}

impl Default for GemeindeSection {
    fn default() -> Self {
        GemeindeSection {
            name: default_name(),
            verwaltungsspitze: default_head(),
            wappen: None,
            gesehen: default_seen_by(),
        }
    }
}

fn default_name() -> String {
    "Stadt Musterstadt".into()
}

fn default_head() -> String {
    "Der Bürgermeister".into()
}

fn default_seen_by() -> Vec<String> {
    vec!["Kämmerer/in".into(), "Beigeordnete/r".into()]
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct VorlagenSection {
    /// Template override directory, relative to the configuration file.
    verzeichnis: Option<PathBuf>,
}

/// `[nummern]`: the Drucksachennummer schemes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NummernSection {
    /// e.g. `"{seq:04}/{year}"`, `"VO/{seq}/{year}"`, `"{year}/{seq:04}"`.
    #[serde(default = "default_scheme")]
    schema: String,
    /// Supplements (Ergänzungsvorlagen), e.g. `"{parent}-{n}"`.
    #[serde(default = "default_supplement_scheme")]
    ergaenzung: String,
}

impl Default for NummernSection {
    fn default() -> Self {
        NummernSection {
            schema: default_scheme(),
            ergaenzung: default_supplement_scheme(),
        }
    }
}

/// `[signatur]`: either `pkcs12` with `passwort_env` or `passwort_datei`, or `schluessel`
/// with `zertifikat`. Paths are relative to the configuration file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SignaturSection {
    pkcs12: Option<PathBuf>,
    passwort_env: Option<String>,
    passwort_datei: Option<PathBuf>,
    schluessel: Option<PathBuf>,
    zertifikat: Option<PathBuf>,
}

impl SignaturSection {
    fn key_config(self, base: &Path) -> Result<KeyConfig, String> {
        match self {
            SignaturSection {
                pkcs12: Some(file),
                passwort_env,
                passwort_datei,
                schluessel: None,
                zertifikat: None,
            } => {
                let password = match (passwort_env, passwort_datei) {
                    (Some(var), None) => PasswordSource::Env(var),
                    (None, Some(file)) => PasswordSource::File(base.join(file)),
                    _ => {
                        return Err("[signatur] pkcs12 needs exactly one of passwort_env (an environment variable) or passwort_datei (a file) for the password".into());
                    }
                };
                Ok(KeyConfig::Pkcs12 {
                    file: base.join(file),
                    password,
                })
            }
            SignaturSection {
                pkcs12: None,
                passwort_env: None,
                passwort_datei: None,
                schluessel: Some(key),
                zertifikat: Some(certificates),
            } => Ok(KeyConfig::Pem {
                key: base.join(key),
                certificates: base.join(certificates),
            }),
            _ => Err("[signatur] needs either pkcs12 (with passwort_env or passwort_datei) or schluessel and zertifikat (PEM files)".into()),
        }
    }
}

fn default_scheme() -> String {
    numbering::DEFAULT_SCHEME.into()
}

fn default_supplement_scheme() -> String {
    numbering::DEFAULT_SUPPLEMENT_SCHEME.into()
}

impl Settings {
    /// The configuration file is `--config`/`DRUCKSACHE_CONFIG`, else `./drucksache.toml`,
    /// else `<archive>/drucksache.toml`; with none of them the embedded defaults apply.
    pub fn resolve(overrides: Overrides) -> Result<Settings, ConfigError> {
        let config_file = overrides.config.clone().or_else(|| {
            [
                PathBuf::from("drucksache.toml"),
                overrides.archive.join("drucksache.toml"),
            ]
            .into_iter()
            .find(|p| p.is_file())
        });
        let file = match &config_file {
            Some(path) => read(path)?,
            None => ConfigFile::default(),
        };
        let base = config_file
            .as_deref()
            .and_then(Path::parent)
            .unwrap_or(Path::new(""));
        let numbering =
            Numbering::new(&file.nummern.schema, &file.nummern.ergaenzung).map_err(|e| {
                ConfigError::Invalid {
                    path: config_file.clone().unwrap_or_default(),
                    message: format!("[nummern] {e}"),
                }
            })?;
        let signing_key = match file.signatur {
            Some(section) => {
                Some(
                    section
                        .key_config(base)
                        .map_err(|message| ConfigError::Invalid {
                            path: config_file.clone().unwrap_or_default(),
                            message,
                        })?,
                )
            }
            None => None,
        };
        let service = file
            .dienst
            .resolve()
            .map_err(|message| ConfigError::Invalid {
                path: config_file.clone().unwrap_or_default(),
                message,
            })?;
        let oparl = file
            .oparl
            .resolve()
            .map_err(|message| ConfigError::Invalid {
                path: config_file.clone().unwrap_or_default(),
                message,
            })?;
        let committees = Committees::new(
            file.gremium
                .into_iter()
                .map(|g| Committee {
                    id: g.kennung,
                    name: g.name,
                    aliases: g.andere_namen,
                })
                .collect(),
        )
        .map_err(|e| ConfigError::Invalid {
            path: config_file.clone().unwrap_or_default(),
            message: e.to_string(),
        })?;
        let portal = file
            .portal
            .resolve()
            .map_err(|message| ConfigError::Invalid {
                path: config_file.clone().unwrap_or_default(),
                message,
            })?;
        Ok(Settings {
            service,
            oparl,
            committees,
            portal,
            signing_key,
            archive: overrides.archive,
            letterhead: Letterhead {
                municipality: file.gemeinde.name,
                head: file.gemeinde.verwaltungsspitze,
                coat_of_arms: file.gemeinde.wappen.map(|p| base.join(p)),
                seen_by: file.gemeinde.gesehen,
            },
            template_dir: overrides
                .templates
                .or(file.vorlagen.verzeichnis.map(|p| base.join(p))),
            numbering,
            config_file,
        })
    }
}

fn read(path: &Path) -> Result<ConfigFile, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
        path: path.into(),
        source,
    })?;
    toml::from_str(&text).map_err(|e| ConfigError::Invalid {
        path: path.into(),
        message: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_values_and_relative_paths() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("d.toml");
        std::fs::write(&cfg, "[gemeinde]\nname = \"Stadt Hagen\"\nwappen = \"w.svg\"\n[vorlagen]\nverzeichnis = \"t\"\n").unwrap();
        let s = Settings::resolve(Overrides {
            archive: dir.path().into(),
            config: Some(cfg),
            templates: None,
        })
        .unwrap();
        assert_eq!(s.letterhead.municipality, "Stadt Hagen");
        assert_eq!(s.letterhead.head, "Der Bürgermeister");
        assert_eq!(s.letterhead.coat_of_arms, Some(dir.path().join("w.svg")));
        assert_eq!(s.template_dir, Some(dir.path().join("t")));
    }

    #[test]
    fn oparl_values_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("d.toml");
        let resolve = |text: &str| {
            std::fs::write(&cfg, text).unwrap();
            Settings::resolve(Overrides {
                archive: dir.path().into(),
                config: Some(cfg.clone()),
                templates: None,
            })
        };
        let s = resolve(
            "[oparl]
ags = \"05914000\"
kontakt_email = \"ratsinfo@hagen.de\"
lizenz = \"https://lizenz.example/cc-by-4.0/\"\n",
        )
        .unwrap();
        assert_eq!(s.oparl.ags.as_deref(), Some("05914000"));
        assert_eq!(s.oparl.contact_email.as_deref(), Some("ratsinfo@hagen.de"));
        assert_eq!(resolve("").unwrap().oparl, OparlSettings::default());
        for (text, want) in [
            (
                "[oparl]\nags = \"5914000\"\n",
                "[oparl] ags: 5914000 must be the 8 digits",
            ),
            (
                "[oparl]\nkontakt_email = \"hagen.de\"\n",
                "[oparl] kontakt_email: hagen.de is not",
            ),
            (
                "[oparl]\nlizenz = \"CC-BY\"\n",
                "[oparl] lizenz: CC-BY must be a URL",
            ),
        ] {
            let err = resolve(text).unwrap_err().to_string();
            assert!(err.contains(want), "{err}");
        }
    }

    #[test]
    fn signing_keys() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("d.toml");
        let resolve = |text: &str| {
            std::fs::write(&cfg, text).unwrap();
            Settings::resolve(Overrides {
                archive: dir.path().into(),
                config: Some(cfg.clone()),
                templates: None,
            })
        };
        let s = resolve("[signatur]\npkcs12 = \"k.p12\"\npasswort_env = \"PW\"\n").unwrap();
        assert_eq!(
            s.signing_key,
            Some(KeyConfig::Pkcs12 {
                file: dir.path().join("k.p12"),
                password: PasswordSource::Env("PW".into())
            })
        );
        let s = resolve("[signatur]\nschluessel = \"k.pem\"\nzertifikat = \"c.pem\"\n").unwrap();
        assert_eq!(
            s.signing_key,
            Some(KeyConfig::Pem {
                key: dir.path().join("k.pem"),
                certificates: dir.path().join("c.pem")
            })
        );
        assert_eq!(resolve("").unwrap().signing_key, None);
        let err = resolve("[signatur]\npkcs12 = \"k.p12\"\n").unwrap_err();
        assert!(err.to_string().contains("passwort_env"), "{err}");
        let err = resolve("[signatur]\npasswort = \"geheim\"\n").unwrap_err();
        assert!(err.to_string().contains("passwort"), "{err}");
    }

    #[test]
    fn flags_beat_the_file_and_typos_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("drucksache.toml"),
            "[vorlagen]\nverzeichnis = \"t\"\n",
        )
        .unwrap();
        let s = Settings::resolve(Overrides {
            archive: dir.path().into(),
            config: None,
            templates: Some("x".into()),
        })
        .unwrap();
        assert_eq!(s.template_dir, Some(PathBuf::from("x")));
        std::fs::write(
            dir.path().join("drucksache.toml"),
            "[gemeinde]\nnmae = \"x\"\n",
        )
        .unwrap();
        let err = Settings::resolve(Overrides {
            archive: dir.path().into(),
            ..Default::default()
        })
        .unwrap_err();
        assert!(err.to_string().contains("nmae"), "{err}");
        std::fs::write(
            dir.path().join("drucksache.toml"),
            "[nummern]\nschema = \"{seq}\"\n",
        )
        .unwrap();
        let err = Settings::resolve(Overrides {
            archive: dir.path().into(),
            ..Default::default()
        })
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("[nummern] schema = \"{seq}\": needs {year}"),
            "{err}"
        );
    }
}
