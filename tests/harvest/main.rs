//! `drucksache harvest` against an OParl server this test starts on 127.0.0.1
//! (`server.rs`), serving the shipped papers and misbehaving on purpose the way vendor
//! systems do.

#[path = "../common/mod.rs"]
mod common;
mod server;

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use common::TempArchive;
use serde_json::{Value, json};
use server::{Server, start};

/// A short timeout (the slow page takes 3 s), short backoff, no rate limit to speak of.
const QUICK: [&str; 6] = ["--timeout", "1", "--backoff", "50", "--rate", "1000"];

fn harvest(archive: &TempArchive, server: &Server, review: &Path, extra: &[&str]) -> common::Run {
    let review = review.to_str().unwrap().to_string();
    let url = server.system_url();
    let mut args = vec!["harvest", url.as_str(), "--review", review.as_str()];
    args.extend_from_slice(&QUICK);
    args.extend_from_slice(extra);
    archive.run(&args)
}

/// (reference, SHA-512 of its original) of every harvested paper in the archive.
fn harvested(archive: &TempArchive) -> BTreeSet<(String, String)> {
    let conn =
        rusqlite::Connection::open(archive.path().join(drucksache::archive::DB_FILE)).unwrap();
    let mut stmt = conn
        .prepare(
            "SELECT p.reference, o.sha512 FROM harvested h JOIN papers p ON p.id = h.paper_id
             JOIN originals o ON o.paper_id = p.id",
        )
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn a_misbehaving_system_is_harvested_as_far_as_it_can_be_and_a_second_run_adds_nothing() {
    if !common::have("pdftotext") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (server, expected) = start(dir.path(), Duration::ZERO);
    let archive = TempArchive::new(None);
    let review = dir.path().join("pruefung");

    let first = harvest(
        &archive,
        &server,
        &review,
        &["--since", "2000-01-01T00:00:00Z", "--json"],
    );
    assert_eq!(
        first.code, 1,
        "two papers fail, so the run says so:\n{}\n{}",
        first.stdout, first.stderr
    );
    let report: Value = serde_json::from_str(&first.stdout).unwrap();
    let new: Vec<String> = serde_json::from_value(report["new"].clone()).unwrap();
    let review_list: Vec<String> = serde_json::from_value(report["review"].clone()).unwrap();
    let failed: Vec<String> = serde_json::from_value(report["failed"].clone()).unwrap();
    eprintln!("{}", serde_json::to_string_pretty(&report).unwrap());

    // Every paper is accounted for exactly once; the two bad files fail for their reason.
    assert_eq!(
        new.len() + review_list.len() + failed.len(),
        expected.len(),
        "{report:#}"
    );
    assert_eq!(failed.len(), 2, "{failed:?}");
    for e in &expected {
        let why = failed
            .iter()
            .find(|f| f.starts_with(&format!("{}: ", e.id)));
        match e.fails {
            Some(reason) => assert!(
                why.is_some_and(|w| w.contains(reason)),
                "{}: {failed:?}",
                e.id
            ),
            None => assert!(why.is_none(), "{why:?}"),
        }
    }
    assert_eq!(
        report["files_failed"],
        json!({"HTML statt PDF": 1, "Prüfsumme falsch": 1})
    );
    // A paper whose file failed is archived meanwhile from its OParl metadata as a legacy
    // paper not structured yet (searchable by its Betreff); so is every paper in review.
    let legacy: Vec<String> = serde_json::from_value(report["legacy"].clone()).unwrap();
    for reference in ["0900/2012", "0910/2012"] {
        assert!(legacy.iter().any(|r| r == reference), "{report:#}");
        let shown = archive.run(&["show", reference, "--json"]);
        let shown: Value = serde_json::from_str(&shown.stdout).unwrap();
        assert_eq!(shown["structured"], false, "{shown:#}");
        assert_eq!(shown["originals"], json!([]), "{shown:#}");
        assert_eq!(shown["renditions"], json!([]), "{shown:#}");
        assert_eq!(shown["source"]["betreff"], "Kaputte Datei", "{shown:#}");
        assert_eq!(shown["source"]["oeffentlich"], true, "{shown:#}");
    }
    assert_eq!(legacy.len(), review_list.len() + 2, "{report:#}");
    let found = archive.run(&["search", "kaputte", "--json"]);
    assert!(
        found.stdout.contains("0900/2012") && found.stdout.contains("0910/2012"),
        "{}",
        found.stdout
    );
    assert!(
        !new.is_empty(),
        "at least one paper is certain enough to archive: {report:#}"
    );
    assert_eq!(report["pages_failed"], json!([]));
    assert_eq!(report["complete"], json!(true));

    // Archived papers keep the other system's reference; their original is the served file.
    let stored = harvested(&archive);
    for e in expected.iter().filter(|e| new.contains(&e.reference)) {
        assert!(
            stored.contains(&(e.reference.clone(), drucksache::archive::sha512_hex(&e.pdf))),
            "{}",
            e.reference
        );
    }
    // A paper's Anlage is stored as its second original; the main file given again as an
    // auxiliaryFile is stored once.
    let shown = archive.run(&["show", "0020/2013", "--json"]);
    let shown: Value = serde_json::from_str(&shown.stdout).unwrap();
    let originals = shown["originals"].as_array().unwrap();
    assert_eq!(originals.len(), 2, "{shown:#}");
    assert_eq!(originals[1]["file_name"], "Anlage 1.pdf");
    assert_eq!(
        originals[1]["sha512"],
        drucksache::archive::sha512_hex(&server::anlage_pdf()).as_str()
    );
    let shown = archive.run(&["show", "0355/2012", "--json"]);
    let shown: Value = serde_json::from_str(&shown.stdout).unwrap();
    assert_eq!(shown["originals"].as_array().unwrap().len(), 1, "{shown:#}");
    // Each archived paper records which fields came from OParl; the rest came from its text.
    let conn =
        rusqlite::Connection::open(archive.path().join(drucksache::archive::DB_FILE)).unwrap();
    let fields: String = conn
        .query_row(
            "SELECT h.oparl_fields FROM harvested h JOIN papers p ON p.id = h.paper_id
             WHERE p.reference = ?1",
            [&new[0]],
            |r| r.get(0),
        )
        .unwrap();
    let fields: Vec<String> = serde_json::from_str(&fields).unwrap();
    for key in [
        "oeffentlich",
        "art",
        "drucksachennummer",
        "datum",
        "betreff",
        "amt",
        "beratungsfolge",
    ] {
        assert!(
            fields.iter().any(|f| f == key),
            "{key} from OParl: {fields:?}"
        );
    }
    assert!(!fields.iter().any(|f| f == "begruendung"), "{fields:?}");
    // The rest waits in the review folder with its draft, which names where its values came from.
    for why in &review_list {
        let draft = why
            .split("(Entwurf: ")
            .nth(1)
            .and_then(|rest| rest.split(')').next())
            .unwrap();
        assert!(why.contains(", nicht strukturiert)"), "{why}");
        let text = std::fs::read_to_string(draft).unwrap_or_else(|e| panic!("{draft}: {e}"));
        assert!(
            text.contains("# aus den OParl-Daten des anderen Systems"),
            "{text}"
        );
    }

    // The faults: page 2 was asked twice (a 500, then fine); page 3 twice (too slow, then
    // fine), with the filter page 2's link had dropped; the 404 after the last page ended it.
    let requests = server.requests();
    let pages = |n: usize| {
        requests
            .iter()
            .filter(|r| r.starts_with(&format!("/oparl/papers?page={n}")))
            .cloned()
            .collect::<Vec<_>>()
    };
    assert_eq!(pages(2).len(), 2, "{requests:#?}");
    assert_eq!(pages(3).len(), 2, "{requests:#?}");
    assert!(
        pages(3)
            .iter()
            .all(|r| r.contains("modified_since=2000-01-01T00")),
        "{requests:#?}"
    );
    // Shared meetings and organizations are fetched once each.
    let mut fetched: Vec<&String> = requests
        .iter()
        .filter(|r| r.starts_with("/oparl/meeting/") || r.starts_with("/oparl/org/"))
        .collect();
    let all = fetched.len();
    fetched.sort();
    fetched.dedup();
    assert_eq!(all, fetched.len(), "{requests:#?}");
    archive.assert_check();

    // A refused --body changes nothing: the failed papers are not even tried.
    let before = server.requests().len();
    let refused = harvest(
        &archive,
        &server,
        &review,
        &["--body", &server.unknown_body()],
    );
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    let during = &server.requests()[before..];
    assert!(!during.iter().any(|r| r.contains("kaputt")), "{during:#?}");

    // A second run: nothing new, nothing twice; the failed papers are tried again (and fail).
    let before = server.requests().len();
    let second = harvest(&archive, &server, &review, &["--json"]);
    assert_eq!(second.code, 1, "{}\n{}", second.stdout, second.stderr);
    let report2: Value = serde_json::from_str(&second.stdout).unwrap();
    assert_eq!(report2["new"], json!([]), "{report2:#}");
    assert_eq!(
        report2["failed"].as_array().unwrap().len(),
        2,
        "{report2:#}"
    );
    assert_eq!(harvested(&archive), stored);
    assert_eq!(
        report2["legacy"],
        json!([]),
        "nothing new to keep: {report2:#}"
    );
    let history = |reference: &str| {
        let shown = archive.run(&["show", reference, "--json"]);
        let shown: Value = serde_json::from_str(&shown.stdout).unwrap();
        shown["history"].as_array().unwrap().len()
    };
    assert_eq!(
        history("0910/2012"),
        1,
        "a failed file again writes nothing"
    );
    let later = &server.requests()[before..];
    assert!(
        later.iter().any(|r| r.starts_with("/oparl/paper/kaputt-0")),
        "{later:#?}"
    );
    // It asked only for what changed since the first run (less the overlap).
    assert!(
        later
            .iter()
            .any(|r| r.starts_with("/oparl/papers?modified_since=")),
        "{later:#?}"
    );

    // The other system serves the file now: the next run fetches it and completes the same
    // legacy paper (its text says another number than OParl, so it stays in review).
    server.fix_html_file();
    let third = harvest(&archive, &server, &review, &["--json"]);
    let report3: Value = serde_json::from_str(&third.stdout).unwrap();
    assert_eq!(
        report3["failed"].as_array().unwrap().len(),
        1,
        "{report3:#}"
    );
    assert_eq!(report3["legacy"], json!(["0910/2012"]), "{report3:#}");
    let shown = archive.run(&["show", "0910/2012", "--json"]);
    let shown: Value = serde_json::from_str(&shown.stdout).unwrap();
    assert_eq!(shown["structured"], false, "{shown:#}");
    assert_eq!(shown["originals"].as_array().unwrap().len(), 1, "{shown:#}");
    assert_eq!(
        shown["originals"][0]["sha512"],
        drucksache::archive::sha512_hex(&server::anlage_pdf()).as_str()
    );
    assert!(
        shown["source"]["text"]
            .as_str()
            .unwrap()
            .contains("Integrationskonzept"),
        "{shown:#}"
    );
    assert_eq!(history("0910/2012"), 2, "{shown:#}");
    archive.assert_check();
}

#[test]
fn a_harvest_killed_mid_run_and_run_again_gives_the_archive_of_one_clean_run() {
    if !common::have("pdftotext") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (server, _) = start(dir.path(), Duration::from_millis(400));
    let clean = TempArchive::new(None);
    let review = dir.path().join("pruefung-sauber");
    harvest(&clean, &server, &review, &[]);
    let want = harvested(&clean);
    assert!(!want.is_empty());

    let killed = TempArchive::new(None);
    let review = dir.path().join("pruefung-abgebrochen");
    let url = server.system_url();
    let mut child = killed
        .cmd()
        .args([
            "harvest",
            url.as_str(),
            "--review",
            review.to_str().unwrap(),
        ])
        .args(QUICK)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Kill it once it has archived its first paper (a poll on the archive, not a clock).
    let db = killed.path().join(drucksache::archive::DB_FILE);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the harvest ended before it could be killed: {status}");
        }
        let archived: i64 = rusqlite::Connection::open(&db)
            .and_then(|c| {
                c.query_row(
                    "SELECT count(*) FROM harvested WHERE state = 'archived'",
                    [],
                    |r| r.get(0),
                )
            })
            .unwrap_or(0);
        if archived >= 1 {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        harvested(&killed).len() < want.len(),
        "killed before the end"
    );
    harvest(&killed, &server, &review, &[]);
    assert_eq!(harvested(&killed), want);
    killed.assert_check();
}

