//! The real binary: `serve` on a socket; SIGTERM while a creation is in flight lets it finish
//! (201, numbered, stored) before the process exits 0.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common;
use crate::harness::paper_json;

#[test]
fn sigterm_finishes_the_request_in_flight() {
    let dir = tempfile::tempdir().unwrap();
    common::copy_tracked_records(dir.path());
    let (token, sha256) = drucksache::server::generate_token().unwrap();
    std::fs::write(
        dir.path().join("drucksache.toml"),
        format!("[[dienst.token]]\nname = \"Test\"\nsha256 = \"{sha256}\"\n"),
    )
    .unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = common::drucksache()
        .arg("--archive")
        .arg(dir.path())
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The port is bound before the archive is opened: wait until requests are answered.
    let healthy = || {
        let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
            return false;
        };
        let _ = stream.write_all(b"GET /healthz HTTP/1.0\r\n\r\n");
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer);
        answer.starts_with("HTTP/1.0 200") || answer.starts_with("HTTP/1.1 200")
    };
    let deadline = Instant::now() + Duration::from_secs(120);
    while !healthy() {
        assert!(Instant::now() < deadline, "serve did not start");
        assert!(server.try_wait().unwrap().is_none(), "serve exited");
        std::thread::sleep(Duration::from_millis(50));
    }

    let body = serde_json::to_vec(&paper_json("Eingereicht kurz vor dem Herunterfahren")).unwrap();
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        stream,
        "POST /api/v1/papers HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    stream.write_all(&body).unwrap();
    stream.flush().unwrap();
    std::thread::sleep(Duration::from_millis(20));
    let killed = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());

    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 201"), "{response}");
    assert!(
        response.contains("\"drucksachennummer\":\"0001/2026\""),
        "{response}"
    );
    let status = server.wait().unwrap();
    let mut log = String::new();
    server
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    assert!(status.success(), "{status}: {log}");
    assert!(log.contains("drucksache beendet"), "{log}");

    let shown = common::run(
        common::drucksache()
            .arg("--archive")
            .arg(dir.path())
            .args(["show", "0001/2026"]),
    );
    assert_eq!(shown.code, 0, "{}", shown.stderr);
}
