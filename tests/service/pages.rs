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

/// `text` with askama's escaping of `&` undone (links in attributes).
fn unescaped(text: &str) -> String {
    text.replace("&#38;", "&")
}

#[tokio::test]
async fn the_filters_are_a_disclosure_and_a_skip_link_leads_to_the_hits() {
    let service = Service::start();
    let html = service.get("/?q=Integrationskonzept").await.text();
    // Filters and facets inside one <details>, closed while no filter is set.
    let open = html
        .find("<details class=\"filter\">")
        .expect("a closed filter disclosure");
    let close = html[open..].find("</details>").unwrap() + open;
    let inside = &html[open..close];
    assert!(inside.contains("<summary>Filter</summary>"), "{inside}");
    for field in [
        "id=\"art\"",
        "id=\"jahr\"",
        "id=\"von\"",
        "id=\"bis\"",
        "<h3>Jahr</h3>",
    ] {
        assert!(inside.contains(field), "{field} not in the disclosure");
    }
    // The words and the button come before it, the hits after it.
    let q = html.find("id=\"q\"").unwrap();
    assert!(q < open && html.find("<ol class=\"hits\">").unwrap() > close);
    // A skip link to the hits, right after the one to the content.
    assert!(
        html.contains("<a class=\"skip\" href=\"#treffer\">Zu den Treffern springen</a>"),
        "{html}"
    );
    assert!(html.contains("<h2 id=\"treffer\">"));

    // A filter set: the disclosure is open and says how many.
    let filtered = service
        .get("/?q=Integrationskonzept&jahr=2012&sortierung=datum")
        .await
        .text();
    assert!(
        filtered.contains("<details class=\"filter\" open>")
            && filtered.contains("<summary>Filter (2 aktiv)</summary>"),
        "{filtered}"
    );
    // No hits: no skip link to them.
    let none = service.get("/?q=xqzvwk").await.text();
    assert!(!none.contains("href=\"#treffer\""), "{none}");
}

#[tokio::test]
async fn a_page_past_the_end_says_so_and_links_to_the_last_page() {
    let service = Service::start();
    let past = service.get("/?pro_seite=2&seite=999").await;
    assert_eq!(past.status, StatusCode::NOT_FOUND);
    let html = unescaped(&past.text());
    assert!(
        html.contains("Seite 999 gibt es nicht: Die 5 Treffer stehen auf 3 Seiten."),
        "{html}"
    );
    assert!(
        html.contains("<a href=\"/?seite=3&pro_seite=2\">Zur letzten Seite (3)</a>"),
        "{html}"
    );
    // No nonsense counts, no paging that pretends there is a page 999.
    assert!(!html.contains("Treffer 6–") && !html.contains("Treffer 1997"));
    assert!(!html.contains("Seite 999 von") && !html.contains("rel=\"prev\""));
    assert!(html.contains("5 Vorlagen"), "{html}");
    // The form is there to search again.
    assert!(html.contains("role=\"search\""));

    // One page of hits only: the link goes to it.
    let one = unescaped(&service.get("/?q=Integrationskonzept&seite=4").await.text());
    assert!(one.contains("auf einer Seite"), "{one}");
    assert!(
        one.contains("<a href=\"/?q=Integrationskonzept\">Zu den Treffern</a>"),
        "{one}"
    );
    // Without any hit there is no page to go to: "Keine Vorlagen gefunden", as on page 1.
    let nothing = service.get("/?q=xqzvwk&seite=5").await;
    assert_eq!(nothing.status, StatusCode::OK);
    let text = nothing.text();
    assert!(text.contains("Keine Vorlagen gefunden") && !text.contains("gibt es nicht"));
    // The last page itself is no error.
    let last = service.get("/?pro_seite=2&seite=3").await;
    assert_eq!(last.status, StatusCode::OK);
    assert!(last.text().contains("(Treffer 5–5)"), "{}", last.text());
}

