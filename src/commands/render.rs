//! `drucksache render`: records → PDFs, without numbering or archiving.

use std::path::{Path, PathBuf};

use anyhow::Context;

use super::{UsageError, load_all, write_atomically};
use crate::cli::RenderArgs;
use crate::config::Settings;
use crate::render::{RenderOptions, Renderer};

pub fn run(settings: &Settings, args: &RenderArgs) -> anyhow::Result<()> {
    let outputs = output_paths(args)?;
    // Validate every input before rendering anything: bad input writes nothing.
    let papers = load_all(&args.inputs, &settings.committees)?;

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
