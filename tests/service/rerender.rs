//! `drucksache rerender` while the service takes `POST /api/v1/papers`: both succeed, the
//! service keeps answering while the run stores its batches, and the numbers the service
//! gives stay gap-free.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use axum::http::{Method, StatusCode, header};
use serde_json::json;

use crate::common;
use crate::harness::{Served, Service, paper_json};

#[test]
fn rerender_and_the_service_both_succeed_with_gap_free_numbers() {
    let dir = tempfile::tempdir().unwrap();
    common::copy_tracked_records(dir.path());
    let r = common::run(
        common::drucksache()
            .args(["demo-corpus", "--count", "30", "--seed", "3", "--out"])
            .arg(dir.path().join("papers/demo")),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let served = Served::start_in(dir, "", &[]);
    let templates = tempfile::tempdir().unwrap();
    let layout = std::fs::read_to_string(common::root().join("templates/layout.typ")).unwrap();
    let wider = layout.replace(
        "margin: (left: 2.5cm, right: 2cm",
        "margin: (left: 3cm, right: 2.5cm",
    );
    assert_ne!(wider, layout);
    std::fs::write(templates.path().join("layout.typ"), wider).unwrap();

    // Two clients create papers until the run is over.
    let created = Arc::new(Mutex::new(Vec::<String>::new()));
    let during = Arc::new(Mutex::new(0usize));
    let running = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..2)
        .map(|client| {
            let (created, during, running, stop) = (
                created.clone(),
                during.clone(),
                running.clone(),
                stop.clone(),
            );
            let (port, token) = (served.port, served.token.clone());
            std::thread::spawn(move || {
                let http = Served::client(port, &token);
                for i in 0.. {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let body = serde_json::to_vec(&paper_json(&format!(
                        "Während des Neu-Renderns, Client {client}, Nummer {i}"
                    )))
                    .unwrap();
                    let (status, _, answer) = http.call("POST", "/api/v1/papers", Some(&body));
                    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&answer));
                    let json: serde_json::Value = serde_json::from_slice(&answer).unwrap();
                    let reference = json["drucksachennummer"].as_str().unwrap().to_string();
                    created.lock().unwrap().push(reference);
                    if running.load(Ordering::Relaxed) {
                        *during.lock().unwrap() += 1;
                    }
                }
            })
        })
        .collect();
    running.store(true, Ordering::Relaxed);
    let rerender = common::run(
        common::drucksache()
            .arg("--archive")
            .arg(served.dir.path())
            .arg("--templates")
            .arg(templates.path())
            .args(["rerender", "--all", "--jobs", "1"]),
    );
    running.store(false, Ordering::Relaxed);
    stop.store(true, Ordering::Relaxed);
    for client in clients {
        client.join().unwrap();
    }
    assert_eq!(rerender.code, 0, "{}{}", rerender.stdout, rerender.stderr);
    // The 36 papers archived before, and those the service created before the run began.
    let count = |label: &str| -> usize {
        let at = rerender.stdout.find(label).expect(label) + label.len();
        let digits: String = rerender.stdout[at..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse().unwrap()
    };
    assert!(count("neu gerendert ") >= 36, "{}", rerender.stdout);
    assert_eq!(count("abweichend "), 0, "{}", rerender.stdout);
    assert_eq!(count("fehlgeschlagen "), 0, "{}", rerender.stdout);
    let during = *during.lock().unwrap();
    assert!(
        during >= 3,
        "only {during} papers were created during the run"
    );

    // The service's numbers: 0001/2026 … without a gap, each once.
    let mut numbers: Vec<u32> = created
        .lock()
        .unwrap()
        .iter()
        .map(|r| r.strip_suffix("/2026").unwrap().parse().unwrap())
        .collect();
    numbers.sort();
    let expected: Vec<u32> = (1..=numbers.len() as u32).collect();
    assert_eq!(numbers, expected);
    served.assert_check();
}

/// `POST /api/v1/rerender` starts a job (202 and its URL), a second one while it runs gets
/// 409, `GET /api/v1/jobs/{id}` shows the report when done; bad selections change nothing.
#[tokio::test]
async fn rerender_jobs_through_the_api() {
    let service = Service::start();
    let post = |body: serde_json::Value| {
        let service = &service;
        async move {
            service
                .admin(
                    Method::POST,
                    "/api/v1/rerender",
                    Some(serde_json::to_vec(&body).unwrap()),
                )
                .await
        }
    };
    for bad in [
        json!({}),
        json!({"alle": true, "jahr": 2012}),
        json!({"alle": 1}),
        json!({"x": 1}),
    ] {
        let answer = post(bad.clone()).await;
        assert_eq!(
            answer.status,
            StatusCode::BAD_REQUEST,
            "{bad}: {}",
            answer.text()
        );
    }
    let unknown = post(json!({"drucksachen": ["0999/2099"]})).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND, "{}", unknown.text());
    assert!(unknown.text().contains("0999/2099"), "{}", unknown.text());

    let started = post(json!({"alle": true})).await;
    assert_eq!(started.status, StatusCode::ACCEPTED, "{}", started.text());
    let url = started.json()["job"].as_str().unwrap().to_string();
    assert_eq!(started.headers[header::LOCATION], url.as_str());
    let second = post(json!({"alle": true})).await;
    assert_eq!(second.status, StatusCode::CONFLICT, "{}", second.text());

    let mut job = serde_json::Value::Null;
    for _ in 0..1200 {
        job = service.admin(Method::GET, &url, None).await.json();
        if job["status"] != "laeuft" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(job["status"], "fertig", "{job:#}");
    let report = &job["bericht"];
    assert_eq!(report["selected"], 6, "{report:#}");
    // The service's own templates: every paper renders as its newest rendition.
    assert_eq!(report["unchanged"], 6, "{report:#}");
    assert_eq!(report["papers"].as_array().unwrap().len(), 6);
    let missing = service.admin(Method::GET, "/api/v1/jobs/999", None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    // The place is free again.
    let again = post(json!({"jahr": 2012, "probelauf": true})).await;
    assert_eq!(again.status, StatusCode::ACCEPTED, "{}", again.text());
}