#[tokio::test]
async fn the_pages_explain_bad_input_in_german() {
    let service = Service::start();
    let years = service.get("/?q=x&jahr=abc").await;
    assert_eq!(years.status, StatusCode::OK);
    let html = years.text();
    assert!(
        html.contains("Jahr: „abc“ ist kein Jahr. Bitte geben Sie ein Jahr wie 2012 an"),
        "{html}"
    );
    assert!(!html.contains("give a year"), "English on the page: {html}");
    // The field at fault points at the message, and the disclosure holding it is open.
    assert!(
        html.contains("id=\"jahr\"")
            && html.contains("aria-invalid=\"true\" aria-describedby=\"fehler\"")
    );
    assert!(html.contains("<details class=\"filter\" open>"));
    assert!(html.contains("role=\"alert\" id=\"fehler\""));

    for (uri, german) in [
        (
            "/?von=31.02.2012",
            "Datum von: „31.02.2012“ ist kein gültiges Datum.",
        ),
        ("/?sortierung=alpha", "Sortierung: „alpha“ gibt es nicht."),
        (
            "/?seite=x",
            "Seite: „x“ geht nicht. Bitte geben Sie eine ganze Zahl von 1 bis 1000 an.",
        ),
        ("/?pro_seite=500", "Treffer pro Seite: „500“ geht nicht."),
        (
            "/?q=a+b+c+d+e+f+g+h+i+j+k+l+m+n+o+p+q+r+s+t+u",
            "Die Suche hat 21 Wörter; gesucht werden höchstens 20.",
        ),
    ] {
        let text = service.get(uri).await.text();
        assert!(text.contains(german), "{uri}: {text}");
        assert!(
            !text.contains(" give ") && !text.contains("at most"),
            "{uri}: {text}"
        );
    }

    // "bis" before "von": said so, with a link that swaps them.
    let swapped = unescaped(
        &service
            .get("/?q=Kita&von=2012-12-31&bis=2012-01-01")
            .await
            .text(),
    );
    assert!(
        swapped.contains(
            "„Datum bis“ (01.01.2012) liegt vor „Datum von“ (31.12.2012). „Datum bis“ muss derselbe oder ein späterer Tag sein."
        ),
        "{swapped}"
    );
    assert!(
        swapped.contains(
            "<a href=\"/?q=Kita&von=2012-01-01&bis=2012-12-31\">Die beiden Daten tauschen</a>"
        ),
        "{swapped}"
    );
    assert!(swapped.contains("id=\"bis\"") && swapped.contains("aria-invalid=\"true\""));

    // The JSON API keeps its documented messages, and refuses the swapped dates too.
    let api = service.get("/api/v1/search?jahr=abc").await;
    assert_eq!(api.status, StatusCode::BAD_REQUEST);
    assert!(
        api.json()["message"]
            .as_str()
            .unwrap()
            .contains("give a year")
    );
    let api = service
        .get("/api/v1/search?von=2012-12-31&bis=2012-01-01")
        .await;
    assert_eq!(api.status, StatusCode::BAD_REQUEST);
    assert_eq!(api.json()["errors"][0]["path"], "bis");
}

#[tokio::test]
async fn meinten_sie_keeps_the_capital_and_no_heading_stays_empty() {
    let service = Service::start();
    let html = service.get("/?q=Integrationskonzpet").await.text();
    assert!(
        html.contains(">Integrationskonzept</a>?</p>"),
        "the suggestion as the user writes it: {html}"
    );
    assert!(!html.contains(">integrationskonzept</a>"));

    // No hits and no filter: no "Eingrenzen" without anything under it.
    let none = service.get("/?q=xqzvwk").await.text();
    assert!(none.contains("Keine Vorlagen gefunden"));
    assert!(!none.contains("Eingrenzen"), "{none}");
    // No hits under a filter: the heading stays, with the way to remove the filter.
    let filtered = service.get("/?q=xqzvwk&jahr=2012").await.text();
    let at = filtered.find("Eingrenzen</h2>").expect("the heading");
    assert!(
        filtered[at..].contains("Alle Filter entfernen"),
        "{filtered}"
    );
}

/// Archives the seed paper (as 0001/2026, …) once per instant of `times`, each rendered and
/// signed at that instant with a key for `CN=Sitzungsdienst, O=Stadt Hagen`, so that the page
/// must show a signing time the test knows.
fn archive_signed_at(settings: &drucksache::config::Settings, times: &[time::OffsetDateTime]) {
    use drucksache::archive::{Archive, Origin, Produced};
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(Vec::new()).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "Sitzungsdienst");
    params
        .distinguished_name
        .push(rcgen::DnType::OrganizationName, "Stadt Hagen");
    params
        .distinguished_name
        .push(rcgen::DnType::CountryName, "DE");
    params.not_before = time::macros::datetime!(2025-01-01 00:00 UTC);
    params.not_after = time::macros::datetime!(2030-01-01 00:00 UTC);
    let cert = params.self_signed(&key).unwrap();
    let signer = drucksache::sign::Signer::from_pem(
        key.serialize_pem().as_bytes(),
        cert.pem().as_bytes(),
        std::path::Path::new("test.key.pem"),
        std::path::Path::new("test.pem"),
    )
    .unwrap();
    let renderer = drucksache::render::Renderer::new(settings.letterhead.clone(), None).unwrap();
    let mut archive = Archive::open(&settings.archive, settings.numbering.clone()).unwrap();
    for &at in times {
        let paper: drucksache::model::Paper =
            serde_json::from_value(crate::harness::paper_json("Signiert zur bekannten Zeit"))
                .unwrap();
        archive
            .create(paper, Origin::New, |numbered| {
                let pdf = renderer.render(
                    numbered,
                    &drucksache::render::RenderOptions { draft: false },
                )?;
                Ok(Produced {
                    pdf: signer.sign(&pdf, at)?,
                    template_sha512: renderer.template_sha512().to_string(),
                    signer: Some(signer.subject()),
                    development_key: false,
                    content: None,
                })
            })
            .unwrap()
            .expect("a new paper");
    }
}

