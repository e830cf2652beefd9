//! The archive through the real binary: numbering schemes, supplements, historical references,
//! refusals that change nothing, withdrawal, export, check, backup and the tracked records.

mod common;

use common::{TempArchive, have, root, seed_with, unnumbered};

fn config(scheme: &str, supplement: &str) -> String {
    format!("[nummern]\nschema = \"{scheme}\"\nergaenzung = \"{supplement}\"\n")
}

/// A supplement record to `parent`, without its own number.
fn supplement(dir: &std::path::Path, name: &str, parent: &str) -> std::path::PathBuf {
    let text = std::fs::read_to_string(root().join("archive/papers/2012/0310-2012-1.toml"))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("drucksachennummer"))
        .map(|l| {
            if l.starts_with("bezug = ") {
                format!("bezug = \"{parent}\"")
            } else if l.starts_with("datum = ") {
                "datum = 2025-03-01".to_string()
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn each_scheme_numbers_papers_and_supplements_and_restarts_each_year() {
    for (scheme, supplement_scheme, expected) in [
        (
            "{seq:04}/{year}",
            "{parent}-{n}",
            [
                "0001/2025",
                "0002/2025",
                "0001/2025-1",
                "0001/2025-2",
                "0001/2026",
            ],
        ),
        (
            "VO/{seq}/{year}",
            "{parent}-{n}",
            [
                "VO/1/2025",
                "VO/2/2025",
                "VO/1/2025-1",
                "VO/1/2025-2",
                "VO/1/2026",
            ],
        ),
        (
            "{year}/{seq:04}",
            "{parent}/E{n}",
            [
                "2025/0001",
                "2025/0002",
                "2025/0001/E1",
                "2025/0001/E2",
                "2026/0001",
            ],
        ),
    ] {
        let archive = TempArchive::new(Some(&config(scheme, supplement_scheme)));
        let inputs = tempfile::tempdir().unwrap();
        let a = unnumbered(inputs.path(), "a.toml", "2025-03-01");
        let b = unnumbered(inputs.path(), "b.toml", "2025-12-31");
        let c = unnumbered(inputs.path(), "c.toml", "2026-01-02");
        let first = archive.new_paper(&a);
        let got = [
            first.clone(),
            archive.new_paper(&b),
            archive.new_paper(&supplement(inputs.path(), "s1.toml", &first)),
            archive.new_paper(&supplement(inputs.path(), "s2.toml", &first)),
            archive.new_paper(&c),
        ];
        assert_eq!(got, expected, "scheme {scheme}");
        archive.assert_check();
    }
}

#[test]
fn new_prints_reference_and_file_and_json() {
    let archive = TempArchive::new(None);
    let inputs = tempfile::tempdir().unwrap();
    let a = unnumbered(inputs.path(), "a.toml", "2025-03-01");
    let r = archive.run(&["new", a.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let (reference, file) = r.stdout.trim().split_once(' ').unwrap();
    assert_eq!(reference, "0001/2025");
    assert!(std::path::Path::new(file).is_file(), "{file}");
    assert!(file.starts_with(archive.path().join("files").to_str().unwrap()));

    let r = archive.run(&["new", "--json", a.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let created: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(created["reference"], "0002/2025");
    assert_eq!(created["allocated"], true);
    let sha = created["sha512"].as_str().unwrap();
    let bytes = std::fs::read(created["file"].as_str().unwrap()).unwrap();
    assert!(bytes.starts_with(b"%PDF-"));
    let show = archive.run(&["show", "0002/2025", "--json"]);
    let details: serde_json::Value = serde_json::from_str(&show.stdout).unwrap();
    assert_eq!(details["renditions"][0]["sha512"], sha);
    assert_eq!(details["source"]["drucksachennummer"], "0002/2025");
    assert_eq!(
        details["renditions"][0]["program_version"],
        env!("CARGO_PKG_VERSION")
    );
    assert_eq!(
        details["renditions"][0]["template_sha512"]
            .as_str()
            .unwrap()
            .len(),
        128
    );
}

#[test]
fn a_historical_reference_is_kept_once_and_numbering_continues_after_it() {
    let archive = TempArchive::new(None);
    let inputs = tempfile::tempdir().unwrap();
    let seed = common::seed();
    assert_eq!(archive.new_paper(&seed), "0310/2012");
    let again = archive.run(&["new", seed.to_str().unwrap()]);
    assert_eq!(again.code, 2, "{}", again.stderr);
    assert!(
        again
            .stderr
            .contains("drucksachennummer: 0310/2012 is already in the archive"),
        "{}",
        again.stderr
    );
    // The same number written differently is the same number.
    let padded = seed_with(inputs.path(), "p.toml", |t| {
        t.replace("\"0310/2012\"", "\"00310/2012\"")
    });
    let r = archive.run(&["new", padded.to_str().unwrap()]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("number 310 of 2012"), "{}", r.stderr);
    let next = unnumbered(inputs.path(), "n.toml", "2012-05-01");
    assert_eq!(archive.new_paper(&next), "0311/2012");
    assert_eq!(archive.references(), ["0310/2012", "0311/2012"]);
    archive.assert_check();
}

#[test]
fn refused_input_allocates_nothing() {
    let archive = TempArchive::new(None);
    let inputs = tempfile::tempdir().unwrap();
    let good = unnumbered(inputs.path(), "good.toml", "2025-03-01");
    assert_eq!(archive.new_paper(&good), "0001/2025");

    let invalid = seed_with(inputs.path(), "bad.toml", |t| {
        t.replace("betreff = ", "betref = ")
    });
    let r = archive.run(&["new", invalid.to_str().unwrap()]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("betref"), "{}", r.stderr);

    let orphan = supplement(inputs.path(), "orphan.toml", "0999/2025");
    let r = archive.run(&["new", orphan.to_str().unwrap()]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("bezug: 0999/2025 is not in the archive"),
        "{}",
        r.stderr
    );

    // A template error happens after allocation: the allocation is rolled back.
    let templates = tempfile::tempdir().unwrap();
    std::fs::write(templates.path().join("layout.typ"), "#let x = (\n").unwrap();
    let r = run_with_templates(&archive, templates.path(), &good);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("layout.typ"), "{}", r.stderr);
    // The mark made for the file while the paper rendered is gone with the failure.
    let marks = std::fs::read_dir(archive.path().join("files/tmp")).unwrap();
    assert_eq!(marks.count(), 0, "files/tmp/ is empty");

    assert_eq!(archive.new_paper(&good), "0002/2025");
    assert_eq!(archive.references(), ["0001/2025", "0002/2025"]);
    let files = std::fs::read_dir(archive.path().join("files"))
        .unwrap()
        .filter(|e| e.as_ref().unwrap().file_name() != "tmp")
        .map(|e| std::fs::read_dir(e.unwrap().path()).unwrap().count())
        .sum::<usize>();
    assert_eq!(files, 2, "only the two papers' PDFs are stored");
    archive.assert_check();
}

fn run_with_templates(
    archive: &TempArchive,
    templates: &std::path::Path,
    record: &std::path::Path,
) -> common::Run {
    common::run(
        archive
            .cmd()
            .arg("--templates")
            .arg(templates)
            .arg("new")
            .arg(record),
    )
}

#[test]
fn a_read_only_archive_gives_a_clear_error_and_stays_as_it_was() {
    let archive = TempArchive::new(None);
    let inputs = tempfile::tempdir().unwrap();
    let good = unnumbered(inputs.path(), "good.toml", "2025-03-01");
    assert_eq!(archive.new_paper(&good), "0001/2025");
    let before = snapshot(archive.path());

    // Root ignores file permissions: run the command as `nobody` then.
    let root_user = common::run(std::process::Command::new("id").arg("-u"))
        .stdout
        .trim()
        == "0";
    if root_user && !have("setpriv") {
        return;
    }
    chmod_tree(archive.path(), true);
    chmod_tree(inputs.path(), true);
    make_reachable(archive.path());
    make_reachable(inputs.path());
    let mut cmd = if root_user {
        let mut c = std::process::Command::new("setpriv");
        c.args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            env!("CARGO_BIN_EXE_drucksache"),
        ]);
        c.env("DRUCKSACHE_ARCHIVE", archive.path()).current_dir("/");
        c
    } else {
        archive.cmd()
    };
    let r = common::run(cmd.arg("new").arg(&good));
    chmod_tree(archive.path(), false);
    eprintln!("read-only archive: {}", r.stderr);
    assert_ne!(r.code, 0);
    assert!(
        r.stderr.contains("read-only") || r.stderr.contains("ermission denied"),
        "{}",
        r.stderr
    );
    assert_eq!(snapshot(archive.path()), before, "nothing changed");
    assert_eq!(archive.new_paper(&good), "0002/2025");
}

/// Every file below `dir` with its content.
fn snapshot(dir: &std::path::Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if !p.to_string_lossy().contains("archive.sqlite-") {
                out.push((p.clone(), std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

fn chmod_tree(dir: &std::path::Path, read_only: bool) {
    use std::os::unix::fs::PermissionsExt;
    let mode = |is_dir: bool| match (read_only, is_dir) {
        (true, true) => 0o555,
        (true, false) => 0o444,
        (false, true) => 0o755,
        (false, false) => 0o644,
    };
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p.clone());
                std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode(true))).unwrap();
            } else {
                std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode(false))).unwrap();
            }
        }
    }
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode(true))).unwrap();
}

