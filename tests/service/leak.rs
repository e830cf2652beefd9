//! Non-public papers never leave through a public route: not their words, not their
//! references, not in counts or facets, not as pages, PDFs, OParl objects or sitemap entries.

use std::collections::HashSet;

use axum::http::StatusCode;
use serde_json::json;

use crate::harness::{BASE, Service, paper_json};

#[tokio::test]
async fn nothing_of_a_non_public_paper_is_on_any_public_route() {
    let service = Service::start();
    // The tracked 0412/2012 is not public. Two more: one not public, one blocked for years.
    let mut secret = paper_json("Geheimsache Zwiebelturm");
    secret["oeffentlich"] = json!(false);
    let mut blocked = paper_json("Sperrvermerk Kuckucksuhr");
    blocked["verfuegung"]["veroeffentlichung"] = json!(false);
    blocked["verfuegung"]["gesperrt_bis"] = json!("2099-12-31");
    let mut refs = Vec::new();
    for paper in [&secret, &blocked] {
        let answer = service
            .admin(
                axum::http::Method::POST,
                "/api/v1/papers",
                Some(serde_json::to_vec(paper).unwrap()),
            )
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
        let created = answer.json();
        assert_eq!(created["veroeffentlicht"], false);
        assert!(created["urls"].get("seite").is_none());
        refs.push(created["drucksachennummer"].as_str().unwrap().to_string());
    }
    assert_eq!(refs, ["0001/2026", "0002/2026"]);
    service
        .create(&paper_json("Öffentliche Vorlage zum Vergleich"))
        .await;

    let secrets = [
        "Quellenweg",
        "Immobilien",
        "0412/2012",
        "0412-2012",
        "Zwiebelturm",
        "Kuckucksuhr",
        "0001/2026",
        "0001-2026",
        "0002/2026",
        "0002-2026",
    ];
    let mut seen = String::new();
    let mut get = async |uri: String| {
        let answer = service.get(&uri).await;
        // The request line is not part of the answer (it may hold the typed secret).
        seen.push_str(&format!("\n== {}\n", answer.status));
        if answer
            .headers
            .get("content-type")
            .is_some_and(|t| t != "application/pdf")
        {
            // What the visitor typed comes back to them (search field, title): that is not
            // the archive's content, so it is blanked before looking for secrets.
            let mut text = answer.text();
            let typed = uri.split_once("?q=").map(|(_, q)| {
                let q = q.split('&').next().unwrap_or_default();
                serde_urlencoded::from_str::<Vec<(String, String)>>(&format!("q={q}")).unwrap()[0]
                    .1
                    .clone()
            });
            if let Some(typed) = typed.filter(|t| !t.is_empty()) {
                text = text.replace(&typed, "[Suchtext]");
            }
            seen.push_str(&text);
        }
        answer
    };

    let mut uris: Vec<String> = vec![
        "/".into(),
        "/?pro_seite=100".into(),
        "/sitemap.xml".into(),
        "/robots.txt".into(),
        "/api/v1/search?pro_seite=100".into(),
        "/oparl/v1/system".into(),
        "/oparl/v1/body".into(),
        "/oparl/v1/body/1".into(),
        "/oparl/v1/body/1/organization".into(),
        "/oparl/v1/body/1/paper?limit=1000".into(),
    ];
    for word in [
        "Quellenweg",
        "Quellenwg",
        "Zwiebelturm",
        "Zwiebeltrm",
        "Kuckucksuhr",
        "0412/2012",
        "nummer:0412/2012",
        "0001/2026",
        "amt:Immobilien",
        "Flurst%C3%BCck",
    ] {
        uris.push(format!("/?q={word}"));
        uris.push(format!("/api/v1/search?q={word}"));
    }
    for slug in ["0412-2012", "0001-2026", "0002-2026"] {
        uris.push(format!("/vorlagen/{slug}"));
        uris.push(format!("/vorlagen/{slug}/pdf"));
    }
    for uri in uris {
        get(uri).await;
    }
    // Every id the archive could have given, on every route that takes an id.
    let public_files: HashSet<String> = {
        let list = get("/oparl/v1/body/1/paper?limit=1000".into()).await.json();
        list["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                p["mainFile"]["sha512Checksum"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect()
    };
    for id in 1..=12 {
        for route in ["/oparl/v1/paper", "/oparl/v1/file", "/dateien"] {
            let answer = get(format!("{route}/{id}")).await;
            if route == "/dateien" && answer.status == StatusCode::OK {
                let sha = drucksache::archive::sha512_hex(&answer.body);
                assert!(
                    public_files.contains(&sha),
                    "/dateien/{id} serves a non-public PDF"
                );
            }
        }
        get(format!("/oparl/v1/consultation/{id}-1")).await;
    }
    for secret in secrets {
        assert!(
            !seen.contains(secret),
            "{secret} leaked:\n{}",
            excerpt(&seen, secret)
        );
    }
    // The public routes do work (the test would pass trivially otherwise).
    assert!(
        seen.contains("Integrationskonzept")
            && seen.contains(&format!("{BASE}/vorlagen/0003-2026"))
    );
    let counts = service.get("/api/v1/search").await.json();
    assert_eq!(counts["gesamt"], 6, "5 tracked public papers + 1 new");
}

fn excerpt(text: &str, word: &str) -> String {
    let at = text.find(word).unwrap();
    let section = text[..at].rfind("\n== ").unwrap_or(0);
    let uri_end = text[section + 1..]
        .find('\n')
        .map_or(text.len(), |e| section + 1 + e);
    let from = text.floor_char_boundary(at.saturating_sub(200));
    let to = text.ceil_char_boundary((at + 200).min(text.len()));
    format!("{}\n…{}…", &text[section..uri_end], &text[from..to])
}
