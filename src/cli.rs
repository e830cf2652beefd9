//! The command line (clap derive). Every doc comment here is `--help` text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// drucksache: produces, archives and publishes the papers (Vorlagen) of a municipal council.
#[derive(Debug, Parser)]
#[command(name = "drucksache", version, about)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command understands.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Archive root: records under papers/, configuration in drucksache.toml.
    #[arg(
        long,
        global = true,
        env = "DRUCKSACHE_ARCHIVE",
        default_value = "archive",
        value_name = "DIR"
    )]
    pub archive: PathBuf,
    /// Configuration file [default: ./drucksache.toml, else <archive>/drucksache.toml, if present].
    #[arg(long, global = true, env = "DRUCKSACHE_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Directory whose files override the embedded templates (file by file).
    #[arg(long, global = true, env = "DRUCKSACHE_TEMPLATES", value_name = "DIR")]
    pub templates: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Render records (TOML or JSON) to PDF/A without numbering or archiving them.
    Render(RenderArgs),
}

#[derive(Debug, Args)]
pub struct RenderArgs {
    /// Record files (.toml or .json); - reads JSON from standard input.
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// Output file (only with a single input).
    #[arg(short, long, value_name = "OUT", conflicts_with = "out_dir")]
    pub output: Option<PathBuf>,
    /// Directory for the PDFs, each named after its input [default: current directory].
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
    /// Draft: print ENTWURF on every page; no Drucksachennummer needed.
    #[arg(long)]
    pub draft: bool,
}