/// Lets another user walk down to `dir` (temporary directories are private).
fn make_reachable(dir: &std::path::Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Some(parent) = dir.parent() {
        let mode = std::fs::metadata(parent).unwrap().permissions().mode();
        if mode & 0o001 == 0 {
            let _ = std::fs::set_permissions(parent, std::fs::Permissions::from_mode(mode | 0o011));
        }
    }
}

#[test]
fn withdrawal_keeps_number_and_file_and_shows_in_the_history() {
    let archive = TempArchive::new(None);
    let inputs = tempfile::tempdir().unwrap();
    let a = unnumbered(inputs.path(), "a.toml", "2025-03-01");
    assert_eq!(archive.new_paper(&a), "0001/2025");
    let r = archive.run(&["withdraw", "0001/2025", "--reason", "  "]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    let r = archive.run(&["withdraw", "0001/2025", "--reason", "Falscher Betreff"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = archive.run(&["withdraw", "0001/2025", "--reason", "nochmal"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("already withdrawn"), "{}", r.stderr);
    let r = archive.run(&["withdraw", "0009/2025", "--reason", "x"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("0009/2025 is not in the archive"),
        "{}",
        r.stderr
    );

    let show = archive.run(&["show", "0001/2025"]);
    assert_eq!(show.code, 0);
    assert!(
        show.stdout.contains("WITHDRAWN (Falscher Betreff)"),
        "{}",
        show.stdout
    );
    let created = show.stdout.find("created").expect("history has created");
    let withdrawn = show
        .stdout
        .find("withdrawn  Falscher Betreff")
        .expect("history has the withdrawal");
    assert!(created < withdrawn);
    let details: serde_json::Value =
        serde_json::from_str(&archive.run(&["show", "0001/2025", "--json"]).stdout).unwrap();
    assert_eq!(details["status"], "withdrawn");
    assert!(std::path::Path::new(details["renditions"][0]["file"].as_str().unwrap()).is_file());
    // The number stays taken.
    assert_eq!(archive.new_paper(&a), "0002/2025");
    assert!(archive.run(&["list"]).stdout.contains("zurückgezogen"));
    archive.assert_check();
}

#[test]
fn export_writes_record_and_pdf() {
    let archive = TempArchive::new(None);
    let inputs = tempfile::tempdir().unwrap();
    let a = unnumbered(inputs.path(), "a.toml", "2025-03-01");
    archive.new_paper(&a);
    let out = tempfile::tempdir().unwrap();
    let r = archive.run(&["export", "0001/2025", "-o", out.path().to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let record: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.path().join("0001-2025.json")).unwrap()).unwrap();
    assert_eq!(record["drucksachennummer"], "0001/2025");
    assert_eq!(record["betreff"], "Integrationskonzept für die Stadt Hagen");
    let pdf = std::fs::read(out.path().join("0001-2025.pdf")).unwrap();
    let details: serde_json::Value =
        serde_json::from_str(&archive.run(&["show", "0001/2025", "--json"]).stdout).unwrap();
    let stored = std::fs::read(details["renditions"][0]["file"].as_str().unwrap()).unwrap();
    assert_eq!(pdf, stored);
    // The exported record is a valid record again, rendered with the archive's settings …
    let r = common::run(
        archive
            .cmd()
            .arg("render")
            .arg(out.path().join("0001-2025.json"))
            .arg("-o")
            .arg(out.path().join("again.pdf")),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    // … and renders to exactly the stored PDF's first revision: the signature is an
    // incremental update appended to the unchanged bytes of the render.
    let again = std::fs::read(out.path().join("again.pdf")).unwrap();
    assert!(
        stored.len() > again.len() && stored.starts_with(&again),
        "the render of the exported record ({} bytes) is not the stored PDF's first revision",
        again.len()
    );
    assert!(again.ends_with(b"%%EOF"));
    let r = archive.run(&["export", "0404/2025", "-o", out.path().to_str().unwrap()]);
    assert_eq!(r.code, 2);
}

#[test]
fn check_finds_damaged_and_stray_files() {
    let archive = TempArchive::new(None);
    let inputs = tempfile::tempdir().unwrap();
    let a = unnumbered(inputs.path(), "a.toml", "2025-03-01");
    archive.new_paper(&a);
    archive.assert_check();
    let details: serde_json::Value =
        serde_json::from_str(&archive.run(&["show", "0001/2025", "--json"]).stdout).unwrap();
    let file = std::path::PathBuf::from(details["renditions"][0]["file"].as_str().unwrap());

    let shard = archive.path().join("files/ab");
    std::fs::create_dir_all(&shard).unwrap();
    let stray = shard.join(format!("{}.pdf", "ab".repeat(64)));
    std::fs::write(&stray, b"%PDF-").unwrap();
    let r = archive.run(&["check"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stdout.contains("stored file without a database row"),
        "{}",
        r.stdout
    );
    std::fs::remove_file(&stray).unwrap();
    archive.assert_check();

    let mut bytes = std::fs::read(&file).unwrap();
    bytes[100] ^= 1;
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::write(&file, &bytes).unwrap();
    let r = archive.run(&["check", "--json"]);
    assert_eq!(r.code, 1);
    let report: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let problems = report["problems"].to_string();
    assert!(
        problems.contains("0001/2025") && problems.contains("SHA-512"),
        "{problems}"
    );
    // Damaged files are never served.
    let r = archive.run(&["export", "0001/2025", "-o", inputs.path().to_str().unwrap()]);
    assert_eq!(r.code, 1);
    assert!(!inputs.path().join("0001-2025.pdf").exists());
}

#[test]
fn backup_is_a_complete_archive() {
    let archive = TempArchive::new(Some(&config("VO/{seq}/{year}", "{parent}-{n}")));
    let inputs = tempfile::tempdir().unwrap();
    let a = unnumbered(inputs.path(), "a.toml", "2025-03-01");
    archive.new_paper(&a);
    archive.new_paper(&a);
    let target = tempfile::tempdir().unwrap();
    let copy = target.path().join("copy");
    let r = archive.run(&["backup", copy.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let restored = TempArchive { dir: target };
    let r = common::run(
        restored
            .cmd()
            .env("DRUCKSACHE_ARCHIVE", &copy)
            .args(["check"]),
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains("2 papers, 2 renditions, 0 originals, 2 files: ok"),
        "{}",
        r.stdout
    );
    // The configuration came along: numbering goes on in the copy's scheme.
    let r = common::run(
        restored
            .cmd()
            .env("DRUCKSACHE_ARCHIVE", &copy)
            .arg("new")
            .arg(&a),
    );
    assert!(
        r.stdout.starts_with("VO/3/2025 "),
        "{}{}",
        r.stdout,
        r.stderr
    );
    // A backup never overwrites.
    let r = archive.run(&["backup", copy.to_str().unwrap()]);
    assert_eq!(r.code, 2, "{}", r.stderr);
}

#[test]
fn tracked_records_are_imported_on_first_use() {
    let archive = TempArchive::new(None);
    let papers = archive.path().join("papers");
    common::copy_tracked_records(archive.path());
    // A broken record is reported and skipped; the others come in.
    std::fs::write(
        papers.join("2013/broken.toml"),
        "art = \"beschlussvorlage\"\n",
    )
    .unwrap();
    let r = archive.run(&["list"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("broken.toml"), "{}", r.stderr);
    let refs = archive.references();
    for expected in [
        "0310/2012",
        "0310/2012-1",
        "0355/2012",
        "0412/2012",
        "0020/2013",
        "0101/2013",
    ] {
        assert!(
            refs.contains(&expected.to_string()),
            "{expected} in {refs:?}"
        );
    }
    assert_eq!(refs.len(), 6);
    let show = archive.run(&["show", "0310/2012-1", "--json"]);
    let details: serde_json::Value = serde_json::from_str(&show.stdout).unwrap();
    assert_eq!(details["imported_from"], "papers/2012/0310-2012-1.toml");
    assert_eq!(details["supplements"], "0310/2012");
    assert_eq!(details["allocated"], false);
    // Numbering goes on after the highest imported number of the year.
    let inputs = tempfile::tempdir().unwrap();
    let next = unnumbered(inputs.path(), "n.toml", "2013-06-01");
    assert_eq!(archive.new_paper(&next), "0102/2013");
    std::fs::remove_file(papers.join("2013/broken.toml")).unwrap();
    archive.assert_check();
}

#[test]
fn several_records_are_numbered_all_or_nothing() {
    let archive = TempArchive::new(None);
    let inputs = tempfile::tempdir().unwrap();
    let a = unnumbered(inputs.path(), "a.toml", "2025-03-01");
    let b = unnumbered(inputs.path(), "b.toml", "2025-03-02");
    let orphan = supplement(inputs.path(), "orphan.toml", "0999/2025");
    let r = archive.run(&[
        "new",
        a.to_str().unwrap(),
        orphan.to_str().unwrap(),
        b.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("orphan.toml") && r.stderr.contains("bezug: 0999/2025"),
        "{}",
        r.stderr
    );
    assert!(archive.references().is_empty(), "nothing was stored");

    let r = archive.run(&[
        "new",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        a.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let refs: Vec<&str> = r
        .stdout
        .lines()
        .map(|l| l.split(' ').next().unwrap())
        .collect();
    assert_eq!(refs, ["0001/2025", "0002/2025", "0003/2025"]);
    let s = supplement(inputs.path(), "s.toml", "0002/2025");
    let r = archive.run(&["new", "--json", s.to_str().unwrap(), s.to_str().unwrap()]);
    let created: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(created[0]["reference"], "0002/2025-1");
    assert_eq!(created[1]["reference"], "0002/2025-2");
    archive.assert_check();
}

#[test]
fn new_signs_with_the_development_key_and_says_so() {
    let archive = TempArchive::new(None);
    let inputs = tempfile::tempdir().unwrap();
    let a = unnumbered(inputs.path(), "a.toml", "2025-03-01");
    let r = archive.run(&["new", "--json", a.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("created a DEVELOPMENT signing key"),
        "{}",
        r.stderr
    );
    let created: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let file = created["file"].as_str().unwrap();
    let ca = archive
        .path()
        .join("entwicklungsschluessel/entwicklung-ca.pem");
    let v = common::verify(std::path::Path::new(file), &[&ca]);
    assert_eq!(v.code, 0, "{}{}", v.stdout, v.stderr);
    if have("pdfsig") {
        let (_, out) = common::tool_output("pdfsig", &[file]);
        assert!(out.contains("Signature is Valid"), "{out}");
        assert!(out.contains("Total document signed"), "{out}");
    }
    let show = archive.run(&["show", "0001/2025"]);
    assert!(show.stdout.contains("DEVELOPMENT key"), "{}", show.stdout);
    // The second paper uses the same key, with the warning again.
    let r = archive.run(&["new", a.to_str().unwrap()]);
    assert!(r.stderr.contains("DEVELOPMENT key"), "{}", r.stderr);
    assert!(!r.stderr.contains("created a DEVELOPMENT"), "{}", r.stderr);
}

/// An archive made while the development key was RSA-2048 keeps its key (its papers stay
/// verifiable against the same CA), and every signing says the key should be replaced.
#[test]
fn an_archive_with_an_rsa_2048_key_keeps_it_and_warns() {
    let archive = TempArchive::new(None);
    let key = common::keygen(&archive.path().join("entwicklungsschluessel"), "rsa");
    let inputs = tempfile::tempdir().unwrap();
    let a = unnumbered(inputs.path(), "a.toml", "2025-03-01");
    let r = archive.run(&["new", "--json", a.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!r.stderr.contains("created a DEVELOPMENT"), "{}", r.stderr);
    assert!(
        r.stderr.contains("RSA-2048: RSA keys under 3000 bits"),
        "{}",
        r.stderr
    );
    let created: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let file = created["file"].as_str().unwrap();
    let v = common::verify(std::path::Path::new(file), &[&key.ca]);
    assert_eq!(v.code, 0, "{}{}", v.stdout, v.stderr);
    assert!(v.stdout.contains("RSA-2048 with SHA-256"), "{}", v.stdout);
}

#[test]
fn new_papers_are_searchable_and_withdrawal_shows_in_search() {
    let archive = TempArchive::new(None);
    let inputs = tempfile::tempdir().unwrap();
    let a = unnumbered(inputs.path(), "a.toml", "2025-03-01");
    archive.new_paper(&a);
    // The first search builds the index from the archive.
    let hits = |q: &str| -> serde_json::Value {
        let r = archive.run(&["search", "--json", q]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        serde_json::from_str(&r.stdout).unwrap()
    };
    assert_eq!(hits("Integrationskonzept")["gesamt"], 1);
    let b = seed_with(inputs.path(), "b.toml", |t| {
        t.lines()
            .filter(|l| !l.starts_with("drucksachennummer"))
            .collect::<Vec<_>>()
            .join("\n")
            .replace(
                "Integrationskonzept für die Stadt Hagen",
                "Trinkwasserbrunnen am Volkspark",
            )
    });
    let reference = archive.new_paper(&b);
    let found = hits("Trinkwasserbrunnen");
    assert_eq!(found["gesamt"], 1, "{found}");
    assert_eq!(
        found["treffer"][0]["drucksachennummer"],
        reference.as_str(),
        "{found}"
    );
    let r = archive.run(&["withdraw", &reference, "--reason", "Doppelt eingereicht"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let found = hits("Trinkwasserbrunnen");
    assert_eq!(found["treffer"][0]["status"], "zurueckgezogen", "{found}");
}
