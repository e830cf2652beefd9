//! Bad input: every case exits 2 (a broken template: 1), names the field path or template
//! line, and writes no output file.

mod common;

use std::path::Path;

use common::*;

/// Renders `input` into a fresh directory and checks code, message and that nothing was written.
fn refused(input: &Path, extra: &[&str], code: i32, needles: &[&str]) {
    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().join("out.pdf");
    let r = run(drucksache()
        .arg("render")
        .arg(input)
        .arg("-o")
        .arg(&out)
        .args(extra));
    assert_eq!(
        r.code,
        code,
        "exit code for {}: {}",
        input.display(),
        r.stderr
    );
    for needle in needles {
        assert!(
            r.stderr.contains(needle),
            "{needle:?} not in:\n{}",
            r.stderr
        );
    }
    let left: Vec<_> = std::fs::read_dir(out_dir.path()).unwrap().collect();
    assert!(left.is_empty(), "files were written: {left:?}");
}

#[test]
fn missing_required_field() {
    let dir = tempfile::tempdir().unwrap();
    let f = seed_with(dir.path(), "r.toml", |t| {
        t.replace(
            "betreff = \"Integrationskonzept für die Stadt Hagen\"\n",
            "",
        )
    });
    refused(
        &f,
        &[],
        2,
        &["betreff: is required but missing (line 1, column 1)"],
    );
}

#[test]
fn wrong_type() {
    let dir = tempfile::tempdir().unwrap();
    let f = seed_with(dir.path(), "r.toml", |t| {
        t.replace("oeffentlich = true", "oeffentlich = \"ja\"")
    });
    refused(
        &f,
        &[],
        2,
        &["oeffentlich: expected a boolean, found the text \"ja\" (line 4, column 15)"],
    );
}

#[test]
fn impossible_date_in_the_beratungsfolge() {
    let dir = tempfile::tempdir().unwrap();
    let f = seed_with(dir.path(), "r.toml", |t| {
        t.replace("datum = 2012-05-15", "datum = \"2012-02-31\"")
    });
    refused(
        &f,
        &[],
        2,
        &[
            "beratungsfolge[2].datum: 2012-02-31 is not a date (write YYYY-MM-DD) (line 16, column 13)",
        ],
    );
}

#[test]
fn unknown_field_and_all_problems_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let f = seed_with(dir.path(), "r.toml", |t| {
        t.replace("beteiligt = []", "beteilgt = []").replace(
            "betreff = \"Integrationskonzept für die Stadt Hagen\"",
            "betreff = \"\"",
        )
    });
    refused(
        &f,
        &[],
        2,
        &[
            "2 problems",
            "betreff: must not be empty (line 8, column 11)",
            "beteilgt: unknown field (check the spelling) (line 10, column 12)",
        ],
    );
}

#[test]
fn empty_subject() {
    let dir = tempfile::tempdir().unwrap();
    let f = seed_with(dir.path(), "r.toml", |t| {
        t.replace("\"Integrationskonzept für die Stadt Hagen\"", "\"   \"")
    });
    refused(&f, &[], 2, &["betreff: must not be empty"]);
}

#[test]
fn invalid_utf8() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("r.toml");
    let mut bytes = std::fs::read(seed()).unwrap();
    let jorg = "Jörg".as_bytes();
    let at = bytes.windows(jorg.len()).position(|w| w == jorg).unwrap();
    // "Jörg" as Latin-1: J, 0xF6, r, g
    bytes.splice(at..at + jorg.len(), [b'J', 0xF6, b'r', b'g']);
    std::fs::write(&f, bytes).unwrap();
    refused(&f, &[], 2, &["is not valid UTF-8", "0xF6"]);
}

#[test]
fn a_fifty_megabyte_file() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("big.toml");
    let file = std::fs::File::create(&f).unwrap();
    file.set_len(50 * 1024 * 1024).unwrap();
    refused(
        &f,
        &[],
        2,
        &["the file is 52428800 bytes; a record may have at most 4194304 bytes"],
    );
}

