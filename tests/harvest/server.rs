//! The misbehaving OParl server the harvest tests start on 127.0.0.1: the shipped papers
//! (rendered to PDF here) as an OParl 1.1 endpoint with a 500, a slow page, a dropped filter,
//! a next link to nowhere, a wrong checksum, an HTML error page as a PDF, objects for arrays,
//! a missing type, control characters and odd offsets.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::State;
use axum::http::{Response, Uri};
use drucksache::model::Paper;
use serde_json::{Value, json};

use super::common;

/// Papers per list page.
const PAGE: usize = 2;

/// What the server serves and how it misbehaves.
struct Served {
    base: String,
    /// Paper objects (each with `modified`), in list order.
    papers: Vec<Value>,
    /// Other objects by path (meetings, organizations, files' bodies).
    objects: HashMap<String, Value>,
    /// File bodies by path: content type and bytes.
    files: HashMap<String, (&'static str, Vec<u8>)>,
    faults: Mutex<Faults>,
    /// Every request's path and query, in order.
    log: Mutex<Vec<String>>,
    /// Pause before each file (the SIGKILL test).
    file_delay: Duration,
}

#[derive(Default)]
struct Faults {
    /// 500s still to give on page 2.
    page2_errors: usize,
    /// Slow answers (longer than the client's timeout) still to give on page 3.
    page3_slow: usize,
    /// Page 3 answers 500 to every request while set.
    page3_down: bool,
    /// The HTML page served as a PDF is a PDF again.
    html_fixed: bool,
}

fn answer(status: u16, content_type: &str, body: Vec<u8>) -> Response<Body> {
    Response::builder()
        .status(status)
        .header("content-type", content_type)
        .body(Body::from(body))
        .unwrap()
}

fn json_answer(value: &Value) -> Response<Body> {
    answer(200, "application/json", serde_json::to_vec(value).unwrap())
}

async fn serve(State(s): State<Arc<Served>>, uri: Uri) -> Response<Body> {
    let path = uri.path().to_string();
    let query: HashMap<String, String> = uri
        .query()
        .map(|q| serde_urlencoded::from_str(q).unwrap())
        .unwrap_or_default();
    s.log
        .lock()
        .unwrap()
        .push(format!("{path}?{}", uri.query().unwrap_or("")));
    let base = &s.base;
    match path.as_str() {
        "/oparl/system" => json_answer(&json!({
            "id": format!("{base}/oparl/system"),
            "type": "https://schema.oparl.org/1.1/System",
            "oparlVersion": "https://schema.oparl.org/1.1/",
            "body": format!("{base}/oparl/bodies"),
        })),
        // A bare array where a list object belongs.
        "/oparl/bodies" => json_answer(&json!([{
            "id": format!("{base}/oparl/body/1"),
            "type": "https://schema.oparl.org/1.1/Body",
            "name": "Stadt Beispiel",
            "paper": format!("{base}/oparl/papers"),
        }])),
        "/oparl/papers" => {
            let page: usize = query.get("page").and_then(|p| p.parse().ok()).unwrap_or(1);
            let since = query.get("modified_since").cloned();
            let (fail, slow) = {
                let mut faults = s.faults.lock().unwrap();
                let page2_error = page == 2 && faults.page2_errors > 0;
                let fail = page2_error || (page == 3 && faults.page3_down);
                let slow = page == 3 && faults.page3_slow > 0;
                if page2_error {
                    faults.page2_errors -= 1;
                }
                if slow {
                    faults.page3_slow -= 1;
                }
                (fail, slow)
            };
            if fail {
                return answer(500, "text/html", b"<h1>Internal Server Error</h1>".to_vec());
            }
            if slow {
                tokio::time::sleep(Duration::from_secs(3)).await;
            }
            let matching: Vec<&Value> = s
                .papers
                .iter()
                .filter(|p| match &since {
                    Some(since) => {
                        modified_utc(p) >= drucksache::harvest::date_time(since).unwrap()
                    }
                    None => true,
                })
                .collect();
            let items: Vec<&Value> = matching
                .iter()
                .skip((page - 1) * PAGE)
                .take(PAGE)
                .copied()
                .collect();
            // Past the end, and for an empty filtered list, a 404, as some systems answer.
            if items.is_empty() {
                return answer(404, "text/html", b"<h1>Not Found</h1>".to_vec());
            }
            let filter = since
                .as_ref()
                .map(|s| format!("&modified_since={}", urlencode(s)))
                .unwrap_or_default();
            // Page 2 drops the filter from its next link; the last page links to a page
            // that does not exist.
            let next_filter = if page == 2 { String::new() } else { filter };
            json_answer(&json!({
                "data": items,
                "links": {"next": format!("{base}/oparl/papers?page={}{next_filter}", page + 1)},
            }))
        }
        _ if s.files.contains_key(&path) => {
            if !s.file_delay.is_zero() {
                tokio::time::sleep(s.file_delay).await;
            }
            if path == "/files/kaputt-1.pdf" && s.faults.lock().unwrap().html_fixed {
                return answer(200, "application/pdf", anlage_pdf());
            }
            let (content_type, bytes) = &s.files[&path];
            answer(200, content_type, bytes.clone())
        }
        _ => match s.objects.get(&path) {
            Some(object) => json_answer(object),
            None => match s.papers.iter().find(|p| p["id"] == format!("{base}{path}")) {
                Some(paper) => json_answer(paper),
                None => answer(404, "text/plain", b"not found".to_vec()),
            },
        },
    }
}

fn modified_utc(paper: &Value) -> String {
    drucksache::harvest::date_time(paper["modified"].as_str().unwrap()).unwrap()
}

fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("x", s)]).unwrap()[2..].to_string()
}