#[test]
fn bad_arguments_and_an_unreachable_system_are_refused_with_a_clear_message_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (server, _) = start(dir.path(), Duration::ZERO);
    let archive = TempArchive::new(None);
    let review = dir.path().join("pruefung");
    let since = harvest(&archive, &server, &review, &["--since", "gestern"]);
    assert_eq!(since.code, 2, "{}", since.stderr);
    assert!(
        since.stderr.contains("--since gestern: not a date-time"),
        "{}",
        since.stderr
    );
    let body = harvest(
        &archive,
        &server,
        &review,
        &["--body", &server.unknown_body()],
    );
    assert_eq!(body.code, 2, "{}", body.stderr);
    assert!(
        body.stderr.contains(&format!(
            "--body {}: the system has no such body (it has: http://127.0.0.1:",
            server.unknown_body()
        )),
        "{}",
        body.stderr
    );
    // A port nobody listens on (bound, then closed).
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let url = format!("http://{closed}/oparl/system");
    let gone = archive.run(&["harvest", &url, "--retries", "1", "--backoff", "10"]);
    assert_eq!(gone.code, 1, "{}", gone.stderr);
    assert!(
        gone.stderr.contains(&format!("{url}: cannot connect")),
        "{}",
        gone.stderr
    );
    assert!(harvested(&archive).is_empty());
    assert!(!review.exists());
}

