//! `drucksache import`: legacy papers from text dumps, archived or sent to review, and
//! `--accept` for the reviewed drafts. One line per file; exit 2 when any was refused.

use crate::cli::ImportArgs;
use crate::config::Settings;
use crate::publish::{LegacyOutcome, Publisher};

use super::UsageError;

/// Some files were refused (each is named on its own line above).
#[derive(Debug, thiserror::Error)]
#[error("{0} file(s) not imported (see above); nothing was written for them")]
pub struct Refused(usize);

pub fn import(settings: &Settings, args: &ImportArgs) -> anyhow::Result<()> {
    if args.accept.is_some() && args.review.is_some() {
        return Err(UsageError(
            "--accept archives reviewed drafts; it does not write new ones: leave out --review"
                .into(),
        )
        .into());
    }
    let mut publisher = Publisher::open(settings)?;
    let mut refused = 0;
    let mut report = |name: &str, outcome: &LegacyOutcome| match outcome {
        LegacyOutcome::Imported(reference) => println!("{name}: archiviert als {reference}"),
        LegacyOutcome::AlreadyImported(reference) => {
            println!("{name}: bereits archiviert als {reference}")
        }
        LegacyOutcome::ToReview {
            draft,
            doubts,
            legacy,
        } => {
            println!("{name}: zur Prüfung in {}", draft.display());
            for doubt in doubts {
                println!("  unsicher: {doubt}");
            }
            match legacy {
                Ok(reference) => {
                    println!("  archiviert als {reference}, nicht strukturiert (Altbestand)")
                }
                Err(why) => println!("  {why}"),
            }
        }
        LegacyOutcome::Unstructured {
            reference,
            problems,
        } => {
            println!(
                "{name}: archiviert als {reference}, nicht strukturiert (Altbestand); noch kein gültiger Datensatz:"
            );
            for line in problems.lines() {
                println!("  {line}");
            }
        }
        LegacyOutcome::Structured(reference) => {
            println!("{name}: {reference} ist jetzt strukturiert und neu gesetzt")
        }
        LegacyOutcome::Refused(why) => {
            refused += 1;
            eprintln!("{why}");
        }
    };
    for file in &args.files {
        let outcome = publisher.import_legacy(file, args.review.as_deref())?;
        report(&file.display().to_string(), &outcome);
    }
    if let Some(dir) = &args.accept {
        for (draft, outcome) in publisher.accept_reviewed(dir)? {
            report(&draft.display().to_string(), &outcome);
        }
    }
    if refused > 0 {
        return Err(Refused(refused).into());
    }
    Ok(())
}