#[tokio::test]
async fn the_signature_follows_the_content_with_the_signer_in_words_and_german_time() {
    let service = Service::start_prepared(drucksache::model::Clock::system(), |settings| {
        archive_signed_at(
            settings,
            &[
                time::macros::datetime!(2026-01-15 09:30 UTC),
                time::macros::datetime!(2026-07-15 09:30 UTC),
            ],
        )
    });
    let winter = service.get("/vorlagen/0001-2026").await.text();
    let signature = winter
        .find("<section class=\"signature\"")
        .expect("a signature box");
    let content_end = winter.find("</article>").unwrap();
    assert!(
        signature > content_end,
        "the signature comes after the content"
    );
    assert!(winter.find("<h2>Begründung</h2>").unwrap() < signature);
    assert!(
        winter.contains(
            "Digital signiert von <strong>Sitzungsdienst</strong> (Stadt Hagen) am 15.01.2026, 10:30 Uhr (MEZ)."
        ),
        "{}",
        &winter[signature..]
    );
    assert!(winter[signature..].contains("Signatur gültig"));
    assert!(
        !winter.contains("CN=") && !winter.contains("UTC"),
        "{winter}"
    );
    let summer = service.get("/vorlagen/0002-2026").await.text();
    assert!(
        summer.contains("am 15.07.2026, 11:30 Uhr (MESZ)."),
        "{summer}"
    );
}

#[tokio::test]
async fn the_paper_page_leaves_out_what_is_empty_and_lists_the_anlagen() {
    let service = Service::start();
    // The seed paper names no Rolle in its Beratungsfolge and no other Amt (`beteiligt = []`).
    let html = service.get("/vorlagen/0310-2012").await.text();
    assert!(html.contains("<th scope=\"col\">Gremium</th>"));
    assert!(!html.contains(">Rolle</th>"), "an empty column: {html}");
    assert!(
        !html.contains("<dt>Beteiligt</dt>"),
        "an empty field: {html}"
    );
    assert!(
        !html.contains("<dd></dd>") && !html.contains("<td></td>"),
        "{html}"
    );
    // The record names its Anlagen by title only; the archive holds no file of theirs.
    assert!(
        html.contains(
            "<h2>Anlagen</h2>\n<ul><li>Entwurf Integrationskonzept für die Stadt Hagen</li></ul>"
        ),
        "{html}"
    );
}

/// The legal pages' paths and what each says when the operator has not provided it.
const LEGAL: [(&str, &str); 3] = [
    (
        "/impressum",
        "Der Betreiber dieses Portals hat noch kein Impressum hinterlegt.",
    ),
    (
        "/datenschutz",
        "Der Betreiber dieses Portals hat noch keine Datenschutzerklärung hinterlegt.",
    ),
    (
        "/barrierefreiheit",
        "Der Betreiber dieses Portals hat noch keine Erklärung zur Barrierefreiheit hinterlegt.",
    ),
];

