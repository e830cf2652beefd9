//! Headless Chromium through chromedriver for the browser tests (browser.rs, accessibility.rs):
//! whether both are installed, the driver on a port it chose, a session with the flags that
//! keep Chromium off the network, and the service's router on a real loopback socket.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use axum::Router;
use fantoccini::{Client, ClientBuilder};
use serde_json::json;

use crate::common;

pub(crate) const CHROMIUM: &str = "/usr/bin/chromium";

/// Chromium and chromedriver are there; under `CI=true` their absence fails the test.
pub(crate) fn have_browser() -> bool {
    let driver = Command::new("chromedriver")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    let found = driver && std::path::Path::new(CHROMIUM).exists();
    common::present(found, "chromium with chromedriver")
}

/// A running chromedriver, killed when dropped.
pub(crate) struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts chromedriver on a port it chooses itself (`--port=0`) and reads that port from the
/// line it prints once it listens: no port is guessed.
pub(crate) fn start_driver() -> (Driver, u16) {
    use std::io::BufRead;
    let mut child = Command::new("chromedriver")
        .arg("--port=0")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let stdout = child.stdout.take().unwrap();
    let driver = Driver(child);
    let (found, port) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(rest) = line.split("started successfully on port ").nth(1) {
                let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
                let _ = found.send(digits.parse::<u16>().unwrap());
            }
        }
    });
    let port = port
        .recv_timeout(Duration::from_secs(20))
        .expect("chromedriver did not say where it listens");
    (driver, port)
}

/// A headless Chromium session with its own profile folder.
pub(crate) struct Session {
    pub(crate) client: Client,
    _driver: Driver,
    _profile: tempfile::TempDir,
}

impl Session {
    /// Ends the browser session, then the driver, then removes the profile folder.
    pub(crate) async fn close(self) {
        self.client.close().await.ok();
    }
}

/// Starts chromedriver and a headless Chromium session through it: no GPU, no sandbox (the
/// tests may run as root), and nothing that reaches out to the network by itself.
pub(crate) async fn session() -> Session {
    let (driver, driver_port) = start_driver();
    let profile = tempfile::tempdir().unwrap();
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": CHROMIUM,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
                format!("--user-data-dir={}", profile.path().display()),
            ],
        }),
    );
    let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(capabilities)
        .connect(&format!("http://127.0.0.1:{driver_port}"))
        .await
        .expect("a Chromium session");
    Session {
        client,
        _driver: driver,
        _profile: profile,
    }
}

/// Serves `router` on a new loopback socket (port chosen by the system) and returns the port.
pub(crate) async fn serve(router: Router) -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, router).await });
    port
}
