//! Test hooks of the crash tests: stop or trace at the phases of a write.

use std::path::PathBuf;

/// Test hooks for the crash tests, read once from the environment:
/// - `DRUCKSACHE_TEST_PAUSE_AT=<phase>`: the process stops at that phase (after printing
///   `drucksache: paused at <phase>` to stderr) and waits to be killed, or, with
///   `DRUCKSACHE_TEST_RESUME=<file>`, until that file exists;
/// - `DRUCKSACHE_TEST_TRACE=1`: every phase reached is printed (`drucksache: at <phase>`),
///   so a test that kills at a random moment knows where the kill landed.
///
/// Phases of [`Archive::create`]: allocated, rendered, stored, inserted, committed; and
/// `recovering`, in the middle of settling a mark when an archive is opened.
pub(crate) fn test_pause(phase: &str) {
    struct Hooks {
        pause_at: Option<String>,
        resume: Option<PathBuf>,
        trace: bool,
    }
    static HOOKS: std::sync::OnceLock<Hooks> = std::sync::OnceLock::new();
    let hooks = HOOKS.get_or_init(|| Hooks {
        pause_at: std::env::var("DRUCKSACHE_TEST_PAUSE_AT").ok(),
        resume: std::env::var_os("DRUCKSACHE_TEST_RESUME").map(PathBuf::from),
        trace: std::env::var_os("DRUCKSACHE_TEST_TRACE").is_some(),
    });
    if hooks.trace {
        eprintln!("drucksache: at {phase}");
    }
    if hooks.pause_at.as_deref() == Some(phase) {
        eprintln!("drucksache: paused at {phase}");
        match &hooks.resume {
            Some(file) => {
                while !file.exists() {
                    std::thread::sleep(std::time::Duration::from_millis(10));
                }
            }
            None => loop {
                std::thread::park();
            },
        }
    }
}
