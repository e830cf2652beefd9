//! The real binary: `serve` on a socket; SIGTERM while a creation is in flight lets it finish
//! (201, numbered, stored) before the process exits 0. The creation is held at a known point
//! of its transaction (`DRUCKSACHE_TEST_PAUSE_AT=rendered`) until the signal has been sent, so
//! the request is provably in flight.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::common;
use crate::harness::{Served, paper_json};

#[test]
fn sigterm_finishes_the_request_in_flight() {
    let dir = tempfile::tempdir().unwrap();
    let resume = dir.path().join("weiter");
    let mut served = Served::start_in(
        dir,
        "",
        &[
            ("DRUCKSACHE_TEST_PAUSE_AT", "rendered"),
            ("DRUCKSACHE_TEST_RESUME", resume.to_str().unwrap()),
        ],
    );
    let client = Served::client(served.port, &served.token);
    let request = std::thread::spawn(move || {
        let body =
            serde_json::to_vec(&paper_json("Eingereicht kurz vor dem Herunterfahren")).unwrap();
        client.call("POST", "/api/v1/papers", Some(&body))
    });
    let deadline = Instant::now() + Duration::from_secs(120);
    while !served.log().contains("paused at rendered") {
        assert!(Instant::now() < deadline, "the creation never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    let killed = Command::new("kill")
        .args(["-TERM", &served.child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    // The process must wait for the creation it holds, not exit.
    std::thread::sleep(Duration::from_millis(300));
    assert!(served.alive(), "serve exited with a creation in flight");
    std::fs::write(&resume, b"").unwrap();

    let (status, head, body) = request.join().unwrap();
    assert_eq!(status, 201, "{head}");
    let body = String::from_utf8_lossy(&body);
    assert!(
        body.contains("\"drucksachennummer\":\"0001/2026\""),
        "{body}"
    );
    let exit = served.child.wait().unwrap();
    assert!(exit.success(), "{exit}: {}", served.log());
    let deadline = Instant::now() + Duration::from_secs(10);
    while !served.log().contains("drucksache beendet") {
        assert!(Instant::now() < deadline, "{}", served.log());
        std::thread::sleep(Duration::from_millis(20));
    }

    let shown = common::run(
        common::drucksache()
            .arg("--archive")
            .arg(served.dir.path())
            .args(["show", "0001/2026"]),
    );
    assert_eq!(shown.code, 0, "{}", shown.stderr);
}
