//! The service tests' harness: a temporary archive with the tracked records and one admin
//! token, the router for `oneshot` requests, JSON papers to post, and OParl schema checks.

use std::path::{Path, PathBuf};

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use drucksache::config::{Overrides, Settings};
use drucksache::model::Paper;
use drucksache::server::{self, AppState};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

use crate::common;

pub const BASE: &str = "http://rat.example";

pub struct Service {
    pub dir: tempfile::TempDir,
    pub router: Router,
    pub state: AppState,
    pub token: String,
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body[..self.body.len().min(500)])
            )
        })
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

impl Service {
    /// A service over a new archive holding the project's tracked records.
    pub fn start() -> Service {
        Service::start_with_clock(drucksache::model::Clock::system())
    }

    /// [`Service::start`] with "today" from `clock`.
    pub fn start_with_clock(clock: drucksache::model::Clock) -> Service {
        Service::start_prepared(clock, |_| {})
    }

    /// [`Service::start_with_clock`], with `prepare` run on the archive's settings before
    /// the service opens it (to put papers into the archive another way).
    pub fn start_prepared(
        clock: drucksache::model::Clock,
        prepare: impl FnOnce(&Settings),
    ) -> Service {
        Service::start_configured(clock, "", prepare)
    }

    /// [`Service::start_prepared`] with `extra` appended to the archive's configuration.
    pub fn start_configured(
        clock: drucksache::model::Clock,
        extra: &str,
        prepare: impl FnOnce(&Settings),
    ) -> Service {
        Service::start_adjusted(clock, extra, |_, _| {}, prepare)
    }

    /// [`Service::start_configured`] with `adjust` changing the resolved settings first
    /// (what `extra` cannot add: a key of `[gemeinde]`, such as its coat of arms); `adjust`
    /// gets the archive's folder too.
    pub fn start_adjusted(
        clock: drucksache::model::Clock,
        extra: &str,
        adjust: impl FnOnce(&mut Settings, &Path),
        prepare: impl FnOnce(&Settings),
    ) -> Service {
        let dir = tempfile::tempdir().unwrap();
        common::copy_tracked_records(dir.path());
        let (token, sha256) = server::generate_token().unwrap();
        let config = dir.path().join("drucksache.toml");
        std::fs::write(
            &config,
            format!(
                "[gemeinde]\nname = \"Stadt Hagen\"\nverwaltungsspitze = \"Der Oberbürgermeister\"\n\n\
                 [[dienst.token]]\nname = \"Test\"\nsha256 = \"{sha256}\"\n{extra}"
            ),
        )
        .unwrap();
        let mut settings = Settings::resolve(Overrides {
            archive: dir.path().to_path_buf(),
            config: Some(config),
            templates: None,
        })
        .unwrap();
        adjust(&mut settings, dir.path());
        prepare(&settings);
        let state = AppState::open_with_clock(&settings, BASE, clock).unwrap();
        let router = server::app(state.clone());
        Service {
            dir,
            router,
            state,
            token,
        }
    }

    pub fn archive(&self) -> &Path {
        self.dir.path()
    }

    pub async fn request(
        &self,
        method: Method,
        uri: &str,
        token: Option<&str>,
        headers: &[(header::HeaderName, &str)],
        body: Option<Vec<u8>>,
    ) -> Answer {
        let mut request = Request::builder().method(method).uri(uri);
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        for (name, value) in headers {
            request = request.header(name, *value);
        }
        if body.is_some() && !headers.iter().any(|(name, _)| name == header::CONTENT_TYPE) {
            request = request.header(header::CONTENT_TYPE, "application/json");
        }
        let request = request
            .body(body.map(Body::from).unwrap_or_else(Body::empty))
            .unwrap();
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = response
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec();
        Answer {
            status,
            headers,
            body,
        }
    }

    /// A public GET.
    pub async fn get(&self, uri: &str) -> Answer {
        self.request(Method::GET, uri, None, &[], None).await
    }

    /// An admin request with the configured token.
    pub async fn admin(&self, method: Method, uri: &str, body: Option<Vec<u8>>) -> Answer {
        self.request(method, uri, Some(&self.token), &[], body)
            .await
    }

    /// An admin POST of `body` as JSON.
    pub async fn post_json(&self, uri: &str, body: &Value) -> Answer {
        self.admin(Method::POST, uri, Some(serde_json::to_vec(body).unwrap()))
            .await
    }

    /// `POST /api/v1/papers` of `paper`, whatever the answer.
    pub async fn post_paper(&self, paper: &Value) -> Answer {
        self.post_json("/api/v1/papers", paper).await
    }

    /// How many papers the admin API lists (`gesamt`).
    pub async fn paper_count(&self) -> u64 {
        let list = self.admin(Method::GET, "/api/v1/papers", None).await.json();
        list["gesamt"].as_u64().expect("gesamt")
    }

