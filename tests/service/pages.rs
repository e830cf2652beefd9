//! The citizen pages: search with filters, facets, snippets and paging; the paper page; PDFs
//! with ETag, Range and caching; sitemap; unknown and hostile paths.

use axum::http::{StatusCode, header};

use crate::harness::Service;

#[tokio::test]
async fn search_page_with_snippets_facets_and_paging() {
    let service = Service::start();
    let page = service.get("/?q=Integrationskonzept").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(
        page.headers[header::CONTENT_TYPE],
        "text/html; charset=utf-8"
    );
    let html = page.text();
    assert!(html.contains("<html lang=\"de\">"));
    assert!(html.contains("<label for=\"q\">") && html.contains("role=\"search\""));
    assert!(html.contains("<main id=\"inhalt\">"));
    assert!(html.contains("href=\"/vorlagen/0310-2012\""), "{html}");
    assert!(html.contains("<mark>Integrationskonzept</mark>"), "{html}");
    assert!(html.contains("value=\"Integrationskonzept\""));

    // A facet link narrows the search, and the page says which filter is on.
    let start = html.find("<h3>Jahr</h3>").expect("year facet");
    let link = &html[start..];
    let href = &link[link.find("href=\"").unwrap() + 6..];
    let href = href[..href.find('"').unwrap()]
        .replace("&#38;", "&")
        .replace("&amp;", "&");
    assert!(href.contains("jahr=2012"), "{href}");
    let narrowed = service.get(&href).await.text();
    assert!(
        narrowed.contains("aria-current=\"true\"") && narrowed.contains("Alle Filter entfernen")
    );

    // Empty query: newest first, paged.
    let all = service.get("/?pro_seite=2").await.text();
    assert!(all.contains("5 Vorlagen"), "five public papers: {all}");
    assert!(all.contains("Seite 1 von 3") && all.contains("rel=\"next\""));
    let last = service.get("/?pro_seite=2&seite=3").await.text();
    assert!(last.contains("Seite 3 von 3") && !last.contains("rel=\"next\""));

    // A bad parameter is explained on the page, not a server error.
    let bad = service.get("/?q=x&jahr=zwanzig").await;
    assert_eq!(bad.status, StatusCode::OK);
    assert!(bad.text().contains("role=\"alert\"") && bad.text().contains("jahr"));

    // Hostile text in the query is shown as text.
    let hostile = service
        .get("/?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E")
        .await
        .text();
    assert!(!hostile.contains("<script>alert(1)") && hostile.contains("&#60;script&#62;"));
}

#[tokio::test]
async fn paper_page_shows_everything_and_the_signature() {
    let service = Service::start();
    let page = service.get("/vorlagen/0310-2012").await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    for expected in [
        "Integrationskonzept für die Stadt Hagen",
        "0310/2012",
        "Beratungsfolge",
        "Rat der Stadt Hagen",
        "Beschlussvorschlag",
        "Digital signiert von",
        "Signatur gültig",
        "Entwicklungsschlüssel",
        "href=\"/vorlagen/0310-2012/pdf\"",
        "href=\"/vorlagen/0310-2012-1\"",
    ] {
        assert!(html.contains(expected), "{expected} missing");
    }
    let supplement = service.get("/vorlagen/0310-2012-1").await.text();
    assert!(supplement.contains("href=\"/vorlagen/0310-2012\""));
}

#[tokio::test]
async fn pdfs_have_etag_range_and_caching() {
    let service = Service::start();
    let pdf = service.get("/vorlagen/0310-2012/pdf").await;
    assert_eq!(pdf.status, StatusCode::OK);
    assert_eq!(pdf.headers[header::CONTENT_TYPE], "application/pdf");
    assert!(pdf.body.starts_with(b"%PDF-"));
    assert!(
        pdf.headers.get(header::CONTENT_ENCODING).is_none(),
        "PDFs are not recompressed"
    );
    assert_eq!(pdf.headers[header::ACCEPT_RANGES], "bytes");
    assert_eq!(pdf.headers[header::CACHE_CONTROL], "public, max-age=300");
    let etag = pdf.headers[header::ETAG].to_str().unwrap().to_string();

    let again = service
        .request(
            axum::http::Method::GET,
            "/vorlagen/0310-2012/pdf",
            None,
            &[(header::IF_NONE_MATCH, &etag)],
            None,
        )
        .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.body.is_empty());

    let part = service
        .request(
            axum::http::Method::GET,
            "/vorlagen/0310-2012/pdf",
            None,
            &[(header::RANGE, "bytes=0-99")],
            None,
        )
        .await;
    assert_eq!(part.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(part.body, pdf.body[..100]);
    assert_eq!(
        part.headers[header::CONTENT_RANGE],
        format!("bytes 0-99/{}", pdf.body.len()).as_str()
    );

    // The same bytes under the rendition's own, immutable URL.
    let oparl = service.get("/oparl/v1/paper/1").await.json();
    let access = oparl["mainFile"]["accessUrl"].as_str().unwrap();
    let path = access.strip_prefix(crate::harness::BASE).unwrap();
    let file = service.get(path).await;
    assert_eq!(file.status, StatusCode::OK);
    assert_eq!(
        file.headers[header::CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
    let download = service.get(&format!("{path}?download=1")).await;
    assert!(
        download.headers[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
}

#[tokio::test]
async fn unknown_and_hostile_paths_are_not_found() {
    let service = Service::start();
    for uri in [
        "/vorlagen/0999-2012",
        "/vorlagen/0999-2012/pdf",
        "/vorlagen/..%2F..%2Fetc%2Fpasswd",
        "/vorlagen/%2e%2e",
        "/vorlagen/..",
        "/vorlagen/../archive.sqlite",
        "/vorlagen/0310-2012%00",
        "/vorlagen/0310%2F2012",
        "/vorlagen/0310-2012%2F..%2F..%2Fdrucksache.toml",
        "/dateien/..%2Farchive.sqlite",
        "/dateien/-1",
        "/dateien/1%2F..%2F2",
        "/dateien/99999",
        "/files/tmp",
        "/archive.sqlite",
        "/oparl/v1/paper/..%2F1",
        "/oparl/v1/paper/abc",
        "/oparl/v1/file/1%2F..%2F2",
        "/oparl/v1/organization/..%2F..%2Fetc",
        "/oparl/v1/body/2",
        "/oparl/v1/consultation/1-99",
    ] {
        let answer = service.get(uri).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{uri}");
        let text = answer.text();
        assert!(
            !text.contains("root:") && !text.contains("[gemeinde]"),
            "{uri}"
        );
    }
    let admin = service
        .admin(
            axum::http::Method::GET,
            "/api/v1/papers/..%2F..%2Fetc%2Fpasswd",
            None,
        )
        .await;
    assert_eq!(admin.status, StatusCode::NOT_FOUND);
    let html = service.get("/gibt/es/nicht").await;
    assert!(html.text().contains("Nicht gefunden"));
}

#[tokio::test]
async fn sitemap_and_robots() {
    let service = Service::start();
    let sitemap = service.get("/sitemap.xml").await.text();
    assert!(sitemap.contains("<loc>http://rat.example/vorlagen/0310-2012</loc>"));
    assert_eq!(sitemap.matches("<url>").count(), 5);
    let robots = service.get("/robots.txt").await.text();
    assert!(robots.contains("Sitemap: http://rat.example/sitemap.xml"));
}
