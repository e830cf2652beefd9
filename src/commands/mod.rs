//! What each subcommand does: read settings and inputs, call the library, write results.
//! This is the edge of the program: errors become `anyhow` here, and [`exit_code`] maps them.
//! One file per subcommand (or group of subcommands); this one dispatches.

mod archive;
mod harvest;
mod import;
mod render;
mod rerender;
mod search;
mod serve;
mod sign;

use std::path::Path;

use anyhow::Context;

use crate::cli::{Cli, Command};
use crate::config::{Overrides, Settings};
use crate::error::Code;
use crate::model::{Committees, InputError, Paper};

pub use crate::error::{EXIT_FAILURE, EXIT_INVALID};

/// Runs the command the user asked for.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = Settings::resolve(Overrides {
        archive: cli.global.archive,
        config: cli.global.config,
        templates: cli.global.templates,
    })?;
    match cli.command {
        Command::Render(args) => render::run(&settings, &args),
        Command::New(args) => archive::new(&settings, &args),
        Command::Import(args) => import::import(&settings, &args),
        Command::Harvest(args) => harvest::harvest(&settings, &args),
        Command::Show(args) => archive::show(&settings, &args),
        Command::List(args) => archive::list(&settings, &args),
        Command::Export(args) => archive::export(&settings, &args),
        Command::Withdraw(args) => archive::withdraw(&settings, &args),
        Command::Check(args) => archive::check(&settings, &args),
        Command::Rerender(args) => rerender::rerender(&settings, &args),
        Command::Backup(args) => archive::backup(&settings, &args),
        Command::Search(args) => search::search(&settings, &args),
        Command::Reindex => search::reindex(&settings),
        Command::DemoCorpus(args) => search::demo_corpus(&args),
        Command::Keygen(args) => sign::keygen(&settings, &args),
        Command::Sign(args) => sign::sign(&settings, &args),
        Command::Verify(args) => sign::verify(&args),
        Command::Serve(args) => serve::serve(&settings, &args),
        Command::Token(args) => serve::token(&args),
    }
}

/// 2 when the input was at fault (nothing was done), 1 otherwise: the exit code of the
/// error's kind in the one error table ([`crate::error::TABLE`]).
pub fn exit_code(error: &anyhow::Error) -> u8 {
    let commands_own = |cause: &(dyn std::error::Error + 'static)| {
        if cause.is::<UsageError>() {
            Some(Code::InvalidParameter)
        } else if cause.is::<InvalidInputs>() || cause.is::<import::Refused>() {
            Some(Code::InvalidPaper)
        } else if cause.is::<harvest::Incomplete>() {
            Some(Code::Unavailable)
        } else {
            None
        }
    };
    match error.chain().find_map(commands_own) {
        Some(code) => code.exit_code(),
        None => crate::error::code_of_chain(error.chain()).exit_code(),
    }
}

/// A combination of arguments that cannot work.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Several inputs were refused; each message names its file.
#[derive(Debug, thiserror::Error)]
#[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
pub struct InvalidInputs(pub Vec<InputError>);

/// Reads and validates every record before anything else happens: one bad input stops the
/// whole command (bad input changes nothing), and every problem of every input is reported.
/// Every record of `inputs`, valid and naming only the configured Gremien, or every problem.
pub(crate) fn load_all(
    inputs: &[std::path::PathBuf],
    committees: &Committees,
) -> Result<Vec<Paper>, InvalidInputs> {
    let mut papers = Vec::new();
    let mut invalid = Vec::new();
    for input in inputs {
        let name = input.display().to_string();
        match Paper::load(input).and_then(|p| committees.admit(p, &name)) {
            Ok(paper) => papers.push(paper),
            Err(e) => invalid.push(e),
        }
    }
    if invalid.is_empty() {
        Ok(papers)
    } else {
        Err(InvalidInputs(invalid))
    }
}

/// Writes to a temporary file beside `path`, then renames it into place: a reader never sees
/// half a PDF, and a failure leaves no file behind.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
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
