//! What each subcommand does: read settings and inputs, call the library, write results.
//! This is the edge of the program: errors become `anyhow` here, and [`exit_code`] maps them.

use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::cli::{Cli, Command, RenderArgs};
use crate::config::{ConfigError, Overrides, Settings};
use crate::model::{InputError, Paper};
use crate::render::{RenderError, RenderOptions, Renderer};

/// Exit code for bad input (records, configuration, usage).
pub const EXIT_INVALID: u8 = 2;
/// Exit code for every other failure.
pub const EXIT_FAILURE: u8 = 1;

/// Runs the command the user asked for.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = Settings::resolve(Overrides {
        archive: cli.global.archive,
        config: cli.global.config,
        templates: cli.global.templates,
    })?;
    match cli.command {
        Command::Render(args) => render(&settings, &args),
    }
}

/// 2 when the input was at fault (nothing was done), 1 otherwise.
pub fn exit_code(error: &anyhow::Error) -> u8 {
    for cause in error.chain() {
        if cause.is::<InputError>()
            || cause.is::<InvalidInputs>()
            || cause.is::<ConfigError>()
            || cause.is::<UsageError>()
        {
            return EXIT_INVALID;
        }
        if let Some(RenderError::MissingReference) = cause.downcast_ref() {
            return EXIT_INVALID;
        }
    }
    EXIT_FAILURE
}

/// A combination of arguments that cannot work.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(String);

/// Several inputs were refused; each message names its file.
#[derive(Debug, thiserror::Error)]
#[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
pub struct InvalidInputs(Vec<InputError>);

fn render(settings: &Settings, args: &RenderArgs) -> anyhow::Result<()> {
    let outputs = output_paths(args)?;
    // Validate every input before rendering anything: bad input writes nothing.
    let mut papers = Vec::new();
    let mut invalid = Vec::new();
    for input in &args.inputs {
        match Paper::load(input) {
            Ok(paper) => papers.push(paper),
            Err(e) => invalid.push(e),
        }
    }
    if !invalid.is_empty() {
        return Err(InvalidInputs(invalid).into());
    }

    let renderer = Renderer::new(
        settings.letterhead.clone(),
        settings.template_dir.as_deref(),
    )?;
    let options = RenderOptions { draft: args.draft };
    let results = renderer.render_all(&papers, &options);
    let mut pdfs = Vec::new();
    for (result, input) in results.into_iter().zip(&args.inputs) {
        pdfs.push(result.with_context(|| format!("{}", input.display()))?);
    }
    if let Some(dir) = &args.out_dir {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    for (pdf, out) in pdfs.iter().zip(&outputs) {
        write_atomically(out, pdf)?;
        println!("{}", out.display());
    }
    Ok(())
}

/// Where each input's PDF goes; refuses ambiguous requests before any work is done.
fn output_paths(args: &RenderArgs) -> anyhow::Result<Vec<PathBuf>> {
    if let Some(out) = &args.output {
        if args.inputs.len() != 1 {
            return Err(UsageError(
                "-o names one output file; use --out-dir for several inputs".into(),
            )
            .into());
        }
        return Ok(vec![out.clone()]);
    }
    let dir = args.out_dir.clone().unwrap_or_default();
    let mut outputs: Vec<PathBuf> = Vec::new();
    for input in &args.inputs {
        if input == Path::new("-") {
            return Err(UsageError("standard input has no file name: give -o OUT".into()).into());
        }
        let stem = input.file_stem().context("input without a file name")?;
        let out = dir.join(stem).with_extension("pdf");
        if outputs.contains(&out) {
            return Err(UsageError(format!(
                "two inputs would both be written to {}",
                out.display()
            ))
            .into());
        }
        outputs.push(out);
    }
    Ok(outputs)
}

/// Writes to a temporary file beside `path`, then renames it into place: a reader never sees
/// half a PDF, and a failure leaves no file behind.
fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("cannot write to {}", dir.display()))?;
    std::io::Write::write_all(&mut tmp, bytes)
        .with_context(|| format!("cannot write {}", path.display()))?;
    tmp.persist(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}
