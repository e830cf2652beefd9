//! `drucksache harvest` against an OParl server this test starts on 127.0.0.1, serving the
//! shipped papers (rendered to PDF here) and misbehaving on purpose the way vendor systems
//! do: a 500, a slow page, a dropped filter, a next link to nowhere, a wrong checksum, an HTML
//! error page as a PDF, objects for arrays, a missing type, control characters, odd offsets.

mod common;

use std::collections::{BTreeSet, HashMap};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::State;
use axum::http::{Response, Uri};
use common::TempArchive;
use drucksache::model::Paper;
use serde_json::{Value, json};

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
                let fail = page == 2 && faults.page2_errors > 0;
                let slow = page == 3 && faults.page3_slow > 0;
                if fail {
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
struct Server {
    served: Arc<Served>,
    _thread: std::thread::JoinHandle<()>,
}

impl Server {
    fn system_url(&self) -> String {
        format!("{}/oparl/system", self.served.base)
    }

    fn requests(&self) -> Vec<String> {
        self.served.log.lock().unwrap().clone()
    }
}

/// A served paper and what the test expects of it.
struct Expected {
    id: String,
    reference: String,
    /// The bytes served as its main file.
    pdf: Vec<u8>,
    /// Why it must fail ("SHA-512", "HTML"), or `None` when it can be harvested.
    fails: Option<&'static str>,
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
            // auxiliaryFile as one object.
            2 => object["auxiliaryFile"] = object["mainFile"].clone(),
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

fn start(dir: &Path, file_delay: Duration) -> (Server, Vec<Expected>) {
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

/// A short timeout (the slow page takes 3 s), short backoff, no rate limit to speak of.
const QUICK: [&str; 6] = ["--timeout", "1", "--backoff", "50", "--rate", "1000"];

fn harvest(archive: &TempArchive, server: &Server, review: &Path, extra: &[&str]) -> common::Run {
    let review = review.to_str().unwrap().to_string();
    let url = server.system_url();
    let mut args = vec!["harvest", url.as_str(), "--review", review.as_str()];
    args.extend_from_slice(&QUICK);
    args.extend_from_slice(extra);
    archive.run(&args)
}

/// (reference, SHA-512 of its original) of every harvested paper in the archive.
fn harvested(archive: &TempArchive) -> BTreeSet<(String, String)> {
    let conn =
        rusqlite::Connection::open(archive.path().join(drucksache::archive::DB_FILE)).unwrap();
    let mut stmt = conn
        .prepare(
            "SELECT p.reference, o.sha512 FROM harvested h JOIN papers p ON p.id = h.paper_id
             JOIN originals o ON o.paper_id = p.id",
        )
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn a_misbehaving_system_is_harvested_as_far_as_it_can_be_and_a_second_run_adds_nothing() {
    if !common::have("pdftotext") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (server, expected) = start(dir.path(), Duration::ZERO);
    let archive = TempArchive::new(None);
    let review = dir.path().join("pruefung");

    let first = harvest(
        &archive,
        &server,
        &review,
        &["--since", "2000-01-01T00:00:00Z", "--json"],
    );
    assert_eq!(
        first.code, 1,
        "two papers fail, so the run says so:\n{}\n{}",
        first.stdout, first.stderr
    );
    let report: Value = serde_json::from_str(&first.stdout).unwrap();
    let new: Vec<String> = serde_json::from_value(report["new"].clone()).unwrap();
    let review_list: Vec<String> = serde_json::from_value(report["review"].clone()).unwrap();
    let failed: Vec<String> = serde_json::from_value(report["failed"].clone()).unwrap();
    eprintln!("{}", serde_json::to_string_pretty(&report).unwrap());

    // Every paper is accounted for exactly once; the two bad files fail for their reason.
    assert_eq!(
        new.len() + review_list.len() + failed.len(),
        expected.len(),
        "{report:#}"
    );
    assert_eq!(failed.len(), 2, "{failed:?}");
    for e in &expected {
        let why = failed
            .iter()
            .find(|f| f.starts_with(&format!("{}: ", e.id)));
        match e.fails {
            Some(reason) => assert!(
                why.is_some_and(|w| w.contains(reason)),
                "{}: {failed:?}",
                e.id
            ),
            None => assert!(why.is_none(), "{why:?}"),
        }
    }
    assert_eq!(
        report["files_failed"],
        json!({"HTML statt PDF": 1, "Prüfsumme falsch": 1})
    );
    assert!(
        !new.is_empty(),
        "at least one paper is certain enough to archive: {report:#}"
    );
    assert_eq!(report["pages_failed"], json!([]));
    assert_eq!(report["complete"], json!(true));

    // Archived papers keep the other system's reference; their original is the served file.
    let stored = harvested(&archive);
    for e in expected.iter().filter(|e| new.contains(&e.reference)) {
        assert!(
            stored.contains(&(e.reference.clone(), drucksache::archive::sha512_hex(&e.pdf))),
            "{}",
            e.reference
        );
    }
    // Each archived paper records which fields came from OParl; the rest came from its text.
    let conn =
        rusqlite::Connection::open(archive.path().join(drucksache::archive::DB_FILE)).unwrap();
    let fields: String = conn
        .query_row(
            "SELECT h.oparl_fields FROM harvested h JOIN papers p ON p.id = h.paper_id
             WHERE p.reference = ?1",
            [&new[0]],
            |r| r.get(0),
        )
        .unwrap();
    let fields: Vec<String> = serde_json::from_str(&fields).unwrap();
    for key in [
        "oeffentlich",
        "art",
        "drucksachennummer",
        "datum",
        "betreff",
        "amt",
        "beratungsfolge",
    ] {
        assert!(
            fields.iter().any(|f| f == key),
            "{key} from OParl: {fields:?}"
        );
    }
    assert!(!fields.iter().any(|f| f == "begruendung"), "{fields:?}");
    // The rest waits in the review folder with its draft, which names where its values came from.
    for why in &review_list {
        let draft = why
            .rsplit("(Entwurf: ")
            .next()
            .unwrap()
            .trim_end_matches(')');
        let text = std::fs::read_to_string(draft).unwrap_or_else(|e| panic!("{draft}: {e}"));
        assert!(
            text.contains("# aus den OParl-Daten des anderen Systems"),
            "{text}"
        );
    }

    // The faults: page 2 was asked twice (a 500, then fine); page 3 twice (too slow, then
    // fine), with the filter page 2's link had dropped; the 404 after the last page ended it.
    let requests = server.requests();
    let pages = |n: usize| {
        requests
            .iter()
            .filter(|r| r.starts_with(&format!("/oparl/papers?page={n}")))
            .cloned()
            .collect::<Vec<_>>()
    };
    assert_eq!(pages(2).len(), 2, "{requests:#?}");
    assert_eq!(pages(3).len(), 2, "{requests:#?}");
    assert!(
        pages(3)
            .iter()
            .all(|r| r.contains("modified_since=2000-01-01T00")),
        "{requests:#?}"
    );
    // Shared meetings and organizations are fetched once each.
    let mut fetched: Vec<&String> = requests
        .iter()
        .filter(|r| r.starts_with("/oparl/meeting/") || r.starts_with("/oparl/org/"))
        .collect();
    let all = fetched.len();
    fetched.sort();
    fetched.dedup();
    assert_eq!(all, fetched.len(), "{requests:#?}");
    archive.assert_check();

    // A second run: nothing new, nothing twice; the failed papers are tried again (and fail).
    let before = server.requests().len();
    let second = harvest(&archive, &server, &review, &["--json"]);
    assert_eq!(second.code, 1, "{}\n{}", second.stdout, second.stderr);
    let report2: Value = serde_json::from_str(&second.stdout).unwrap();
    assert_eq!(report2["new"], json!([]), "{report2:#}");
    assert_eq!(
        report2["failed"].as_array().unwrap().len(),
        2,
        "{report2:#}"
    );
    assert_eq!(harvested(&archive), stored);
    let later = &server.requests()[before..];
    assert!(
        later.iter().any(|r| r.starts_with("/oparl/paper/kaputt-0")),
        "{later:#?}"
    );
    // It asked only for what changed since the first run (less the overlap).
    assert!(
        later
            .iter()
            .any(|r| r.starts_with("/oparl/papers?modified_since=")),
        "{later:#?}"
    );
}

#[test]
fn a_harvest_killed_mid_run_and_run_again_gives_the_archive_of_one_clean_run() {
    if !common::have("pdftotext") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (server, _) = start(dir.path(), Duration::from_millis(400));
    let clean = TempArchive::new(None);
    let review = dir.path().join("pruefung-sauber");
    harvest(&clean, &server, &review, &[]);
    let want = harvested(&clean);
    assert!(!want.is_empty());

    let killed = TempArchive::new(None);
    let review = dir.path().join("pruefung-abgebrochen");
    let url = server.system_url();
    let mut child = killed
        .cmd()
        .args([
            "harvest",
            url.as_str(),
            "--review",
            review.to_str().unwrap(),
        ])
        .args(QUICK)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Kill it once it has archived its first paper (a poll on the archive, not a clock).
    let db = killed.path().join(drucksache::archive::DB_FILE);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the harvest ended before it could be killed: {status}");
        }
        let archived: i64 = rusqlite::Connection::open(&db)
            .and_then(|c| {
                c.query_row(
                    "SELECT count(*) FROM harvested WHERE state = 'archived'",
                    [],
                    |r| r.get(0),
                )
            })
            .unwrap_or(0);
        if archived >= 1 {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        harvested(&killed).len() < want.len(),
        "killed before the end"
    );
    harvest(&killed, &server, &review, &[]);
    assert_eq!(harvested(&killed), want);
    killed.assert_check();
}

#[test]
fn bad_arguments_and_an_unreachable_system_are_refused_with_a_clear_message_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (server, _) = start(dir.path(), Duration::ZERO);
    let archive = TempArchive::new(None);
    let review = dir.path().join("pruefung");
    let since = harvest(&archive, &server, &review, &["--since", "gestern"]);
    assert_eq!(since.code, 2, "{}", since.stderr);
    assert!(
        since.stderr.contains("--since gestern: not a date-time"),
        "{}",
        since.stderr
    );
    let body = harvest(
        &archive,
        &server,
        &review,
        &["--body", "http://nirgends/body/9"],
    );
    assert_eq!(body.code, 2, "{}", body.stderr);
    assert!(
        body.stderr.contains(
            "--body http://nirgends/body/9: the system has no such body (it has: http://127.0.0.1:"
        ),
        "{}",
        body.stderr
    );
    // A port nobody listens on (bound, then closed).
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let url = format!("http://{closed}/oparl/system");
    let gone = archive.run(&["harvest", &url, "--retries", "1", "--backoff", "10"]);
    assert_eq!(gone.code, 1, "{}", gone.stderr);
    assert!(
        gone.stderr.contains(&format!("{url}: cannot connect")),
        "{}",
        gone.stderr
    );
    assert!(harvested(&archive).is_empty());
    assert!(!review.exists());
}
