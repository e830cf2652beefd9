//! Hostile and careless input through the router: paper text that tries to become a live link
//! or load an image, the security headers of every kind of response, text the fonts cannot
//! print, sizes, dates and content types. Every refusal is a 4xx in the API's error shape,
//! never a 500, and changes nothing.

use axum::http::{Method, StatusCode, header};
use serde_json::Value;

use crate::common;
use crate::harness::{Answer, Service, paper_json};

/// Paper Markdown that must never become a live link, a script or a loaded image.
const XSS: [&str; 12] = [
    "[klick](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(2))",
    "[y](&#106;avascript:alert(3))",
    "[v](vbscript:msgbox(4))",
    "[d](data:text/html;base64,PHNjcmlwdD5hbGVydCg1KTwvc2NyaXB0Pg==)",
    "[r][ref]\n\n[ref]: javascript:alert(6)",
    "<javascript:alert(7)>",
    "![](http://host.invalid/p.gif)",
    "![Plan der Halle](https://host.invalid/plan.png \"Titel\")",
    "[![bild](http://host.invalid/i.gif)](javascript:alert(8))",
    "<a href=\"javascript:alert(9)\">roh</a> <img src=x onerror=alert(10)>",
    "[leer]( \tjavascript:alert(11))",
];

/// Every `href`, `src`, `action`, `srcset`, `formaction` and `poster` attribute of the tags
/// in `html` (text between tags is escaped and holds no `<`, so it is never looked at).
fn urls_in(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    for tag in html.split('<').skip(1) {
        let tag = &tag[..tag.find('>').unwrap_or(tag.len())];
        for attr in [
            "href=",
            "src=",
            "action=",
            "srcset=",
            "formaction=",
            "poster=",
        ] {
            let mut rest = tag;
            while let Some(i) = rest.find(attr) {
                rest = &rest[i + attr.len()..];
                let quote = rest.chars().next().unwrap_or(' ');
                let value = if quote == '"' || quote == '\'' {
                    let end = rest[1..].find(quote).map_or(rest.len(), |e| e + 1);
                    &rest[1..end]
                } else {
                    let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
                    &rest[..end]
                };
                found.push(format!("{attr}{value}"));
            }
        }
    }
    found
}

#[tokio::test]
async fn paper_markdown_never_becomes_a_live_link_or_a_loaded_image() {
    let service = Service::start();
    let mut paper = paper_json("Feindlicher Text");
    let reasoning = XSS.join("\n\n")
        + "\n\nErlaubt: [Ratsinfo](https://rat.example/info) und <mailto:rat@stadt.example> \
           und <https://stadt.example/a?b=1&c=\"2\">";
    paper["begruendung"] = reasoning.into();
    paper["kurzfassung"] = "[k](javascript:alert(12)) ![](http://host.invalid/k.gif)".into();
    paper["beschlussvorschlag"] = serde_json::json!(["[b](javascript:alert(13))"]);
    let reference = service.create(&paper).await;
    let page = service
        .get(&format!("/vorlagen/{}", reference.replace('/', "-")))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    let main = &html[html.find("<main").unwrap()..];

    for url in urls_in(main) {
        let value = url.split_once('=').unwrap().1;
        let lower = value.to_ascii_lowercase();
        let allowed = value.starts_with('/')
            || value.starts_with('?')
            || value.starts_with('#')
            || lower.starts_with("https://rat.example/")
            || lower.starts_with("https://stadt.example/")
            || lower.starts_with("mailto:rat@stadt.example");
        assert!(allowed, "{url} in the served page");
        assert!(!url.starts_with("src="), "an image or script: {url}");
    }
    // Real tags (text is escaped, so every `<` opens one): no image, script, frame or
    // object, and no event handler attribute.
    for tag in main.split('<').skip(1) {
        let tag = &tag[..tag.find('>').unwrap_or(tag.len())];
        let name = tag
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        assert!(
            !["img", "script", "iframe", "object", "embed", "svg", "base"].contains(&name.as_str()),
            "<{tag}> in the page"
        );
        assert!(
            !tag.split_whitespace()
                .skip(1)
                .any(|a| a.to_ascii_lowercase().starts_with("on")),
            "<{tag}> in the page"
        );
    }
    // The safe links are links, shown with their target; the address of an image is text.
    assert!(
        main.contains("<a href=\"https://rat.example/info\"") && main.contains("Ratsinfo</a>"),
        "{main}"
    );
    assert!(main.contains("(https://rat.example/info)"), "{main}");
    assert!(main.contains("href=\"mailto:rat@stadt.example\""), "{main}");
    assert!(
        main.contains("href=\"https://stadt.example/a?b=1&#38;c=&#34;2&#34;\""),
        "attribute escaping: {main}"
    );
    assert!(main.contains("Plan der Halle (https://host.invalid/plan.png)"));
    assert!(main.contains("klick (javascript:alert(1))"), "{main}");
}

