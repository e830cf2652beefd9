//! Non-public papers never leave through a public route: not their words, not their
//! references, not in counts or facets, not as pages, PDFs, OParl objects (organizations
//! included) or sitemap entries, not in a header, not in `/metrics` without a token. The
//! secret papers have a Gremium and an Amt of their own, so a leak through a facet or an
//! organization would show.

use std::collections::HashSet;

use axum::http::StatusCode;
use serde_json::json;

use crate::harness::{BASE, Service, paper_json};

#[tokio::test]
async fn nothing_of_a_non_public_paper_is_on_any_public_route() {
    let service = Service::start();
    // The tracked 0412/2012 is not public. Two more: one not public, one blocked for years.
    let own_body_and_department = |paper: &mut serde_json::Value, body: &str, amt: &str| {
        for step in paper["beratungsfolge"].as_array_mut().unwrap() {
            step["gremium"] = json!(body);
        }
        paper["beschlussfassung"] = json!(body);
        paper["amt"] = json!({ "nummer": "97", "name": amt });
    };
    let mut secret = paper_json("Geheimsache Zwiebelturm");
    secret["oeffentlich"] = json!(false);
    own_body_and_department(&mut secret, "Ausschuss Wetterhahn", "Amt Pfeffermühle");
    let mut blocked = paper_json("Sperrvermerk Kuckucksuhr");
    blocked["verfuegung"]["veroeffentlichung"] = json!(false);
    blocked["verfuegung"]["gesperrt_bis"] = json!("2099-12-31");
    own_body_and_department(&mut blocked, "Kommission Sanduhr", "Amt Nussknacker");
    let mut refs = Vec::new();
    for paper in [&secret, &blocked] {
        let answer = service.post_paper(paper).await;
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
        "Wetterhahn",
        "wetterhahn",
        "Pfeffermühle",
        "pfeffermuehle",
        "Sanduhr",
        "sanduhr",
        "Nussknacker",
        "nussknacker",
    ];
    let mut seen = String::new();
    let mut get = async |uri: String| {
        let answer = service.get(&uri).await;
        // The request line is not part of the answer (it may hold the typed secret).
        seen.push_str(&format!("\n== {}\n", answer.status));
        assert!(
            answer.status == StatusCode::OK || answer.status == StatusCode::NOT_FOUND,
            "{uri}: {}",
            answer.status
        );
        for (name, value) in &answer.headers {
            seen.push_str(&format!("{name}: {}\n", value.to_str().unwrap_or_default()));
        }
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
            // So is a name in the path ("organization x not found"); ids stay (a number
            // blanked would hide a leaked reference).
            let path = uri.split('?').next().unwrap_or_default();
            let asked = path.rsplit('/').next().unwrap_or_default();
            if asked.chars().any(char::is_alphabetic)
                && !asked.contains(|c: char| c.is_ascii_digit())
            {
                text = text.replace(asked, "[Pfad]");
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
        "/oparl/v1/organization/ausschuss-wetterhahn".into(),
        "/oparl/v1/organization/kommission-sanduhr".into(),
        "/oparl/v1/organization/amt-pfeffermuehle".into(),
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
        "gremium:Wetterhahn",
        "amt:Pfefferm%C3%BChle",
        "amt:97",
        "Sanduhr",
    ] {
        uris.push(format!("/?q={word}"));
        uris.push(format!("/api/v1/search?q={word}"));
    }
    for uri in uris {
        get(uri).await;
    }
    // The secret papers' pages and PDFs do not exist for the public.
    for slug in ["0412-2012", "0001-2026", "0002-2026"] {
        for uri in [format!("/vorlagen/{slug}"), format!("/vorlagen/{slug}/pdf")] {
            assert_eq!(
                get(uri.clone()).await.status,
                StatusCode::NOT_FOUND,
                "{uri}"
            );
        }
    }
    // Every organization OParl lists, dereferenced.
    let organizations = get("/oparl/v1/body/1/organization".into()).await.json();
    for organization in organizations["data"].as_array().unwrap() {
        let id = organization["id"].as_str().unwrap();
        let path = id.strip_prefix(BASE).unwrap();
        assert_eq!(get(path.to_string()).await.status, StatusCode::OK, "{path}");
    }
    // `/metrics` counts every paper: not for the public.
    let metrics = service.get("/metrics").await;
    assert_eq!(metrics.status, StatusCode::UNAUTHORIZED);
    assert!(!metrics.text().contains("papers_created"));
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
    let mut served = 0;
    for id in 1..=12 {
        for route in ["/oparl/v1/paper", "/oparl/v1/file", "/dateien"] {
            let answer = get(format!("{route}/{id}")).await;
            if route == "/dateien" && answer.status == StatusCode::OK {
                served += 1;
                let sha = drucksache::archive::sha512_hex(&answer.body);
                assert!(
                    public_files.contains(&sha),
                    "/dateien/{id} serves a non-public PDF"
                );
            }
        }
        get(format!("/oparl/v1/consultation/{id}-1")).await;
    }
    assert_eq!(served, public_files.len(), "every public file, no other");
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
