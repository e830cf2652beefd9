//! `drucksache keygen`, `sign` and `verify`: development keys, signing a PDF with the
//! configured key, checking every signature of a PDF.

use std::path::Path;

use anyhow::Context;
use time::OffsetDateTime;

use super::{UsageError, write_atomically};
use crate::cli::{KeygenArgs, SignArgs, VerifyArgs};
use crate::config::Settings;
use crate::sign::{self, KeyConfig, PasswordSource, SignError, Signer, VerifyReport, dev};

/// The signatures of a PDF did not all check out; the message names every reason.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct VerifyFailed(pub String);

pub fn keygen(settings: &Settings, args: &KeygenArgs) -> anyhow::Result<()> {
    let keys = dev::generate(
        args.algorithm,
        &settings.letterhead.municipality,
        OffsetDateTime::now_utc(),
    )?;
    let files = dev::write_dev_keys(&args.out, &keys)?;
    eprintln!(
        "warning: {} — these keys are for development and tests only",
        dev::NOT_FOR_PRODUCTION
    );
    println!("CA certificate (trust anchor): {}", files.ca.display());
    println!("signing key:                   {}", files.key.display());
    println!("certificate chain:             {}", files.chain.display());
    println!(
        "PKCS#12:                       {} (password in {})",
        files.pkcs12.display(),
        files.pkcs12_password.display()
    );
    println!();
    println!("To sign with it, add to drucksache.toml:");
    println!("[signatur]");
    println!("schluessel = {:?}", files.key.display().to_string());
    println!("zertifikat = {:?}", files.chain.display().to_string());
    Ok(())
}

pub fn sign(settings: &Settings, args: &SignArgs) -> anyhow::Result<()> {
    let config = key_config(settings, args)?;
    let signer = Signer::load(&config)?;
    if let Some(weakness) = signer.weakness() {
        tracing::warn!("{weakness}");
    }
    let pdf = read(&args.input)?;
    let signed = signer
        .sign(&pdf, OffsetDateTime::now_utc())
        .with_context(|| format!("{}", args.input.display()))?;
    write_atomically(&args.output, &signed)?;
    println!("{}", args.output.display());
    Ok(())
}

/// The key from the flags, else from `[signatur]`, else an error that says how to get one.
fn key_config(settings: &Settings, args: &SignArgs) -> anyhow::Result<KeyConfig> {
    if let (Some(key), Some(cert)) = (&args.key, &args.cert) {
        return Ok(KeyConfig::Pem {
            key: key.clone(),
            certificates: cert.clone(),
        });
    }
    if let Some(file) = &args.pkcs12 {
        let password = match (&args.password_env, &args.password_file) {
            (Some(var), None) => PasswordSource::Env(var.clone()),
            (None, Some(path)) => PasswordSource::File(path.clone()),
            _ => {
                return Err(UsageError(
                    "--pkcs12 needs --password-env VAR or --password-file FILE (a password is never taken from the command line)".into(),
                )
                .into());
            }
        };
        return Ok(KeyConfig::Pkcs12 {
            file: file.clone(),
            password,
        });
    }
    settings.signing_key.clone().ok_or_else(|| {
        UsageError(
            "no signing key configured: add a [signatur] section to drucksache.toml \
             (pkcs12 = \"…\" with passwort_env or passwort_datei, or schluessel = \"…\" with \
             zertifikat = \"…\"), give --key/--cert or --pkcs12, or create a development key \
             with `drucksache keygen --out DIR`"
                .into(),
        )
        .into()
    })
}

pub fn verify(args: &VerifyArgs) -> anyhow::Result<()> {
    let mut trust = Vec::new();
    for path in &args.trust {
        let bytes = read(path)?;
        trust.extend(sign::load_certificates(&bytes).map_err(|message| {
            SignError::BadCertificate {
                path: path.clone(),
                message,
            }
        })?);
    }
    let pdf = read(&args.file)?;
    if !pdf.starts_with(b"%PDF-") {
        return Err(SignError::NotPdf).with_context(|| format!("{}", args.file.display()));
    }
    let report = sign::verify(&pdf, &trust);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", human(&args.file, &report, !trust.is_empty()));
    }
    for s in &report.signatures {
        for w in warnings(s) {
            eprintln!("warning: {}: a later incremental update {w}", s.field);
        }
    }
    if report.valid {
        return Ok(());
    }
    let mut reasons: Vec<String> = report.problems.clone();
    for s in &report.signatures {
        for p in &s.problems {
            reasons.push(format!("{}: {p}", s.field));
        }
    }
    Err(VerifyFailed(format!(
        "{}: signature check failed:\n  {}",
        args.file.display(),
        reasons.join("\n  ")
    ))
    .into())
}

/// The report for people.
fn human(file: &Path, report: &VerifyReport, with_trust: bool) -> String {
    let mut out = format!(
        "{}: {} signature{}, {} bytes\n",
        file.display(),
        report.signatures.len(),
        if report.signatures.len() == 1 {
            ""
        } else {
            "s"
        },
        report.size
    );
    let yes_no = |b: bool| if b { "valid" } else { "INVALID" };
    for s in &report.signatures {
        let unknown = || "unknown".to_string();
        let warnings: Vec<&String> = warnings(s).collect();
        let status = match (s.valid, warnings.len()) {
            (false, _) => "NOT VALID".to_string(),
            (true, 0) => "VALID".to_string(),
            (true, 1) => "VALID (1 warning)".to_string(),
            (true, n) => format!("VALID ({n} warnings)"),
        };
        out += &format!("{}: {status}\n", s.field);
        out += &format!(
            "  signer:       {}\n",
            s.signer.clone().unwrap_or_else(unknown)
        );
        out += &format!(
            "  signing time: {}\n",
            s.signing_time.clone().unwrap_or_else(unknown)
        );
        out += &format!(
            "  algorithm:    {}\n",
            s.algorithm.clone().unwrap_or_else(unknown)
        );
        let covers = match s.signed_up_to {
            _ if s.covers_whole_file => "the whole file".to_string(),
            Some(end) => format!(
                "bytes 0 to {end} of {} (later revisions follow)",
                report.size
            ),
            None => "unknown: the /ByteRange is not valid".to_string(),
        };
        out += &format!("  covers:       {covers}\n");
        out += &format!("  digest:       {}\n", yes_no(s.digest_valid));
        out += &format!("  signature:    {}\n", yes_no(s.signature_valid));
        let trust = match s.trusted {
            Some(true) => "reaches a trusted certificate",
            Some(false) => "does NOT reach a trusted certificate",
            None if with_trust => "unknown",
            None => "not checked (give --trust CA.pem)",
        };
        out += &format!("  chain:        {} ({trust})\n", s.chain.join(" → "));
        for w in warnings {
            out += &format!("  WARNING:      a later incremental update {w}\n");
        }
        for p in &s.problems {
            out += &format!("  problem:      {p}\n");
        }
    }
    for p in &report.problems {
        out += &format!("problem: {p}\n");
    }
    out
}

/// What later updates added that a reader sees but the signature allows: annotations, form
/// fields added or filled in.
fn warnings(s: &sign::SignatureReport) -> impl Iterator<Item = &String> {
    s.later_annotations.iter().chain(&s.later_form_changes)
}

fn read(path: &Path) -> Result<Vec<u8>, SignError> {
    std::fs::read(path).map_err(|source| SignError::Io {
        path: path.into(),
        source,
    })
}