    /// POSTs a paper and returns its reference (fails the test unless 201).
    pub async fn create(&self, paper: &Value) -> String {
        let answer = self.post_paper(paper).await;
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
        answer.json()["drucksachennummer"]
            .as_str()
            .unwrap()
            .to_string()
    }
}

/// The seed paper as the JSON the API takes, without a reference, dated in 2026 (a year the
/// tracked records do not use, so numbers start at 0001/2026), with `subject` as Betreff.
pub fn paper_json(subject: &str) -> Value {
    let seed = common::root().join("archive/papers/2012/0310-2012.toml");
    let paper = Paper::load(&seed).unwrap();
    let mut json = serde_json::to_value(&paper).unwrap();
    let record = json.as_object_mut().unwrap();
    record.remove("drucksachennummer");
    record.insert("datum".into(), "2026-03-02".into());
    record.insert("betreff".into(), subject.into());
    for (i, step) in record["beratungsfolge"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .enumerate()
    {
        step["datum"] = format!("2026-03-{:02}", 10 + i).into();
    }
    json
}

/// Every file of the OParl 1.1 schema (tests/fixtures/oparl-1.1, CC BY-SA 4.0).
fn schema(name: &str) -> Value {
    let path: PathBuf = common::root().join(format!("tests/fixtures/oparl-1.1/schema/{name}.json"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// Checks `object` against the OParl schema named by its `type`, and every embedded object
/// (the schema marks them with `"schema": "X.json"`) against its own. Returns the problems.
pub fn oparl_problems(object: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    check(object, &mut problems, "$");
    problems
}

fn check(object: &Value, problems: &mut Vec<String>, at: &str) {
    let Some(kind) = object["type"].as_str() else {
        problems.push(format!("{at}: no type"));
        return;
    };
    let Some(name) = kind.strip_prefix("https://schema.oparl.org/1.1/") else {
        problems.push(format!("{at}: type {kind} is not OParl 1.1"));
        return;
    };
    // A deleted object (spec §4-07, "Gelöschte Objekte") keeps only `id`, `type`, `created`,
    // `modified` and `deleted`: the schema's other required properties do not apply to it.
    if object["deleted"] == true {
        let keys: Vec<&String> = object.as_object().unwrap().keys().collect();
        for want in ["id", "type", "created", "modified", "deleted"] {
            if object.get(want).is_none() {
                problems.push(format!("{at}: a deleted {name} without {want}"));
            }
        }
        for key in keys {
            if !["id", "type", "created", "modified", "deleted"].contains(&key.as_str()) {
                problems.push(format!("{at}: a deleted {name} still has {key}"));
            }
        }
        return;
    }
    let schema = schema(name);
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .with_format("url", |s: &str| {
            s.starts_with("http://") || s.starts_with("https://")
        })
        .build(&schema)
        .unwrap();
    for error in validator.iter_errors(object) {
        problems.push(format!("{at} ({name}){}: {error}", error.instance_path()));
    }
    // Embedded objects.
    for (key, property) in schema["properties"].as_object().unwrap() {
        let Some(value) = object.get(key) else {
            continue;
        };
        let nested = property
            .get("schema")
            .or_else(|| property.get("items").and_then(|i| i.get("schema")));
        if nested.is_none() {
            continue;
        }
        match value {
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    if item.is_object() {
                        check(item, problems, &format!("{at}.{key}[{i}]"));
                    }
                }
            }
            Value::Object(_) => check(value, problems, &format!("{at}.{key}")),
            _ => {}
        }
    }
}

/// `drucksache serve` as a real process on a port the kernel chose (`--listen 127.0.0.1:0`):
/// the address is read from the line the server prints when it is ready, so no port is ever
/// guessed. Its standard error is collected; the process is killed when this is dropped.
pub struct Served {
    pub dir: tempfile::TempDir,
    pub child: std::process::Child,
    pub port: u16,
    pub token: String,
    log: std::sync::Arc<std::sync::Mutex<String>>,
}

impl Served {
    /// Serves a new archive with the tracked records, one token and `config` added to the
    /// configuration; `envs` are set for the server process.
    pub fn start(config: &str, envs: &[(&str, &str)]) -> Served {
        let dir = tempfile::tempdir().unwrap();
        common::copy_tracked_records(dir.path());
        Served::start_in(dir, config, envs)
    }

    /// Serves the archive in `dir` (which may hold an archive already).
    pub fn start_in(dir: tempfile::TempDir, config: &str, envs: &[(&str, &str)]) -> Served {
        use std::io::BufRead;
        // A restart finds the configuration and the token of the first start.
        let token_file = dir.path().join("test-token.txt");
        let token = match std::fs::read_to_string(&token_file) {
            Ok(token) => token,
            Err(_) => {
                let (token, sha256) = server::generate_token().unwrap();
                std::fs::write(
                    dir.path().join("drucksache.toml"),
                    format!("{config}\n[[dienst.token]]\nname = \"Test\"\nsha256 = \"{sha256}\"\n"),
                )
                .unwrap();
                std::fs::write(&token_file, &token).unwrap();
                token
            }
        };
        let mut command = common::drucksache();
        command
            .arg("--archive")
            .arg(dir.path())
            .args(["serve", "--listen", "127.0.0.1:0"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped());
        for (key, value) in envs {
            command.env(key, value);
        }
        let mut child = command.spawn().unwrap();
        let stderr = child.stderr.take().unwrap();
        let log = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let (ready, address) = std::sync::mpsc::channel();
        let collected = std::sync::Arc::clone(&log);
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if let Some(rest) = line.strip_prefix("drucksache läuft: http://127.0.0.1:") {
                    let port: String = rest.chars().take_while(char::is_ascii_digit).collect();
                    let _ = ready.send(port.parse::<u16>().unwrap());
                }
                let mut log = collected.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        let port = match address.recv_timeout(std::time::Duration::from_secs(180)) {
            Ok(port) => port,
            Err(_) => {
                let _ = child.kill();
                panic!("serve did not start:\n{}", log.lock().unwrap());
            }
        };
        Served {
            dir,
            child,
            port,
            token,
            log,
        }
    }

    /// Kills the server with SIGKILL and returns its archive, to start it again.
    pub fn kill(mut self) -> tempfile::TempDir {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        let dir = tempfile::TempDir::new().unwrap();
        std::mem::replace(&mut self.dir, dir)
    }

    /// `drucksache check` of the served archive must pass.
    pub fn assert_check(&self) {
        let check = common::run(
            common::drucksache()
                .arg("--archive")
                .arg(self.dir.path())
                .arg("check"),
        );
        assert_eq!(check.code, 0, "{}{}", check.stdout, check.stderr);
    }

    /// What the server has written to standard error so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// Whether the process is still running.
    pub fn alive(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    /// A client of this server with its admin token (for other threads).
    pub fn client(port: u16, token: &str) -> Client {
        Client {
            port,
            token: token.to_string(),
        }
    }

    /// See [`Client::raw`].
    pub fn raw(&self, request: &[u8]) -> Vec<u8> {
        Served::client(self.port, &self.token).raw(request)
    }

    /// See [`Client::call`].
    pub fn call(&self, method: &str, path: &str, body: Option<&[u8]>) -> (u16, String, Vec<u8>) {
        Served::client(self.port, &self.token).call(method, path, body)
    }

    /// `/healthz` answers 200.
    pub fn healthy(&self) -> bool {
        self.call("GET", "/healthz", None).0 == 200
    }
}

/// Talks HTTP/1.1 to a [`Served`] server, one connection per request.
pub struct Client {
    port: u16,
    token: String,
}

impl Client {
    /// Sends `request` (a whole HTTP/1.1 request, ideally with `Connection: close`) and
    /// returns the raw response: status line, headers and body.
    pub fn raw(&self, request: &[u8]) -> Vec<u8> {
        use std::io::{Read, Write};
        // A server that is gone (killed by the test) answers nothing: status 0.
        let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", self.port)) else {
            return Vec::new();
        };
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(120)))
            .unwrap();
        if stream.write_all(request).is_err() {
            return Vec::new();
        }
        let mut response = Vec::new();
        let _ = stream.read_to_end(&mut response);
        response
    }

    /// A request with an optional JSON body and the admin token: (status, headers, body).
    pub fn call(&self, method: &str, path: &str, body: Option<&[u8]>) -> (u16, String, Vec<u8>) {
        let mut request = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {}\r\nConnection: close\r\n",
            self.token
        )
        .into_bytes();
        if let Some(body) = body {
            request.extend(
                format!(
                    "Content-Type: application/json\r\nContent-Length: {}\r\n",
                    body.len()
                )
                .bytes(),
            );
        }
        request.extend(b"\r\n");
        request.extend(body.unwrap_or_default());
        split_response(&self.raw(&request))
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// (status, head, body) of a raw HTTP response; status 0 when there was none.
pub fn split_response(response: &[u8]) -> (u16, String, Vec<u8>) {
    let Some(split) = response.windows(4).position(|w| w == b"\r\n\r\n") else {
        return (
            0,
            String::from_utf8_lossy(response).into_owned(),
            Vec::new(),
        );
    };
    let head = String::from_utf8_lossy(&response[..split]).into_owned();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, head, response[split + 4..].to_vec())
}
