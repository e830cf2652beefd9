//! The command line (clap derive). Every doc comment here is `--help` text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

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
    /// Validate records, give each its Drucksachennummer, render and store them in the archive
    /// (several records: all or nothing, numbered in the order given).
    New(NewArgs),
    /// Import legacy papers (Altbestand) from an older system's PDFs (.pdf; text read by
    /// poppler's pdftotext) or text dumps of them (.txt, UTF-8): each is split into a record;
    /// one read without doubt is archived with its own Drucksachennummer, its original stored
    /// unchanged beside a fresh rendering; any other goes to --review DIR as a TOML draft
    /// whose doubts are comments. --accept DIR archives the reviewed drafts.
    Import(ImportArgs),
    /// Harvest the papers of another council system over OParl 1.0/1.1 (SessionNet, ALLRIS,
    /// SD.NET, …): every body's paper list page by page; each paper's metadata and main file
    /// (PDF, checked against its checksum) become a record, archived when certain, else a
    /// draft for --review DIR. Killed or stopped, the same command continues after the last
    /// complete page; a later run asks only for papers changed since the last complete one.
    Harvest(HarvestArgs),
    /// Show one archived paper: metadata, status, stored PDFs with SHA-512, history.
    Show(ShowArgs),
    /// List the archived papers, oldest first.
    List(ListArgs),
    /// Write a paper's source record (JSON) and its newest PDF into a directory.
    Export(ExportArgs),
    /// Withdraw a paper: it keeps its number, record and files, its status becomes withdrawn.
    Withdraw(WithdrawArgs),
    /// Verify the archive: every PDF present with its SHA-512, no stray files, no number gaps.
    Check(CheckArgs),
    /// Render archived papers again with the current templates and program, sign them and
    /// store each as a new rendition (earlier ones stay). Checks that no paper's words
    /// changed. A run is recorded in the archive: stopped (Ctrl-C, SIGTERM) or killed, the
    /// same command continues with the papers not yet done.
    Rerender(RerenderArgs),
    /// Copy the archive (database snapshot, files, configuration) into a new directory while it
    /// stays in use.
    Backup(BackupArgs),
    /// Search the public papers: words (all must occur), "phrases", -word, OR, prefix*, and
    /// the filters nummer:, amt:, gremium:, jahr:, art:, datum:VON..BIS. Builds the index
    /// first if the archive has none.
    Search(SearchArgs),
    /// Rebuild the search index (<archive>/index) from the archive.
    Reindex,
    /// Write synthetic papers (seeded, realistic German records) for tests and benchmarks.
    DemoCorpus(DemoCorpusArgs),
    /// Create a development CA and signing key (NOT FOR PRODUCTION) as PEM and PKCS#12.
    Keygen(KeygenArgs),
    /// Sign a PDF (PAdES B-B); the signature is appended, the original bytes stay unchanged.
    Sign(SignArgs),
    /// Check every signature of a PDF; exit 0 only when all are intact and valid.
    Verify(VerifyArgs),
    /// Run the service: citizen search pages, the admin API (/api/v1), OParl 1.1 (/oparl/v1).
    /// Imports tracked records and builds the search index on first start; stops cleanly on
    /// Ctrl-C or SIGTERM after finishing the requests in flight.
    Serve(ServeArgs),
    /// Make a new admin API token. Prints the token (shown once) and the [[dienst.token]]
    /// entry for drucksache.toml, which keeps only its SHA-256.
    Token(TokenArgs),
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on [default: [dienst] adresse, else 127.0.0.1:8080].
    #[arg(long, env = "DRUCKSACHE_LISTEN", value_name = "ADDR")]
    pub listen: Option<String>,
}

#[derive(Debug, Args)]
pub struct TokenArgs {
    /// Who gets the token (shown in the service log), e.g. "Fachverfahren Sitzungsdienst".
    #[arg(long, value_name = "NAME")]
    pub name: String,
}

#[derive(Debug, Args)]
pub struct SearchArgs {
    /// What to search for, e.g. `Integrationskonzept jahr:2012` (several words may be given
    /// without quotes). Put -word inside a quoted query or after `--`:
    /// `drucksache search "Konzept -Hagen"`, `drucksache search -- Konzept -Hagen`.
    #[arg(required = true, value_name = "QUERY")]
    pub query: Vec<String>,
    /// Print the results as JSON.
    #[arg(long)]
    pub json: bool,
    /// Hits per page (1–100).
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub limit: usize,
    /// Hits to skip.
    #[arg(long, value_name = "N", conflicts_with = "seite")]
    pub offset: Option<usize>,
    /// Page number (from 1), pages of --limit hits.
    #[arg(long, value_name = "N")]
    pub seite: Option<usize>,
    /// Only papers of this year, or of years like 2012..2014.
    #[arg(long, value_name = "JAHR")]
    pub jahr: Option<String>,
    /// Only papers of this Amt: its number (55) or words of its name.
    #[arg(long, value_name = "AMT")]
    pub amt: Option<String>,
    /// Only papers discussed by this Gremium (words of its name).
    #[arg(long, value_name = "GREMIUM")]
    pub gremium: Option<String>,
    /// Only papers of this Vorlagenart (beschlussvorlage, mitteilungsvorlage, ergaenzungsvorlage, or their beginning).
    #[arg(long, value_name = "ART")]
    pub art: Option<String>,
    /// Only papers dated on or after this day (YYYY-MM-DD or TT.MM.JJJJ).
    #[arg(long, value_name = "DATUM")]
    pub von: Option<String>,
    /// Only papers dated on or before this day (YYYY-MM-DD or TT.MM.JJJJ).
    #[arg(long, value_name = "DATUM")]
    pub bis: Option<String>,
    /// Order: by relevance, or newest first.
    #[arg(long, value_enum, default_value_t = SortArg::Relevance)]
    pub sort: SortArg,
}

