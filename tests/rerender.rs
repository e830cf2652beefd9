//! `drucksache rerender` on real archives: changed templates give every paper one new
//! rendition, a second run does nothing, a dry run stores nothing, the content check catches a
//! template that drops a field; and SIGKILL at random moments, each time resumed, leaves every
//! paper with exactly one new rendition and a clean `check`.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use common::{TempArchive, copy_tracked_records, drucksache, run};
use serde_json::Value;

/// A template override folder: `layout.typ` with `edit` applied.
fn templates(dir: &Path, name: &str, edit: impl Fn(&str) -> String) -> PathBuf {
    let out = dir.join(name);
    std::fs::create_dir_all(&out).unwrap();
    let layout = std::fs::read_to_string(common::root().join("templates/layout.typ")).unwrap();
    let changed = edit(&layout);
    assert_ne!(changed, layout, "the edit of {name} must change the layout");
    std::fs::write(out.join("layout.typ"), changed).unwrap();
    out
}

/// Wider margins: every paper's layout changes, none of its words.
fn wider_margins(dir: &Path, name: &str, left_cm: &str) -> PathBuf {
    templates(dir, name, |layout| {
        layout.replace(
            "margin: (left: 2.5cm, right: 2cm",
            &format!("margin: (left: {left_cm}cm, right: 2.5cm"),
        )
    })
}

/// An archive whose tracked records are `count` demo-corpus papers (imported on first use).
fn demo_archive(count: usize, seed: u64) -> TempArchive {
    let archive = TempArchive::new(None);
    let r = run(drucksache()
        .args([
            "demo-corpus",
            "--count",
            &count.to_string(),
            "--seed",
            &seed.to_string(),
        ])
        .arg("--out")
        .arg(archive.path().join("papers")));
    assert_eq!(r.code, 0, "{}", r.stderr);
    archive
}

/// `show --json` of every paper: reference → renditions.
fn renditions(archive: &TempArchive) -> Vec<(String, Vec<Value>)> {
    archive
        .references()
        .into_iter()
        .map(|reference| {
            let r = archive.run(&["show", "--json", &reference]);
            assert_eq!(r.code, 0, "{}", r.stderr);
            let details: Value = serde_json::from_str(&r.stdout).unwrap();
            let list = details["renditions"].as_array().unwrap().clone();
            (reference, list)
        })
        .collect()
}

fn rerender(archive: &TempArchive, templates: &Path, args: &[&str]) -> common::Run {
    run(archive
        .cmd()
        .arg("--templates")
        .arg(templates)
        .arg("rerender")
        .args(args))
}

