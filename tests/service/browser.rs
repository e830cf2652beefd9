//! Headless Chromium (through chromedriver) against the service on a real socket: load the
//! search page, submit a query, follow a result to the paper page, check the PDF link.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use fantoccini::Locator;

use crate::chromium::{have_browser, serve, session};
use crate::harness::Service;

/// A plain HTTP/1.0 GET: status line, headers and body.
fn http_get(port: u16, path: &str) -> (String, Vec<u8>) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("headers end");
    (
        String::from_utf8_lossy(&response[..split]).into_owned(),
        response[split + 4..].to_vec(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_follow_a_result_and_find_the_pdf() {
    if !have_browser() {
        return;
    }
    // The service on a real socket.
    let service = Service::start();
    let port = serve(service.router.clone()).await;
    let base = format!("http://127.0.0.1:{port}");

    let session = session().await;
    let client = &session.client;

    let result = async {
        client.goto(&format!("{base}/")).await?;
        assert!(client.title().await?.starts_with("Vorlagen suchen"));
        let field = client.find(Locator::Css("input#q")).await?;
        field.send_keys("Integrationskonzept").await?;
        client
            .find(Locator::Css("form[role=search] button[type=submit]"))
            .await?
            .click()
            .await?;
        // The front page lists papers too: wait for the result page before looking.
        let deadline = Instant::now() + Duration::from_secs(20);
        while client
            .current_url()
            .await?
            .query()
            .is_none_or(|q| !q.contains("q=Integrationskonzept"))
        {
            assert!(Instant::now() < deadline, "the form was not submitted");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let first = client
            .wait()
            .at_most(Duration::from_secs(20))
            .for_element(Locator::Css("ol.hits h3 a"))
            .await?;
        let url = client.current_url().await?;
        assert_eq!(
            url.query(),
            Some("q=Integrationskonzept&art=&jahr=&amt=&gremium=&von=&bis=&sortierung=")
        );
        assert_eq!(
            first.text().await?,
            "Integrationskonzept für die Stadt Hagen"
        );
        let marked = client.find(Locator::Css("ol.hits mark")).await?;
        assert_eq!(marked.text().await?, "Integrationskonzept");
        first.click().await?;
        let heading = client
            .wait()
            .at_most(Duration::from_secs(20))
            .for_element(Locator::Css("article h1"))
            .await?;
        assert_eq!(
            heading.text().await?,
            "Integrationskonzept für die Stadt Hagen"
        );
        assert_eq!(client.current_url().await?.path(), "/vorlagen/0310-2012");
        let link = client.find(Locator::Id("pdf")).await?;
        let href = link.attr("href").await?.expect("the PDF link has a target");
        let signature = client
            .find(Locator::Css("section.signature"))
            .await?
            .text()
            .await?;
        Ok::<_, fantoccini::error::CmdError>((href, signature))
    }
    .await;
    session.close().await;
    let (href, signature) = result.expect("the browser walk");
    assert_eq!(href, "/vorlagen/0310-2012/pdf");
    assert!(signature.contains("Signatur gültig"), "{signature}");

    let (head, body) = tokio::task::spawn_blocking(move || http_get(port, &href))
        .await
        .unwrap();
    assert!(
        head.starts_with("HTTP/1.0 200") || head.starts_with("HTTP/1.1 200"),
        "{head}"
    );
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: application/pdf"),
        "{head}"
    );
    assert!(body.starts_with(b"%PDF-"));
    assert!(drucksache::sign::verify(&body, &[]).valid);
}