/// The security headers every response carries.
fn assert_security_headers(answer: &Answer, what: &str) {
    let csp = answer
        .headers
        .get(header::CONTENT_SECURITY_POLICY)
        .unwrap_or_else(|| panic!("{what}: no Content-Security-Policy"))
        .to_str()
        .unwrap();
    for directive in [
        "default-src 'none'",
        "img-src 'self'",
        "style-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'",
    ] {
        assert!(csp.contains(directive), "{what}: {directive} not in {csp}");
    }
    assert!(
        !csp.contains("script-src") && !csp.contains("unsafe"),
        "{what}: {csp}"
    );
    assert_eq!(
        answer.headers[header::X_CONTENT_TYPE_OPTIONS],
        "nosniff",
        "{what}"
    );
    assert!(
        answer.headers.contains_key(header::REFERRER_POLICY),
        "{what}: no Referrer-Policy"
    );
}

#[tokio::test]
async fn every_response_has_security_headers_and_cors_only_where_public() {
    let service = Service::start();
    let public_json = [
        "/oparl/v1/system",
        "/oparl/v1/body/1/paper",
        "/oparl/v1/paper/1",
        "/oparl/v1/kein-weg",
        "/api/v1/search?q=Integration",
        "/api/v1/search?jahr=abc",
    ];
    for uri in public_json {
        let answer = service.get(uri).await;
        assert_security_headers(&answer, uri);
        assert_eq!(
            answer
                .headers
                .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
                .map(|v| v.to_str().unwrap()),
            Some("*"),
            "{uri}"
        );
    }
    let pages = [
        "/",
        "/?q=Integration",
        "/vorlagen/0310-2012",
        "/vorlagen/0310-2012/pdf",
        "/vorlagen/gibt-es-nicht",
        "/sitemap.xml",
        "/robots.txt",
        "/healthz",
        "/api/v1/openapi.json",
    ];
    for uri in pages {
        let answer = service.get(uri).await;
        assert_security_headers(&answer, uri);
        assert!(
            !answer
                .headers
                .contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN),
            "{uri} has CORS"
        );
    }
    // The admin API: never CORS, with or without a token, also not to a preflight.
    for (method, uri, token) in [
        (Method::GET, "/api/v1/papers", Some(service.token.as_str())),
        (Method::GET, "/api/v1/papers", None),
        (Method::POST, "/api/v1/papers", None),
        (Method::OPTIONS, "/api/v1/papers", None),
        (
            Method::GET,
            "/api/v1/papers/0310-2012",
            Some(&service.token),
        ),
    ] {
        let answer = service
            .request(
                method.clone(),
                uri,
                token,
                &[(header::ORIGIN, "https://fremd.example")],
                None,
            )
            .await;
        assert_security_headers(&answer, uri);
        assert!(
            !answer
                .headers
                .contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN),
            "{method} {uri} has CORS"
        );
    }
}

