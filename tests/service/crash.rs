//! `serve` killed with SIGKILL during a burst of creations: after a restart every paper
//! whose creation was answered 201 is in the archive and found by `nummer:`, and `check`
//! (which compares the search index with the archive) passes.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use crate::common;
use crate::harness::{Served, paper_json};

#[test]
fn every_answered_paper_is_found_after_a_kill_during_a_burst() {
    let mut served = Served::start("", &[]);
    let mut answered: Vec<String> = Vec::new();
    for round in 0..3 {
        let created = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let port = served.port;
        let token = served.token.clone();
        let workers: Vec<_> = (0..6)
            .map(|worker| {
                let (created, stop, token) = (created.clone(), stop.clone(), token.clone());
                std::thread::spawn(move || {
                    let client = Served::client(port, &token);
                    for i in 0.. {
                        if stop.load(Ordering::Relaxed) {
                            break;
                        }
                        let body = serde_json::to_vec(&paper_json(&format!(
                            "Stoßbetrieb Runde {round} Schreiber {worker} Nummer {i}"
                        )))
                        .unwrap();
                        let (status, _, answer) =
                            client.call("POST", "/api/v1/papers", Some(&body));
                        if status != 201 {
                            break; // the server is gone
                        }
                        let json: serde_json::Value = serde_json::from_slice(&answer).unwrap();
                        let reference = json["drucksachennummer"].as_str().unwrap().to_string();
                        created.lock().unwrap().push(reference);
                    }
                })
            })
            .collect();
        // Kill once a few creations were answered, while the others are in flight.
        while created.lock().unwrap().len() < 8 + 4 * round {
            std::thread::yield_now();
        }
        let dir = served.kill();
        stop.store(true, Ordering::Relaxed);
        for worker in workers {
            worker.join().unwrap();
        }
        answered.extend(created.lock().unwrap().iter().cloned());
        served = Served::start_in(dir, "", &[]);
        for reference in &answered {
            let (status, _, body) =
                served.call("GET", &format!("/api/v1/search?q=nummer:{reference}"), None);
            assert_eq!(status, 200);
            let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(
                json["gesamt"], 1,
                "round {round}: {reference} not found: {json}"
            );
        }
        let check = common::run(
            common::drucksache()
                .arg("--archive")
                .arg(served.dir.path())
                .arg("check"),
        );
        assert_eq!(
            check.code, 0,
            "round {round}: {}{}",
            check.stdout, check.stderr
        );
    }
    assert!(answered.len() >= 8 + 12 + 16, "{}", answered.len());
}
