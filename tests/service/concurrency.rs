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