/// `POST /api/v1/preview` of the seed paper with `betreff` set to `text`.
async fn preview(service: &Service, text: &str) -> Answer {
    let mut paper = paper_json(text);
    paper.as_object_mut().unwrap().remove("drucksachennummer");
    service.post_json("/api/v1/preview", &paper).await
}

/// (path, message) of the first field problem.
fn first_problem(answer: &Answer) -> (String, String) {
    let json = answer.json();
    let e = &json["errors"][0];
    (
        e["path"].as_str().unwrap_or_default().to_string(),
        e["message"].as_str().unwrap_or_default().to_string(),
    )
}

/// Characters a German municipality must be able to print (names of people and partner
/// cities), and characters no paper may contain. Each printable one must come out of the PDF
/// as text; each other one is a 422 that names the field and the code point.
#[tokio::test]
async fn character_table_prints_or_refuses_never_500() {
    if !common::have("pdftotext") {
        return;
    }
    let service = Service::start();
    let printable = [
        ("Turkish", "Gülşen Yıldırım, İzmir, Çanakkale, Muğla"),
        ("Polish", "Łódź, Gdańsk, Wrocław, Szczecin, Źródło"),
        ("Romanian", "Timișoara, Brașov, Constanța, Iași, Ştefan"),
        ("Vietnamese", "Nguyễn Thị Minh Khai, Hải Phòng, Đà Nẵng"),
        ("Greek", "Θεσσαλονίκη, Αθήνα, Ηράκλειο"),
        ("Cyrillic", "Москва, Київ, Беларусь, Ґрунт"),
        ("Hebrew", "תל אביב"),
        ("Arabic", "الرباط"),
        ("Chinese", "中山"),
        ("Japanese", "東京とかなカナ"),
        ("Thai", "กรุงเทพมหานคร"),
        ("Symbols", "§ € ½ „Zitat“ – … ☒ ☐ ° ±"),
    ];
    for (script, text) in printable {
        let answer = preview(&service, &format!("Partnerstadt {text}")).await;
        assert_eq!(answer.status, StatusCode::OK, "{script}: {}", answer.text());
        let dir = tempfile::tempdir().unwrap();
        let pdf = dir.path().join("p.pdf");
        std::fs::write(&pdf, &answer.body).unwrap();
        let extracted = common::text(&pdf, Some((1, 1)));
        let squeezed: String = extracted.split_whitespace().collect();
        for word in text.split_whitespace() {
            let word = word.trim_matches(',');
            assert!(
                squeezed.contains(word),
                "{script}: {word} not in the PDF text:\n{extracted}"
            );
        }
    }
    let refused = [
        '\u{0}',
        '\u{1}',
        '\u{8}',
        '\u{B}',
        '\u{C}',
        '\u{1B}',
        '\u{1F}',
        '\u{7F}',
        '\u{80}',
        '\u{85}',
        '\u{9F}',
        '\u{FDD0}',
        '\u{FFFE}',
        '\u{FFFF}',
        '\u{1FFFE}',
        '\u{10FFFF}',
        '\u{E000}',
        '\u{F8FF}',
        '\u{F0000}',
        '\u{1D11E}',
    ];
    for c in refused {
        let code = format!("U+{:04X}", c as u32);
        let answer = preview(&service, &format!("Betreff mit {c} darin")).await;
        assert_eq!(
            answer.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{code}: {}",
            answer.text()
        );
        let (path, message) = first_problem(&answer);
        assert_eq!(path, "betreff", "{code}: {message}");
        assert!(message.contains(&code), "{code}: {message}");
        assert!(message.contains("character 13"), "{code}: {message}");
    }
    // The same through creation, in a Markdown field and a nested one: nothing is numbered.
    let mut paper = paper_json("Unsichtbar");
    paper["begruendung"] = "Text\u{0}".into();
    paper["unterschriften"][0]["name"] = "Dr. \u{E123}".into();
    let answer = service.post_paper(&paper).await;
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        answer.text()
    );
    let paths: Vec<String> = answer.json()["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(paths, ["begruendung", "unterschriften[0].name"]);
    assert_eq!(service.paper_count().await, 6, "nothing was numbered");
}

