//! `drucksache rerender`: the selection from the command line, the progress display (a bar on
//! a terminal, a plain line every few seconds otherwise), Ctrl-C and SIGTERM, the report.

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use anyhow::Context;

use super::{UsageError, write_atomically};
use crate::archive::Selection;
use crate::cli::RerenderArgs;
use crate::config::Settings;
use crate::publish::{Progress, Publisher, RerenderOptions};

/// How often the plain progress line is printed when stderr is not a terminal.
const PLAIN_EVERY: Duration = Duration::from_secs(10);

pub fn rerender(settings: &Settings, args: &RerenderArgs) -> anyhow::Result<()> {
    let selection = selection(args);
    if let Some(path) = &args.report {
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
        if let Some(dir) = dir
            && !dir.is_dir()
        {
            return Err(UsageError(format!(
                "--report: the folder {} does not exist",
                dir.display()
            ))
            .into());
        }
    }
    // The first Ctrl-C or SIGTERM stops after the papers in flight; a second one ends the
    // process at once (which is as safe as a crash: the run continues next time).
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register_conditional_shutdown(signal, 130, Arc::clone(&stop))?;
        signal_hook::flag::register(signal, Arc::clone(&stop))?;
    }
    let mut publisher = Publisher::open(settings)?;
    let options = RerenderOptions {
        dry_run: args.dry_run,
        jobs: args.jobs.map_or(0, usize::from),
        fail_on_change: args.fail_on_change,
    };
    let mut run = publisher.start_rerender(&selection, options, stop)?;
    let mut display = Display::new(run.progress());
    while let Some(progress) = run.step(&mut publisher)? {
        display.show(progress);
    }
    display.done();
    let report = run.finish(&mut publisher)?;
    print!("{}", report.summary());
    if let Some(path) = &args.report {
        let json = serde_json::to_vec_pretty(&report)?;
        write_atomically(path, &json)
            .with_context(|| format!("--report: cannot write {}", path.display()))?;
    }
    if report.refused > 0 {
        anyhow::bail!(
            "stopped: a paper's words differ from its newest rendition (--fail-on-change); it was not stored"
        );
    }
    if report.failed > 0 {
        anyhow::bail!(
            "{} of {} papers could not be re-rendered (see above)",
            report.failed,
            report.selected
        );
    }
    if report.pending > 0 && !report.dry_run {
        anyhow::bail!(
            "stopped with {} papers to go: run the same command to continue",
            report.pending
        );
    }
    Ok(())
}

/// The selection the arguments describe (clap's argument group makes sure there is exactly
/// one).
fn selection(args: &RerenderArgs) -> Selection {
    Selection::from_parts(
        args.all,
        args.year,
        args.kind,
        args.outdated,
        args.references.clone(),
    )
    .expect("clap allows only one kind of selection")
}

/// Progress on stderr.
enum Display {
    Bar(indicatif::ProgressBar),
    Plain { last: Instant },
}

impl Display {
    fn new(start: Progress) -> Display {
        if std::io::stderr().is_terminal() {
            let bar = indicatif::ProgressBar::new(start.selected as u64);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:40} {pos}/{len} Papiere  {msg}  noch {eta}",
                )
                .expect("the template is valid"),
            );
            bar.set_position(start.done as u64);
            Display::Bar(bar)
        } else {
            eprintln!("rerender: {} of {} papers done", start.done, start.selected);
            Display::Plain {
                last: Instant::now(),
            }
        }
    }

    fn show(&mut self, p: Progress) {
        match self {
            Display::Bar(bar) => {
                bar.set_position(p.done as u64);
                bar.set_message(format!("{:.1}/s", p.rate));
            }
            Display::Plain { last } => {
                if last.elapsed() >= PLAIN_EVERY {
                    *last = Instant::now();
                    let eta = p
                        .eta
                        .map(|d| format!(", about {} s left", d.as_secs()))
                        .unwrap_or_default();
                    eprintln!(
                        "rerender: {} of {} papers done, {:.1} papers/s{eta}",
                        p.done, p.selected, p.rate
                    );
                }
            }
        }
    }

    fn done(&self) {
        if let Display::Bar(bar) = self {
            bar.finish_and_clear();
        }
    }
}