#[test]
fn a_page_that_keeps_failing_is_reported_and_the_next_run_starts_there() {
    if !common::have("pdftotext") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (server, expected) = start(dir.path(), Duration::ZERO);
    let archive = TempArchive::new(None);
    let review = dir.path().join("pruefung");
    server.page3_down(true);
    let first = harvest(&archive, &server, &review, &["--json", "--retries", "2"]);
    assert_eq!(first.code, 1, "{}\n{}", first.stdout, first.stderr);
    let report: Value = serde_json::from_str(&first.stdout).unwrap();
    let failed_pages = report["pages_failed"].as_array().unwrap();
    assert_eq!(failed_pages.len(), 1, "{report:#}");
    assert!(
        failed_pages[0].as_str().unwrap().contains("page=3"),
        "{report:#}"
    );
    assert!(
        failed_pages[0].as_str().unwrap().contains("HTTP 500"),
        "{report:#}"
    );
    assert_eq!(report["complete"], json!(false));
    let seen = |r: &Value| {
        ["new", "review", "failed"]
            .iter()
            .map(|k| r[k].as_array().unwrap().len())
            .sum::<usize>()
    };
    assert_eq!(seen(&report), 4, "pages 1 and 2: {report:#}");

    // Back up: the next run asks for page 3 first (not page 1 again) and goes to the end.
    server.page3_down(false);
    let before = server.requests().len();
    let second = harvest(&archive, &server, &review, &["--json"]);
    let report2: Value = serde_json::from_str(&second.stdout).unwrap();
    assert_eq!(report2["pages_failed"], json!([]), "{report2:#}");
    assert_eq!(report2["complete"], json!(true));
    let lists: Vec<String> = server.requests()[before..]
        .iter()
        .filter(|r| r.starts_with("/oparl/papers"))
        .cloned()
        .collect();
    assert!(lists[0].starts_with("/oparl/papers?page=3"), "{lists:#?}");
    assert_eq!(seen(&report), 4);
    // Everything is accounted for: the rest of the list now, the failed papers of page 1
    // and 2 tried again.
    assert_eq!(
        seen(&report2),
        expected.len() - 4 + report["failed"].as_array().unwrap().len(),
        "{report2:#}"
    );
    archive.assert_check();
}