/// `--sort` (Sortierung): the values are German, as on the search page. (No doc comments on
/// the variants: clap would print them in `--help`.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SortArg {
    #[value(name = "relevanz")]
    Relevance,
    #[value(name = "datum")]
    Date,
}

#[derive(Debug, Args)]
pub struct DemoCorpusArgs {
    /// Number of papers.
    #[arg(long, value_name = "N")]
    pub count: usize,
    /// Directory for the records (one folder per year).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Seed: the same seed writes the same papers.
    #[arg(long, default_value_t = 1, value_name = "S")]
    pub seed: u64,
    /// Write JSON records instead of TOML.
    #[arg(long)]
    pub json: bool,
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
pub struct NewArgs {
    /// Record files (.toml or .json); - reads JSON from standard input.
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("what").required(true).multiple(true).args(["files", "accept"])))]
pub struct ImportArgs {
    /// Legacy papers: PDFs (.pdf) or text dumps (.txt, UTF-8).
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Folder for the drafts that need a clerk's review (TOML, with a copy of the original).
    #[arg(long, value_name = "DIR")]
    pub review: Option<PathBuf>,
    /// Archive the reviewed drafts in this folder.
    #[arg(long, value_name = "DIR")]
    pub accept: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct HarvestArgs {
    /// The other system's OParl System address, e.g. https://ris.example.de/oparl/v1/system.
    #[arg(value_name = "SYSTEM_URL")]
    pub system_url: String,
    /// Only this body (its OParl id); all bodies of the system without it.
    #[arg(long, value_name = "ID")]
    pub body: Option<String>,
    /// Only papers modified since this time (2024-01-31T00:00:00+01:00); without it, those
    /// changed since the last complete run (less --overlap), the first time all.
    #[arg(long, value_name = "TIMESTAMP")]
    pub since: Option<String>,
    /// Folder for the drafts that need a clerk's review (then `drucksache import --accept`).
    #[arg(long, value_name = "DIR")]
    pub review: Option<PathBuf>,
    /// Requests per second to one host.
    #[arg(long, default_value_t = 5, value_name = "N")]
    pub rate: u32,
    /// Seconds one request may take.
    #[arg(long, default_value_t = 30, value_name = "SECONDS")]
    pub timeout: u64,
    /// Retries of a request that timed out, could not connect or got a 5xx or 429.
    #[arg(long, default_value_t = 4, value_name = "N")]
    pub retries: usize,
    /// Milliseconds before the first retry (doubled for each further one, at most a minute).
    #[arg(long, default_value_t = 500, value_name = "MS")]
    pub backoff: u64,
    /// Seconds before the last complete run's start from which a later run asks for changes.
    #[arg(long, default_value_t = 3600, value_name = "SECONDS")]
    pub overlap: i64,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// Drucksachennummer, e.g. 0310/2012.
    #[arg(value_name = "REFERENCE")]
    pub reference: String,
    /// Print everything as JSON (including the source record).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("papers").required(true).multiple(true)
    .args(["all", "year", "kind", "outdated", "references"])))]
pub struct RerenderArgs {
    /// Every paper.
    #[arg(long, conflicts_with_all = ["year", "kind", "outdated", "references"])]
    pub all: bool,
    /// Papers of this year (the year of their number); combines with --kind and --outdated.
    #[arg(long, value_name = "YEAR", conflicts_with = "references")]
    pub year: Option<i32>,
    /// Papers of this kind: beschlussvorlage, mitteilungsvorlage, ergaenzungsvorlage.
    #[arg(long, value_name = "KIND", conflicts_with = "references")]
    pub kind: Option<crate::model::Kind>,
    /// Only papers whose newest rendition was made with other templates or another
    /// drucksache version (and not found unchanged since).
    #[arg(long, conflicts_with = "references")]
    pub outdated: bool,
    /// These papers (Drucksachennummern, e.g. 0310/2012).
    #[arg(value_name = "REFERENCE")]
    pub references: Vec<String>,
    /// Render and check, store nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Render threads [default: one per core].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub jobs: Option<u16>,
    /// Also write the report as JSON, with one entry per paper, to FILE.
    #[arg(long, value_name = "FILE")]
    pub report: Option<std::path::PathBuf>,
    /// Stop at the first paper whose words differ from its newest rendition, without
    /// storing it (exit code 1).
    #[arg(long)]
    pub fail_on_change: bool,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only papers of this year (the year of their number).
    #[arg(long, value_name = "YEAR")]
    pub year: Option<i32>,
    /// Only papers of this kind: beschlussvorlage, mitteilungsvorlage, ergaenzungsvorlage.
    #[arg(long, value_name = "KIND")]
    pub kind: Option<crate::model::Kind>,
    /// Print the list as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Drucksachennummer, e.g. 0310/2012.
    #[arg(value_name = "REFERENCE")]
    pub reference: String,
    /// Directory for <number>.json and <number>.pdf (created if missing).
    #[arg(short = 'o', long = "out-dir", value_name = "DIR")]
    pub out_dir: PathBuf,
}

#[derive(Debug, Args)]
pub struct WithdrawArgs {
    /// Drucksachennummer, e.g. 0310/2012.
    #[arg(value_name = "REFERENCE")]
    pub reference: String,
    /// Why the paper is withdrawn (kept in its history).
    #[arg(long, value_name = "TEXT")]
    pub reason: String,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// Directory for the files (created if needed; an existing key is never overwritten).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Key algorithm.
    #[arg(long, value_enum, default_value = "ecdsa")]
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

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// New (or empty) directory to copy the archive into.
    #[arg(value_name = "DIR")]
    pub target: PathBuf,
}
