//! `/api/v1`: tokens, the error shape, create, supplement, withdraw, list, show, preview.

use axum::http::{Method, StatusCode, header};
use serde_json::{Value, json};

use crate::harness::{BASE, Service, paper_json};

#[tokio::test]
async fn tokens_are_required_and_checked() {
    let service = Service::start();
    let body = serde_json::to_vec(&paper_json("Ohne Token")).unwrap();
    for token in [None, Some("ds_falsch"), Some("")] {
        let answer = service
            .request(
                Method::POST,
                "/api/v1/papers",
                token,
                &[],
                Some(body.clone()),
            )
            .await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{token:?}");
        assert_eq!(answer.headers[header::WWW_AUTHENTICATE], "Bearer");
        let json = answer.json();
        assert_eq!(json["code"], "unauthorized");
        assert!(json["errors"].as_array().unwrap().is_empty());
    }
    // Every admin route, with and without a body.
    for (method, uri) in [
        (Method::GET, "/api/v1/papers"),
        (Method::GET, "/api/v1/papers/0310-2012"),
        (Method::GET, "/api/v1/papers/0310-2012/pdf"),
        (Method::POST, "/api/v1/papers/0310-2012/supplements"),
        (Method::POST, "/api/v1/papers/0310-2012/withdraw"),
        (Method::POST, "/api/v1/preview"),
    ] {
        let answer = service
            .request(method.clone(), uri, None, &[], Some(body.clone()))
            .await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{method} {uri}");
        assert_eq!(answer.json()["code"], "unauthorized");
    }
    // The hash of the token is not the token.
    let sha = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(service.token.as_bytes()))
    };
    for uri in [
        "/api/v1/papers",
        "/api/v1/papers/0310-2012",
        "/api/v1/papers/0310-2012/pdf",
    ] {
        let answer = service
            .request(Method::GET, uri, Some(&sha), &[], None)
            .await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{uri}");
    }
    // Nothing was numbered.
    let list = service
        .admin(Method::GET, "/api/v1/papers", None)
        .await
        .json();
    assert_eq!(list["gesamt"], 6);
}

#[tokio::test]
async fn bad_bodies_get_the_error_shape_and_change_nothing() {
    let service = Service::start();
    let post = |body: Vec<u8>| service.admin(Method::POST, "/api/v1/papers", Some(body));

    let malformed = post(b"{\"oeffentlich\": tru".to_vec()).await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    assert_eq!(malformed.json()["code"], "malformed_json");
    assert!(
        malformed.json()["message"]
            .as_str()
            .unwrap()
            .contains("line 1")
    );

    let not_utf8 = post(vec![b'{', 0xff, b'}']).await;
    assert_eq!(not_utf8.status, StatusCode::BAD_REQUEST);
    assert!(
        not_utf8.json()["message"]
            .as_str()
            .unwrap()
            .contains("byte 1")
    );

    let mut invalid = paper_json("Ungültig");
    invalid["beratungsfolge"][1]["datum"] = json!("2026-02-31");
    invalid["betriff"] = json!("Tippfehler");
    invalid.as_object_mut().unwrap().remove("begruendung");
    let answer = post(serde_json::to_vec_pretty(&invalid).unwrap()).await;
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        answer.text()
    );
    let json = answer.json();
    assert_eq!(json["code"], "invalid_paper");
    let paths: Vec<&str> = json["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    for expected in ["beratungsfolge[1].datum", "betriff", "begruendung"] {
        assert!(paths.contains(&expected), "{expected} missing in {paths:?}");
    }
    let date_error = json["errors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["path"] == "beratungsfolge[1].datum")
        .unwrap();
    assert!(
        date_error["message"]
            .as_str()
            .unwrap()
            .contains("2026-02-31")
    );

    let huge = vec![b' '; 5 * 1024 * 1024];
    let answer = post(huge).await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(answer.json()["code"], "payload_too_large");

    let list = service
        .admin(Method::GET, "/api/v1/papers?jahr=2026", None)
        .await
        .json();
    assert_eq!(list["gesamt"], 0, "nothing numbered: {list}");
    // The next good paper still gets the first number.
    assert_eq!(service.create(&paper_json("Gültig")).await, "0001/2026");
}

