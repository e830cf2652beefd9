//! The archive under pressure: several processes numbering at once, and `new` killed with
//! SIGKILL at every phase of its transaction and at random moments.

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::{Arc, Barrier};

use common::{TempArchive, unnumbered};

fn expected_references(count: usize) -> Vec<String> {
    (1..=count).map(|n| format!("{n:04}/2025")).collect()
}

#[test]
fn four_processes_times_fifty_get_two_hundred_gap_free_numbers() {
    let archive = Arc::new(TempArchive::new(None));
    let inputs = tempfile::tempdir().unwrap();
    let record = unnumbered(inputs.path(), "a.toml", "2025-03-01");
    // With a search index, every `new` also adds its paper there: the processes take turns.
    let r = archive.run(&["search", "Integrationskonzept"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let start = Arc::new(Barrier::new(4));
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let (archive, record, start) = (archive.clone(), record.clone(), start.clone());
            std::thread::spawn(move || {
                start.wait();
                (0..50)
                    .map(|_| archive.new_paper(&record))
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut got: Vec<String> = workers
        .into_iter()
        .flat_map(|w| w.join().unwrap())
        .collect();
    // Each process saw its own numbers rising.
    got.sort();
    let expected = expected_references(200);
    assert_eq!(got, expected, "200 distinct numbers 1…200");
    let mut listed = archive.references();
    listed.sort();
    assert_eq!(listed, expected);
    archive.assert_check();
    let r = archive.run(&["search", "--json", "Integrationskonzept"]);
    let found: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        found["gesamt"], 200,
        "every paper was indexed: {}",
        r.stderr
    );
}

/// After a kill: the next opening of the archive (a search) recovers it and brings the index
/// up to it; then the archive checks clean (the index included: every public paper in it,
/// in its current version), holds exactly the numbers 1…k, and the next `new` gets k + 1. Returns the
/// recovery messages of that opening and k.
fn after_kill(archive: &TempArchive, record: &std::path::Path) -> (String, usize) {
    let opened = archive.run(&["search", "--json", "nummer:0001/2025"]);
    assert_eq!(opened.code, 0, "search after a kill:\n{}", opened.stderr);
    let check = archive.run(&["check"]);
    assert_eq!(
        check.code, 0,
        "check after a kill:\n{}{}",
        check.stdout, check.stderr
    );
    let mut refs = archive.references();
    refs.sort(); // `list` orders by date
    assert_eq!(
        refs,
        expected_references(refs.len()),
        "no gap, no duplicate"
    );
    let next = archive.new_paper(record);
    assert_eq!(next, format!("{:04}/2025", refs.len() + 1));
    (opened.stderr, refs.len())
}

/// The phases of `new` inside its transaction (a kill there must leave no trace).
const INSIDE: [&str; 4] = ["allocated", "rendered", "stored", "inserted"];

/// Runs `new RECORD...` with every phase traced and kills it (SIGKILL) `delay` after
/// `start` (the process start, or the line "at allocated"). Returns the last phase the
/// process reached, or "finished" when it was done before the kill.
fn kill_after(
    archive: &TempArchive,
    records: &[&std::path::Path],
    start: Option<&str>,
    delay: std::time::Duration,
) -> String {
    let mut child = archive
        .cmd()
        .arg("new")
        .args(records)
        .env("DRUCKSACHE_TEST_TRACE", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (phases, seen) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if let Some(phase) = line.strip_prefix("drucksache: at ") {
                let _ = phases.send(phase.to_string());
            }
        }
    });
    let mut last = String::from("started");
    if let Some(start) = start {
        while last != start {
            match seen.recv_timeout(std::time::Duration::from_secs(60)) {
                Ok(phase) => last = phase,
                Err(_) => break,
            }
        }
    }
    std::thread::sleep(delay);
    let finished = child.try_wait().unwrap().is_some();
    let _ = child.kill();
    child.wait().unwrap();
    // What the process printed before it died.
    while let Ok(phase) = seen.recv_timeout(std::time::Duration::from_millis(200)) {
        last = phase;
    }
    if finished { "finished".into() } else { last }
}

#[test]
fn sigkill_at_every_phase_and_at_random_moments_leaves_a_consistent_archive() {
    let archive = TempArchive::new(None);
    let inputs = tempfile::tempdir().unwrap();
    let record = unnumbered(inputs.path(), "a.toml", "2025-03-01");
    let b = unnumbered(inputs.path(), "b.toml", "2025-03-02");
    let c = unnumbered(inputs.path(), "c.toml", "2025-03-03");
    // With a search index: every kill must leave it consistent with the archive too.
    let r = archive.run(&["search", "Integrationskonzept"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let mut kills = 0;

    // Every phase of the transaction, several times: the process stops there and is killed.
    for round in 0..3 {
        for phase in ["allocated", "rendered", "stored", "inserted", "committed"] {
            let before = archive.references().len();
            // Every other round three papers in one transaction: all or nothing.
            let records: Vec<&std::path::Path> = if round % 2 == 0 {
                vec![&record]
            } else {
                vec![&record, &b, &c]
            };
            kill_at(&archive, &records, phase);
            kills += 1;
            let (log, after) = after_kill(&archive, &record);
            let committed = if phase == "committed" {
                records.len()
            } else {
                0
            };
            assert_eq!(
                after,
                before + committed,
                "phase {phase}, {} papers",
                records.len()
            );
            match phase {
                // The empty mark made for the file while the paper rendered.
                "rendered" => assert!(log.contains("(no stored file)"), "{log}"),
                "stored" | "inserted" => {
                    assert!(log.contains("written, never committed"), "{phase}: {log}")
                }
                "committed" => assert!(log.contains("finished the committed write"), "{log}"),
                _ => {}
            }
        }
    }

    // A kill while the archive recovers from the previous kill: the next opening finishes
    // the recovery.
    for _ in 0..2 {
        let before = archive.references().len();
        kill_at(&archive, &[&record], "stored");
        let mut check = archive.cmd();
        check.arg("check");
        kill_paused(check, "recovering");
        kills += 1;
        let (_, after) = after_kill(&archive, &record);
        assert_eq!(after, before);
    }

    // Random moments: delays from a fixed-seed generator, from the process start (anywhere
    // in a whole `new`) and from the start of the transaction (anywhere in it, or just after
    // it); where each kill landed is traced, and enough of them must land inside the
    // transaction. Both spans are measured on this machine first.
    // The shorter of two runs: one slow run (a cold disk cache) would aim most kills past
    // the commit.
    let (whole, transaction) = {
        let (w1, t1) = timed_new(&archive, &record);
        let (w2, t2) = timed_new(&archive, &record);
        (w1.min(w2), t1.min(t2))
    };
    let whole = whole.as_micros() as u64;
    let transaction = (transaction.as_micros() as u64 * 5 / 4).max(1);
    let mut state: u64 = 0x5eed_0310_2012;
    let mut landed: std::collections::BTreeMap<String, usize> = Default::default();
    for i in 0..20 {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let random = state >> 33;
        let (start, delay_us) = if i % 2 == 0 {
            (None, random % whole.max(1))
        } else {
            (Some("allocated"), random % transaction)
        };
        let before = archive.references().len();
        let multi = i % 3 == 0;
        let records: Vec<&std::path::Path> = if multi {
            vec![&record, &b, &c]
        } else {
            vec![&record]
        };
        let phase = kill_after(
            &archive,
            &records,
            start,
            std::time::Duration::from_micros(delay_us),
        );
        kills += 1;
        let (_, after) = after_kill(&archive, &record);
        let committed = after - before;
        // `inserted` is traced before the commit and `committed` after it returns: a kill
        // between the two finds the transaction durable with `inserted` as the last trace.
        // Then all papers are there, never some; it counts as landing after the commit.
        let phase = if phase == "inserted" && committed == records.len() {
            "committed".to_string()
        } else {
            phase
        };
        match phase.as_str() {
            p if INSIDE.contains(&p) => {
                assert_eq!(committed, 0, "a kill at {p} committed something")
            }
            "committed" | "finished" => assert_eq!(committed, records.len(), "{phase}"),
            _ => assert_eq!(committed, 0, "{phase}"),
        }
        *landed.entry(phase).or_default() += 1;
    }
    let inside: usize = INSIDE
        .iter()
        .map(|p| landed.get(*p).copied().unwrap_or(0))
        .sum();
    eprintln!(
        "random kills landed: {landed:?} (transaction window {transaction} µs, whole `new` {whole} µs)"
    );
    assert!(
        inside >= 5,
        "only {inside} random kills landed inside the transaction: {landed:?}"
    );
    assert_eq!(kills, 37);
}

/// Runs `new RECORD` with its phases traced and returns how long the whole process took and
/// how long its transaction did (from "at allocated" to "at committed").
fn timed_new(
    archive: &TempArchive,
    record: &std::path::Path,
) -> (std::time::Duration, std::time::Duration) {
    let started = std::time::Instant::now();
    let mut child = archive
        .cmd()
        .arg("new")
        .arg(record)
        .env("DRUCKSACHE_TEST_TRACE", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (mut allocated, mut committed) = (None, None);
    for line in BufReader::new(child.stderr.take().unwrap()).lines() {
        match line.unwrap().as_str() {
            "drucksache: at allocated" => allocated = Some(std::time::Instant::now()),
            "drucksache: at committed" => committed = Some(std::time::Instant::now()),
            _ => {}
        }
    }
    assert!(child.wait().unwrap().success(), "the timed `new` failed");
    let whole = started.elapsed();
    let (Some(allocated), Some(committed)) = (allocated, committed) else {
        panic!("the timed `new` did not trace its transaction");
    };
    (whole, committed - allocated)
}

/// Starts `new RECORD...` that stops at `phase` (`DRUCKSACHE_TEST_PAUSE_AT`) and kills it
/// there with SIGKILL.
fn kill_at(archive: &TempArchive, records: &[&std::path::Path], phase: &str) {
    let mut command = archive.cmd();
    command.arg("new").args(records);
    kill_paused(command, phase);
}

/// Runs `command` with `DRUCKSACHE_TEST_PAUSE_AT=phase` and kills it (SIGKILL) once it says
/// it paused there.
fn kill_paused(mut command: std::process::Command, phase: &str) {
    let mut child = command
        .env("DRUCKSACHE_TEST_PAUSE_AT", phase)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    while !line.contains("paused at") {
        line.clear();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "the process ended before reaching {phase}"
        );
    }
    child.kill().unwrap();
    child.wait().unwrap();
}

/// `search --json nummer:REF`: how many papers it finds.
fn found(archive: &TempArchive, reference: &str) -> u64 {
    let r = archive.run(&["search", "--json", &format!("nummer:{reference}")]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let json: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    json["gesamt"].as_u64().unwrap()
}

/// A `new` killed after its commit and before its index update leaves a committed paper the
/// index does not have: `check` says so, and the next opening of the archive (here `search`)
/// indexes it. An index restored from before a withdrawal is stale: `check` names the paper,
/// and the next opening brings it up to date.
#[test]
fn the_index_never_silently_lags_the_archive() {
    let archive = TempArchive::new(None);
    let inputs = tempfile::tempdir().unwrap();
    let record = unnumbered(inputs.path(), "a.toml", "2025-03-01");
    archive.new_paper(&record);
    assert_eq!(
        found(&archive, "0001/2025"),
        1,
        "the index is built by search"
    );

    kill_at(&archive, &[&record], "committed");
    let check = archive.run(&["check"]);
    assert_eq!(check.code, 1, "{}{}", check.stdout, check.stderr);
    assert!(
        check
            .stdout
            .contains("0002/2025: public, but missing from the search index"),
        "{}",
        check.stdout
    );
    assert_eq!(
        found(&archive, "0002/2025"),
        1,
        "opening the archive caught up"
    );
    archive.assert_check();

    // A multi-paper `new` killed after its commit: all three are caught up.
    let b = unnumbered(inputs.path(), "b.toml", "2025-03-02");
    let c = unnumbered(inputs.path(), "c.toml", "2025-03-03");
    kill_at(&archive, &[&record, &b, &c], "committed");
    let check = archive.run(&["check"]);
    assert_eq!(check.code, 1, "{}", check.stdout);
    for n in 3..=5 {
        assert!(
            check
                .stdout
                .contains(&format!("000{n}/2025: public, but missing")),
            "{}",
            check.stdout
        );
    }
    let r = archive.run(&["new", record.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    for n in 3..=6 {
        assert_eq!(found(&archive, &format!("000{n}/2025")), 1, "000{n}/2025");
    }
    archive.assert_check();

    // A stale index: a copy from before a withdrawal put back.
    let index = archive.path().join("index");
    let saved = inputs.path().join("index-before");
    copy_dir(&index, &saved);
    let r = archive.run(&["withdraw", "0001/2025", "--reason", "Versehen"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    std::fs::remove_dir_all(&index).unwrap();
    copy_dir(&saved, &index);
    let check = archive.run(&["check"]);
    assert_eq!(check.code, 1, "{}", check.stdout);
    assert!(
        check
            .stdout
            .contains("0001/2025: the search index shows it as active, the archive as withdrawn"),
        "{}",
        check.stdout
    );
    let r = archive.run(&["search", "--json", "nummer:0001/2025"]);
    assert!(r.stdout.contains("\"zurueckgezogen\""), "{}", r.stdout);
    archive.assert_check();
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}
