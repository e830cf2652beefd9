//! `drucksache new | show | list | export | withdraw | check | backup`: the archive commands.

use anyhow::Context;

use super::{load_all, write_atomically};
use crate::archive::{Archive, ArchiveError, ListFilter, PaperDetails};
use crate::cli::{BackupArgs, CheckArgs, ExportArgs, ListArgs, NewArgs, ShowArgs, WithdrawArgs};
use crate::config::Settings;
use crate::model::{Date, Status, kind_label};
use crate::publish::{PublishError, Publisher};

pub fn new(settings: &Settings, args: &NewArgs) -> anyhow::Result<()> {
    // Validate before the archive is even opened: bad input allocates nothing.
    let mut papers = load_all(&args.inputs, &settings.committees)?;
    let mut publisher = Publisher::open(settings)?;
    let created = if let [input] = &args.inputs[..] {
        let paper = papers.pop().expect("one paper");
        let created = publisher
            .create(paper)
            .with_context(|| format!("{}", input.display()))?;
        vec![created]
    } else {
        publisher.create_all(papers).map_err(|e| match e {
            PublishError::Archive(ArchiveError::Item { index, source }) => {
                anyhow::Error::from(*source).context(args.inputs[index].display().to_string())
            }
            other => other.into(),
        })?
    };
    if args.json {
        let json = match &created[..] {
            [one] => serde_json::to_string_pretty(one)?,
            many => serde_json::to_string_pretty(many)?,
        };
        println!("{json}");
    } else {
        for c in &created {
            println!("{} {}", c.reference, c.file.display());
        }
    }
    Ok(())
}

pub fn show(settings: &Settings, args: &ShowArgs) -> anyhow::Result<()> {
    let publisher = Publisher::open(settings)?;
    let details = publisher.archive().show(&args.reference)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&details)?);
        return Ok(());
    }
    print!("{}", describe(&details));
    Ok(())
}

/// The human-readable `show` output.
fn describe(d: &PaperDetails) -> String {
    let s = &d.summary;
    let mut out = String::new();
    let mut line = |label: &str, value: &str| out.push_str(&format!("{label:<18} {value}\n"));
    line("Drucksachennummer", &s.reference);
    line("Art", kind_label(s.kind));
    if !s.structured {
        line(
            "Form",
            "nicht strukturiert (Altbestand: Metadaten, Original und sein Text)",
        );
    }
    line("Datum", &s.date);
    line("Betreff", &s.subject);
    line("Amt", &s.department);
    line("Öffentlich", if s.public { "ja" } else { "nein" });
    let status = match (s.status, &d.withdrawn_reason) {
        (Status::Active, _) => "active".to_string(),
        (Status::Withdrawn, Some(reason)) => format!("WITHDRAWN ({reason})"),
        (Status::Withdrawn, None) => "WITHDRAWN".to_string(),
    };
    line("Status", &status);
    if let Some(parent) = &d.supplements {
        line("Bezug", parent);
    }
    line(
        "Number",
        if d.allocated {
            "allocated by this archive"
        } else {
            "taken from the record"
        },
    );
    if let Some(path) = &d.imported_from {
        line("Imported from", path);
    }
    line("Record SHA-512", &d.source_sha512);
    out.push_str("Renditions:\n");
    for (i, r) in d.renditions.iter().enumerate() {
        let signer = match (&r.signer, r.development_key) {
            (None, _) => "not signed".to_string(),
            (Some(s), false) => s.clone(),
            (Some(s), true) => {
                format!(
                    "{s}\n     WARNING   signed with the archive's DEVELOPMENT key: not valid for production"
                )
            }
        };
        let pages = std::fs::read(&r.file)
            .ok()
            .and_then(|pdf| crate::render::words::page_count(&pdf).ok())
            .map_or_else(
                || "? pages (file unreadable)".to_string(),
                |n| format!("{n} pages"),
            );
        let why = match (r.run, i) {
            (Some(run), _) => format!("re-rendered (run {run})"),
            (None, 0) if d.imported_from.is_some() => "imported".to_string(),
            (None, _) => "created".to_string(),
        };
        out.push_str(&format!(
            "  {}. {}  {}  {pages}  {} bytes  drucksache {}\n     SHA-512   {}\n     templates {}\n     signed by {}\n     file      {}\n",
            i + 1,
            r.created_at,
            why,
            r.size,
            r.program_version,
            r.sha512,
            r.template_sha512,
            signer,
            r.file.display()
        ));
    }
    if !d.originals.is_empty() {
        out.push_str("Original (legacy paper, stored unchanged):\n");
        for o in &d.originals {
            out.push_str(&format!(
                "  {}  {}  {}  {} bytes\n     SHA-512   {}\n     file      {}\n",
                o.created_at,
                o.file_name,
                o.media_type,
                o.size,
                o.sha512,
                o.file.display()
            ));
        }
    }
    out.push_str("History:\n");
    for e in &d.history {
        out.push_str(&format!("  {}  {}  {}\n", e.at, e.event, e.detail));
    }
    out
}

