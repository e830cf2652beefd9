//! 50 parallel `POST /papers` get 50 distinct, gap-free references, and every PDF verifies.

use axum::http::{Method, StatusCode};

use crate::common;
use crate::harness::{Service, paper_json};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_parallel_creations_get_fifty_gap_free_numbers() {
    let service = std::sync::Arc::new(Service::start());
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let service = std::sync::Arc::clone(&service);
            tokio::spawn(async move {
                service
                    .create(&paper_json(&format!("Paralleler Antrag Nummer {i}")))
                    .await
            })
        })
        .collect();
    let mut references = Vec::new();
    for task in tasks {
        references.push(task.await.unwrap());
    }
    references.sort();
    let expected: Vec<String> = (1..=50).map(|n| format!("{n:04}/2026")).collect();
    assert_eq!(references, expected);

    for reference in &references {
        let pdf = service
            .admin(
                Method::GET,
                &format!("/api/v1/papers/{}/pdf", reference.replace('/', "-")),
                None,
            )
            .await;
        assert_eq!(pdf.status, StatusCode::OK);
        let report = drucksache::sign::verify(&pdf.body, &[]);
        assert!(report.valid, "{reference}: {:?}", report.problems);
    }
    let hits = service
        .get("/api/v1/search?q=Paralleler+Antrag&pro_seite=100")
        .await
        .json();
    assert_eq!(hits["gesamt"], 50);
    let check = common::run(
        common::drucksache()
            .arg("--archive")
            .arg(service.archive())
            .arg("check"),
    );
    assert_eq!(check.code, 0, "{}", check.stderr);
}

/// One bad paper among parallel creations (an Ergänzungsvorlage to a paper that does not
/// exist, which only the archive can tell) fails alone: the writer's batch fails, it creates
/// the papers one by one, every other paper gets its number, gap-free.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_bad_paper_in_a_batch_fails_alone() {
    let service = std::sync::Arc::new(Service::start());
    let tasks: Vec<_> = (0..24)
        .map(|i| {
            let service = std::sync::Arc::clone(&service);
            tokio::spawn(async move {
                let mut paper = paper_json(&format!("Stapel mit Ausreißer {i}"));
                if i == 12 {
                    paper["art"] = "ergaenzungsvorlage".into();
                    paper["bezug"] = "9999/2026".into();
                }
                let answer = service.post_paper(&paper).await;
                (i, answer.status, answer.json())
            })
        })
        .collect();
    let mut references = Vec::new();
    for task in tasks {
        let (i, status, json) = task.await.unwrap();
        if i == 12 {
            assert!(status.is_client_error(), "{status}: {json}");
            assert!(
                json["message"].as_str().unwrap().contains("9999/2026"),
                "{json}"
            );
        } else {
            assert_eq!(status, StatusCode::CREATED, "{i}: {json}");
            references.push(json["drucksachennummer"].as_str().unwrap().to_string());
        }
    }
    references.sort();
    let expected: Vec<String> = (1..=23).map(|n| format!("{n:04}/2026")).collect();
    assert_eq!(references, expected);
    let metrics = service.admin(Method::GET, "/metrics", None).await.text();
    let split: u64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("drucksache_batches_split_total "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0);
    assert!(
        split >= 1,
        "the papers were never batched together:\n{metrics}"
    );
}