#[tokio::test]
async fn create_show_pdf_supplement_withdraw() {
    let service = Service::start();
    let answer = service
        .post_paper(&paper_json("Neue Kita am Quellenpark"))
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
    let created = answer.json();
    assert_eq!(created["drucksachennummer"], "0001/2026");
    assert_eq!(created["slug"], "0001-2026");
    assert_eq!(created["veroeffentlicht"], true);
    assert_eq!(
        created["urls"]["seite"],
        format!("{BASE}/vorlagen/0001-2026")
    );
    assert_eq!(
        answer.headers[header::LOCATION],
        format!("{BASE}/api/v1/papers/0001-2026").as_str()
    );

    let shown = service
        .admin(Method::GET, "/api/v1/papers/0001-2026", None)
        .await;
    assert_eq!(shown.status, StatusCode::OK);
    let shown = shown.json();
    assert_eq!(shown["subject"], "Neue Kita am Quellenpark");
    assert_eq!(shown["renditions"].as_array().unwrap().len(), 1);

    let pdf = service
        .admin(Method::GET, "/api/v1/papers/0001-2026/pdf", None)
        .await;
    assert_eq!(pdf.status, StatusCode::OK);
    assert!(pdf.body.starts_with(b"%PDF-"));
    assert!(drucksache::sign::verify(&pdf.body, &[]).valid);
    assert_eq!(pdf.headers[header::CACHE_CONTROL], "private, no-cache");

    // Searchable as soon as the request returned.
    let hits = service.get("/api/v1/search?q=Quellenpark").await.json();
    assert_eq!(hits["gesamt"], 1, "{hits}");
    assert_eq!(
        hits["treffer"][0]["url"],
        format!("{BASE}/vorlagen/0001-2026")
    );

    // A supplement to the seed paper, which already has 0310/2012-1.
    let mut supplement = paper_json("Ergänzung: geänderte Kostenschätzung");
    supplement.as_object_mut().unwrap().remove("art");
    supplement["datum"] = json!("2012-06-01");
    for (i, step) in supplement["beratungsfolge"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .enumerate()
    {
        step["datum"] = json!(format!("2012-06-{:02}", 10 + i));
    }
    let answer = service
        .post_json("/api/v1/papers/0310-2012/supplements", &supplement)
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
    assert_eq!(answer.json()["drucksachennummer"], "0310/2012-2");

    supplement["bezug"] = json!("0355/2012");
    let wrong = service
        .post_json("/api/v1/papers/0310-2012/supplements", &supplement)
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(wrong.json()["errors"][0]["path"], "bezug");
    let unknown = service
        .post_json("/api/v1/papers/9999-2012/supplements", &supplement)
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.json()["code"], "not_found");

    // Withdrawal: reason required, once only.
    let withdraw = |uri: &'static str, body: &'static str| {
        service.admin(Method::POST, uri, Some(body.as_bytes().to_vec()))
    };
    let missing = withdraw("/api/v1/papers/0001-2026/withdraw", "{}").await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert_eq!(missing.json()["errors"][0]["path"], "grund");
    let blank = withdraw("/api/v1/papers/0001-2026/withdraw", r#"{"grund": "  "}"#).await;
    assert_eq!(blank.status, StatusCode::BAD_REQUEST);
    let done = withdraw(
        "/api/v1/papers/0001-2026/withdraw",
        r#"{"grund": "Standort entfällt"}"#,
    )
    .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text());
    let again = withdraw(
        "/api/v1/papers/0001-2026/withdraw",
        r#"{"grund": "nochmal"}"#,
    )
    .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.json()["code"], "conflict");
    let unknown = withdraw("/api/v1/papers/0002-2026/withdraw", r#"{"grund": "x"}"#).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);

    let page = service.get("/vorlagen/0001-2026").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("Zurückgezogen.") && page.text().contains("Standort entfällt"));
}