#[tokio::test]
async fn the_legal_pages_from_the_configuration() {
    let service = Service::start_configured(
        drucksache::model::Clock::system(),
        r#"
[portal]
impressum = """
# Herausgeber
Stadt Hagen, Rathausstraße 11, 58095 Hagen. <script>alert(1)</script>
"""
datenschutz_url = "https://www.hagen.example/datenschutz?seite=1&x=2"
barrierefreiheit = "Diese Website ist **teilweise** barrierefrei."
barrierefreiheit_kontakt = "barrierefreiheit@hagen.example"
"#,
        |_| {},
    );
    let imprint = service.get("/impressum").await;
    assert_eq!(imprint.status, StatusCode::OK);
    let html = imprint.text();
    assert!(html.contains("<title>Impressum – Stadt Hagen</title>"));
    assert!(
        html.contains("<h1>Impressum</h1>") && html.contains("<h2>Herausgeber</h2>"),
        "{html}"
    );
    assert!(
        html.contains("Rathausstraße 11, 58095 Hagen. &#60;script&#62;"),
        "{html}"
    );
    assert!(!html.contains("hinterlegt"));

    let privacy = service.get("/datenschutz").await.text();
    assert!(
        privacy.contains(
            "<a href=\"https://www.hagen.example/datenschutz?seite=1&#38;x=2\">https://www.hagen.example/datenschutz?seite=1&#38;x=2</a>"
        ),
        "{privacy}"
    );

    let accessibility = service.get("/barrierefreiheit").await.text();
    assert!(accessibility.contains("<h1>Erklärung zur Barrierefreiheit</h1>"));
    assert!(
        accessibility.contains("Diese Website ist <strong>teilweise</strong> barrierefrei."),
        "{accessibility}"
    );
    assert!(accessibility.contains("<h2 id=\"rueckmeldung\">Barrieren melden</h2>"));
    assert!(
        accessibility.contains(
            "<a href=\"mailto:barrierefreiheit@hagen.example\">barrierefreiheit@hagen.example</a>"
        ),
        "{accessibility}"
    );
}

#[tokio::test]
async fn without_the_configuration_the_legal_pages_say_so_and_every_page_links_them() {
    let service = Service::start();
    for (path, missing) in LEGAL {
        let answer = service.get(path).await;
        assert_eq!(answer.status, StatusCode::OK, "{path}");
        let html = answer.text();
        assert!(html.contains(missing), "{path}: {html}");
    }
    let accessibility = service.get("/barrierefreiheit").await.text();
    assert!(accessibility.contains(
        "Der Betreiber dieses Portals hat noch keine Kontaktadresse für Rückmeldungen zur Barrierefreiheit hinterlegt."
    ));
    // Every kind of page: the municipality, the favicon and the footer's three links.
    for path in [
        "/",
        "/?q=Integrationskonzept",
        "/vorlagen/0310-2012",
        "/impressum",
        "/gibt/es/nicht",
    ] {
        let html = service.get(path).await.text();
        let footer = &html[html
            .find("<footer>")
            .unwrap_or_else(|| panic!("{path}: no footer"))..];
        for (link, _) in LEGAL {
            assert!(
                footer.contains(&format!("<a href=\"{link}\">")),
                "{path}: {link}"
            );
        }
        assert!(
            html.contains("<span class=\"name\">Stadt Hagen</span>"),
            "{path}"
        );
        assert!(
            html.contains("<link rel=\"icon\" href=\"/favicon.svg\" type=\"image/svg+xml\">"),
            "{path}"
        );
        // No coat of arms configured: no image that would not load.
        assert!(!html.contains("/wappen"), "{path}");
    }
    assert_eq!(service.get("/wappen").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_favicon_and_the_coat_of_arms_are_served() {
    const SVG: &str = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 10 12\"><path d=\"M0 0h10v7l-5 5-5-5z\" fill=\"#c00\"/></svg>\n";
    let service = Service::start_adjusted(
        drucksache::model::Clock::system(),
        "",
        |settings, dir| {
            let file = dir.join("wappen.svg");
            std::fs::write(&file, SVG).unwrap();
            settings.letterhead.coat_of_arms = Some(file);
        },
        |_| {},
    );
    let icon = service.get("/favicon.svg").await;
    assert_eq!(icon.status, StatusCode::OK);
    assert_eq!(icon.headers[header::CONTENT_TYPE], "image/svg+xml");
    assert!(
        icon.text()
            .starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\"")
    );
    let ico = service.get("/favicon.ico").await;
    assert_eq!(ico.status, StatusCode::PERMANENT_REDIRECT);
    assert_eq!(ico.headers[header::LOCATION], "/favicon.svg");

    let coat = service.get("/wappen").await;
    assert_eq!(coat.status, StatusCode::OK);
    assert_eq!(coat.headers[header::CONTENT_TYPE], "image/svg+xml");
    assert_eq!(coat.text(), SVG);
    for path in ["/", "/vorlagen/0310-2012", "/barrierefreiheit"] {
        let html = service.get(path).await.text();
        assert!(
            html.contains("<a href=\"/\"><img class=\"wappen\" src=\"/wappen\" alt=\"\"><span class=\"name\">Stadt Hagen</span>"),
            "{path}: {html}"
        );
    }
}

/// The real binary warns at start when `[portal]` is missing.
#[test]
fn a_missing_portal_section_is_warned_of_at_start() {
    let served = crate::harness::Served::start("", &[]);
    let log = served.log();
    assert!(
        log.contains("WARN")
            && log.contains("[portal]")
            && log.contains("not configured: Impressum (impressum oder impressum_url)"),
        "{log}"
    );
}