/// The running server: its address and what it saw.
pub struct Server {
    served: Arc<Served>,
    _thread: std::thread::JoinHandle<()>,
}

impl Server {
    pub fn system_url(&self) -> String {
        format!("{}/oparl/system", self.served.base)
    }

    /// The id of a body this system does not have (an id is compared, never fetched).
    pub fn unknown_body(&self) -> String {
        format!("{}/oparl/body/9", self.served.base)
    }

    /// Serves a real PDF where the HTML error page was.
    pub fn fix_html_file(&self) {
        self.served.faults.lock().unwrap().html_fixed = true;
    }

    /// Takes page 3 down (every request a 500) or brings it back.
    pub fn page3_down(&self, down: bool) {
        self.served.faults.lock().unwrap().page3_down = down;
    }

    pub fn requests(&self) -> Vec<String> {
        self.served.log.lock().unwrap().clone()
    }
}

/// A served paper and what the test expects of it.
pub struct Expected {
    pub id: String,
    pub reference: String,
    /// The bytes served as its main file.
    pub pdf: Vec<u8>,
    /// Why it must fail ("SHA-512", "HTML"), or `None` when it can be harvested.
    pub fails: Option<&'static str>,
}

/// What the server will serve, what the test expects, and the address it will listen on.
struct Fixture {
    papers: Vec<Value>,
    objects: HashMap<String, Value>,
    files: HashMap<String, (&'static str, Vec<u8>)>,
    expected: Vec<Expected>,
    addr: String,
}

/// Renders the shipped papers and builds the server's objects from them; two more papers
/// have a file that must be refused.
fn fixture(dir: &Path, addr: SocketAddr) -> Fixture {
    let base = format!("http://{addr}");
    let records =
        drucksache::publish::record_files(&common::root().join("archive/papers")).unwrap();
    let mut papers = Vec::new();
    let mut objects = HashMap::new();
    let mut files = HashMap::new();
    let mut expected = Vec::new();
    let mut orgs: HashMap<String, String> = HashMap::new();
    let mut meetings: HashMap<(String, String), String> = HashMap::new();
    let mut org_url = |name: &str, short: Option<String>, objects: &mut HashMap<String, Value>| {
        let n = orgs.len() + 1;
        let path = orgs
            .entry(name.to_string())
            .or_insert_with(|| format!("/oparl/org/{n}"))
            .clone();
        let mut org = json!({"id": format!("{base}{path}"), "type": "https://schema.oparl.org/1.1/Organization", "name": name});
        if let Some(short) = short {
            org["shortName"] = json!(short);
        }
        objects.insert(path.clone(), org);
        format!("{base}{path}")
    };
    for (i, record) in records.iter().enumerate() {
        let stem = record.file_stem().unwrap().to_str().unwrap();
        let record = plain(record, dir);
        let pdf_path = dir.join(format!("{stem}.pdf"));
        common::render(&record, &pdf_path, &[]);
        let pdf = std::fs::read(&pdf_path).unwrap();
        let paper = Paper::load(&record).unwrap();
        let amt = org_url(
            &paper.department.name,
            Some(format!("FB {}", paper.department.number)),
            &mut objects,
        );
        let mut consultations = Vec::new();
        for (k, c) in paper.consultations.iter().enumerate() {
            let org = org_url(&c.body, None, &mut objects);
            let n = meetings.len() + 1;
            let key = (c.body.clone(), c.date.to_string());
            let meeting_path = meetings
                .entry(key)
                .or_insert_with(|| format!("/oparl/meeting/{n}"))
                .clone();
            // One system writes its start with an offset without colon and a space for T.
            let start = if i == 1 {
                format!("{} 17:00:00+0200", c.date)
            } else {
                format!("{}T17:00:00+02:00", c.date)
            };
            objects.insert(meeting_path.clone(), json!({
                "id": format!("{base}{meeting_path}"), "type": "https://schema.oparl.org/1.1/Meeting",
                "start": start, "organization": [org.clone()],
            }));
            // Every second consultation leaves the organization to the meeting.
            let mut consultation = json!({"meeting": format!("{base}{meeting_path}")});
            if k % 2 == 0 {
                consultation["organization"] = json!([org]);
            }
            consultations.push(consultation);
        }
        let id = format!("{base}/oparl/paper/{}", i + 1);
        let file_path = format!("/files/{stem}.pdf");
        let sha512 = drucksache::archive::sha512_hex(&pdf);
        let mut object = json!({
            "id": id,
            "type": "https://schema.oparl.org/1.1/Paper",
            "name": paper.subject.replace(' ', "  \n "),
            "reference": paper.reference.clone().unwrap(),
            "date": paper.date.to_string(),
            "paperType": paper.kind.label(),
            "underDirectionOf": [amt],
            "consultation": consultations,
            "mainFile": {"id": format!("{base}/oparl/file/{}", i + 1), "type": "https://schema.oparl.org/1.1/File",
                         "accessUrl": format!("{base}{file_path}"), "fileName": format!("{stem}.pdf"),
                         "mimeType": "application/pdf", "sha512Checksum": sha512},
            "modified": "2012-06-30T10:00:00+02:00",
        });
        match i {
            // One consultation as an object, not an array.
            0 => object["consultation"] = object["consultation"][0].clone(),
            // No type at all; modified with an odd offset.
            1 => {
                object.as_object_mut().unwrap().remove("type");
                object["modified"] = json!("2012-06-30T10:00:00+0200");
            }
            // auxiliaryFile as one object (the main file again: stored once).
            2 => object["auxiliaryFile"] = object["mainFile"].clone(),
            // A real Anlage, given as the address of its File object.
            4 => {
                let anlage = format!("{base}/oparl/file/anlage");
                objects.insert(
                    "/oparl/file/anlage".into(),
                    json!({"id": anlage, "type": "https://schema.oparl.org/1.1/File",
                           "accessUrl": format!("{base}/files/anlage.pdf"), "fileName": "Anlage 1.pdf"}),
                );
                files.insert(
                    "/files/anlage.pdf".into(),
                    ("application/pdf", anlage_pdf()),
                );
                object["auxiliaryFile"] = json!([anlage]);
            }
            _ => {}
        }
        files.insert(file_path, ("application/pdf", pdf.clone()));
        papers.push(object);
        expected.push(Expected {
            id,
            reference: paper.reference.unwrap(),
            pdf,
            fails: None,
        });
    }
    // A file whose checksum is wrong, and an HTML error page served as a PDF.
    let first_pdf = expected[0].pdf.clone();
    for (n, (what, content_type, bytes, sha)) in [
        (
            "SHA-512",
            "application/pdf",
            first_pdf.clone(),
            "00".repeat(64),
        ),
        (
            "HTML",
            "application/pdf",
            b"<!DOCTYPE html><html><body>Sitzung abgelaufen</body></html>".to_vec(),
            String::new(),
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let id = format!("{base}/oparl/paper/kaputt-{n}");
        let file_path = format!("/files/kaputt-{n}.pdf");
        let mut file = json!({"accessUrl": format!("{base}{file_path}")});
        if !sha.is_empty() {
            file["sha512Checksum"] = json!(sha);
        }
        papers.push(json!({
            "id": id, "type": "https://schema.oparl.org/1.1/Paper",
            // A raw control character in a string.
            "name": "Kaputte\u{1}Datei", "reference": format!("09{n}0/2012"), "date": "2012-05-02",
            "mainFile": file, "modified": "2012-06-30T10:00:00Z",
        }));
        files.insert(file_path, (content_type, bytes));
        expected.push(Expected {
            id,
            reference: String::new(),
            pdf: Vec::new(),
            fails: Some(what),
        });
    }
    Fixture {
        papers,
        objects,
        files,
        expected,
        addr: addr.to_string(),
    }
}

/// The Anlage of one paper: the seed paper as another system printed it (a fixture).
pub fn anlage_pdf() -> Vec<u8> {
    std::fs::read(common::root().join("tests/fixtures/legacy/hagen-0310-2012-chromium.pdf"))
        .unwrap()
}

/// A shipped record with its Begründung cut to its first plain paragraph: a layout dump
/// keeps no paragraph breaks or heading levels, so a longer Begründung is (rightly) sent to
/// review, and the harvest needs papers it can archive too.
fn plain(record: &Path, dir: &Path) -> std::path::PathBuf {
    let paper = Paper::load(record).unwrap();
    let mut value = serde_json::to_value(&paper).unwrap();
    let first = paper
        .reasoning
        .split("\n\n")
        .map(str::trim)
        .find(|p| !p.is_empty() && !p.starts_with('#') && !p.contains(['*', '_', '-', '|']))
        .unwrap_or("Die Verwaltung schlägt den Beschluss vor.")
        .to_string();
    value["begruendung"] = json!(first);
    let path = dir.join(format!(
        "{}.json",
        record.file_stem().unwrap().to_str().unwrap()
    ));
    std::fs::write(&path, serde_json::to_vec_pretty(&value).unwrap()).unwrap();
    path
}

pub fn start(dir: &Path, file_delay: Duration) -> (Server, Vec<Expected>) {
    // Bound here and handed to the server, so no other process can take the port between.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let Fixture {
        papers,
        objects,
        files,
        expected,
        addr,
    } = fixture(dir, listener.local_addr().unwrap());
    let served = Arc::new(Served {
        base: format!("http://{addr}"),
        papers,
        objects,
        files,
        faults: Mutex::new(Faults {
            page2_errors: 1,
            page3_slow: 1,
            page3_down: false,
            html_fixed: false,
        }),
        log: Mutex::new(Vec::new()),
        file_delay,
    });
    let state = served.clone();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let thread = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            ready_tx.send(()).unwrap();
            let app = axum::Router::new().fallback(serve).with_state(state);
            axum::serve(listener, app).await.unwrap();
        });
    });
    ready_rx.recv().unwrap();
    (
        Server {
            served,
            _thread: thread,
        },
        expected,
    )
}