fn report(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn changed_templates_give_every_paper_one_new_rendition_checked() {
    let archive = TempArchive::new(None);
    copy_tracked_records(archive.path());
    let scratch = tempfile::tempdir().unwrap();
    let before = renditions(&archive);
    assert_eq!(before.len(), 6);
    assert!(before.iter().all(|(_, r)| r.len() == 1));
    let wide = wider_margins(scratch.path(), "wide", "3.2");
    let json = scratch.path().join("report.json");
    let json_arg = json.to_str().unwrap();

    // A dry run renders and checks everything, and stores nothing.
    let r = rerender(
        &archive,
        &wide,
        &["--outdated", "--dry-run", "--report", json_arg],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let dry = report(&json);
    assert_eq!(dry["dry_run"], true);
    assert_eq!(dry["selected"], 6);
    assert_eq!(dry["rerendered"], 6, "{dry:#}");
    assert_eq!(dry["run"], Value::Null);
    assert_eq!(renditions(&archive), before, "a dry run stores nothing");

    // The run: every paper gets a second rendition, its words unchanged, its pages counted.
    let r = rerender(&archive, &wide, &["--outdated", "--report", json_arg]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("neu gerendert 6"), "{}", r.stdout);
    let done = report(&json);
    assert_eq!(done["rerendered"], 6, "{done:#}");
    assert_eq!(done["flagged"], 0);
    let papers = done["papers"].as_array().unwrap();
    assert_eq!(papers.len(), 6);
    let after = renditions(&archive);
    for (reference, list) in &after {
        let entry = papers
            .iter()
            .find(|p| p["reference"] == reference.as_str())
            .unwrap_or_else(|| panic!("{reference} is not in the report"));
        assert_eq!(list.len(), 2, "{reference}");
        assert_eq!(entry["rendition"], list[1]["id"]);
        assert_eq!(entry["replaces"], list[0]["id"]);
        assert_eq!(list[1]["run"], done["run"]);
        assert_ne!(list[0]["template_sha512"], list[1]["template_sha512"]);
        assert!(entry["pages_new"].as_u64().unwrap() >= 1);
        let old = std::fs::read(list[0]["file"].as_str().unwrap()).unwrap();
        assert!(!old.is_empty(), "the first rendition's file stays");
    }
    archive.assert_check();
    let shown = archive.run(&["show", &after[0].0]);
    assert!(
        shown.stdout.contains("re-rendered (run 1)") && shown.stdout.contains(" pages"),
        "{}",
        shown.stdout
    );

    // A second run finds nothing outdated; with the same templates every paper renders
    // byte for byte as its newest rendition: unchanged, nothing stored.
    let r = rerender(&archive, &wide, &["--outdated", "--report", json_arg]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(report(&json)["selected"], 0);
    let r = rerender(&archive, &wide, &["--all", "--report", json_arg]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(report(&json)["unchanged"], 6, "{:#}", report(&json));
    assert_eq!(renditions(&archive), after);

    // A template that drops the Betreff: the content check flags every paper with the first
    // words that differ, and --fail-on-change stores nothing.
    let no_subject = templates(scratch.path(), "no-subject", |layout| {
        layout.replace(
            r#"(feld[Betreff:], text(weight: "bold", d.betreff)),"#,
            "(feld[Betreff:], []),",
        )
    });
    let r = rerender(
        &archive,
        &no_subject,
        &[
            "--outdated",
            "--fail-on-change",
            "--jobs",
            "1",
            "--report",
            json_arg,
        ],
    );
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("--fail-on-change"), "{}", r.stderr);
    let refused = report(&json);
    assert!(refused["refused"].as_u64().unwrap() >= 1, "{refused:#}");
    assert_eq!(refused["rerendered"], 0, "{refused:#}");
    let first = &refused["papers"][0];
    assert_eq!(first["outcome"], "refused");
    let difference = &first["difference"];
    assert!(
        difference["old"]
            .as_str()
            .unwrap()
            .contains("Integrationskonzept")
            || difference["old"].as_str().unwrap().split(' ').count() > 1,
        "{difference:#}"
    );
    assert!(r.stdout.contains("Wörter weichen ab"), "{}", r.stdout);
    assert_eq!(
        renditions(&archive),
        after,
        "--fail-on-change stored nothing"
    );

    // Without it, the same papers are stored and flagged in the report.
    let r = rerender(
        &archive,
        &no_subject,
        &["--outdated", "--dry-run", "--report", json_arg],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(report(&json)["flagged"], 6, "{:#}", report(&json));
    archive.assert_check();
}

#[test]
fn a_bad_selection_changes_nothing() {
    let archive = TempArchive::new(None);
    copy_tracked_records(archive.path());
    let before = renditions(&archive);
    for args in [
        &["0310/2099"][..],
        &[][..],
        &["--all", "--outdated"][..],
        &["--kind", "gesetz"][..],
        &["--all", "--jobs", "0"][..],
        &["--all", "--report", "/nonexistent/folder/r.json"][..],
    ] {
        let r = archive.run(&[&["rerender"][..], args].concat());
        assert_eq!(r.code, 2, "{args:?}: {}{}", r.stdout, r.stderr);
        assert!(!r.stderr.is_empty());
    }
    assert_eq!(renditions(&archive), before);
    archive.assert_check();
}

/// Every rendition's row records its pages and the digest of its words
/// (`renditions.pages`, `renditions.words_sha256`).
fn recorded_content(archive: &TempArchive) -> Vec<(String, Option<i64>, Option<String>)> {
    let db = rusqlite::Connection::open(archive.path().join("archive.sqlite")).unwrap();
    let mut rows = db
        .prepare("SELECT sha512, pages, words_sha256 FROM renditions ORDER BY id")
        .unwrap();
    rows.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn stored_file(archive: &TempArchive, sha512: &str) -> PathBuf {
    archive
        .path()
        .join("files")
        .join(&sha512[..2])
        .join(format!("{sha512}.pdf"))
}

/// A rendition records what its PDF says when it is made (by `new`, import or re-rendering),
/// and the content check trusts that record only where it agrees with the new words: a
/// rendition without one (made before migration 6) or with a wrong one has its stored PDF
/// read, so neither is flagged, and a missing record does not lose the old page count.
#[test]
fn recorded_words_are_the_files_and_a_missing_or_wrong_record_reads_the_file() {
    let archive = TempArchive::new(None);
    copy_tracked_records(archive.path());
    assert_eq!(
        renditions(&archive).len(),
        6,
        "the first use imports the records"
    );
    let scratch = tempfile::tempdir().unwrap();
    let check_recorded = |archive: &TempArchive, expect: usize| {
        let rows = recorded_content(archive);
        assert_eq!(rows.len(), expect);
        for (sha512, pages, words) in rows {
            let pdf = std::fs::read(stored_file(archive, &sha512)).unwrap();
            let read = drucksache::render::words::pdf_words(&pdf).unwrap();
            assert_eq!(pages, Some(read.pages as i64), "{sha512}");
            assert_eq!(words, Some(read.digest()), "{sha512}");
        }
    };
    check_recorded(&archive, 6);

    // Two renditions as an older archive has them, or with a record that does not fit.
    let db = rusqlite::Connection::open(archive.path().join("archive.sqlite")).unwrap();
    let trigger: String = db
        .query_row(
            "SELECT sql FROM sqlite_master WHERE name = 'renditions_fixed'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    db.execute_batch(&format!(
        "DROP TRIGGER renditions_fixed;
         UPDATE renditions SET pages = NULL, words_sha256 = NULL WHERE id = 1;
         UPDATE renditions SET words_sha256 = '00' WHERE id = 2;
         {trigger};"
    ))
    .unwrap();
    drop(db);
    let old_pages: Vec<i64> = recorded_content(&archive)
        .iter()
        .map(|(sha512, _, _)| {
            let pdf = std::fs::read(stored_file(&archive, sha512)).unwrap();
            drucksache::render::words::pdf_words(&pdf).unwrap().pages as i64
        })
        .collect();

    let wide = wider_margins(scratch.path(), "wide", "3.2");
    let json = scratch.path().join("report.json");
    let r = rerender(
        &archive,
        &wide,
        &["--all", "--report", json.to_str().unwrap()],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let done = report(&json);
    assert_eq!(done["rerendered"], 6, "{done:#}");
    assert_eq!(done["flagged"], 0, "{done:#}");
    for entry in done["papers"].as_array().unwrap() {
        let replaced = entry["replaces"].as_i64().unwrap();
        assert_eq!(
            entry["pages_old"],
            old_pages[replaced as usize - 1],
            "{entry:#}"
        );
    }
    // The new renditions record their own words; the two altered rows stay as they were.
    let rows = recorded_content(&archive);
    assert_eq!(rows.len(), 12);
    assert_eq!((rows[0].1, rows[0].2.as_deref()), (None, None));
    assert_eq!(rows[1].2.as_deref(), Some("00"));
    for (sha512, pages, words) in &rows[6..] {
        let pdf = std::fs::read(stored_file(&archive, sha512)).unwrap();
        let read = drucksache::render::words::pdf_words(&pdf).unwrap();
        assert_eq!(
            (*pages, words.clone()),
            (Some(read.pages as i64), Some(read.digest()))
        );
    }
}

/// Runs `rerender --outdated` with the phases traced and kills it (SIGKILL) `delay` after
/// it started, or when it reaches `phase`. Returns the phase the kill landed after
/// ("finished" when it was done first).
fn kill_rerender(
    archive: &TempArchive,
    templates: &Path,
    phase: Option<&str>,
    delay: Duration,
) -> String {
    let mut cmd = archive.cmd();
    cmd.arg("--templates")
        .arg(templates)
        .args(["rerender", "--outdated"])
        .env("DRUCKSACHE_TEST_TRACE", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if let Some(phase) = phase {
        cmd.env("DRUCKSACHE_TEST_PAUSE_AT", phase);
    }
    let mut child = cmd.spawn().unwrap();
    let stderr = child.stderr.take().unwrap();
    let (lines, seen) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            let _ = lines.send(line);
        }
    });
    let mut last = String::from("started");
    if let Some(phase) = phase {
        let paused = format!("drucksache: paused at {phase}");
        loop {
            match seen.recv_timeout(Duration::from_secs(120)) {
                Ok(line) if line == paused => break,
                Ok(_) => {}
                Err(_) => break,
            }
        }
    }
    std::thread::sleep(delay);
    let finished = child.try_wait().unwrap().is_some();
    let _ = child.kill();
    child.wait().unwrap();
    while let Ok(line) = seen.recv_timeout(Duration::from_millis(200)) {
        if let Some(phase) = line.strip_prefix("drucksache: at ") {
            last = phase.to_string();
        }
    }
    if finished { "finished".into() } else { last }
}

#[test]
fn sigkill_at_random_moments_then_resumed_gives_exactly_one_new_rendition() {
    let archive = demo_archive(24, 14);
    let scratch = tempfile::tempdir().unwrap();
    let papers = renditions(&archive).len();
    assert_eq!(papers, 24);

    // A fixed sequence of "random" delays (no clock in the test decides anything).
    let mut state = 0x2545_f491_u64;
    let mut next_delay = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        Duration::from_millis(150 + state % 900)
    };
    let mut kills = 0;
    let mut inside = 0;
    let mut variant = 0;
    while kills < 20 || variant < 2 {
        variant += 1;
        let layout = wider_margins(
            scratch.path(),
            &format!("v{variant}"),
            &format!("2.{}", 5 + variant),
        );
        // A kill at each phase of storing a batch, then at random moments until done.
        for phase in ["rendered", "stored", "inserted", "committed"] {
            kill_rerender(&archive, &layout, Some(phase), Duration::ZERO);
            kills += 1;
            inside += 1;
            archive.assert_check();
        }
        loop {
            let landed = kill_rerender(&archive, &layout, None, next_delay());
            archive.assert_check();
            if landed == "finished" {
                break;
            }
            kills += 1;
            if ["rendered", "stored", "inserted"].contains(&landed.as_str()) {
                inside += 1;
            }
            assert!(kills < 200, "the runs never finish");
        }
        // Finished: running it again does nothing.
        let r = rerender(&archive, &layout, &["--outdated"]);
        assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
        assert!(r.stdout.contains("ausgewählt 0"), "{}", r.stdout);
        // Every paper has exactly one rendition of each variant so far.
        for (reference, list) in renditions(&archive) {
            assert_eq!(list.len(), 1 + variant, "{reference}: {list:#?}");
            let mut templates: Vec<&str> = list
                .iter()
                .map(|r| r["template_sha512"].as_str().unwrap())
                .collect();
            templates.sort();
            templates.dedup();
            assert_eq!(
                templates.len(),
                1 + variant,
                "{reference}: one per template set"
            );
        }
    }
    assert!(kills >= 20, "{kills} kills");
    assert!(
        inside >= 8,
        "only {inside} kills landed inside a transaction"
    );
    archive.assert_check();
}

/// SIGTERM stops a run after the papers in flight: what was stored stays, the rest is
/// pending, and the same command continues with exactly those. Without a terminal, progress
/// is a plain line.
#[test]
fn sigterm_stops_after_the_papers_in_flight_and_the_same_command_continues() {
    // More papers than can be rendered while the test holds the run and signals it (the
    // papers already rendered then are in flight and still stored).
    let archive = demo_archive(40, 21);
    let scratch = tempfile::tempdir().unwrap();
    let wide = wider_margins(scratch.path(), "wide", "3.0");
    let resume = scratch.path().join("resume");
    // Imported first (an import commits too), so the pause below is the run's first batch.
    assert_eq!(renditions(&archive).len(), 40);
    let mut child = archive
        .cmd()
        .arg("--templates")
        .arg(&wide)
        .args(["rerender", "--all", "--jobs", "1"])
        .env("DRUCKSACHE_TEST_PAUSE_AT", "committed")
        .env("DRUCKSACHE_TEST_RESUME", &resume)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut log = String::new();
    while !log.contains("drucksache: paused at committed") {
        let mut line = String::new();
        assert!(stderr.read_line(&mut line).unwrap() > 0, "{log}");
        log.push_str(&line);
    }
    // The first batch is committed; SIGTERM while it is held there, then let it go on.
    let r = run(std::process::Command::new("kill").args(["-TERM", &pid.to_string()]));
    assert_eq!(r.code, 0);
    std::fs::write(&resume, "").unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    log.push_str(&rest);
    let mut stdout = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut stdout).unwrap();
    assert_eq!(
        child.wait().unwrap().code(),
        Some(1),
        "stopped with papers left"
    );
    assert!(log.contains("rerender: 0 of 40 papers done"), "{log}");
    assert!(log.contains("run the same command to continue"), "{log}");
    assert!(stdout.contains("unterbrochen"), "{stdout}");
    let stored = renditions(&archive)
        .iter()
        .filter(|(_, list)| list.len() == 2)
        .count();
    assert!(
        (1..40).contains(&stored),
        "{stored} papers stored before the stop\n{stdout}"
    );
    archive.assert_check();

    let r = rerender(&archive, &wide, &["--all"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("neu gerendert 40"), "{}", r.stdout);
    assert!(renditions(&archive).iter().all(|(_, list)| list.len() == 2));
}