pub fn list(settings: &Settings, args: &ListArgs) -> anyhow::Result<()> {
    let publisher = Publisher::open(settings)?;
    let papers = publisher.archive().list(&ListFilter {
        year: args.year,
        kind: args.kind,
    })?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&papers)?);
        return Ok(());
    }
    for p in papers {
        let mut flags = Vec::new();
        if !p.public {
            flags.push("nichtöffentlich");
        }
        if !p.structured {
            flags.push("nicht strukturiert");
        }
        if p.status == Status::Withdrawn {
            flags.push("zurückgezogen");
        }
        let flags = if flags.is_empty() {
            String::new()
        } else {
            format!("  [{}]", flags.join(", "))
        };
        println!(
            "{:<14} {}  {:<19} {}{flags}",
            p.reference,
            p.date,
            kind_label(p.kind),
            p.subject
        );
    }
    Ok(())
}

pub fn export(settings: &Settings, args: &ExportArgs) -> anyhow::Result<()> {
    let publisher = Publisher::open(settings)?;
    let archive = publisher.archive();
    let details = archive.show(&args.reference)?;
    let record = serde_json::to_string_pretty(&details.source)? + "\n";
    let stem = file_stem(&details.summary.reference);
    let mut files = vec![(format!("{stem}.json"), record.into_bytes())];
    if details.summary.structured {
        files.push((format!("{stem}.pdf"), archive.latest_pdf(&details)?));
    } else {
        // A legacy paper not structured yet has no PDF of ours: its originals instead.
        for (n, original) in details.originals.iter().enumerate() {
            let extension = if original.media_type.starts_with("application/pdf") {
                "pdf"
            } else {
                "txt"
            };
            let name = format!("{stem}-original-{}.{extension}", n + 1);
            files.push((name, archive.original_bytes(original)?));
        }
    }
    std::fs::create_dir_all(&args.out_dir)
        .with_context(|| format!("cannot create {}", args.out_dir.display()))?;
    for (name, bytes) in &files {
        let path = args.out_dir.join(name);
        write_atomically(&path, bytes)?;
        println!("{}", path.display());
    }
    Ok(())
}

/// `0310/2012` → `0310-2012`: a reference as a file name.
fn file_stem(reference: &str) -> String {
    reference
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

pub fn withdraw(settings: &Settings, args: &WithdrawArgs) -> anyhow::Result<()> {
    let mut publisher = Publisher::open(settings)?;
    publisher.withdraw(&args.reference, &args.reason)?;
    println!("{} withdrawn", args.reference);
    Ok(())
}

/// A check that found problems (exit code 1); the report is already printed.
#[derive(Debug, thiserror::Error)]
#[error("the archive check found {0} problem(s)")]
pub struct CheckFailed(usize);

pub fn check(settings: &Settings, args: &CheckArgs) -> anyhow::Result<()> {
    // The archive alone (its recovery runs), not a Publisher: that would import tracked
    // records and repair the search index before it is checked.
    let mut archive = Archive::open(&settings.archive, settings.numbering.clone())?;
    let mut report = archive.check()?;
    report
        .problems
        .extend(crate::publish::index_problems(&archive, Date::today())?);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        for problem in &report.problems {
            println!("{problem}");
        }
        println!(
            "{} papers, {} renditions, {} originals, {} files: {}",
            report.papers,
            report.renditions,
            report.originals,
            report.files,
            if report.is_ok() { "ok" } else { "PROBLEMS" }
        );
    }
    if report.is_ok() {
        Ok(())
    } else {
        Err(CheckFailed(report.problems.len()).into())
    }
}

pub fn backup(settings: &Settings, args: &BackupArgs) -> anyhow::Result<()> {
    let publisher = Publisher::open(settings)?;
    let files = publisher.archive().backup(&args.target)?;
    println!(
        "backed up {} to {} ({files} files); check it with: drucksache --archive {} check",
        settings.archive.display(),
        args.target.display(),
        args.target.display()
    );
    Ok(())
}
