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

/// After a kill: the archive checks clean, holds exactly the numbers 1…k, and the next `new`
/// gets k + 1. Returns the check's log (recovery messages) and k.
fn after_kill(archive: &TempArchive, record: &std::path::Path) -> (String, usize) {
    let check = archive.run(&["check"]);
    assert_eq!(
        check.code, 0,
        "check after a kill:\n{}{}",
        check.stdout, check.stderr
    );
    let refs = archive.references();
    assert_eq!(
        refs,
        expected_references(refs.len()),
        "no gap, no duplicate"
    );
    let next = archive.new_paper(record);
    assert_eq!(next, format!("{:04}/2025", refs.len() + 1));
    (check.stderr, refs.len())
}

#[test]
fn sigkill_at_every_phase_and_at_random_moments_leaves_a_consistent_archive() {
    let archive = TempArchive::new(None);
    let inputs = tempfile::tempdir().unwrap();
    let record = unnumbered(inputs.path(), "a.toml", "2025-03-01");
    let mut kills = 0;

    // Every phase of the transaction, several times: the process stops there and is killed.
    for _round in 0..6 {
        for phase in ["allocated", "rendered", "stored", "inserted", "committed"] {
            let before = archive.references().len();
            let mut child = archive
                .cmd()
                .arg("new")
                .arg(&record)
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
                    "new ended before reaching {phase}"
                );
            }
            child.kill().unwrap(); // SIGKILL
            child.wait().unwrap();
            kills += 1;
            let (log, after) = after_kill(&archive, &record);
            let committed = phase == "committed";
            assert_eq!(after, before + usize::from(committed), "phase {phase}");
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

    // Random moments: delays from a fixed-seed generator spread over a whole `new`.
    let mut state: u64 = 0x5eed_0310_2012;
    for _ in 0..25 {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let delay_us = (state >> 33) % 150_000;
        let mut child = archive
            .cmd()
            .arg("new")
            .arg(&record)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_micros(delay_us));
        let _ = child.kill();
        child.wait().unwrap();
        kills += 1;
        after_kill(&archive, &record);
    }
    assert!(kills >= 50);
}

/// Starts `new RECORD...` that stops at `phase` (`DRUCKSACHE_TEST_PAUSE_AT`) and kills it
/// there with SIGKILL.
fn kill_at(archive: &TempArchive, records: &[&std::path::Path], phase: &str) {
    let mut child = archive
        .cmd()
        .arg("new")
        .args(records)
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
            "new ended before reaching {phase}"
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