#[tokio::test]
async fn sizes_dates_and_content_types_are_refused_clearly() {
    let service = Service::start();
    let service = &service;
    let post = |paper: Value| async move { service.post_paper(&paper).await };
    let mut huge_subject = paper_json("x");
    huge_subject["betreff"] = "Sehr langer Betreff ".repeat(150_000).into();
    let mut many_steps = paper_json("Viele Beratungen");
    let step = many_steps["beratungsfolge"][0].clone();
    many_steps["beratungsfolge"] = Value::Array(vec![step; 10_000]);
    let mut year_zero = paper_json("Jahr null");
    year_zero["datum"] = "0000-03-02".into();
    let mut far_future = paper_json("Ferne Zukunft");
    far_future["datum"] = "9999-03-02".into();
    for (what, paper, path) in [
        ("3 MB Betreff", huge_subject, "betreff"),
        ("10,000 Beratungsfolge steps", many_steps, "beratungsfolge"),
        ("year 0000", year_zero, "datum"),
        ("year 9999", far_future, "datum"),
    ] {
        let answer = post(paper).await;
        assert_eq!(
            answer.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{what}: {}",
            &answer.text()[..answer.text().len().min(300)]
        );
        let (found, message) = first_problem(&answer);
        assert_eq!(found, path, "{what}: {message}");
    }
    let body = serde_json::to_vec(&paper_json("Falscher Typ")).unwrap();
    for content_type in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/xml",
        "multipart/form-data; boundary=x",
    ] {
        for uri in ["/api/v1/papers", "/api/v1/preview"] {
            let answer = service
                .request(
                    Method::POST,
                    uri,
                    Some(&service.token),
                    &[(header::CONTENT_TYPE, content_type)],
                    Some(body.clone()),
                )
                .await;
            assert_eq!(
                answer.status,
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "{content_type} to {uri}"
            );
            assert_eq!(answer.json()["code"], "unsupported_media_type");
        }
    }
    assert_eq!(service.paper_count().await, 6, "nothing was numbered");
}

/// What one unauthenticated search may cost is bounded: 2,500 unknown words (61 KB), too
/// many words, phrases or prefixes, and overlong filters get a 400 naming the parameter
/// (the page shows the reason), and the search still answers.
#[tokio::test]
async fn queries_that_cost_too_much_are_refused() {
    let service = Service::start();
    let unknown = vec!["abcdefghijklmnopqrst"; 2500].join("+");
    let many = (0..21)
        .map(|i| format!("wort{i}"))
        .collect::<Vec<_>>()
        .join("+");
    let gremium = "g".repeat(201);
    for (query, parameter) in [
        (format!("q={unknown}"), "q"),
        (format!("q={many}"), "q"),
        (
            "q=%22a+b+c+d+e+f+g+h+i+j+k+l+m+n+o+p+q+r+s+t+u%22".into(),
            "q",
        ),
        ("q=ab*+cd*+ef*+gh*".into(), "q"),
        (format!("q=Sporthalle&gremium={gremium}"), "gremium"),
    ] {
        let answer = service.get(&format!("/api/v1/search?{query}")).await;
        assert_eq!(
            answer.status,
            StatusCode::BAD_REQUEST,
            "{}",
            &query[..40.min(query.len())]
        );
        let (path, message) = first_problem(&answer);
        assert_eq!(path, parameter, "{message}");
        assert!(message.contains("at most"), "{message}");
        let page = service.get(&format!("/?{query}")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.text().contains("role=\"alert\""));
    }
    let fine = service.get("/api/v1/search?q=Integrationskonzept").await;
    assert!(fine.json()["gesamt"].as_u64().unwrap() >= 1);
}