#[test]
fn syntax_errors_in_toml_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let t = seed_with(dir.path(), "r.toml", |t| {
        t.replace("art = \"beschlussvorlage\"", "art = beschlussvorlage")
    });
    refused(&t, &[], 2, &["r.toml:", "(line 5, column 7)"]);
    let j = dir.path().join("r.json");
    std::fs::write(&j, "{\n  \"betreff\": \"x\",\n}").unwrap();
    refused(&j, &[], 2, &["r.json:", "line 2"]);
}

#[test]
fn unknown_extension() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("r.txt");
    std::fs::write(&f, "x").unwrap();
    refused(&f, &[], 2, &["unknown record format"]);
}

#[test]
fn one_bad_input_among_several_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let bad = seed_with(dir.path(), "bad.toml", |t| {
        t.replace("datum = 2012-04-25", "datum = 2012-04-31")
    });
    let out = dir.path().join("out");
    let r = run(drucksache()
        .arg("render")
        .arg(seed())
        .arg(&bad)
        .arg("--out-dir")
        .arg(&out));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        !out.exists(),
        "nothing may be written when one input is bad"
    );
}

#[test]
fn template_override_with_a_syntax_error() {
    let dir = tempfile::tempdir().unwrap();
    let templates = dir.path().join("vorlagen");
    std::fs::create_dir(&templates).unwrap();
    let layout = std::fs::read_to_string(root().join("templates/layout.typ")).unwrap();
    // Line 3 of the override gets an unclosed call.
    let broken: String = layout
        .lines()
        .take(2)
        .map(|l| format!("{l}\n"))
        .collect::<String>()
        + "#let kaputt = text(\n"
        + &layout
            .lines()
            .skip(2)
            .map(|l| format!("{l}\n"))
            .collect::<String>();
    std::fs::write(templates.join("layout.typ"), broken).unwrap();
    let templates_arg = templates.to_str().unwrap();
    refused(
        &seed(),
        &["--templates", templates_arg],
        1,
        &["template error", "layout.typ:3:", "error:"],
    );
}

#[test]
fn template_error_shows_typst_hints() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("beschlussvorlage.typ"),
        "#let d = json(\"/paper.json\")\n#d.betref\n",
    )
    .unwrap();
    refused(
        &seed(),
        &["--templates", dir.path().to_str().unwrap()],
        1,
        &["beschlussvorlage.typ:2:", "betref"],
    );
}

/// Text the validator must refuse is refused by the validator (exit 2, field, code point and
/// position), not by the template or the PDF export (exit 1), and never crashes the process.
#[test]
fn unprintable_characters_and_deep_nesting_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let subject = "betreff = \"Integrationskonzept für die Stadt Hagen\"";
    for (name, edit, needles) in [
        (
            "nul.toml",
            subject.replace("konzept", "konzept\\u0000"),
            vec!["betreff: character 20 is U+0000, a control character"],
        ),
        (
            "clef.toml",
            subject.replace("Hagen", "Hagen 𝄞"),
            vec![
                "betreff: character 41 is U+1D11E (𝄞), which the paper's fonts cannot print",
                "(line 8, column 11)",
            ],
        ),
        (
            "private.toml",
            subject.replace("Stadt", "Stadt \u{E000}"),
            vec!["betreff: character 35 is U+E000, a private-use character"],
        ),
    ] {
        let f = seed_with(dir.path(), name, |t| t.replace(subject, &edit));
        refused(&f, &[], 2, &needles);
    }
    let deep = seed_with(dir.path(), "deep.toml", |t| {
        t.replace(
            "begruendung = \"\"\"",
            &format!("begruendung = \"\"\"{} tief\n\n", ">".repeat(20_000)),
        )
    });
    refused(
        &deep,
        &[],
        2,
        &[
            "begruendung: Markdown nested 20000 levels deep (quotes, lists, emphasis and links inside one another); at most 8 are allowed",
        ],
    );
    let brackets = seed_with(dir.path(), "brackets.toml", |t| {
        format!("{t}\nx = {}{}\n", "[".repeat(100_000), "]".repeat(100_000))
    });
    refused(&brackets, &[], 2, &["nested more than 32 deep"]);
    let year = seed_with(dir.path(), "year.toml", |t| {
        t.replace("datum = 2012-04-25", "datum = 0000-04-25")
    });
    refused(
        &year,
        &[],
        2,
        &["datum: 0000-04-25: the year must be between 1800 and 2199"],
    );
}
