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
    /// Create a development CA and signing key (NOT FOR PRODUCTION) as PEM and PKCS#12.
    Keygen(KeygenArgs),
    /// Sign a PDF (PAdES B-B); the signature is appended, the original bytes stay unchanged.
    Sign(SignArgs),
    /// Check every signature of a PDF; exit 0 only when all are intact and valid.
    Verify(VerifyArgs),
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

#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// Directory for the files (created if needed; an existing key is never overwritten).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Key algorithm.
    #[arg(long, value_enum, default_value = "rsa")]
    pub algorithm: crate::sign::dev::Algorithm,
}

#[derive(Debug, Args)]
pub struct SignArgs {
    /// The PDF to sign (a signed PDF gets one more signature).
    #[arg(value_name = "IN.pdf")]
    pub input: PathBuf,
    /// Where to write the signed PDF.
    #[arg(short, long, value_name = "OUT.pdf")]
    pub output: PathBuf,
    /// PEM private key (instead of the configured [signatur]); needs --cert.
    #[arg(
        long,
        value_name = "KEY.pem",
        requires = "cert",
        conflicts_with = "pkcs12"
    )]
    pub key: Option<PathBuf>,
    /// PEM certificate chain for --key (the signer's certificate and its issuers).
    #[arg(long, value_name = "CHAIN.pem", requires = "key")]
    pub cert: Option<PathBuf>,
    /// PKCS#12 file (instead of the configured [signatur]); needs --password-env or --password-file.
    #[arg(long, value_name = "FILE.p12")]
    pub pkcs12: Option<PathBuf>,
    /// Environment variable that holds the PKCS#12 password.
    #[arg(
        long,
        value_name = "VAR",
        requires = "pkcs12",
        conflicts_with = "password_file"
    )]
    pub password_env: Option<String>,
    /// File that holds the PKCS#12 password (the final line break is ignored).
    #[arg(long, value_name = "FILE", requires = "pkcs12")]
    pub password_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The signed PDF.
    #[arg(value_name = "FILE.pdf")]
    pub file: PathBuf,
    /// Trust anchor certificates (PEM or DER); with it, every chain must reach one. Repeatable.
    #[arg(long, value_name = "CA.pem")]
    pub trust: Vec<PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}
