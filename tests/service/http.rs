//! HTTP on a real socket: a client that never finishes its headers is cut off, connections
//! beyond the limit are refused at once, a declared body over the limit is refused before it
//! is sent, `/metrics` needs a token or its own address, and the admin API names files by id
//! and URL, never by a path on the server.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use crate::harness::{Served, split_response};

/// Reads until the server closes the connection or `limit` passes; `None` when it was still
/// open then.
fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> Option<Vec<u8>> {
    stream.set_read_timeout(Some(limit)).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return Some(got),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return None;
            }
            Err(_) => return Some(got), // reset
        }
    }
}

#[test]
fn incomplete_headers_are_cut_off_and_connections_are_limited() {
    let served = Served::start(
        "[dienst]\nzeitlimit_kopfzeilen = 1\nmax_verbindungen = 3\n",
        &[],
    );
    // Slowloris: the headers never end. The server closes the connection after its header
    // timeout (1 s here); the test allows 60 s before calling it held open.
    let mut slow = TcpStream::connect(("127.0.0.1", served.port)).unwrap();
    slow.write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Langsam: 1\r\n")
        .unwrap();
    let answer = read_until_closed(&mut slow, Duration::from_secs(60));
    let answer = answer.expect("the connection was held open for 60 s");
    let (status, _, _) = split_response(&answer);
    assert!(
        status == 0 || status == 408,
        "{}",
        String::from_utf8_lossy(&answer)
    );
    assert!(served.healthy());

    // Three connections are the limit: with three open, a fourth is answered 503 at once.
    // (The server frees a closed connection's place a moment after the client saw it close.)
    std::thread::sleep(Duration::from_millis(300));
    let open: Vec<TcpStream> = (0..3)
        .map(|_| {
            let mut s = TcpStream::connect(("127.0.0.1", served.port)).unwrap();
            s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
                .unwrap();
            s
        })
        .collect();
    std::thread::sleep(Duration::from_millis(200)); // let the server accept them
    let response = served.raw(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    let (status, head, _) = split_response(&response);
    assert_eq!(status, 503, "{head}\n{}", served.log());
    assert!(head.to_ascii_lowercase().contains("retry-after"), "{head}");
    drop(open);
    // Once they are gone (closed by the client or by the header timeout), it serves again.
    let mut served_again = false;
    for _ in 0..100 {
        if served.healthy() {
            served_again = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(served_again, "no connection was freed:\n{}", served.log());
}

#[test]
fn a_declared_body_over_the_limit_is_refused_before_it_is_sent() {
    let served = Served::start("", &[]);
    let mut stream = TcpStream::connect(("127.0.0.1", served.port)).unwrap();
    write!(
        stream,
        "POST /api/v1/papers HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: 100000000\r\n\r\n",
        served.token
    )
    .unwrap();
    // No body is sent: the answer must come from the header alone.
    let mut buf = [0u8; 4096];
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let n = stream
        .read(&mut buf)
        .expect("an answer without waiting for the body");
    let (status, head, body) = split_response(&buf[..n]);
    assert_eq!(status, 413, "{head}");
    assert!(
        String::from_utf8_lossy(&body).contains("payload_too_large"),
        "{}",
        String::from_utf8_lossy(&body)
    );
    // The same for a public route.
    let response = served.raw(
        b"POST /?q=x HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(split_response(&response).0, 413);
}

#[test]
fn metrics_need_a_token_or_their_own_address() {
    let served = Served::start("", &[]);
    let anonymous = served.raw(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert_eq!(split_response(&anonymous).0, 401);
    let (status, _, body) = served.call("GET", "/metrics", None);
    assert_eq!(status, 200);
    assert!(String::from_utf8_lossy(&body).contains("drucksache_papers_created_total"));

    // On its own address (one the kernel chose; the server says which): there without a
    // token, and gone from the public one.
    drop(served);
    let served = Served::start("[dienst]\nmetriken_adresse = \"127.0.0.1:0\"\n", &[]);
    let public = served.raw(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert_eq!(split_response(&public).0, 404);
    let log = served.log();
    let metrics_port: u16 = log
        .split("Metriken: http://127.0.0.1:")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .and_then(|port| port.parse().ok())
        .unwrap_or_else(|| panic!("no metrics address in the log:\n{log}"));
    let mut own = TcpStream::connect(("127.0.0.1", metrics_port)).unwrap();
    own.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let answer = read_until_closed(&mut own, Duration::from_secs(30)).unwrap();
    let (status, _, body) = split_response(&answer);
    assert_eq!(status, 200);
    assert!(String::from_utf8_lossy(&body).contains("# EOF"));
}

#[test]
fn the_admin_api_names_files_by_id_and_url_not_by_path() {
    let served = Served::start("", &[]);
    let archive = served.dir.path().to_str().unwrap().to_string();
    let (status, _, body) = served.call("GET", "/api/v1/papers/0310-2012", None);
    assert_eq!(status, 200);
    let text = String::from_utf8_lossy(&body);
    assert!(!text.contains(&archive), "a server path in {text}");
    assert!(!text.contains("\"file\""), "{text}");
    let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let rendition = &json["renditions"][0];
    let id = rendition["id"].as_i64().expect("an id");
    let url = rendition["url"].as_str().expect("a url");
    assert!(
        url.ends_with(&format!("/api/v1/papers/0310-2012/renditions/{id}")),
        "{url}"
    );
    let path = url.split_once("127.0.0.1").unwrap().1;
    let path = &path[path.find('/').unwrap()..];
    let (status, head, pdf) = served.call("GET", path, None);
    assert_eq!(status, 200, "{head}");
    assert!(pdf.starts_with(b"%PDF-"));
    let (status, _, _) = served.call("GET", "/api/v1/papers/0310-2012/renditions/999999", None);
    assert_eq!(status, 404);
}
