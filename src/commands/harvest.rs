//! `drucksache harvest`: another council system's papers over OParl, with a progress bar and
//! a report at the end; exit 1 when a page or a paper failed (the next run tries it again).

use std::io::IsTerminal;
use std::num::NonZeroU32;
use std::time::Duration;

use crate::cli::HarvestArgs;
use crate::config::Settings;
use crate::harvest::ClientOptions;
use crate::publish::{HarvestOptions, HarvestReport, Publisher};

use super::UsageError;

/// The harvest did not get everything (each failure is in the report above).
#[derive(Debug, thiserror::Error)]
#[error(
    "{0} page(s) or paper(s) could not be harvested (see above); run the same command again to retry them"
)]
pub struct Incomplete(usize);

pub fn harvest(settings: &Settings, args: &HarvestArgs) -> anyhow::Result<()> {
    let Some(rate) = NonZeroU32::new(args.rate) else {
        return Err(UsageError("--rate: give at least 1 request per second".into()).into());
    };
    if args.timeout == 0 {
        return Err(UsageError("--timeout: give at least 1 second".into()).into());
    }
    let options = HarvestOptions {
        system_url: args.system_url.clone(),
        body: args.body.clone(),
        since: args.since.clone(),
        review: args.review.clone(),
        client: ClientOptions {
            rate_per_host: rate,
            timeout: Duration::from_secs(args.timeout),
            retries: args.retries,
            first_backoff: Duration::from_millis(args.backoff),
            ..ClientOptions::default()
        },
        overlap_seconds: args.overlap,
    };
    let mut publisher = Publisher::open(settings)?;
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_style(
            indicatif::ProgressStyle::with_template("{spinner} {pos} Papiere  {msg}  {elapsed}")
                .expect("the template is valid"),
        );
        bar
    });
    let report = publisher.harvest(&options, &mut |report: &HarvestReport| {
        if let Some(bar) = &bar {
            bar.set_position(report.papers() as u64);
            bar.set_message(format!(
                "{} neu, {} zur Prüfung, {} fehlgeschlagen",
                report.new.len(),
                report.review.len(),
                report.failed.len()
            ));
        }
    })?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_report(&report);
    }
    let failures = report.pages_failed.len() + report.failed.len();
    if failures > 0 {
        return Err(Incomplete(failures).into());
    }
    Ok(())
}

fn print_report(r: &HarvestReport) {
    for reference in &r.new {
        println!("archiviert: {reference}");
    }
    for reference in &r.changed {
        println!("im anderen System geändert (Datensatz bleibt): {reference}");
    }
    for why in &r.review {
        println!("zur Prüfung: {why}");
    }
    for why in &r.failed {
        println!("fehlgeschlagen: {why}");
    }
    for why in &r.pages_failed {
        println!("Seite fehlgeschlagen: {why}");
    }
    println!(
        "Seiten: {}; Papiere: {} neu, {} unverändert, {} geändert, {} zur Prüfung, {} fehlgeschlagen, {} gelöscht; davon nicht strukturiert archiviert: {}",
        r.pages,
        r.new.len(),
        r.unchanged,
        r.changed.len(),
        r.review.len(),
        r.failed.len(),
        r.deleted,
        r.legacy.len()
    );
    let failed: Vec<String> = r
        .files_failed
        .iter()
        .map(|(why, n)| format!("{n} {why}"))
        .collect();
    println!(
        "Dateien: {} geladen, {} nicht ({}); Felder: {} aus OParl, {} aus dem Text; {:.1} s{}",
        r.files_downloaded,
        r.files_failed.values().sum::<usize>(),
        if failed.is_empty() {
            "-".into()
        } else {
            failed.join(", ")
        },
        r.fields_from_oparl,
        r.fields_from_text,
        r.seconds,
        if r.complete {
            ""
        } else {
            "; nicht vollständig: der nächste Lauf setzt fort"
        }
    );
}
