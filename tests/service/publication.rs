//! The day a blocking date (`gesperrt_bis`) ends: on that day the paper is on no public
//! route, the day after it is on all of them — the archive's published column (pages, OParl,
//! sitemap) and the search index's rule agree, with no reindex in between.

use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use drucksache::model::{Clock, Date};

use crate::harness::{Service, paper_json};

#[tokio::test]
async fn a_blocked_paper_appears_everywhere_the_day_after_its_blocking_date() {
    let day = Arc::new(Mutex::new(Date::parse_iso("2026-05-31").unwrap()));
    let service = Service::start_with_clock(Clock::manual(Arc::clone(&day)));
    let mut paper = paper_json("Grundstückstausch Sperrfrist Ende Mai");
    paper["verfuegung"]["veroeffentlichung"] = false.into();
    paper["verfuegung"]["gesperrt_bis"] = "2026-05-31".into();
    let reference = service.create(&paper).await;
    let slug = reference.replace('/', "-");

    // Everything a citizen can reach: page, PDF, search (API and page), OParl, sitemap.
    let visible = |expect: bool| {
        let service = &service;
        let (reference, slug) = (reference.clone(), slug.clone());
        async move {
            let page = service.get(&format!("/vorlagen/{slug}")).await;
            let pdf = service.get(&format!("/vorlagen/{slug}/pdf")).await;
            let hits = service
                .get(&format!("/api/v1/search?q=nummer:{reference}"))
                .await
                .json();
            let words = service.get("/?q=Sperrfrist").await.text();
            let oparl = service.get("/oparl/v1/body/1/paper?limit=100").await.text();
            let sitemap = service.get("/sitemap.xml").await.text();
            let seen = [
                ("page", page.status == StatusCode::OK),
                ("pdf", pdf.status == StatusCode::OK),
                ("search API", hits["gesamt"] == 1),
                ("search page", words.contains(&format!("/vorlagen/{slug}"))),
                (
                    "OParl",
                    oparl.contains(&format!("\"reference\":\"{reference}\"")),
                ),
                ("sitemap", sitemap.contains(&format!("/vorlagen/{slug}<"))),
            ];
            for (route, shown) in seen {
                assert_eq!(shown, expect, "{route} on {}", service.state.today());
            }
        }
    };
    visible(false).await;
    *day.lock().unwrap() = Date::parse_iso("2026-06-01").unwrap();
    visible(true).await;
}
