//! Shared test harness: runs the real `drucksache` binary and the real PDF tools.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The project root (where `archive/` and `templates/` are).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The seed paper's record.
pub fn seed() -> PathBuf {
    root().join("archive/papers/2012/0310-2012.toml")
}

/// A `drucksache` command working on the project's archive (so the Hagen letterhead applies).
pub fn drucksache() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_drucksache"));
    cmd.current_dir(root())
        .env_remove("DRUCKSACHE_CONFIG")
        .env_remove("DRUCKSACHE_TEMPLATES")
        .env("DRUCKSACHE_ARCHIVE", root().join("archive"))
        .stdin(Stdio::null());
    cmd
}

/// The outcome of one run, with text output for assertions.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn run(cmd: &mut Command) -> Run {
    let Output {
        status,
        stdout,
        stderr,
    } = cmd.output().expect("drucksache runs");
    Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&stdout).into(),
        stderr: String::from_utf8_lossy(&stderr).into(),
    }
}

/// Renders `input` to `out` and insists on success.
pub fn render(input: &Path, out: &Path, extra: &[&str]) {
    let r = run(drucksache()
        .arg("render")
        .arg(input)
        .arg("-o")
        .arg(out)
        .args(extra));
    assert_eq!(
        r.code,
        0,
        "render {} failed:\n{}",
        input.display(),
        r.stderr
    );
}

/// Whether an external tool is there. Under `CI=true` a missing tool fails the test instead
/// of skipping it, so CI can never pass by not checking.
pub fn have(tool: &str) -> bool {
    let found = Command::new(tool)
        .arg("-v")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    present(found, tool)
}

/// `found`, after saying what a test skips for lack of `what`: under `CI=true` a missing
/// tool fails the test instead.
pub fn present(found: bool, what: &str) -> bool {
    if !found {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{what} is required when CI=true"
        );
        eprintln!("skipping: {what} is not installed");
    }
    found
}

/// Runs a tool and returns its standard output; fails the test when the tool fails.
pub fn tool(program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .output()
        .expect("tool runs");
    assert!(
        out.status.success(),
        "{program} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into()
}

/// pdftotext -layout (rows stay rows) of pages `first..=last` (or all), with every run of white space made one space,
/// so line breaks of the layout do not split the phrases a test looks for.
pub fn text(pdf: &Path, pages: Option<(u32, u32)>) -> String {
    let mut args = vec!["-layout"];
    let (f, l);
    if let Some((first, last)) = pages {
        f = first.to_string();
        l = last.to_string();
        args.extend(["-f", &f, "-l", &l]);
    }
    let pdf = pdf.to_str().unwrap();
    args.extend([pdf, "-"]);
    tool("pdftotext", &args)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// A record file written into `dir` from a modified copy of the seed.
pub fn seed_with(dir: &Path, name: &str, edit: impl FnOnce(String) -> String) -> PathBuf {
    let text = std::fs::read_to_string(seed()).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, edit(text)).unwrap();
    path
}

/// A fresh, empty archive in a temporary directory (no tracked records), optionally with a
/// configuration file.
pub struct TempArchive {
    pub dir: tempfile::TempDir,
}

impl TempArchive {
    pub fn new(config: Option<&str>) -> TempArchive {
        let dir = tempfile::tempdir().unwrap();
        if let Some(config) = config {
            std::fs::write(dir.path().join("drucksache.toml"), config).unwrap();
        }
        TempArchive { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A `drucksache` command working on this archive.
    pub fn cmd(&self) -> Command {
        let mut cmd = drucksache();
        cmd.env("DRUCKSACHE_ARCHIVE", self.path());
        cmd
    }

    /// Runs `drucksache ARGS` on this archive.
    pub fn run(&self, args: &[&str]) -> Run {
        run(self.cmd().args(args))
    }

    /// `drucksache new RECORD`, insisting on success; returns the reference.
    pub fn new_paper(&self, record: &Path) -> String {
        let r = run(self.cmd().arg("new").arg(record));
        assert_eq!(r.code, 0, "new {} failed:\n{}", record.display(), r.stderr);
        r.stdout.split_whitespace().next().unwrap().to_string()
    }

    /// The references in the archive, oldest first.
    pub fn references(&self) -> Vec<String> {
        let r = self.run(&["list", "--json"]);
        assert_eq!(r.code, 0, "list failed:\n{}", r.stderr);
        let list: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        list.as_array()
            .unwrap()
            .iter()
            .map(|p| p["reference"].as_str().unwrap().to_string())
            .collect()
    }

    /// `drucksache check` must pass.
    pub fn assert_check(&self) {
        let r = self.run(&["check"]);
        assert_eq!(r.code, 0, "check failed:\n{}{}", r.stdout, r.stderr);
    }
}

/// The seed record without its Drucksachennummer (so `new` allocates one), dated `date`.
pub fn unnumbered(dir: &Path, name: &str, date: &str) -> PathBuf {
    seed_with(dir, name, |t| {
        t.lines()
            .filter(|l| !l.starts_with("drucksachennummer"))
            .map(|l| {
                if l.starts_with("datum = ") {
                    format!("datum = {date}")
                } else {
                    l.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    })
}

/// The files `drucksache keygen --out DIR` writes.
pub struct DevKey {
    pub ca: PathBuf,
    pub key: PathBuf,
    pub chain: PathBuf,
    pub p12: PathBuf,
    pub p12_password: PathBuf,
}

/// Runs `drucksache keygen --out dir --algorithm algorithm` and insists on success.
pub fn keygen(dir: &Path, algorithm: &str) -> DevKey {
    let r = run(drucksache()
        .arg("keygen")
        .arg("--out")
        .arg(dir)
        .args(["--algorithm", algorithm]));
    assert_eq!(r.code, 0, "keygen failed:\n{}", r.stderr);
    DevKey {
        ca: dir.join("entwicklung-ca.pem"),
        key: dir.join("signatur-schluessel.pem"),
        chain: dir.join("signatur-zertifikate.pem"),
        p12: dir.join("signatur.p12"),
        p12_password: dir.join("signatur.p12.passwort"),
    }
}

/// `drucksache sign input -o output --key … --cert …` with a PEM key.
pub fn sign(input: &Path, output: &Path, key: &DevKey) -> Run {
    run(drucksache()
        .arg("sign")
        .arg(input)
        .arg("-o")
        .arg(output)
        .arg("--key")
        .arg(&key.key)
        .arg("--cert")
        .arg(&key.chain))
}

/// `drucksache verify file --trust ca…`.
pub fn verify(file: &Path, trust: &[&Path]) -> Run {
    let mut cmd = drucksache();
    cmd.arg("verify").arg(file);
    for t in trust {
        cmd.arg("--trust").arg(t);
    }
    run(&mut cmd)
}

/// Runs a tool and returns (exit code, stdout + stderr) without judging it.
pub fn tool_output(program: &str, args: &[&str]) -> (i32, String) {
    let out = Command::new(program)
        .args(args)
        .output()
        .expect("tool runs");
    (
        out.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// Copies the project's tracked records (`archive/papers/**`) into the archive root `to`.
pub fn copy_tracked_records(to: &Path) {
    let from = root().join("archive");
    for file in drucksache::publish::record_files(&from.join("papers")).unwrap() {
        let target = to.join(file.strip_prefix(&from).unwrap());
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::copy(&file, target).unwrap();
    }
}