#[tokio::test]
async fn list_and_show_page_and_refuse_bad_parameters() {
    let service = Service::start();
    let all = service
        .admin(Method::GET, "/api/v1/papers?pro_seite=4", None)
        .await
        .json();
    assert_eq!(all["gesamt"], 6);
    assert_eq!(all["vorlagen"].as_array().unwrap().len(), 4);
    let rest = service
        .admin(Method::GET, "/api/v1/papers?pro_seite=4&seite=2", None)
        .await
        .json();
    assert_eq!(rest["vorlagen"].as_array().unwrap().len(), 2);
    // The admin list includes the non-public paper.
    let text = serde_json::to_string(&all["vorlagen"]).unwrap()
        + &serde_json::to_string(&rest["vorlagen"]).unwrap();
    assert!(text.contains("0412/2012"));

    let year = service
        .admin(Method::GET, "/api/v1/papers?jahr=2013", None)
        .await
        .json();
    assert_eq!(year["gesamt"], 2);
    for (uri, parameter) in [
        ("/api/v1/papers?jahr=zwanzig", "jahr"),
        ("/api/v1/papers?art=protokoll", "art"),
        ("/api/v1/papers?seite=0", "seite"),
    ] {
        let answer = service.admin(Method::GET, uri, None).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{uri}");
        assert_eq!(answer.json()["code"], "invalid_parameter");
        assert_eq!(answer.json()["errors"][0]["path"], parameter);
    }
    for uri in ["/api/v1/papers/0999-2012", "/api/v1/papers/0999-2012/pdf"] {
        let unknown = service.admin(Method::GET, uri, None).await;
        assert_eq!(unknown.status, StatusCode::NOT_FOUND, "{uri}");
        assert_eq!(unknown.json()["code"], "not_found");
    }
    for (uri, parameter) in [
        ("/api/v1/search?q=x&jahr=zwanzig", "jahr"),
        ("/api/v1/search?von=gestern", "von"),
        ("/api/v1/search?pro_seite=101", "pro_seite"),
        ("/api/v1/search?sortierung=alphabet", "sortierung"),
    ] {
        let answer = service.get(uri).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{uri}");
        assert_eq!(answer.json()["errors"][0]["path"], parameter, "{uri}");
    }
    let route = service.admin(Method::GET, "/api/v1/gibtsnicht", None).await;
    assert_eq!(route.status, StatusCode::NOT_FOUND);
    assert_eq!(route.json()["code"], "not_found");
}

#[tokio::test]
async fn preview_renders_a_draft_and_stores_nothing() {
    let service = Service::start();
    let mut paper = paper_json("Entwurf einer Vorlage");
    paper["drucksachennummer"] = json!("0999/2026");
    let answer = service.post_json("/api/v1/preview", &paper).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    assert_eq!(answer.headers[header::CONTENT_TYPE], "application/pdf");
    assert!(answer.body.starts_with(b"%PDF-"));
    let list = service
        .admin(Method::GET, "/api/v1/papers", None)
        .await
        .json();
    assert_eq!(list["gesamt"], 6);
    let invalid = service
        .admin(Method::POST, "/api/v1/preview", Some(b"{}".to_vec()))
        .await;
    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
    let files = std::fs::read_dir(service.archive().join("files/tmp"))
        .unwrap()
        .count();
    assert_eq!(files, 0);
}

#[tokio::test]
async fn openapi_health_and_metrics() {
    let service = Service::start();
    let doc = service.get("/api/v1/openapi.json").await;
    assert_eq!(doc.status, StatusCode::OK);
    let doc: Value = doc.json();
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["paths"]["/papers"]["post"].is_object());
    assert!(doc["components"]["schemas"]["Paper"]["properties"]["beratungsfolge"].is_object());

    assert_eq!(service.get("/healthz").await.text(), "ok");
    service.get("/?q=Integration").await;
    // `/metrics` counts non-public papers: an admin route (tests/service/http.rs).
    assert_eq!(
        service.get("/metrics").await.status,
        StatusCode::UNAUTHORIZED
    );
    let metrics = service.admin(Method::GET, "/metrics", None).await;
    assert_eq!(metrics.status, StatusCode::OK);
    let text = metrics.text();
    assert!(
        text.contains(
            "drucksache_http_requests_total{method=\"GET\",route=\"/\",status=\"200\"} 1"
        ),
        "{text}"
    );
    assert!(text.contains("drucksache_http_request_duration_seconds_bucket"));
    assert!(text.trim_end().ends_with("# EOF"));
}
